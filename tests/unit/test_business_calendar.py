"""The working-time calendar on real dates (Vietnam, Asia/Ho_Chi_Minh)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from shared.domain.business_calendar import (
    VIETNAM,
    BusinessCalendar,
    CalendarError,
    CalendarOverrides,
    DeadlineState,
)
from shared.events.vocabulary import Classification, TimeUnit

CALENDAR = BusinessCalendar()


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


@pytest.mark.parametrize(
    ("received", "amount", "unit", "due"),
    [
        # 3 working days across Tết 2026 (Mon 16 to Fri 20 Feb off, then a weekend)
        (vn(2026, 2, 13, 10), 3, TimeUnit.WORKING_DAYS, vn(2026, 2, 25, 10)),
        # Saturday 26/4/2025 was a swapped working day (for Friday 2/5)
        (vn(2025, 4, 25, 9), 1, TimeUnit.WORKING_DAYS, vn(2025, 4, 26, 9)),
        (vn(2025, 4, 29, 9), 1, TimeUnit.WORKING_DAYS, vn(2025, 5, 5, 9)),
        # received after hours (17:30) counts from 07:30 of the next working day
        (vn(2026, 3, 2, 17, 30), 1, TimeUnit.WORKING_DAYS, vn(2026, 3, 3, 17)),
        (vn(2026, 3, 6, 17, 30), 2, TimeUnit.WORKING_HOURS, vn(2026, 3, 9, 9, 30)),
        # received in the lunch break (12:00) counts from 13:00
        (vn(2026, 3, 2, 12), 4, TimeUnit.WORKING_HOURS, vn(2026, 3, 2, 17)),
        (vn(2026, 3, 2, 12), 1, TimeUnit.WORKING_DAYS, vn(2026, 3, 3, 11, 30)),
        # hours spill across lunch and overnight
        (vn(2026, 3, 2, 10, 30), 4, TimeUnit.WORKING_HOURS, vn(2026, 3, 2, 16)),
        (vn(2026, 3, 2, 16), 4, TimeUnit.WORKING_HOURS, vn(2026, 3, 3, 10, 30)),
        # same-day procedures: before 15:00 the same day's end, after it the next working day's
        (vn(2026, 3, 2, 14, 59), 0, TimeUnit.SAME_DAY, vn(2026, 3, 2, 17)),
        (vn(2026, 3, 2, 15, 1), 0, TimeUnit.SAME_DAY, vn(2026, 3, 3, 17)),
        (vn(2026, 3, 6, 15, 30), 0, TimeUnit.SAME_DAY, vn(2026, 3, 9, 17)),
        (vn(2026, 3, 7, 10), 0, TimeUnit.SAME_DAY, vn(2026, 3, 9, 17)),  # Saturday
        # calendar days ending on National Day 2/9/2026 (1 and 2 Sep off): next working day
        (vn(2026, 8, 26, 9), 7, TimeUnit.CALENDAR_DAYS, vn(2026, 9, 3, 17)),
        (vn(2026, 3, 2, 9), 3, TimeUnit.CALENDAR_DAYS, vn(2026, 3, 5, 17)),
        # 15 working days for the interconnected birth-registration bundle
        (vn(2026, 3, 2, 8), 15, TimeUnit.WORKING_DAYS, vn(2026, 3, 23, 8)),
    ],
)
def test_due_instant(received: datetime, amount: int, unit: TimeUnit, due: datetime) -> None:
    assert CALENDAR.due_at(received, amount, unit) == due


def test_due_instant_accepts_utc_and_answers_in_vietnam_time() -> None:
    received = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi
    assert CALENDAR.due_at(received, 1, TimeUnit.WORKING_HOURS) == vn(2026, 3, 2, 11)


def test_operator_override_adds_a_day_off() -> None:
    overrides = CalendarOverrides.from_toml(
        '[[day_off]]\ndate = 2026-03-03\nnote = "provincial decision"\n'
    )
    calendar = BusinessCalendar(overrides=overrides)
    assert not calendar.is_working_day(date(2026, 3, 3))
    assert calendar.due_at(vn(2026, 3, 2, 9), 1, TimeUnit.WORKING_DAYS) == vn(2026, 3, 4, 9)


def test_operator_override_adds_a_working_saturday() -> None:
    overrides = CalendarOverrides.from_toml('[[working_day]]\ndate = 2026-03-07\nnote = "swap"\n')
    calendar = BusinessCalendar(overrides=overrides)
    assert calendar.due_at(vn(2026, 3, 6, 9), 1, TimeUnit.WORKING_DAYS) == vn(2026, 3, 7, 9)


@pytest.mark.parametrize(
    "text",
    [
        '[[day_off]]\ndate = "2026-03-03"\n',
        "[[holiday]]\ndate = 2026-03-03\n",
        "[[day_off]]\ndate = 2026-03-03\n[[working_day]]\ndate = 2026-03-03\n",
    ],
)
def test_malformed_overrides_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(CalendarError):
        CalendarOverrides.from_toml(text)


def test_configurable_working_hours() -> None:
    from shared.domain.business_calendar import WorkingPeriod

    calendar = BusinessCalendar(
        periods=(WorkingPeriod(time(8), time(12)), WorkingPeriod(time(13, 30), time(17, 30)))
    )
    assert calendar.due_at(vn(2026, 3, 2, 12, 15), 1, TimeUnit.WORKING_HOURS) == vn(
        2026, 3, 2, 14, 30
    )


@pytest.mark.parametrize(
    ("resolved", "classification"),
    [
        (vn(2026, 3, 4, 16), Classification.EARLY),
        (vn(2026, 3, 5, 7, 0), Classification.ON_TIME),
        (vn(2026, 3, 5, 16, 59), Classification.ON_TIME),
        (vn(2026, 3, 6, 8), Classification.LATE),
    ],
)
def test_classification_is_by_date(resolved: datetime, classification: Classification) -> None:
    assert CALENDAR.classify(resolved, due_at=vn(2026, 3, 5, 10)) == classification


@pytest.mark.parametrize(
    ("now", "paused", "state"),
    [
        (vn(2026, 3, 3, 9), False, DeadlineState.WITHIN),
        (vn(2026, 3, 4, 10, 1), False, DeadlineState.DUE_SOON),  # within 8 working hours
        (vn(2026, 3, 4, 9, 59), False, DeadlineState.WITHIN),
        (vn(2026, 3, 5, 10), False, DeadlineState.OVERDUE),
        (vn(2026, 3, 5, 10), True, DeadlineState.PAUSED),
    ],
)
def test_open_dossier_state(now: datetime, paused: bool, state: DeadlineState) -> None:
    window = timedelta(hours=8)
    assert (
        CALENDAR.state_at(now, vn(2026, 3, 5, 10), paused=paused, due_soon_window=window) == state
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(CalendarError):
        CALENDAR.due_at(datetime(2026, 3, 2, 9), 1, TimeUnit.WORKING_DAYS)  # noqa: DTZ001
