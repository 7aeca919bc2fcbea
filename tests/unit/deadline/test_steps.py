"""Interconnected steps in the deadline domain (pure): each step's own due instant, its timers,
the step closed at each hand-off, and a late dossier's lateness attributed to who held it."""

from datetime import datetime

from services.deadline.domain.tracking import (
    Timer,
    TimerKind,
    Windows,
    fire,
    timers_for,
)
from shared.domain.business_calendar import VIETNAM
from shared.events import dossier as lifecycle
from shared.events.deadline import DossierClassified, StepClosed, StepOverdue
from shared.events.vocabulary import Classification
from tests.support import dossier_events as ev
from tests.support.deadline_fold import CALENDAR, fold

CODE = "UBND.P.SG-260302-0001"
DESK, POLICE, INSURANCE = "UBND.P.SG", "CA.P.SG", "BHXH.HCM"


def vn(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=VIETNAM)


def received() -> lifecycle.DossierReceived:
    """Monday 2 March 2026, 09:00: 3 + 7 + 5 working days, 15 in all (due Monday 23 March)."""
    return ev.received(CODE, vn(3, 2), amount=15, steps=ev.bundle_steps(3, 7, 5), agency=DESK)


def test_each_step_is_due_by_its_own_limit_from_its_start() -> None:
    dossier, _ = fold(received())
    assert dossier.step_due_at == vn(3, 5)  # 3 working days from Monday 09:00
    moved, published = fold(received(), ev.transferred(CODE, vn(3, 4), POLICE, DESK, 1))
    assert moved.step_due_at == vn(3, 13)  # 7 working days from Wednesday 09:00
    [closed] = [e for e in published if isinstance(e, StepClosed)]
    assert (closed.body.step.agency_code, closed.body.step.on_time) == (DESK, True)
    assert closed.body.step.due_at == vn(3, 5)


def test_step_timers_are_for_the_current_step_and_fire_only_while_it_holds() -> None:
    dossier, _ = fold(received())
    steps = [t for t in timers_for(dossier, CALENDAR, Windows()) if t.step is not None]
    assert {(t.kind, t.step, t.instant) for t in steps} == {
        (TimerKind.STEP_DUE_SOON, 0, vn(3, 5)), (TimerKind.STEP_OVERDUE, 0, vn(3, 5)),
    }  # fmt: skip
    overdue = next(t for t in steps if t.kind is TimerKind.STEP_OVERDUE)
    assert Timer.parse(overdue.member, overdue.fire_at) == overdue
    event = fire(dossier, overdue, vn(3, 5))
    assert isinstance(event, StepOverdue)
    assert (event.body.agency_code, event.body.step_index) == (DESK, 0)
    moved, _ = fold(received(), ev.transferred(CODE, vn(3, 4), POLICE, DESK, 1))
    assert fire(moved, overdue, vn(3, 5)) is None  # the step it warned about has ended


def test_a_late_dossier_names_the_step_that_overran_and_is_held_against_its_agency() -> None:
    dossier, published = fold(
        received(),
        ev.transferred(CODE, vn(3, 4), POLICE, DESK, 1),  # step 1: 2 days of its 3
        ev.transferred(CODE, vn(3, 18), INSURANCE, POLICE, 2),  # step 2: 10 days of its 7
        ev.resolved(CODE, vn(3, 25)),  # step 3: 5 days of 5; the dossier, due 23 March, late
    )
    [classified] = [e for e in published if isinstance(e, DossierClassified)]
    assert classified.body.classification is Classification.LATE
    [overran] = classified.body.overran_steps
    assert (overran.step_index, overran.agency_code) == (1, POLICE)
    assert overran.overrun_minutes == 3 * 8 * 60  # 13 March 09:00 to 18 March 09:00: 3 days
    assert classified.body.late_held_by == (POLICE,)
    closed = [e.body.step for e in published if isinstance(e, StepClosed)]
    assert [(s.agency_code, s.on_time) for s in closed] == [
        (DESK, True), (POLICE, False), (INSURANCE, True),
    ]  # fmt: skip
    assert dossier.step_clock is None


def test_a_late_dossier_with_no_step_overrun_is_held_against_its_holder_at_the_due_instant() -> (
    None
):
    _, published = fold(
        ev.received(CODE, vn(3, 2), amount=3, agency=DESK), ev.resolved(CODE, vn(3, 9))
    )
    [classified] = [e for e in published if isinstance(e, DossierClassified)]
    assert classified.body.classification is Classification.LATE
    assert (classified.body.overran_steps, classified.body.late_held_by) == ((), (DESK,))


def test_a_paused_step_stops_its_clock_with_the_dossier() -> None:
    dossier, _ = fold(
        received(),
        ev.payment_requested(CODE, vn(3, 3)),  # one working day into step 1
        ev.payment_received(CODE, vn(3, 10)),  # resumes: two working days left
    )
    assert dossier.step_due_at == vn(3, 12)
    assert not [t for t in timers_for(fold(received(), ev.payment_requested(CODE, vn(3, 3)))[0],
                                      CALENDAR, Windows()) if t.step is not None]  # fmt: skip
