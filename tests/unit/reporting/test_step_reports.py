"""The step reports from what deadline publishes: dossier events folded by deadline's own domain
(pure), then the dossier and deadline events folded into reporting's facts."""

import random
from datetime import datetime
from typing import Any

from services.reporting.domain.dossier_facts import DossierFacts, fold_facts
from services.reporting.domain.periods import named_period
from services.reporting.domain.projections import processing_report
from services.reporting.domain.step_reports import (
    held_late_in,
    held_late_report,
    step_report,
    steps_in,
)
from services.reporting.tools import audit_fold
from shared.domain.business_calendar import VIETNAM
from shared.events import dossier as lifecycle
from shared.events.deadline import DossierClassified, StepClosed
from tests.support import dossier_events as ev
from tests.support.deadline_fold import fold as deadline_fold

DESK, POLICE, INSURANCE = "UBND.P.SG", "CA.P.SG", "BHXH.HCM"
MARCH = named_period("2026-M03")


def vn(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=VIETNAM)


def bundle(code: str, *lives: lifecycle.DossierEvent) -> list[Any]:
    """A bundle received Monday 2 March 09:00 (3 + 7 + 5 working days), then `lives`; with
    what deadline publishes for it."""
    events: list[lifecycle.DossierEvent] = [
        ev.received(code, vn(3, 2), amount=15, steps=ev.bundle_steps(3, 7, 5), agency=DESK),
        *lives,
    ]
    _, published = deadline_fold(*events)
    return [*events, *published]


def late_at_police(code: str) -> list[Any]:
    """Police hold it 10 working days of their 7; resolved 25 March, due 23 March: late."""
    return bundle(
        code,
        ev.transferred(code, vn(3, 4), POLICE, DESK, 1),
        ev.transferred(code, vn(3, 18), INSURANCE, POLICE, 2),
        ev.resolved(code, vn(3, 25)),
    )


def on_time(code: str) -> list[Any]:
    return bundle(
        code,
        ev.transferred(code, vn(3, 3), POLICE, DESK, 1),
        ev.transferred(code, vn(3, 10), INSURANCE, POLICE, 2),
        ev.resolved(code, vn(3, 16)),
    )


def facts(events: list[Any]) -> list[DossierFacts]:
    return fold_facts(events)[0]


LATE, GOOD = "UBND.P.SG-260302-0001", "UBND.P.SG-260302-0002"


def test_each_step_counts_against_its_own_due_instant_in_the_period_it_ended() -> None:
    rows, total = step_report(facts(late_at_police(LATE) + on_time(GOOD)), MARCH)
    by_step = {(r.step, r.agency): (r.closed_total, r.closed_on_time, r.closed_late) for r in rows}
    assert by_step == {(1, DESK): (2, 2, 0), (2, POLICE): (2, 1, 1), (3, INSURANCE): (2, 2, 0)}
    police = next(r for r in rows if r.agency == POLICE)
    assert police.group == f"1.001/2/{POLICE}"
    assert police.overrun_minutes == 3 * 8 * 60
    assert police.on_time_rate == 0.5
    assert (total.closed_total, total.closed_late) == (6, 1)
    [(listed, step)] = steps_in(facts(late_at_police(LATE)), MARCH, police.group, "closed_late")
    assert (listed.code, step.step_index, step.due_at) == (LATE, 1, vn(3, 13))
    assert step_report(facts(late_at_police(LATE)), named_period("2026-M02"))[0] == []


def test_late_while_held_by_counts_the_late_dossier_under_the_agency_that_overran() -> None:
    everything = facts(late_at_police(LATE) + on_time(GOOD))
    rows, total = held_late_report(everything, MARCH)
    assert [(r.group, r.late_total, r.overran_steps) for r in rows] == [(POLICE, 1, 1)]
    _, processing = processing_report(everything, MARCH, "agency")
    assert total.late_total == processing.resolved_late == 1
    assert [f.code for f in held_late_in(everything, MARCH, POLICE)] == [LATE]
    assert held_late_in(everything, MARCH, DESK) == []


