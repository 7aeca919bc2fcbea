"""The catalogue and the calendar managed live through intake's admin routes: each change is
recorded, published on catalogue.events.v1 and in force for the next request, no restart.

The catalogue log is shared by the whole test run, so each test changes only a procedure code
and calendar dates of its own."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from shared.domain.business_calendar import VIETNAM
from tests.support.intake_fixtures import NOW, Intake, intake

pytestmark = pytest.mark.integration
__all__ = ["intake"]  # the fixture


def procedure(code: str, **fields: Any) -> dict[str, Any]:
    return {"code": code, "name": "Thủ tục thử nghiệm", "field": "civil_status",
            "level": "commune", "agencies": [],
            "time_limit": {"amount": 3, "unit": "working_days"},
            "effective_from": "2016-01-01"} | fields  # fmt: skip


def own_code(intake: Intake) -> str:
    return f"T.{intake.unique[:10]}"


async def test_the_catalogue_lists_and_only_an_admin_changes_it(intake: Intake) -> None:
    procedures = (await intake.client.get("/v1/procedures")).json()
    agencies = (await intake.client.get("/v1/agencies")).json()
    assert len({p["code"] for p in procedures}) >= 20
    assert {a["level"] for a in agencies} == {"province", "district", "commune"}
    body = procedure(own_code(intake))
    as_desk = await intake.client.post(
        "/v1/admin/catalogue/procedures", json=body, headers=intake.headers()
    )
    assert as_desk.status_code == 403
    anonymous = await intake.client.post("/v1/admin/catalogue/procedures", json=body)
    assert anonymous.status_code == 401
    assert (
        await intake.admin("GET", f"catalogue/procedures/{own_code(intake)}")
    ).status_code == 404


async def test_an_amended_time_limit_applies_from_its_day_and_is_recorded(intake: Intake) -> None:
    code = own_code(intake)
    added = await intake.admin("POST", "catalogue/procedures", procedure(code))
    assert added.status_code == 201, added.text
    before = (await intake.receive(submission_id="before", procedure_code=code,
                                   agency_code="UBND.P.SG")).json()  # fmt: skip
    amendment = {"effective_from": NOW.date().isoformat(),
                 "time_limit": {"amount": 10, "unit": "working_days"},
                 "decision": "QĐ 123/QĐ-UBND"}  # fmt: skip
    amended = await intake.admin("POST", f"catalogue/procedures/{code}/amend", amendment)
    assert amended.status_code == 200, amended.text
    after = (await intake.receive(submission_id="after", procedure_code=code,
                                  agency_code="UBND.P.SG")).json()  # fmt: skip

    unchanged = (await intake.client.get(f"/v1/dossiers/{before['code']}")).json()
    assert unchanged["appointment_at"] == before["appointment_at"]
    assert datetime.fromisoformat(after["appointment_at"]) > datetime.fromisoformat(
        before["appointment_at"]
    )
    listed = (await intake.admin("GET", f"catalogue/procedures/{code}")).json()
    assert [(v["effective_from"], v["effective_to"], v["time_limit"]["amount"])
            for v in listed["versions"]] == [
        ("2016-01-01", NOW.date().isoformat(), 3), (NOW.date().isoformat(), None, 10),
    ]  # fmt: skip
    assert [c["by"] for c in listed["changes"]] == [f"admin-{intake.unique}"] * 2
    assert "3 working_days -> 10 working_days (QĐ 123/QĐ-UBND)" in listed["changes"][1]["what"]


async def test_conflicting_or_unknown_changes_are_refused_clearly(intake: Intake) -> None:
    code = own_code(intake)
    assert (await intake.admin("POST", "catalogue/procedures", procedure(code))).status_code == 201
    again = await intake.admin("POST", "catalogue/procedures", procedure(code))
    assert again.status_code == 409
    assert "already has a version from 2016-01-01" in again.json()["detail"]
    missing = await intake.admin(
        "POST",
        "catalogue/procedures/T.none/amend",
        {"effective_from": "2026-01-01", "time_limit": {"amount": 1, "unit": "working_days"}},
    )
    assert missing.status_code == 404
    unknown_agency = await intake.admin(
        "POST", "catalogue/procedures", procedure(f"{code}.b", agencies=["NOWHERE"])
    )
    assert unknown_agency.status_code == 422
    assert "NOWHERE" in unknown_agency.json()["detail"]
    bad_unit = await intake.admin(
        "PUT",
        "catalogue/agencies/UBND.X",
        {"code": "UBND.X", "name": "UBND thử", "level": "commune", "unit": "HCM.NOWHERE"},
    )
    assert bad_unit.status_code == 422
    assert "HCM.NOWHERE" in bad_unit.json()["detail"]

    retired = await intake.admin(
        "POST", f"catalogue/procedures/{code}/retire", {"effective_from": "2026-03-01"}
    )
    assert retired.status_code == 200, retired.text
    refused = await intake.receive(submission_id="retired", procedure_code=code,
                                   agency_code="UBND.P.SG")  # fmt: skip
    assert refused.status_code == 422
    assert "not in force on 2026-03-02" in refused.text
    old = await intake.receive(
        "importer",
        submission_id="old",
        procedure_code=code,
        agency_code="UBND.P.BN",  # a ward of the old map, which received then
        received_at=datetime(2020, 5, 4, 9, tzinfo=VIETNAM).isoformat(),
    )
    assert old.status_code == 201, old.text  # history before the retirement still files


async def test_an_agency_receives_within_its_unit_s_life_and_versions_name_it_only_then(
    intake: Intake,
) -> None:
    agency = f"T.{intake.unique[:8].upper()}"
    ward = {"code": agency, "name": "Bộ phận thử", "level": "commune", "unit": "HCM.SAI-GON"}
    before_its_ward = await intake.admin("PUT", f"catalogue/agencies/{agency}", ward)
    assert before_its_ward.status_code == 422
    assert "its unit HCM.SAI-GON is in being from 2025-07-01" in before_its_ward.json()["detail"]
    since = ward | {"valid_from": "2025-07-01"}
    assert (await intake.admin("PUT", f"catalogue/agencies/{agency}", since)).status_code == 200
    code = own_code(intake)
    version = procedure(code, agencies=[agency], effective_from="2025-07-01")
    assert (await intake.admin("POST", "catalogue/procedures", version)).status_code == 201

    ending = since | {"valid_to": "2026-01-01"}
    named = await intake.admin("PUT", f"catalogue/agencies/{agency}", ending)
    assert named.status_code == 422  # an open-ended version still names it
    assert f"procedure {code} version 2025-07-01 names agency {agency}" in named.json()["detail"]
    retired = await intake.admin(
        "POST", f"catalogue/procedures/{code}/retire", {"effective_from": "2026-01-01"}
    )
    assert retired.status_code == 200, retired.text
    assert (await intake.admin("PUT", f"catalogue/agencies/{agency}", ending)).status_code == 200
    late = await intake.receive("importer", submission_id="late", procedure_code="1.001193",
                                agency_code=agency)  # fmt: skip
    assert late.status_code == 422
    assert f"agency {agency} no longer receives dossiers: it ceased on 2026-01-01" in late.text


def own_monday(intake: Intake) -> datetime:
    """A June Monday of a year of this test's own, so no other test counts with its days."""
    year = 2031 + int(intake.unique[:4], 16) % 40
    first = date(year, 6, 1)
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    return datetime.combine(monday, datetime.min.time(), VIETNAM).replace(hour=8)


