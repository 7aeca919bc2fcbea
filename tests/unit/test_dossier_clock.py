"""The one clock rule intake and deadline share: appointment, pauses, and lateness that no
later step undoes (pure)."""

from datetime import datetime

import pytest

from shared.domain.business_calendar import VIETNAM, BusinessCalendar
from shared.domain.dossier_clock import DossierClock
from shared.events.dossier import TimeLimit
from shared.events.vocabulary import Classification, TimeUnit

CALENDAR = BusinessCalendar()
FIVE_DAYS = TimeLimit(amount=5, unit=TimeUnit.WORKING_DAYS)


def vn(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


def test_a_supplement_restart_moves_the_appointment_to_the_new_due_instant() -> None:
    clock = DossierClock.start(vn(3, 20, 9), FIVE_DAYS, CALENDAR)
    assert clock.appointment_at == clock.due_at == vn(3, 27, 9)
    resumed = clock.pause(vn(3, 24, 9), CALENDAR).resume(vn(3, 25, 9), CALENDAR, restart=True)
    assert resumed.due_at == resumed.appointment_at == vn(4, 1, 9)
    assert resumed.late_due_at is None


def test_an_apology_moves_the_appointment_but_not_the_due_instant() -> None:
    clock = DossierClock.start(vn(3, 20, 9), FIVE_DAYS, CALENDAR).delay(vn(4, 3, 17))
    assert (clock.due_at, clock.appointment_at) == (vn(3, 27, 9), vn(4, 3, 17))
    assert clock.classify(vn(4, 2, 10), CALENDAR) is Classification.LATE


def test_a_resume_gives_back_the_working_time_that_was_left() -> None:
    clock = DossierClock.start(vn(3, 20, 9), FIVE_DAYS, CALENDAR)  # due Fri 27/3 09:00
    paused = clock.pause(vn(3, 26, 9), CALENDAR)  # one working day left
    assert paused.resume(vn(3, 30, 9), CALENDAR, restart=False).due_at == vn(3, 31, 9)


@pytest.mark.parametrize("restart", [True, False])
def test_a_pause_after_the_due_instant_keeps_the_dossier_late(restart: bool) -> None:
    # The example: received 20/3, due 27/3; supplement asked 6/4, received 8/4.
    clock = DossierClock.start(vn(3, 20, 9), FIVE_DAYS, CALENDAR)
    paused = clock.pause(vn(4, 6, 9), CALENDAR)
    assert paused.late_due_at == vn(3, 27, 9)
    resumed = paused.resume(vn(4, 8, 9), CALENDAR, restart=restart)
    assert resumed.late_due_at == vn(3, 27, 9)
    assert resumed.late_at(vn(4, 8, 10))
    assert resumed.appointment_at >= resumed.due_at
    assert resumed.classify(vn(4, 9, 9), CALENDAR) is Classification.LATE


def test_a_pause_before_the_due_instant_stops_the_clock_without_lateness() -> None:
    clock = DossierClock.start(vn(3, 20, 9), FIVE_DAYS, CALENDAR)
    paused = clock.pause(vn(3, 26, 9), CALENDAR)
    assert not paused.late_at(vn(4, 20))  # paused: the due instant does not run out
    resumed = paused.resume(vn(4, 6, 9), CALENDAR, restart=True)
    assert resumed.classify(vn(4, 8, 9), CALENDAR) is Classification.EARLY
