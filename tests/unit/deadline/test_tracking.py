"""The deadline domain as a fold over lifecycle events (pure; no Redis, no Kafka)."""

from datetime import datetime, timedelta

import pytest

from services.deadline.domain.tracking import (
    OutOfOrderError,
    Timer,
    TimerKind,
    decide,
    fire,
    timers_for,
)
from shared.events.deadline import DeadlineSet, DossierClassified, DossierDueSoon
from shared.events.vocabulary import Classification, SupplementPolicy, TimeUnit
from tests.support import dossier_events as ev
from tests.support.deadline_fold import CALENDAR, CODE, WINDOWS, fold, vn


def test_receipt_sets_the_statutory_due_instant_and_publishes_it() -> None:
    dossier, published = fold(ev.received(CODE, vn(3, 2, 9), appointment_at=vn(3, 5, 9)))
    assert dossier.due_at == vn(3, 5, 9)
    [deadline_set] = published
    assert isinstance(deadline_set, DeadlineSet)
    assert deadline_set.body.due_at == vn(3, 5, 9)
    assert deadline_set.body.reason == "received"


def test_supplement_restart_counts_the_full_limit_again_from_the_supplement() -> None:
    dossier, published = fold(
        ev.received(CODE, vn(3, 2, 9)),
        ev.supplement_requested(CODE, vn(3, 3, 9)),
        ev.supplement_received(CODE, vn(3, 10, 14), SupplementPolicy.RESTART),
    )
    assert dossier.due_at == vn(3, 13, 14)
    assert not dossier.paused
    assert [type(e).__name__ for e in published] == ["DeadlineSet", "DeadlineSet"]


def test_supplement_resume_adds_only_the_remaining_working_time() -> None:
    dossier, _ = fold(
        ev.received(CODE, vn(3, 2, 9)),  # due Thu 5/3 09:00
        ev.supplement_requested(CODE, vn(3, 3, 9)),  # 2 working days left
        ev.supplement_received(CODE, vn(3, 10, 14), SupplementPolicy.RESUME),
    )
    assert dossier.due_at == vn(3, 12, 14)


def test_paused_dossier_has_no_timers() -> None:
    dossier, _ = fold(ev.received(CODE, vn(3, 2, 9)), ev.supplement_requested(CODE, vn(3, 3, 9)))
    assert dossier.paused
    assert timers_for(dossier, CALENDAR, WINDOWS) == []


@pytest.mark.parametrize(
    ("resolved_at", "classification"),
    [
        (vn(3, 4, 16), Classification.EARLY),
        (vn(3, 5, 16), Classification.ON_TIME),
        (vn(3, 6, 8), Classification.LATE),
    ],
)
def test_resolution_is_classified_against_the_statutory_due_date(
    resolved_at: datetime, classification: Classification
) -> None:
    dossier, published = fold(ev.received(CODE, vn(3, 2, 9)), ev.resolved(CODE, resolved_at))
    classified = published[-1]
    assert isinstance(classified, DossierClassified)
    assert classified.body.classification is classification
    assert classified.body.apology_sent is False
    assert dossier.ended == "resolved"


def test_late_with_apology_is_still_late_and_flagged() -> None:
    _, published = fold(
        ev.received(CODE, vn(3, 2, 9), appointment_at=vn(3, 5, 9)),
        ev.delayed(CODE, vn(3, 4, 9), previous=vn(3, 5, 9), new=vn(3, 10, 9)),
        ev.resolved(CODE, vn(3, 9, 10)),
    )
    classified = published[-1]
    assert isinstance(classified, DossierClassified)
    assert classified.body.classification is Classification.LATE
    assert classified.body.apology_sent is True


def test_event_before_receipt_is_out_of_order() -> None:
    with pytest.raises(OutOfOrderError):
        decide(None, ev.resolved(CODE, vn(3, 4)), CALENDAR)


