"""A run of days as the roll-up's buckets (sql/006_rollup.sql): the days up to a month's start,
the months up to a year's, whole years, then months and days again. A year's table reads one
bucket per group, a month's one, a regime's cut (15th to 14th) two runs of days and no more
than a month of them: the rows a period reads grow with its shape, not with the history."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Grain = Literal["D", "M", "Y"]
EARLIEST = date(1900, 1, 1)  # the first day the read model can hold (periods.EARLIEST)


@dataclass(frozen=True)
class Buckets:
    """Buckets of one grain whose first days lie in [first, end)."""

    grain: Grain
    first: date
    end: date


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _year_of(day: date) -> date:
    return day.replace(month=1, day=1)


def buckets(first: date, end: date) -> list[Buckets]:
    """The days [first, end), each in exactly one bucket of the list."""
    found: list[Buckets] = []

    def take(grain: Grain, until: date) -> None:
        nonlocal first
        if until > first:
            found.append(Buckets(grain, first, until))
            first = until

    if first.day != 1:
        take("D", min(_next_month(first), end))
    if first < end and (first.month, first.day) != (1, 1):
        take("M", min(date(first.year + 1, 1, 1), _month_of(end)))
    take("Y", _year_of(end))
    take("M", _month_of(end))
    take("D", end)
    return found


def days_before(day: date) -> list[Buckets]:
    """Every day the read model can hold before `day`: what a stock at `day` sums."""
    return buckets(EARLIEST, day)


def days_in(first: date, last: date) -> list[Buckets]:
    """The days from `first` to `last`, both included: what a flow over a period sums."""
    return buckets(first, last + timedelta(days=1))
