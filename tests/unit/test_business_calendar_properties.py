"""Properties of due instants, over arbitrary instants and limits (hypothesis)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.business_calendar import BusinessCalendar
from shared.events.vocabulary import TimeUnit

CALENDAR = BusinessCalendar()
instants = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
counted_units = st.sampled_from([TimeUnit.WORKING_DAYS, TimeUnit.WORKING_HOURS])
amounts = st.integers(min_value=0, max_value=60)


def limit_hours(amount: int, unit: TimeUnit) -> timedelta:
    return timedelta(hours=amount * (8 if unit is TimeUnit.WORKING_DAYS else 1))


def in_working_time(moment: datetime) -> bool:
    local = CALENDAR.local(moment)
    if not CALENDAR.is_working_day(local.date()):
        return False
    return any(
        start <= local <= end
        for start, end in (
            (
                datetime.combine(local.date(), p.start, CALENDAR.timezone),
                datetime.combine(local.date(), p.end, CALENDAR.timezone),
            )
            for p in CALENDAR.periods
        )
    )


@settings(max_examples=300, deadline=None)
@given(start=instants, amount=amounts, unit=counted_units)
def test_working_time_to_the_due_instant_equals_the_limit(
    start: datetime, amount: int, unit: TimeUnit
) -> None:
    due = CALENDAR.due_at(start, amount, unit)
    assert CALENDAR.working_time_between(start, due) == limit_hours(amount, unit)


@settings(max_examples=300, deadline=None)
@given(start=instants, amount=amounts, unit=st.sampled_from(list(TimeUnit)))
def test_due_instant_is_never_in_non_working_time(
    start: datetime, amount: int, unit: TimeUnit
) -> None:
    assert in_working_time(CALENDAR.due_at(start, amount, unit))


@settings(max_examples=300, deadline=None)
@given(first=instants, second=instants, amount=amounts, unit=st.sampled_from(list(TimeUnit)))
def test_due_instant_is_monotonic_in_the_start(
    first: datetime, second: datetime, amount: int, unit: TimeUnit
) -> None:
    early, late = sorted((first, second))
    assert CALENDAR.due_at(early, amount, unit) <= CALENDAR.due_at(late, amount, unit)


@settings(max_examples=300, deadline=None)
@given(start=instants, smaller=amounts, extra=amounts, unit=st.sampled_from(list(TimeUnit)))
def test_due_instant_is_monotonic_in_the_limit(
    start: datetime, smaller: int, extra: int, unit: TimeUnit
) -> None:
    assert CALENDAR.due_at(start, smaller, unit) <= CALENDAR.due_at(start, smaller + extra, unit)


@settings(max_examples=300, deadline=None)
@given(end=instants, amount=amounts, unit=counted_units)
def test_subtracting_working_time_inverts_adding_it(
    end: datetime, amount: int, unit: TimeUnit
) -> None:
    start = CALENDAR.subtract_working_time(end, limit_hours(amount, unit))
    assert CALENDAR.working_time_between(start, end) == limit_hours(amount, unit)
