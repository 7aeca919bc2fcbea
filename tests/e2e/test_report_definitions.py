"""The report definitions (README, "Definitions") through the public API of the stack the
launcher started: a desk with the `import` scope files dossiers with past times, and each
definition is read back from reporting, deadline and intake. Each test has its own period."""

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from services.reporting.store.postgres import connect
from shared.domain.business_calendar import VIETNAM
from shared.events.topics import DEADLINE_EVENTS, FEEDBACK_DEADLINES
from tests.support.intake_fixtures import receipt
from tests.support.kafka_probe import TopicTail
from tests.support.provable import (
    assert_index_traces,
    assert_reports_provable,
    balances,
    run_audit,
)
from tests.support.stack import Stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
AGENCY, MARRIAGE = "UBND.P.SG", "1.000894"  # Đăng ký kết hôn: 5 working days, restart
FORMER_WARD = "UBND.P.BN"  # Phường Bến Nghé, merged into Phường Sài Gòn on 1 July 2025


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


class Desk:
    def __init__(self, client: httpx.AsyncClient, stack: Stack) -> None:
        self.client, self.stack = client, stack
        self.headers = {"X-API-Key": stack.key}

    async def receive(self, at: datetime, procedure: str = MARRIAGE, agency: str = "") -> str:
        """Received at `agency`; by default at the ward of the time (the old one before the
        1 July 2025 merger, which receives nothing since)."""
        agency = agency or (AGENCY if at >= vn(2025, 7, 1, 0) else FORMER_WARD)
        body = receipt(submission_id=uuid.uuid4().hex, procedure_code=procedure,
                       agency_code=agency, received_at=at.isoformat())  # fmt: skip
        answer = await self.client.post(f"{self.stack.url('intake')}/v1/dossiers",
                                        json=body, headers=self.headers)  # fmt: skip
        assert answer.status_code == 201, answer.text
        return str(answer.json()["code"])

    async def act(self, code: str, action: str, at: datetime, **fields: Any) -> httpx.Response:
        body = {"submission_id": uuid.uuid4().hex, "occurred_at": at.isoformat()} | fields
        return await self.client.post(
            f"{self.stack.url('intake')}/v1/dossiers/{code}/{action}", json=body,
            headers=self.headers,
        )  # fmt: skip

    async def report(self, period: str, group_by: str = "agency") -> dict[str, Any]:
        answer = await self.client.get(
            f"{self.stack.url('reporting')}/v1/reports/processing",
            params={"period": period, "group_by": group_by},
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def total_becomes(self, period: str, **expected: int) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            total = (await self.report(period))["total"]
            return total if all(total[k] == v for k, v in expected.items()) else None

        return await wait_for(reached, within=60, what=f"{period} to show {expected}")

    async def deadline(self, code: str) -> dict[str, Any]:
        answer = await self.client.get(f"{self.stack.url('deadline')}/v1/deadlines/{code}")
        return dict(answer.json()) if answer.status_code == 200 else {}


@pytest.fixture
async def desk(stack: Stack) -> Any:
    async with httpx.AsyncClient(timeout=30) as client:
        yield Desk(client, stack)


async def test_a_filing_refused_at_receipt_is_not_received(desk: Desk) -> None:
    refused = await desk.receive(vn(2021, 3, 2))
    assert (await desk.act(refused, "refuse-receipt", vn(2021, 3, 2, 9, 30),
                           reason="thiếu giấy tờ")).status_code == 200  # fmt: skip
    kept = await desk.receive(vn(2021, 3, 3))
    late = await desk.act(kept, "refuse-receipt", vn(2021, 3, 4), reason="thiếu giấy tờ")
    assert late.status_code == 422
    assert "only on the day of the receipt" in late.text
    assert (await desk.act(kept, "resolve", vn(2021, 3, 5), outcome="approved")).status_code == 200
    total = await desk.total_becomes("2021-M03", refused_at_receipt=1, resolved_total=1)
    assert (total["received_total"], total["new_total"], total["pending_total"]) == (1, 1, 0)
    assert balances(total)


async def test_withdrawn_and_stopped_dossiers_have_their_own_columns(desk: Desk) -> None:
    withdrawn, stopped, kept = [await desk.receive(vn(2021, 5, day)) for day in (3, 4, 5)]
    assert (await desk.act(withdrawn, "withdraw", vn(2021, 5, 6), reason="rút")).status_code == 200
    assert (await desk.act(stopped, "stop", vn(2021, 5, 7), reason="dừng")).status_code == 200
    total = await desk.total_becomes("2021-M05", withdrawn=1, stopped=1)
    assert (total["received_total"], total["pending_total"]) == (3, 1)
    assert balances(total)
    assert (await desk.act(kept, "resolve", vn(2021, 6, 2), outcome="approved")).status_code == 200
    june = await desk.total_becomes(
        "2021-M06", received_total=1, resolved_total=1
    )  # only the open one carries
    assert (june["carried_over"], june["withdrawn"], june["stopped"]) == (1, 0, 0)
    assert (june["resolved_total"], june["pending_total"]) == (1, 0)


async def test_a_late_supplement_changes_neither_march_nor_lateness_and_one_appointment(
    desk: Desk, stack: Stack, redis_url: str
) -> None:
    code = await desk.receive(vn(2026, 3, 20))  # due Friday 27 March, 09:00
    await desk.total_becomes("2026-M03", pending_overdue=1)
    for action, at in (
        ("request-supplement", vn(2026, 4, 6)),
        ("receive-supplement", vn(2026, 4, 8)),
    ):
        fields = {"reason": "bổ sung giấy xác nhận"} if action == "request-supplement" else {}
        assert (await desk.act(code, action, at, **fields)).status_code == 200

    # One appointment: deadline and intake's public lookup agree on the restarted one.
    async def restarted() -> dict[str, Any] | None:
        found = await desk.deadline(code)
        return found if found.get("appointment_at", "").startswith("2026-04-15T09:00") else None

    deadline = await wait_for(restarted, within=60, what="the restart")
    lookup = (await desk.client.get(f"{stack.url('intake')}/v1/dossiers/{code}")).json()
    assert datetime.fromisoformat(lookup["appointment_at"]) == vn(2026, 4, 15)
    assert deadline["late_due_at"].startswith("2026-03-27T09:00")
    # The apology is judged against the current appointment, not the one of 27 March.
    apology = await desk.act(code, "delay", vn(2026, 4, 9), reason="xác minh",
                             new_appointment_at=vn(2026, 4, 20).isoformat())  # fmt: skip
    assert apology.status_code == 200, apology.text
    assert (await desk.act(code, "resolve", vn(2026, 4, 10), outcome="approved")).status_code == 200

    # Lateness cannot be undone: late, not early against 15 April.
    april = await desk.total_becomes("2026-M04", resolved_total=1, resolved_late=1)
    assert (april["resolved_early"], april["late_with_apology"]) == (0, 1)
    # The closed month does not change: still overdue at the end of March.
    await assert_reports_provable(stack, redis_url, "2026-M03")
    march = (await desk.report("2026-M03"))["total"]
    assert (march["pending_overdue"], march["pending_within"], march["paused"]) == (1, 0, 0)
    await assert_reports_provable(stack, redis_url, "2026-M04")


async def test_rows_and_exports_name_what_they_count_and_list_it(desk: Desk, stack: Stack) -> None:
    by_field = (await desk.report("2026-M03", "field"))["rows"]
    assert [(row["group"], row["group_name"]) for row in by_field] == [("civil_status", "Hộ tịch")]
    [row] = (await desk.report("2026-M03"))["rows"]
    assert (row["group_name"], row["on_time_rate"]) == ("UBND Phường Sài Gòn", None)
    reporting = stack.url("reporting")
    page = (await desk.client.get(f"{reporting}/v1/reports/page?period=2026-M03")).text
    assert "UBND Phường Sài Gòn" in page
    chart = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "—" in chart  # nothing resolved: no rate, and no 0% bar
    assert "<rect" not in chart
    assert "0.00%" not in chart
    assert "/v1/reports/processing/dossiers?" in page
    exported = (await desk.client.get(
        f"{reporting}/v1/reports/processing?period=2026-M03&format=csv")).text  # fmt: skip
    assert "Tên đơn vị / nhóm" in exported
    assert "UBND Phường Sài Gòn" in exported
    listed = (await desk.client.get(f"{reporting}/v1/reports/processing/dossiers", params={
        "period": "2026-M03", "column": "pending_overdue", "group": AGENCY})).json()  # fmt: skip
    assert listed["count"] == row["pending_overdue"] == len(listed["dossiers"]) == 1
    [line] = listed["dossiers"]
    assert (line["procedure_name"], line["state_at_end"]) == ("Đăng ký kết hôn", "overdue")
    assert line["due_at"].startswith("2026-03-27T09:00")


async def test_the_audit_names_a_cell_changed_behind_the_services_back(
    desk: Desk, stack: Stack, redis_url: str, postgres_url: str
) -> None:
    listed = (await desk.client.get(f"{stack.url('reporting')}/v1/reports/processing/dossiers",
              params={"period": "2026-M03", "column": "pending_overdue"})).json()  # fmt: skip
    [line] = listed["dossiers"]
    pool = await connect(postgres_url, max_size=1)
    table = f'"{stack.namespace.lower()}-reporting".dossier'
    paused_before_due = f"pause:{vn(2026, 3, 25).timestamp()}"
    try:  # a pause the events never made, written straight into the read model
        await pool.execute(f"UPDATE {table} SET facts = facts || jsonb_build_object($1::text, "
                           "'p') WHERE code = $2", paused_before_due, line["code"])  # fmt: skip
        code, output = await run_audit(stack, redis_url, "2026-M03")
    finally:
        await pool.execute(f"UPDATE {table} SET facts = facts - $1::text WHERE code = $2",
                           paused_before_due, line["code"])  # fmt: skip
        await pool.close()
    assert code == 1, output
    assert (
        f"processing by agency, row {AGENCY}, column pending_overdue: service 0, audit 1" in output
    )
    assert "column paused: service 1, audit 0" in output
    for reading in ("as_was", "as_is"):  # the tables by unit are audited too
        assert (
            f"processing by unit ({reading}, commune), row HCM.SAI-GON, column pending_overdue: "
            "service 0, audit 1" in output
        )
    metrics = (await desk.client.get(f"{stack.url('reporting')}/metrics")).text
    assert "reporting_audit_differences " in metrics
    assert "reporting_audit_differences 0.0" not in metrics


async def test_the_1_july_2025_change_reads_as_the_map_was_and_as_it_is(desk: Desk) -> None:
    """A former district's People's Committee receives on 30 June 2025; its successor ward
    receives on 1 July 2025 (config/units.toml: District 1 -> Phường Sài Gòn)."""
    before = await desk.receive(vn(2025, 6, 30), procedure="1.001612", agency="UBND.Q1")
    after = await desk.receive(vn(2025, 7, 1), procedure="1.001193", agency="UBND.P.SG")
    reporting = desk.stack.url("reporting")
    period = {"from": "2025-06-01", "to": "2025-07-31", "group_by": "unit"}

    async def rows(**query: str) -> dict[str, dict[str, Any]]:
        answer = await desk.client.get(f"{reporting}/v1/reports/processing",
                                       params=period | query)  # fmt: skip
        assert answer.status_code == 200, answer.text
        return {row["group"]: row for row in answer.json()["rows"]}

    async def both_counted() -> dict[str, dict[str, Any]] | None:
        found = await rows(map="as_was", tier="commune")
        return found if sum(row["new_total"] for row in found.values()) == 2 else None

    as_was = await wait_for(both_counted, within=60, what="both dossiers in reporting")
    assert {code: row["new_total"] for code, row in as_was.items()} == {
        "HCM.Q1": 1,
        "HCM.SAI-GON": 1,
    }
    assert as_was["HCM.Q1"]["group_name"] == "Quận 1"
    as_is = await rows(map="as_is", tier="commune")
    assert {code: row["new_total"] for code, row in as_is.items()} == {"HCM.SAI-GON": 2}
    assert as_is["HCM.SAI-GON"]["group_name"] == "Phường Sài Gòn"
    for reading in ("as_was", "as_is"):  # the province's total is the same both ways
        province = await rows(map=reading, tier="province", unit="HCM")
        assert {code: row["new_total"] for code, row in province.items()} == {"HCM": 2}
    drill = {"map": "as_is", "tier": "commune", "group": "HCM.SAI-GON", "column": "new_total"}
    listing = f"{reporting}/v1/reports/processing/dossiers"
    listed = (await desk.client.get(listing, params=period | drill)).json()
    assert sorted(line["code"] for line in listed["dossiers"]) == sorted([before, after])
    page = (await desk.client.get(f"{reporting}/v1/reports/page", params=period)).text
    assert "map=as_is" in page  # the page offers the other reading
    today_by_district = period | {"map": "as_is", "tier": "district"}
    no_districts = await desk.client.get(f"{reporting}/v1/reports/processing",
                                         params=today_by_district)  # fmt: skip
    assert no_districts.status_code == 422
    assert "no districts" in no_districts.json()["detail"]


# The catalogue and the calendar, managed live through intake's admin routes ------------------


async def admin(desk: Desk, method: str, path: str, body: Any = None) -> httpx.Response:
    return await desk.client.request(method, f"{desk.stack.url('intake')}/v1/admin/{path}",
                                     json=body, headers=desk.headers)  # fmt: skip


def new_procedure(code: str, amount: int, since: str = "2016-01-01") -> dict[str, Any]:
    return {"code": code, "name": f"Thủ tục {code} (ban hành 2016)", "field": "civil_status",
            "level": "commune", "agencies": [],  # any ward of the time
            "time_limit": {"amount": amount, "unit": "working_days"},
            "effective_from": since}  # fmt: skip


async def test_a_procedure_added_live_from_2016_lets_2016_history_be_imported(desk: Desk) -> None:
    code = f"T.{uuid.uuid4().hex[:10]}"
    body = receipt(submission_id=uuid.uuid4().hex, procedure_code=code, agency_code=FORMER_WARD,
                   received_at=vn(2016, 3, 1).isoformat())  # fmt: skip
    before = await desk.client.post(f"{desk.stack.url('intake')}/v1/dossiers", json=body,
                                    headers=desk.headers)  # fmt: skip
    assert before.status_code == 422
    assert f"unknown procedure '{code}'" in before.text

    added = await admin(desk, "POST", "catalogue/procedures", new_procedure(code, 5))
    assert added.status_code == 201, added.text
    early = await desk.receive(vn(2016, 3, 1), procedure=code)  # with the `import` scope
    late = await desk.receive(vn(2016, 3, 2), procedure=code)
    assert (await desk.act(early, "resolve", vn(2016, 3, 3), outcome="approved")).status_code == 200
    assert (await desk.act(late, "resolve", vn(2016, 3, 17), outcome="approved")).status_code == 200

    async def row() -> dict[str, Any] | None:
        rows = (await desk.report("2016-M03", group_by="procedure"))["rows"]
        classified = ("resolved_early", "resolved_on_time", "resolved_late")
        found = [r for r in rows if r["group"] == code and sum(r[c] for c in classified) == 2]
        return found[0] if found else None

    shown = await wait_for(row, within=60, what=f"2016-M03 to show {code}")
    assert (shown["resolved_early"], shown["resolved_late"]) == (1, 1)
    assert shown["group_name"] == f"Thủ tục {code} (ban hành 2016)"  # reporting follows too


async def test_a_day_off_added_live_moves_intakes_appointment_and_deadlines_due_date_together(
    desk: Desk,
) -> None:
    code = f"T.{uuid.uuid4().hex[:10]}"
    assert (await admin(desk, "POST", "catalogue/procedures",
                        new_procedure(code, 3, "2001-01-01"))).status_code == 201  # fmt: skip
    year = 2001 + int(code[2:6], 16) % 14  # an October of this test's own: no holidays
    monday = vn(year, 10, 1) + timedelta(days=(7 - vn(year, 10, 1).weekday()) % 7)
    tuesday = (monday + timedelta(days=1)).date().isoformat()
    await admin(desk, "DELETE", f"calendar/days/{tuesday}")  # left by an earlier run, if any

    async def appointment_and_due(code_: str) -> tuple[datetime, datetime]:
        lookup = await desk.client.get(f"{desk.stack.url('intake')}/v1/dossiers/{code_}")
        appointment = datetime.fromisoformat(lookup.json()["appointment_at"])

        async def tracked() -> dict[str, Any] | None:
            return await desk.deadline(code_) or None

        due = (await wait_for(tracked, within=60, what=f"deadline to track {code_}"))["due_at"]
        return appointment, datetime.fromisoformat(due)

    first = await desk.receive(monday, procedure=code)
    set_off = await admin(desk, "PUT", f"calendar/days/{tuesday}",
                          {"kind": "day_off", "note": "nghỉ bù (thử)"})  # fmt: skip
    assert set_off.status_code == 200, set_off.text
    second = await desk.receive(monday, procedure=code)
    await admin(desk, "DELETE", f"calendar/days/{tuesday}")

    first_appointment, first_due = await appointment_and_due(first)
    second_appointment, second_due = await appointment_and_due(second)
    assert first_due == first_appointment == monday + timedelta(days=3)  # Thursday 09:00
    assert second_due == second_appointment == monday + timedelta(days=4)  # Friday: one day off


BUNDLE = "LT.KS-TT-BHYT"  # birth + residence + insurance: 3 + 7 + 5 working days, 15 in all
POLICE, INSURANCE = "CA.P.SG", "BHXH.HCM"


async def test_a_bundle_late_at_its_second_step_is_held_against_the_police(
    desk: Desk, stack: Stack, redis_url: str, postgres_url: str
) -> None:
    """Acceptance (issue 15): the police (step 2, 7 working days) hold the dossier from Friday
    3 October 2025 to Monday 20 October, 4 working days past their due instant (14 October);
    resolved on 24 October, past the dossier's due instant (22 October): late, held by them."""
    async with TopicTail(stack.bootstrap, DEADLINE_EVENTS) as tail:
        code = await desk.receive(vn(2025, 10, 1), procedure=BUNDLE)
        for action, at, fields in (
            ("transfer", vn(2025, 10, 3), {"to_agency_code": POLICE, "officer_id": "ub-12"}),
            ("transfer", vn(2025, 10, 20), {"to_agency_code": INSURANCE, "officer_id": "ca-7"}),
            ("resolve", vn(2025, 10, 24), {"outcome": "approved"}),
        ):
            answer = await desk.act(code, action, at, **fields)
            assert answer.status_code == 200, answer.text

        async def classified() -> dict[str, Any] | None:
            await tail.poll()
            found = [v for v in tail.values_for(code) if v["type"] == "DossierClassified"]
            return found[0]["body"] if found else None

        body = await wait_for(classified, within=60, what=f"the classification of {code}")
    assert body["classification"] == "late"
    assert body["late_held_by"] == [POLICE]
    [overran] = body["overran_steps"]
    assert (overran["step_index"], overran["agency_code"]) == (1, POLICE)
    assert overran["overrun_minutes"] == 4 * 8 * 60

    reporting = stack.url("reporting")

    async def held_by_police() -> dict[str, Any] | None:
        answer = await desk.client.get(
            f"{reporting}/v1/reports/late-held-by", params={"period": "2025-M10"}
        )
        rows = {row["group"]: row for row in answer.json()["rows"]}
        return rows.get(POLICE)

    row = await wait_for(held_by_police, within=60, what="the police's row of late-held-by")
    assert (row["late_total"], row["overran_steps"]) == (1, 1)
    listed = await desk.client.get(
        f"{reporting}/v1/reports/late-held-by/dossiers",
        params={"period": "2025-M10", "group": POLICE},
    )
    assert [(d["code"], d["late_held_by"]) for d in listed.json()["dossiers"]] == [(code, [POLICE])]
    steps = await desk.client.get(f"{reporting}/v1/reports/steps", params={"period": "2025-M10"})
    by_group = {row["group"]: row for row in steps.json()["rows"]}
    assert by_group[f"{BUNDLE}/2/{POLICE}"]["closed_late"] == 1
    assert by_group[f"{BUNDLE}/1/{AGENCY}"]["closed_on_time"] == 1

    sheet = await desk.client.get(
        f"{stack.url('intake')}/v1/dossiers/{code}/control-sheet", headers=desk.headers
    )
    assert sheet.status_code == 200, sheet.text
    [handed_on] = [r for r in sheet.json()["rows"] if r["from_agency_code"] == POLICE]
    assert (handed_on["to_agency_code"], handed_on["on_time"]) == (INSURANCE, False)
    assert datetime.fromisoformat(handed_on["due_at"]) == vn(2025, 10, 14)
    await assert_reports_provable(stack, redis_url, "2025-M10")

    # A step's verdict changed behind the service's back: the audit judges the hand-off itself.
    pool = await connect(postgres_url, max_size=1)
    table = f'"{stack.namespace.lower()}-reporting".dossier'
    stored = await pool.fetchval(f"SELECT facts ->> 'step:1' FROM {table} WHERE code = $1", code)
    assert stored is not None
    forged = json.loads(stored) | {"on_time": True, "overrun_minutes": 0}
    change = f"UPDATE {table} SET facts = facts || jsonb_build_object('step:1', $1::text) "
    try:
        await pool.execute(change + "WHERE code = $2", json.dumps(forged), code)
        exit_code, output = await run_audit(stack, redis_url, "2025-M10")
    finally:
        await pool.execute(change + "WHERE code = $2", stored, code)
        await pool.close()
    assert exit_code == 1, output
    police_row = f"steps by procedure/step/agency, row {BUNDLE}/2/{POLICE}"
    assert f"{police_row}, column closed_late: service 0, audit 1" in output
    assert (
        f"late-held-by by agency, row {POLICE}, column overran_steps: service 0, audit 1" in output
    )


async def test_the_periodic_survey_report_shows_each_aspects_distribution(desk: Desk) -> None:
    """Issue 16: four surveys of known answers, filed at the survey service, read back from
    reporting: the distribution per aspect, the satisfied share, and the list behind a count."""
    agency = "UBND.P.TD"  # no other test here files surveys for it
    known = [
        {"result": "very_satisfied", "access": "satisfied"},
        {"result": "satisfied", "access": "neutral"},
        {"result": "dissatisfied", "access": "satisfied"},
        {"result": "very_dissatisfied"},
    ]
    for answers in known:
        filed = await desk.client.post(
            f"{desk.stack.url('survey')}/v1/surveys",
            json={"submission_id": uuid.uuid4().hex, "agency_code": agency, "answers": answers},
        )
        assert filed.status_code == 201, filed.text
    now = datetime.now(VIETNAM)
    query = {"period": f"{now:%Y}-M{now:%m}", "agency": agency, "minimum": "4"}
    reports = f"{desk.stack.url('reporting')}/v1/reports"

    async def all_four() -> dict[str, Any] | None:
        body = (await desk.client.get(f"{reports}/surveys", params=query)).json()
        rows = {row["aspect"]: row for row in body["rows"]}
        done = rows.get("result", {}).get("answers_total") == len(known)
        return rows if done else None

    rows = await wait_for(all_four, within=60, what="the four surveys in the report")
    levels = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
    assert [rows["result"][level] for level in levels] == [1, 1, 0, 1, 1]
    assert (rows["result"]["satisfied_rate"], rows["result"]["below_minimum"]) == (0.5, False)
    assert [rows["access"][level] for level in levels] == [0, 2, 1, 0, 0]
    assert rows["access"]["below_minimum"] is True  # 3 answers: fewer than the minimum of 4
    listed = await desk.client.get(
        f"{reports}/surveys/answers",
        params={"period": query["period"], "group": f"{agency}/result", "column": "dissatisfied"},
    )
    assert listed.json()["count"] == 1
    assert listed.json()["surveys"][0]["level"] == "dissatisfied"


async def test_a_complaint_answered_late_is_overdue_once_counted_late_and_listed(
    desk: Desk, kafka_topics: str
) -> None:
    """Issue 16: two complaints filed (with the import scope) 30 days ago under a 10-working-
    day category; deadline fires each one's overdue once; one is answered now, so it counts
    as answered late and its drill-down lists it; the other stays pending overdue."""
    survey, reports = desk.stack.url("survey"), f"{desk.stack.url('reporting')}/v1/reports"
    filed_at = datetime.now(VIETNAM) - timedelta(days=30)
    async with TopicTail(kafka_topics, FEEDBACK_DEADLINES) as deadlines:
        filings = []
        for _ in range(2):
            body = {"submission_id": uuid.uuid4().hex, "category": "dossier_handling",
                    "agency_code": AGENCY, "content": "Hồ sơ chậm, gọi 0912345678 không ai nghe",
                    "occurred_at": filed_at.isoformat()}  # fmt: skip
            answer = await desk.client.post(f"{survey}/v1/feedback", json=body,
                                            headers=desk.headers)  # fmt: skip
            assert answer.status_code == 201, answer.text
            filings.append(answer.json())
        late, pending = filings
        assert (late["time_limit_days"], late["agency_code"]) == (10, AGENCY)

        def kinds(code: str) -> list[str]:
            return [event["type"] for event in deadlines.values_for(code)]

        async def both_overdue() -> bool:
            await deadlines.poll()
            return all("FeedbackOverdue" in kinds(f["feedback_code"]) for f in filings)

        await wait_for(both_overdue, within=60, what="deadline to fire both overdues")
        answered = await desk.client.post(
            f"{survey}/v1/feedback/{late['feedback_code']}/answer",
            json={"answer": "Đã chuyển bộ phận chuyên môn xử lý."}, headers=desk.headers,
        )  # fmt: skip
        assert answered.status_code == 201, answered.text

        async def classified() -> list[dict[str, Any]] | None:
            await deadlines.poll()
            found = [e for e in deadlines.values_for(late["feedback_code"])
                     if e["type"] == "FeedbackClassified"]  # fmt: skip
            return found or None

        judged = (await wait_for(classified, within=60, what="the answer judged"))[0]["body"]
        assert judged["on_time"] is False
        assert datetime.fromisoformat(judged["due_at"]) < datetime.fromisoformat(
            judged["answered_at"]
        )
        for filing in filings:  # once each, though the sweeper ran every second since
            assert kinds(filing["feedback_code"]).count("FeedbackOverdue") == 1

    rated = await desk.client.post(
        f"{survey}/v1/feedback/{late['feedback_code']}/rating",
        json={"feedback_token": late["feedback_token"], "level": "dissatisfied"},
    )
    assert rated.status_code == 201, rated.text
    forged = await desk.client.post(
        f"{survey}/v1/feedback/{pending['feedback_code']}/rating",
        json={"feedback_token": late["feedback_token"], "level": "very_satisfied"},
    )
    assert forged.status_code == 403, forged.text
    now = datetime.now(VIETNAM)
    month = f"{now:%Y}-M{now:%m}"
    group = f"{AGENCY}/dossier_handling"

    async def counted() -> dict[str, Any] | None:
        body = (await desk.client.get(f"{reports}/feedback", params={"period": month})).json()
        rows = {row["group"]: row for row in body["rows"]}
        row = rows.get(group)
        return row if row and row["answered_late"] == 1 and row["rated"] == 1 else None

    row = await wait_for(counted, within=60, what="the late answer in the feedback report")
    assert (row["answered_on_time"], row["pending_overdue"], row["pending_within"]) == (0, 1, 0)
    assert (row["on_time_rate"], row["satisfied_rate"]) == (0.0, 0.0)
    listed = await desk.client.get(
        f"{reports}/feedback/items",
        params={"period": month, "group": group, "column": "answered_late"},
    )
    items = listed.json()["feedback"]
    assert [item["code"] for item in items] == [late["feedback_code"]]
    assert items[0]["on_time"] is False
    assert items[0]["overdue_at"] is not None
    overdue = await desk.client.get(
        f"{reports}/feedback/items",
        params={"period": month, "group": group, "column": "pending_overdue"},
    )
    assert [item["code"] for item in overdue.json()["feedback"]] == [pending["feedback_code"]]
    looked_up = await desk.client.get(
        f"{survey}/v1/feedback/{late['feedback_code']}",
        headers={"Feedback-Token": late["feedback_token"]},
    )
    assert looked_up.json()["answer"] == "Đã chuyển bộ phận chuyên môn xử lý."
    index = await assert_index_traces(desk.stack, month)
    [mine] = [agency for agency in index["agencies"] if agency["agency"] == AGENCY]
    subs = {s["code"]: s for g in mine["groups"] for s in g["sub_indicators"]}
    assert (subs["feedback_on_time"]["measured"], subs["feedback_on_time"]["points"]) == (True, 0)
    assert [c["value"] for c in subs["feedback_on_time"]["cells"]] == [0, 1]  # on time, answered
    assert subs["feedback_satisfaction"]["value"] == 0.0  # rated dissatisfied
    page = (await desk.client.get(f"{reports}/page", params={"period": month})).text
    assert "Tiếp nhận, xử lý phản ánh, kiến nghị" in page
    assert "Quyết định 766/QĐ-TTg" in page
