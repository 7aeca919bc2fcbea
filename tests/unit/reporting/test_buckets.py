"""The roll-up's buckets cover a run of days exactly once, each aligned to its grain."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.reporting.domain.buckets import Buckets, buckets, days_before, days_in


def _days_of(bucket: Buckets) -> list[date]:
    days, day = [], bucket.first
    while day < bucket.end:
        days.append(day)
        day += timedelta(days=1)
    return days


@given(
    first=st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)),
    length=st.integers(0, 3000),
)
def test_every_day_lies_in_exactly_one_aligned_bucket(first: date, length: int) -> None:
    end = first + timedelta(days=length)
    found = buckets(first, end)
    covered = [day for bucket in found for day in _days_of(bucket)]
    assert covered == [first + timedelta(days=n) for n in range(length)]
    for bucket in found:
        if bucket.grain == "M":
            assert bucket.first.day == 1
            assert bucket.end.day == 1
        if bucket.grain == "Y":
            assert (bucket.first.month, bucket.first.day) == (1, 1)
            assert (bucket.end.month, bucket.end.day) == (1, 1)
    assert len(found) <= 5


def test_a_year_is_one_bucket_a_month_one_and_a_regime_cut_two_runs_of_days() -> None:
    assert days_in(date(2025, 1, 1), date(2025, 12, 31)) == [
        Buckets("Y", date(2025, 1, 1), date(2026, 1, 1))
    ]
    assert days_in(date(2025, 3, 1), date(2025, 3, 31)) == [
        Buckets("M", date(2025, 3, 1), date(2025, 4, 1))
    ]
    assert days_in(date(2025, 2, 15), date(2025, 3, 14)) == [
        Buckets("D", date(2025, 2, 15), date(2025, 3, 1)),
        Buckets("D", date(2025, 3, 1), date(2025, 3, 15)),
    ]


def test_a_stock_sums_whole_years_then_the_months_and_days_of_its_own() -> None:
    assert days_before(date(2025, 3, 15)) == [
        Buckets("Y", date(1900, 1, 1), date(2025, 1, 1)),
        Buckets("M", date(2025, 1, 1), date(2025, 3, 1)),
        Buckets("D", date(2025, 3, 1), date(2025, 3, 15)),
    ]