def test_a_dossier_late_at_two_agencies_counts_under_each_and_once_in_the_total() -> None:
    both = "UBND.P.SG-260302-0003"
    events = bundle(
        both,
        ev.transferred(both, vn(3, 9), POLICE, DESK, 1),  # desk: 5 days of its 3
        ev.transferred(both, vn(3, 23), INSURANCE, POLICE, 2),  # police: 10 days of its 7
        ev.resolved(both, vn(3, 27)),
    )
    rows, total = held_late_report(facts(events), MARCH)
    assert {r.group: r.late_total for r in rows} == {DESK: 1, POLICE: 1}
    assert total.late_total == 1
    assert total.overran_steps == 2
    assert [f.code for f in held_late_in(facts(events), MARCH, None)] == [both]


def test_a_late_dossier_without_steps_counts_under_the_agency_that_held_it() -> None:
    plain = "UBND.P.SG-260302-0004"
    events: list[lifecycle.DossierEvent] = [
        ev.received(plain, vn(3, 2), amount=3, agency=DESK),
        ev.resolved(plain, vn(3, 9)),
    ]
    _, published = deadline_fold(*events)
    [classified] = [e for e in published if isinstance(e, DossierClassified)]
    assert classified.body.late_held_by == (DESK,)
    rows, _ = held_late_report(facts([*events, *published]), MARCH)
    assert [(r.group, r.late_total, r.overran_steps) for r in rows] == [(DESK, 1, 0)]
    # a classification from before steps were tracked names no agency: the receiver's
    unnamed = classified.model_copy(
        update={"body": classified.body.model_copy(update={"late_held_by": ()})}
    )
    old = [e if e is not classified else unnamed for e in [*events, *published]]
    assert [r.group for r in held_late_report(facts(old), MARCH)[0]] == [DESK]


def test_the_step_facts_do_not_depend_on_event_order_or_repeats() -> None:
    events = late_at_police(LATE) + on_time(GOOD)
    shuffled = events + events[:4]
    random.Random(15).shuffle(shuffled)
    assert step_report(facts(shuffled), MARCH) == step_report(facts(events), MARCH)
    assert held_late_report(facts(shuffled), MARCH) == held_late_report(facts(events), MARCH)


def audit_cells(events: list[Any]) -> tuple[audit_fold.Table, audit_fold.Table]:
    history = audit_fold.fold(events)
    return (
        audit_fold.step_cells(history, MARCH.start, MARCH.end),
        audit_fold.held_late_cells(history, MARCH.start, MARCH.end),
    )


def service_cells(events: list[Any]) -> tuple[audit_fold.Table, audit_fold.Table]:
    """The service's two tables as the audit's group -> column -> count."""
    steps, step_total = step_report(facts(events), MARCH)
    held, held_total = held_late_report(facts(events), MARCH)
    step_columns = ("closed_total", "closed_on_time", "closed_late", "overrun_minutes")
    held_columns = ("late_total", "overran_steps", "overrun_minutes")
    return (
        {r.group: {c: getattr(r, c) for c in step_columns} for r in [*steps, step_total]},
        {r.group: {c: getattr(r, c) for c in held_columns} for r in [*held, held_total]},
    )


def without_zeros(table: audit_fold.Table) -> dict[str, dict[str, int]]:
    return {group: {c: n for c, n in row.items() if n} for group, row in table.items()}


def test_the_audit_counts_the_step_tables_as_the_service_does() -> None:
    events = late_at_police(LATE) + on_time(GOOD)
    audited, served = audit_cells(events), service_cells(events)
    assert without_zeros(audited[0]) == without_zeros(served[0])
    assert without_zeros(audited[1]) == without_zeros(served[1])
    assert audited[1]["total"]["late_total"] == 1


def test_the_audit_judges_a_step_by_its_hand_off_not_by_the_verdict_it_was_given() -> None:
    """A StepClosed that calls the police's overrun on time: the service counts what it was
    told, the audit the hand-off against the due instant, so the cells differ."""
    events = late_at_police(LATE)
    forged = [
        e.model_copy(update={"body": e.body.model_copy(update={"step": e.body.step.model_copy(
            update={"on_time": True, "overrun_minutes": 0})})})
        if isinstance(e, StepClosed) and e.body.step.agency_code == POLICE else e
        for e in events
    ]  # fmt: skip
    group = f"1.001/2/{POLICE}"
    assert service_cells(forged)[0][group]["closed_on_time"] == 1
    assert audit_cells(forged)[0][group]["closed_late"] == 1