def test_duplicate_event_changes_nothing() -> None:
    dossier, _ = fold(ev.received(CODE, vn(3, 2, 9)), ev.supplement_requested(CODE, vn(3, 3, 9)))
    assert decide(dossier, ev.supplement_requested(CODE, vn(3, 3, 9)), CALENDAR) is None


def test_a_redelivered_receipt_changes_nothing() -> None:
    """Starting over on a redelivered receipt would re-arm timers that already fired."""
    receipt = ev.received(CODE, vn(3, 2, 9))
    dossier, _ = fold(receipt, ev.supplement_requested(CODE, vn(3, 3, 9)))
    assert decide(dossier, receipt, CALENDAR) is None


def test_events_after_the_end_change_nothing() -> None:
    dossier, _ = fold(ev.received(CODE, vn(3, 2, 9)), ev.withdrawn(CODE, vn(3, 3, 9)))
    assert decide(dossier, ev.resolved(CODE, vn(3, 4, 9)), CALENDAR) is None
    assert timers_for(dossier, CALENDAR, WINDOWS) == []


def test_running_dossier_has_due_soon_overdue_and_apology_timers() -> None:
    dossier, _ = fold(ev.received(CODE, vn(3, 2, 9), appointment_at=vn(3, 5, 9)))
    fire_times = {t.kind: t.fire_at for t in timers_for(dossier, CALENDAR, WINDOWS)}
    assert fire_times == {
        TimerKind.DUE_SOON: vn(3, 4, 9),
        TimerKind.OVERDUE: vn(3, 5, 9),
        TimerKind.APOLOGY_REMINDER: vn(3, 4, 9),
    }


def test_a_timer_for_a_moved_due_date_fires_nothing() -> None:
    before, _ = fold(ev.received(CODE, vn(3, 2, 9)))
    [due_soon, *_] = timers_for(before, CALENDAR, WINDOWS)
    later = before.clock.model_copy(update={"due_at": before.due_at + timedelta(days=1)})
    moved = before.model_copy(update={"clock": later})
    assert fire(moved, due_soon, vn(3, 4, 9)) is None
    event = fire(before, due_soon, vn(3, 4, 9))
    assert isinstance(event, DossierDueSoon)
    assert event.occurred_at == due_soon.fire_at


def test_timer_event_ids_are_deterministic() -> None:
    dossier, _ = fold(ev.received(CODE, vn(3, 2, 9)))
    timer = timers_for(dossier, CALENDAR, WINDOWS)[1]
    first, again = fire(dossier, timer, vn(3, 5, 9)), fire(dossier, timer, vn(3, 5, 10))
    assert first is not None
    assert again is not None
    assert first.event_id == again.event_id


def test_timer_member_round_trips() -> None:
    timer = Timer(TimerKind.OVERDUE, CODE, vn(3, 5, 9), vn(3, 5, 9))
    assert Timer.parse(timer.member, timer.fire_at) == timer


def test_same_day_limit_tracks_to_the_end_of_the_day() -> None:
    dossier, _ = fold(ev.received(CODE, vn(3, 2, 14), amount=0, unit=TimeUnit.SAME_DAY))
    assert dossier.due_at == vn(3, 2, 17)


def test_a_supplement_after_the_due_instant_does_not_make_the_dossier_early() -> None:
    code = "UBND.Q1-260320-0001"
    _, published = fold(
        ev.received(code, vn(3, 20, 9), amount=5),
        ev.supplement_requested(code, vn(4, 6, 9)),
        ev.supplement_received(code, vn(4, 8, 9)),
        ev.resolved(code, vn(4, 9, 9)),
    )
    [*_, restarted, classified] = published
    assert isinstance(restarted, DeadlineSet)
    assert restarted.body.late_due_at == vn(3, 27, 9)
    assert isinstance(classified, DossierClassified)
    assert classified.body.classification is Classification.LATE
    assert classified.body.due_at == vn(3, 27, 9)
