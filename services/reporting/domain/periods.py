"""Reporting periods: explicit dates, named periods (2026-M03, 2026-Q1, 2026-H1, 2026-9M,
2026-Y), and the state reporting regime's cut (15th of the previous month to the 14th)."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.errors import RejectedError

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class PeriodError(RejectedError, ValueError):
    """A period that cannot be understood; the message says what is expected."""


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), VIETNAM)

    @property
    def end(self) -> datetime:
        """The first instant after the period (the start of the day after `last_day`)."""
        return datetime.combine(self.last_day + timedelta(days=1), time(0), VIETNAM)

    @property
    def label(self) -> str:
        return f"{self.first_day.isoformat()}..{self.last_day.isoformat()}"


EARLIEST, LATEST = date(1900, 1, 1), date(9998, 12, 31)  # what the read model can hold
_NAMED = re.compile(r"^(\d{4})-(M(0[1-9]|1[0-2])|Q([1-4])|H([12])|9M|Y)$")


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def named_period(name: str, *, regime: bool = False) -> Period:
    match = _NAMED.match(name)
    if not match:
        raise PeriodError(
            f"unknown period {name!r}: use YYYY-Mmm, YYYY-Qn, YYYY-H1|H2, YYYY-9M or YYYY-Y"
        )
    year = int(match.group(1))
    if not EARLIEST.year <= year <= LATEST.year:
        raise PeriodError(f"a period lies between {EARLIEST} and {LATEST}")
    if match.group(3):
        first_month = last_month = int(match.group(3))
    elif match.group(4):
        last_month = int(match.group(4)) * 3
        first_month = last_month - 2
    elif match.group(5):
        last_month = int(match.group(5)) * 6
        first_month = last_month - 5
    elif match.group(2) == "9M":
        first_month, last_month = 1, 9
    else:
        first_month, last_month = 1, 12
    if regime:
        # e.g. the year runs 15/12 of the previous year to 14/12
        start_month_year = (year - 1, 12) if first_month == 1 else (year, first_month - 1)
        return Period(date(*start_month_year, 15), date(year, last_month, 14))
    return Period(date(year, first_month, 1), _month_end(year, last_month))


def period_from(
    from_day: date | None, to_day: date | None, name: str | None, *, regime: bool
) -> Period:
    chosen = _period_from(from_day, to_day, name, regime=regime)
    if chosen.first_day < EARLIEST or chosen.last_day > LATEST:
        raise PeriodError(f"a period lies between {EARLIEST} and {LATEST}")
    return chosen


def _period_from(
    from_day: date | None, to_day: date | None, name: str | None, *, regime: bool
) -> Period:
    if name is not None:
        if from_day or to_day:
            raise PeriodError("give either period=... or from=...&to=..., not both")
        return named_period(name, regime=regime)
    if from_day is None or to_day is None:
        raise PeriodError("give period=... or both from=YYYY-MM-DD and to=YYYY-MM-DD")
    if to_day < from_day:
        raise PeriodError("to must not be before from")
    return Period(from_day, to_day)