async def test_a_day_off_added_live_moves_the_next_appointment(intake: Intake) -> None:
    monday = own_monday(intake)
    tuesday = (monday + timedelta(days=1)).date().isoformat()
    await intake.admin("DELETE", f"calendar/days/{tuesday}")  # left by an earlier run, if any
    code = own_code(intake)  # three working days
    assert (await intake.admin("POST", "catalogue/procedures", procedure(code))).status_code == 201
    intake.clock.set(monday)

    async def receive(submission: str) -> dict[str, Any]:
        answer = await intake.receive(submission_id=submission, procedure_code=code,
                                      agency_code="UBND.P.SG")  # fmt: skip
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    first = await receive("first")
    added = await intake.admin("PUT", f"calendar/days/{tuesday}",
                               {"kind": "day_off", "note": "nghỉ bù"})  # fmt: skip
    assert added.status_code == 200, added.text
    second = await receive("second")
    first_at = datetime.fromisoformat(first["appointment_at"]).astimezone(VIETNAM)
    second_at = datetime.fromisoformat(second["appointment_at"]).astimezone(VIETNAM)
    assert second_at.date() > first_at.date()
    assert second_at.time() == first_at.time()

    calendar = (await intake.admin("GET", "calendar")).json()
    assert calendar["days_off"][tuesday] == "nghỉ bù"
    assert calendar["changes"][-1]["by"] == f"admin-{intake.unique}"
    removed = await intake.admin("DELETE", f"calendar/days/{tuesday}")
    assert removed.status_code == 200
    third = await receive("third")
    assert third["appointment_at"] == first["appointment_at"]
    assert (await intake.admin("DELETE", f"calendar/days/{tuesday}")).status_code == 404
