"""Each notification channel against a real counterpart: e-mail through a real SMTP server
with STARTTLS and its certificate verified; SMS and Zalo ZNS through the gateways' stand-in,
the request shapes from configuration; and the answers judged as the courier needs them."""

from pathlib import Path

import httpx
import pytest

from demo.gateway_standin import create_app
from services.exchange.service.answers import ACKNOWLEDGED, FAILED, UNREACHABLE
from services.exchange.service.channels import SmsGateway, SmtpEmail, ZaloZns
from services.exchange.service.notice_templates import TEMPLATES_DIR, NoticeTemplates
from services.exchange.tools.sms_lengths import SAMPLE
from tests.support.service_process import free_port
from tests.support.smtp_mailbox import smtp_mailbox

pytestmark = pytest.mark.integration
CONTACT = {"phone": "0912345678", "email": "citizen@example.vn", "notify": ["email", "sms"]}
TEMPLATES = NoticeTemplates()


def email_channel(port: int, ca_file: Path | None) -> SmtpEmail:
    return SmtpEmail("127.0.0.1", port, TEMPLATES, sender="Mot cua <motcua@example.vn>",
                     username=None, password_file=None, ca_file=ca_file,
                     rate_per_second=50, timeout_seconds=5)  # fmt: skip


async def test_email_goes_over_starttls_to_a_verified_server(tmp_path: Path) -> None:
    with smtp_mailbox(tmp_path) as mailbox:
        channel = email_channel(mailbox.port, mailbox.ca_file)
        answer = await channel.deliver("delayed", SAMPLE, CONTACT, "key-1")
        assert answer.outcome == ACKNOWLEDGED, answer
        [mail] = mailbox.to("citizen@example.vn")
        assert str(SAMPLE["code"]) in mail["Subject"]
        assert mail["Message-ID"] == "<key-1@motcua>"
        body = mail.get_body(("html",))
        assert body is not None
        assert "16:30 15/12/2026" in body.get_content()  # the new appointment
        unverified = email_channel(mailbox.port, None)  # the system's CAs: not this one's
        refused = await unverified.deliver("received", SAMPLE, CONTACT, "key-2")
        assert refused.outcome == FAILED
        assert refused.text.startswith("TLS")
        assert len(mailbox.mails) == 1
    down = await email_channel(free_port(), None).deliver("received", SAMPLE, CONTACT, "k")
    assert down.outcome == UNREACHABLE


async def test_sms_and_zalo_go_in_their_configured_shapes(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=create_app(tmp_path / "gateway.jsonl"))
    token = tmp_path / "zalo-token"
    token.write_text("zalo-secret")
    sms = SmsGateway("http://gw/sms", TEMPLATES_DIR / "sms_gateway.toml", TEMPLATES,
                     username="u", password_file=None, sender="UBND.HCM", rate_per_second=50,
                     timeout_seconds=5, transport=transport)  # fmt: skip
    zalo = ZaloZns("http://gw/message/template", token, TEMPLATES, rate_per_second=50,
                   timeout_seconds=5, transport=transport)  # fmt: skip
    assert (await sms.deliver("received", SAMPLE, CONTACT, "k-sms")).outcome == ACKNOWLEDGED
    assert (await zalo.deliver("received", SAMPLE, CONTACT, "k-zalo")).outcome == ACKNOWLEDGED
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as gateway:
        taken = (await gateway.get("/received", params={"code": str(SAMPLE["code"])})).json()
        by_channel = {entry["channel"]: entry for entry in taken}
        assert by_channel["sms"]["phone"] == "0912345678"
        assert by_channel["sms"]["sender"] == "UBND.HCM"
        assert by_channel["sms"]["text"].startswith(f"Hồ sơ {SAMPLE['code']} đã được tiếp nhận")
        assert by_channel["zalo"]["phone"] == "84912345678"  # international form
        assert by_channel["zalo"]["token"] == "zalo-secret"
        assert by_channel["zalo"]["data"]["ma_ho_so"] == SAMPLE["code"]
        await gateway.post("/control", json={"fail_status": 503})
        assert (await sms.deliver("received", SAMPLE, CONTACT, "k2")).outcome == UNREACHABLE
        await gateway.post("/control", json={"fail_status": 500})
        failed = await sms.deliver("received", SAMPLE, CONTACT, "k3")
        assert (failed.outcome, failed.text) == (FAILED, "HTTP 500")  # never the body
