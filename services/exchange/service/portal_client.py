"""The transport to the national portal: one POST per record, as the integration platform
takes it (`session` and `madonvi` beside the call's `service` and `data`), with the record's
idempotency key in the `Idempotency-Key` header. Endpoint, credentials, timeout and rate are
configuration; TLS is verified (against PORTAL_CA_FILE when given).

An answer is one of: acknowledged (`error_code` among the mapping's success codes), refused
(any other answer of the portal: a 4xx or an `error_code` it sets; retrying cannot help),
failed (a timeout, a 5xx or a 429: retried later), or unreachable (no connection, or a 503:
the portal is down for everyone, which is no fault of the record; retried without counting)."""

import logging
import ssl
from typing import Any

import httpx
from aiolimiter import AsyncLimiter

from services.exchange.domain.portal_mapping import PortalMapping
from services.exchange.service.answers import ACKNOWLEDGED, FAILED, REFUSED, UNREACHABLE, Answer
from services.exchange.settings import ExchangeSettings
from shared.events.portal import PortalRecord

logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request is noise here


class PortalClient:
    def __init__(
        self,
        settings: ExchangeSettings,
        mapping: PortalMapping,
        transport: httpx.AsyncBaseTransport | None = None,  # tests: the stand-in in-process
    ) -> None:
        self.settings = settings
        self.mapping = mapping
        self.limiter = AsyncLimiter(settings.portal_rate_per_second, 1.0)
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.portal_timeout_seconds), verify=tls_context(settings),
            transport=transport,
        )  # fmt: skip

    async def close(self) -> None:
        await self.http.aclose()

    def _token(self) -> str | None:
        path = self.settings.portal_token_file  # read at each call: a rotated token is used
        return path.read_text("utf-8").strip() if path else None

    def body(self, record: PortalRecord, owner: dict[str, Any] | None) -> dict[str, Any]:
        data = record.payload | (owner or {}) if record.wants_owner else record.payload
        return {
            "session": self._token(), "madonvi": self.settings.portal_unit_code,
            "service": record.call, "isUpdating": record.cause != "DossierReceived",
            "data": [data],
        }  # fmt: skip

    async def send(self, record: PortalRecord, owner: dict[str, Any] | None) -> Answer:
        headers = {"Idempotency-Key": record.key}
        token = self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.limiter:
            try:
                response = await self.http.post(
                    self.settings.portal_url, json=self.body(record, owner), headers=headers
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                return Answer(UNREACHABLE, f"{type(error).__name__}: {error}"[:500])
            except httpx.HTTPError as error:
                return Answer(FAILED, f"{type(error).__name__}: {error}"[:500])
        return self.judge(response)

    def judge(self, response: httpx.Response) -> Answer:
        text = f"HTTP {response.status_code}: {response.text[:1000]}"
        if response.status_code == 503:  # it says it is down, for everyone: an outage
            return Answer(UNREACHABLE, text)
        if response.status_code >= 500 or response.status_code == 429:
            return Answer(FAILED, text)
        if response.status_code >= 400:
            return Answer(REFUSED, text)
        try:
            code = str(response.json().get("error_code"))
        except (ValueError, AttributeError):
            return Answer(FAILED, f"unreadable answer: {text}")
        ok = code in self.mapping.calls.success_codes
        return Answer(ACKNOWLEDGED if ok else REFUSED, text)


def tls_context(settings: ExchangeSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(
        cafile=str(settings.portal_ca_file) if settings.portal_ca_file else None
    )
    if settings.portal_client_cert_file is not None:
        key = settings.portal_client_key_file
        context.load_cert_chain(settings.portal_client_cert_file, key)
    return context
