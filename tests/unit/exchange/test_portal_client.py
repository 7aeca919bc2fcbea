"""The transport's contract: what goes on the wire (the session token from its file, the unit,
the call, the idempotency key), how each kind of answer is judged, and TLS always verified."""

import json
import ssl
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.exchange.domain.portal_mapping import PortalMapping
from services.exchange.service.answers import ACKNOWLEDGED, FAILED, REFUSED, UNREACHABLE
from services.exchange.service.portal_client import PortalClient, tls_context
from services.exchange.settings import ExchangeSettings
from shared.events.portal import PortalRecord

MAPPING = PortalMapping.from_file()
RECORD = PortalRecord(
    code="UBND.P.SG-260302-0001", call="DongBoHoSoMC", key="k1", cause="DossierReceived",
    made_at=datetime(2026, 3, 2, tzinfo=UTC), payload={"MaHoSo": "UBND.P.SG-260302-0001",
                                                      "MaTTHC": "1.001"},
)  # fmt: skip


def settings(tmp_path: Path, **more: object) -> ExchangeSettings:
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    return ExchangeSettings.model_validate(
        {
            "PORTAL_URL": "https://lgsp.example/api",
            "PORTAL_TOKEN_FILE": str(token),
            "PORTAL_UNIT_CODE": "000.00.00.H99",
        }
        | more
    )


async def test_a_record_goes_with_its_token_unit_call_key_and_owner(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def portal(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"error_code": "00"})

    client = PortalClient(settings(tmp_path), MAPPING, httpx.MockTransport(portal))
    answer = await client.send(RECORD, {"ChuHoSo": "Nguyễn Văn A"})
    assert answer.outcome == ACKNOWLEDGED
    [request] = seen
    body = json.loads(request.content)
    assert (body["session"], body["madonvi"], body["service"]) == (
        "s3cret", "000.00.00.H99", "DongBoHoSoMC"
    )  # fmt: skip
    assert body["isUpdating"] is False
    assert body["data"] == [RECORD.payload | {"ChuHoSo": "Nguyễn Văn A"}]
    assert request.headers["Idempotency-Key"] == "k1"
    assert request.headers["Authorization"] == "Bearer s3cret"
    (tmp_path / "token").write_text("rotated")  # read at each call
    await client.send(RECORD, None)
    assert json.loads(seen[-1].content)["session"] == "rotated"


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, {"error_code": "00"}, ACKNOWLEDGED),
        (200, {"error_code": "01", "message": "MaTTHC is required"}, REFUSED),
        (400, {"message": "bad"}, REFUSED),
        (401, {"message": "bad session"}, REFUSED),
        (429, {}, FAILED),
        (500, {}, FAILED),
        (502, {}, FAILED),
        (503, {}, UNREACHABLE),
    ],
)
async def test_each_answer_is_judged(
    tmp_path: Path, status: int, body: dict[str, str], outcome: str
) -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(status, json=body))
    answer = await PortalClient(settings(tmp_path), MAPPING, transport).send(RECORD, None)
    assert answer.outcome == outcome
    assert str(status) in answer.text  # the portal's answer is kept, for the dead letter


async def test_no_connection_is_an_outage_and_a_timeout_a_failure(tmp_path: Path) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    for handler, outcome in ((refused, UNREACHABLE), (slow, FAILED)):
        client = PortalClient(settings(tmp_path), MAPPING, httpx.MockTransport(handler))
        assert (await client.send(RECORD, None)).outcome == outcome


def test_tls_is_always_verified(tmp_path: Path) -> None:
    context = tls_context(settings(tmp_path))
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    missing = settings(tmp_path, PORTAL_CA_FILE=str(tmp_path / "no-such-ca.pem"))
    with pytest.raises(FileNotFoundError):
        tls_context(missing)  # a CA named and absent is an error at start, not an unverified link
