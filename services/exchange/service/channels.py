"""The notification channels, behind one Protocol: e-mail over SMTP with STARTTLS, SMS through
a carrier's HTTP gateway (the request's shape is configuration), and Zalo ZNS (a template id
and its parameters, the phone in international form). Each has its credentials from files, a
rate limit and a timeout, and answers as the portal's transport does (acknowledged, refused,
failed, unreachable). Nothing here logs a phone number, an address or a text."""

import ssl
import tomllib
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib
import httpx
from aiolimiter import AsyncLimiter

from services.exchange.service.answers import ACKNOWLEDGED, FAILED, REFUSED, UNREACHABLE, Answer
from services.exchange.service.notice_templates import NoticeTemplates


class NoticeChannel(Protocol):
    async def deliver(
        self, kind: str, context: dict[str, Any], contact: dict[str, Any], key: str
    ) -> Answer: ...


def secret(path: Path | None) -> str:
    return path.read_text("utf-8").strip() if path else ""


def international(phone: str) -> str:
    """0912345678 or +84912345678 -> 84912345678."""
    return "84" + phone.removeprefix("+84").removeprefix("0")


def judge_http(response: httpx.Response, field: str, equals: str) -> Answer:
    """The status and the one field that says yes or no: a gateway's body may quote the phone
    number or the text, which must not reach a log, a dead letter or the delivery state."""
    text = f"HTTP {response.status_code}"
    if response.status_code == 503:
        return Answer(UNREACHABLE, text)
    if response.status_code >= 500 or response.status_code == 429:
        return Answer(FAILED, text)
    if response.status_code >= 400:
        return Answer(REFUSED, text)
    try:
        found = str(response.json().get(field))
    except (ValueError, AttributeError):
        return Answer(FAILED, f"unreadable answer: {text}")
    return Answer(ACKNOWLEDGED if found == equals else REFUSED, f"{text}, {field} {found}")


async def post(http: httpx.AsyncClient, limiter: AsyncLimiter, url: str, **request: Any) -> (
    httpx.Response | Answer
):  # fmt: skip
    async with limiter:
        try:
            return await http.post(url, **request)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            return Answer(UNREACHABLE, type(error).__name__)
        except httpx.HTTPError as error:
            return Answer(FAILED, type(error).__name__)


class SmsGateway:
    def __init__(self, url: str, shape_file: Path, templates: NoticeTemplates, *,
                 username: str, password_file: Path | None, sender: str,
                 rate_per_second: float, timeout_seconds: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:  # fmt: skip
        self.url, self.templates, self.sender = url, templates, sender
        self.shape = tomllib.loads(shape_file.read_text("utf-8"))
        self.username, self.password_file = username, password_file
        self.limiter = AsyncLimiter(rate_per_second, 1.0)
        self.http = httpx.AsyncClient(timeout=timeout_seconds, transport=transport)

    async def deliver(
        self, kind: str, context: dict[str, Any], contact: dict[str, Any], key: str
    ) -> Answer:
        values = {
            "phone": contact["phone"], "phone_international": international(contact["phone"]),
            "text": self.templates.sms(kind, context), "sender": self.sender,
            "username": self.username, "password": secret(self.password_file), "key": key,
        }  # fmt: skip
        body = {name: str(value).format(**values) for name, value in self.shape["body"].items()}
        sent = await post(self.http, self.limiter, self.url, json=body)
        if isinstance(sent, Answer):
            return sent
        success = self.shape["success"]
        return judge_http(sent, success["field"], str(success["equals"]))


class ZaloZns:
    """Zalo's template message API: `access_token` header, the template and its data."""

    def __init__(self, url: str, token_file: Path | None, templates: NoticeTemplates, *,
                 rate_per_second: float, timeout_seconds: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:  # fmt: skip
        self.url, self.token_file, self.templates = url, token_file, templates
        self.limiter = AsyncLimiter(rate_per_second, 1.0)
        self.http = httpx.AsyncClient(timeout=timeout_seconds, transport=transport)

    async def deliver(
        self, kind: str, context: dict[str, Any], contact: dict[str, Any], key: str
    ) -> Answer:
        template_id, data = self.templates.zalo(kind, context)
        body = {"phone": international(contact["phone"]), "template_id": template_id,
                "template_data": data, "tracking_id": key}  # fmt: skip
        headers = {"access_token": secret(self.token_file)}
        sent = await post(self.http, self.limiter, self.url, json=body, headers=headers)
        return sent if isinstance(sent, Answer) else judge_http(sent, "error", "0")


class SmtpEmail:
    """E-mail over SMTP, upgraded with STARTTLS and the server's certificate verified."""

    def __init__(self, host: str, port: int, templates: NoticeTemplates, *, sender: str,
                 username: str | None, password_file: Path | None, ca_file: Path | None,
                 rate_per_second: float, timeout_seconds: float) -> None:  # fmt: skip
        self.host, self.port, self.templates, self.sender = host, port, templates, sender
        self.username, self.password_file = username, password_file
        self.tls = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self.limiter = AsyncLimiter(rate_per_second, 1.0)
        self.timeout = timeout_seconds

    def message(self, kind: str, context: dict[str, Any], to: str) -> EmailMessage:
        subject, html = self.templates.email(kind, context)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(html, subtype="html")
        return message

    async def deliver(
        self, kind: str, context: dict[str, Any], contact: dict[str, Any], key: str
    ) -> Answer:
        if not contact.get("email"):
            return Answer(REFUSED, "no e-mail address")
        message = self.message(kind, context, contact["email"])
        message["Message-ID"] = f"<{key}@motcua>"  # the idempotency key, for the mailbox too
        async with self.limiter:
            return await self._send(message)

    async def _send(self, message: EmailMessage) -> Answer:
        try:
            await aiosmtplib.send(
                message, hostname=self.host, port=self.port, start_tls=True,
                tls_context=self.tls, username=self.username or None,
                password=secret(self.password_file) or None, timeout=self.timeout,
            )  # fmt: skip
        except ssl.SSLError as error:  # a certificate not verified: no fault of the network
            return Answer(FAILED, f"TLS: {type(error).__name__}")
        except aiosmtplib.SMTPRecipientsRefused:
            return Answer(REFUSED, "recipient refused")
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, OSError) as e:
            return Answer(UNREACHABLE, type(e).__name__)
        except aiosmtplib.SMTPResponseException as error:
            outcome = REFUSED if error.code >= 500 else FAILED
            return Answer(outcome, f"SMTP {error.code}")  # the code only: its text may quote
        except aiosmtplib.SMTPException as error:  # a timeout, a TLS failure
            return Answer(FAILED, type(error).__name__)
        return Answer(ACKNOWLEDGED, "250 accepted")
