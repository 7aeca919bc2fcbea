"""Intake on real Kafka and Redis: receipts, every step, errors, access, idempotency."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.domain.business_calendar import VIETNAM
from shared.events.topics import DOSSIER_EVENTS
from shared.runtime.log_setup import JsonFormatter
from tests.support.intake_fixtures import APPLICANT, NOW, Intake, intake
from tests.support.kafka_probe import TopicTail
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
__all__ = ["intake"]  # the fixture


async def dossier_event_types(tail: TopicTail, code: str, count: int) -> list[str]:
    async def arrived() -> list[str] | None:
        await tail.poll()
        types = [value["type"] for value in tail.values_for(code)]
        return types if len(types) >= count else None

    return await wait_for(arrived, within=30, what=f"{count} events of {code}")


@pytest.mark.parametrize(
    ("channel", "clerk"), [("counter", "clerk-7"), ("online", None), ("postal", None)]
)
async def test_full_life_of_a_dossier_on_each_channel(
    kafka_topics: str, intake: Intake, channel: str, clerk: str | None
) -> None:
    async with TopicTail(kafka_topics, DOSSIER_EVENTS) as tail:
        received = await intake.receive(
            submission_id=f"life-{channel}", channel=channel, clerk_id=clerk,
            procedure_code="1.009994", agency_code="UBND.P.SG",
        )  # fmt: skip
        assert received.status_code == 201, received.text
        code = received.json()["code"]
        assert code == "UBND.P.SG-260302-0001"
        steps: list[tuple[str, dict[str, Any]]] = [
            ("request-supplement", {"reason": "thiếu bản vẽ"}),
            ("receive-supplement", {}),
            ("request-payment", {"amount_vnd": 100000, "reason": "lệ phí"}),
            ("receive-payment", {}),
            (
                "delay",
                {"reason": "cần khảo sát", "new_appointment_at": "2026-04-30T17:00:00+07:00"},
            ),
            ("resolve", {"outcome": "approved"}),
            ("return", {}),
        ]
        for action, body in steps:
            intake.clock.advance(timedelta(hours=1))
            response = await intake.act(code, action, **body)
            assert response.status_code == 200, (action, response.text)
        assert response.json()["status"] == "returned"
        types = await dossier_event_types(tail, code, 8)
    assert types == [
        "DossierReceived", "SupplementRequested", "SupplementReceived", "PaymentRequested",
        "PaymentReceived", "DossierDelayed", "DossierResolved", "ResultReturned",
    ]  # fmt: skip
    received_event = tail.values_for(code)[0]["body"]
    assert received_event["channel"] == channel
    # building permit: 15 working days, 12 when filed online
    assert received_event["time_limit"]["amount"] == (12 if channel == "online" else 15)


async def test_interconnected_dossier_passes_three_agencies_in_order(intake: Intake) -> None:
    received = await intake.receive(submission_id="lt-1", procedure_code="LT.KS-TT-BHYT")
    assert received.status_code == 201, received.text
    code = received.json()["code"]
    wrong = await intake.act(code, "transfer", to_agency_code="BHXH.HCM")
    assert wrong.status_code == 422
    assert "the next step is at CA.P.SG" in wrong.json()["detail"]
    for agency in ("CA.P.SG", "BHXH.HCM"):
        moved = await intake.act(code, "transfer", to_agency_code=agency)
        assert moved.status_code == 200, moved.text
        assert moved.json()["agency_code"] == agency
    done = await intake.act(code, "resolve", outcome="approved")
    assert done.status_code == 200
    log = (await intake.client.get(f"/v1/dossiers/{code}")).json()["log"]
    assert [(line["step"], line["agency_code"]) for line in log] == [
        ("receive", "UBND.P.SG"), ("transfer", "CA.P.SG"), ("transfer", "BHXH.HCM"),
        ("resolve", "BHXH.HCM"),
    ]  # fmt: skip


async def test_the_control_sheet_shows_each_hand_off_with_its_step_due_and_lateness(
    intake: Intake,
) -> None:
    """3 + 7 + 5 working days: the desk hands on in time, the police a working day late."""
    code = (await intake.receive(submission_id="sheet", procedure_code="LT.KS-TT-BHYT")).json()[
        "code"
    ]
    intake.clock.set(datetime(2026, 3, 3, 8, tzinfo=VIETNAM))  # desk due Thursday 5 March 08:00
    moved = await intake.act(code, "transfer", to_agency_code="CA.P.SG", officer_id="CA-0042")
    assert moved.status_code == 200, moved.text
    intake.clock.set(datetime(2026, 3, 13, 8, tzinfo=VIETNAM))  # police due Thursday 12 March
    await intake.act(code, "transfer", to_agency_code="BHXH.HCM", officer_id="BH-0007")
    intake.clock.set(datetime(2026, 3, 16, 8, tzinfo=VIETNAM))
    await intake.act(code, "resolve", outcome="approved", officer_id="BH-0007")

    answer = await intake.client.get(f"/v1/dossiers/{code}/control-sheet",
                                     headers=intake.headers("police"))  # fmt: skip
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert [(r["action"], r["from_agency_code"], r["to_agency_code"]) for r in rows] == [
        ("receive", None, "UBND.P.SG"), ("transfer", "UBND.P.SG", "CA.P.SG"),
        ("transfer", "CA.P.SG", "BHXH.HCM"), ("resolve", "BHXH.HCM", "UBND.P.SG"),
    ]  # fmt: skip
    assert [r["on_time"] for r in rows] == [None, True, False, True]
    assert rows[1]["due_at"].startswith("2026-03-05T08:00")
    assert rows[2]["due_at"].startswith("2026-03-12T08:00")
    assert rows[1]["next_due_at"] == rows[2]["due_at"]
    # an officer's id shows only to a key of that officer's agency
    assert [r["officer_id"] for r in rows] == [None, "CA-0042", None, None]
    everyone = await intake.client.get(f"/v1/dossiers/{code}/control-sheet",
                                       headers=intake.headers())  # fmt: skip
    assert [r["officer_id"] for r in everyone.json()["rows"]] == [
        "clerk-7", "CA-0042", "BH-0007", "BH-0007",
    ]  # fmt: skip
    printable = await intake.client.get(f"/v1/dossiers/{code}/control-sheet?format=html",
                                        headers=intake.headers("police"))  # fmt: skip
    assert printable.headers["content-type"].startswith("text/html")
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in printable.text
    assert "Quá hạn" in printable.text
    assert "Công an Phường Sài Gòn" in printable.text
    outsider = await intake.client.get(f"/v1/dossiers/{code}/control-sheet",
                                       headers=intake.headers("outsider"))  # fmt: skip
    assert outsider.status_code == 403
    anonymous = await intake.client.get(f"/v1/dossiers/{code}/control-sheet")
    assert anonymous.status_code == 401


async def test_same_submission_twice_gives_the_same_result_and_one_event(
    kafka_topics: str, intake: Intake
) -> None:
    async with TopicTail(kafka_topics, DOSSIER_EVENTS) as tail:
        first = await intake.receive(submission_id="twice")
        second = await intake.receive(submission_id="twice")
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        code = first.json()["code"]
        step = {"submission_id": "resolve-twice", "outcome": "approved"}
        again = [await intake.act(code, "resolve", **step) for _ in range(2)]
        assert [r.status_code for r in again] == [200, 200]
        await intake.receive(submission_id="after")  # a later dossier marks the end
        await dossier_event_types(tail, code, 2)
        await wait_for(lambda: _has(tail, "UBND.P.SG-260302-0002"), within=30, what="marker")
    assert [v["type"] for v in tail.values_for(code)] == ["DossierReceived", "DossierResolved"]


async def _has(tail: TopicTail, code: str) -> bool:
    await tail.poll()
    return bool(tail.values_for(code))


async def test_100_concurrent_receipts_get_distinct_gap_free_codes(intake: Intake) -> None:
    responses = await asyncio.gather(
        *(intake.receive(submission_id=f"burst-{n}") for n in range(100))
    )
    assert all(r.status_code == 201 for r in responses)
    codes = sorted(r.json()["code"] for r in responses)
    assert codes == [f"UBND.P.SG-260302-{n:04d}" for n in range(1, 101)]


async def test_concurrent_steps_on_one_dossier_one_wins_the_others_conflict(
    intake: Intake,
) -> None:
    code = (await intake.receive(submission_id="contended")).json()["code"]
    responses = await asyncio.gather(
        *(intake.act(code, "resolve", submission_id=f"r{n}", outcome="approved") for n in range(10))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 9
    assert {r.json()["detail"] for r in responses if r.status_code == 409} <= {
        f"dossier {code} was changed by another request",
        "'resolve' is not allowed while the dossier is resolved; allowed: return",
    }


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"procedure_code": "9.999999"}, "unknown procedure '9.999999'"),
        ({"agency_code": "UBND.X"}, "unknown agency 'UBND.X'"),
        ({"procedure_code": "1.012345", "agency_code": "SLDTBXH"}, "not in force on 2026-03-02"),
        ({"procedure_code": "1.001756"}, "agency UBND.P.SG does not receive 1.001756"),
        (
            {"agency_code": "UBND.Q1"},
            "agency UBND.Q1 no longer receives dossiers: it ceased on 2025-07-01",
        ),  # the district is gone; its wards receive
        (
            {"procedure_code": "2.000815", "return_method": "postal"},
            "cannot be filed or returned by post",
        ),
        ({"clerk_id": None}, "clerk_id is required for a counter filing"),
        ({"received_at": "2026-02-01T08:00:00+07:00"}, "needs the 'import' scope"),
    ],
)
async def test_unacceptable_receipts_are_422_with_the_reason(
    intake: Intake, fields: dict[str, Any], detail: str
) -> None:
    # an all-agencies client, so that access is not what refuses it (but no backdating there)
    who = "desk" if "received_at" in fields else "importer"
    response = await intake.receive(who=who, submission_id="bad", **fields)
    assert response.status_code == 422
    assert detail in response.json()["detail"]


async def test_a_body_over_the_limit_is_413_before_it_is_read_whole(intake: Intake) -> None:
    """Issue 35: a 32 MB body was read and parsed before its 422."""
    headers = intake.headers() | {"content-type": "application/json"}
    declared = await intake.client.post("/v1/dossiers", content=b" " * 32_000_000, headers=headers)
    assert declared.status_code == 413
    assert "over the limit of 1000000 bytes" in declared.json()["detail"]
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(32):
            sent.append(1)
            yield b" " * 100_000

    chunked = await intake.client.post("/v1/dossiers", content=chunks(), headers=headers)
    assert chunked.status_code == 413
    assert "over the limit" in chunked.json()["detail"]
    assert len(sent) < 32, "the body was read whole"
    under = await intake.client.post("/v1/dossiers", content=b"{}", headers=headers)
    assert under.status_code == 422  # within the limit: read, and refused for what it says


async def test_invalid_fields_are_named_and_never_echoed(intake: Intake) -> None:
    applicant = APPLICANT | {"id_number": "12345", "phone": "0912"}
    response = await intake.receive(submission_id="invalid", channel="fax", applicant=applicant)
    assert response.status_code == 422
    locations = {tuple(problem["loc"]) for problem in response.json()["detail"]}
    assert {("body", "channel"), ("body", "applicant", "person", "id_number"),
            ("body", "applicant", "person", "phone")} <= locations  # fmt: skip
    assert "0912" not in response.text
    assert "Nguyễn" not in response.text


ORGANISATION: dict[str, Any] = {
    "kind": "organisation",
    "name": "Công ty TNHH Ánh Dương",
    "tax_code": "0300588569",
    "representative": "Trần Văn Cường",
    "phone": "0903123457",
    "address": {"province": "TP. Hồ Chí Minh", "commune": "Phường Sài Gòn",
                "street": "5 Lê Duẩn"},
}  # fmt: skip
FOREIGNER: dict[str, Any] = {
    "name": "Kim Min-jun",
    "passport_number": "M12345678",
    "nationality": "KOR",
    "phone": "0903123458",
    "address": {"province": "TP. Hồ Chí Minh", "commune": "Phường Sài Gòn",
                "street": "7 Lê Duẩn"},
}  # fmt: skip


@pytest.mark.parametrize("applicant", [ORGANISATION, FOREIGNER], ids=["organisation", "foreigner"])
async def test_an_organisation_and_a_foreigner_file_and_get_a_code_and_a_rating_token(
    intake: Intake, kafka_topics: str, applicant: dict[str, Any]
) -> None:
    async with TopicTail(kafka_topics, "dossier.events.v1") as tail:
        response = await intake.receive(
            submission_id=f"applicant-{applicant.get('kind', 'person')}", applicant=applicant
        )
        assert response.status_code == 201, response.text
        receipt = response.json()
        assert receipt["code"].startswith("UBND.P.SG-")
        assert len(receipt["rating_token"]) >= 22
        await wait_for(lambda: _has(tail, receipt["code"]), within=30, what="the receipt event")
        published = b"".join(record.value or b"" for record in tail.records)
    identifiers = [applicant.get("tax_code"), applicant.get("passport_number")]
    for private in [applicant["phone"], applicant["address"]["street"], *identifiers]:
        if private:
            assert private.encode() not in published  # never on dossier.events.v1
    stored = await intake.desk.store.applicant(receipt["code"])
    assert stored is not None
    assert json.loads(stored)["kind"] == applicant.get("kind", "person")


async def test_a_bad_tax_code_is_422_naming_the_field_without_echoing_it(intake: Intake) -> None:
    bad = ORGANISATION | {"tax_code": "0300588560"}  # wrong check digit
    response = await intake.receive(submission_id="bad-tax-code", applicant=bad)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "applicant", "organisation", "tax_code"]
    assert "0300588560" not in response.text


async def test_illegal_step_is_409_with_current_state_and_allowed_steps(intake: Intake) -> None:
    code = (await intake.receive(submission_id="illegal")).json()["code"]
    response = await intake.act(code, "receive-payment")
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "processing"
    assert "resolve" in body["allowed_steps"]


async def test_apology_only_before_the_appointment_passes(intake: Intake) -> None:
    code = (await intake.receive(submission_id="late-apology")).json()["code"]
    intake.clock.set(datetime(2026, 3, 3, 9, tzinfo=VIETNAM))  # after the same-day appointment
    response = await intake.act(
        code, "delay", reason="x", new_appointment_at="2026-03-10T17:00:00+07:00"
    )
    assert response.status_code == 422
    assert "before the current appointment passes" in response.json()["detail"]


async def test_access_needs_a_known_key_and_the_right_scope(intake: Intake) -> None:
    no_key = await intake.client.post("/v1/dossiers", json={})
    assert no_key.status_code == 401
    unknown = await intake.client.post("/v1/dossiers", json={}, headers={"X-API-Key": "nope"})
    assert unknown.status_code == 401
    outsider = await intake.receive(who="outsider", submission_id="out")
    assert outsider.status_code == 403
    postal = await intake.receive(who="postal", submission_id="post")
    assert postal.status_code == 403
    code = (await intake.receive(submission_id="mine")).json()["code"]
    assert (
        await intake.act(code, "resolve", who="outsider", outcome="approved")
    ).status_code == 403


async def test_importer_may_backdate_and_the_catalogue_version_then_in_force_applies(
    intake: Intake,
) -> None:
    old = await intake.receive(
        who="importer", submission_id="hist-2025", procedure_code="1.001756", agency_code="STP",
        received_at="2025-06-02T08:00:00+07:00",
    )  # fmt: skip
    new = await intake.receive(
        who="importer", submission_id="hist-2026", procedure_code="1.001756", agency_code="STP"
    )
    assert old.status_code == new.status_code == 201
    assert old.json()["procedure_version"] == "2020-01-01"
    assert old.json()["code"].startswith("STP-250602-")
    assert new.json()["procedure_version"] == "2026-01-01"
    received_2025 = datetime.fromisoformat(old.json()["received_at"])
    appointment_2025 = datetime.fromisoformat(old.json()["appointment_at"])
    assert appointment_2025 - received_2025 > timedelta(days=20)  # 15 working days then


async def test_public_lookup_shows_no_personal_data(intake: Intake) -> None:
    code = (await intake.receive(submission_id="private")).json()["code"]
    response = await intake.client.get(f"/v1/dossiers/{code}")
    assert response.status_code == 200
    for secret in ("Nguyễn", "079190001234", "0903123456", "Nguyễn Huệ"):
        assert secret not in response.text
    assert (await intake.client.get("/v1/dossiers/UBND.P.SG-260302-9999")).status_code == 404


def test_now_is_a_working_monday() -> None:
    assert NOW.weekday() == 0
    assert json.dumps(APPLICANT, ensure_ascii=False)


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter("intake"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_personal_data_never_reaches_the_logs(intake: Intake) -> None:
    collected = Collected()
    root = logging.getLogger()
    root.addHandler(collected)
    root.setLevel(logging.DEBUG)
    try:
        await _a_life_with_refusals(intake)
    finally:
        root.removeHandler(collected)
    logged = "\n".join(collected.lines)
    assert "request refused" in logged  # the service does log what it refuses, and why
    for secret in ("Nguyễn Thị Bình", "079190001234", "0903123456", "12 Nguyễn Huệ", "0791900012"):
        assert secret not in logged


async def _a_life_with_refusals(intake: Intake) -> None:
    code = (await intake.receive(submission_id="logged", return_method="postal")).json()["code"]
    await intake.act(code, "resolve", outcome="approved")
    await intake.act(code, "return")
    bad_applicant = APPLICANT | {"id_number": "0791900012"}
    await intake.receive(submission_id="bad-id", applicant=bad_applicant)
    await intake.receive(who="outsider", submission_id="denied", agency_code="UBND.P.SG")
