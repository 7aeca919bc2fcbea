"""Vietnam's working-time calendar: working days, working hours, due instants, classification.

Pure: no I/O, no clock. Holidays come from the `holidays` package (`holidays.VN` knows the lunar
holidays and the government's swapped working Saturdays); operators add or correct days as data
(`CalendarOverrides`, loaded from `config/calendar_overrides.toml` by the services).

Working time is the union of the day's working periods, closed at both ends: a due instant may
be exactly 17:00, the end of the day's last period.
"""

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

from shared.errors import ProjectError
from shared.events.vocabulary import Classification, TimeUnit

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
HOURS_PER_WORKING_DAY = 8
MAX_SCAN_DAYS = 3660  # a calendar with no working day for ten years is a configuration error


class DeadlineState(StrEnum):
    WITHIN = "within"  # trong hạn
    DUE_SOON = "due_soon"  # sắp đến hạn
    OVERDUE = "overdue"  # quá hạn
    PAUSED = "paused"  # waiting for a supplement or a payment


class CalendarError(ProjectError, ValueError):
    """The calendar's configuration cannot be used as given."""


@dataclass(frozen=True)
class WorkingPeriod:
    start: time
    end: time


DEFAULT_PERIODS = (
    WorkingPeriod(time(7, 30), time(11, 30)),
    WorkingPeriod(time(13, 0), time(17, 0)),
)


@dataclass(frozen=True)
class CalendarOverrides:
    """Operator decisions that the `holidays` package does not know (yet)."""

    days_off: Mapping[date, str] = field(default_factory=lambda: MappingProxyType({}))
    working_days: Mapping[date, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_toml(cls, text: str) -> "CalendarOverrides":
        """`[[day_off]] date = 2026-01-02  note = "..."` and `[[working_day]]` tables."""
        data = tomllib.loads(text)
        unknown = set(data) - {"day_off", "working_day"}
        if unknown:
            raise CalendarError(f"unknown tables in calendar overrides: {sorted(unknown)}")
        days_off = _dated_notes(data.get("day_off", []), "day_off")
        working_days = _dated_notes(data.get("working_day", []), "working_day")
        both = set(days_off) & set(working_days)
        if both:
            raise CalendarError(f"dates both off and working: {sorted(map(str, both))}")
        return cls(MappingProxyType(days_off), MappingProxyType(working_days))


def _dated_notes(entries: list[dict[str, object]], table: str) -> dict[date, str]:
    notes: dict[date, str] = {}
    for entry in entries:
        day = entry.get("date")
        if not isinstance(day, date) or isinstance(day, datetime):
            raise CalendarError(f"[[{table}]] needs `date = YYYY-MM-DD`, got {day!r}")
        notes[day] = str(entry.get("note", ""))
    return notes


class BusinessCalendar:
    def __init__(
        self,
        *,
        timezone: ZoneInfo = VIETNAM,
        periods: tuple[WorkingPeriod, ...] = DEFAULT_PERIODS,
        overrides: CalendarOverrides | None = None,
        same_day_cutoff: time = time(15, 0),
    ) -> None:
        if not periods or any(p.start >= p.end for p in periods):
            raise CalendarError("working periods must be non-empty, each start before its end")
        if any(a.end > b.start for a, b in pairwise(periods)):
            raise CalendarError("working periods must be in order and must not overlap")
        self.timezone = timezone
        self.periods = periods
        self.overrides = overrides or CalendarOverrides()
        self.same_day_cutoff = same_day_cutoff
        self._public_holidays = holidays.country_holidays("VN")
        self.is_working_day = lru_cache(maxsize=8192)(self._is_working_day)

    # Days -------------------------------------------------------------------------------------

    def _is_working_day(self, day: date) -> bool:
        if day in self.overrides.days_off:
            return False
        if day in self.overrides.working_days:
            return True
        return bool(self._public_holidays.is_working_day(day))

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for offset in range(1, MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError(f"no working day within {MAX_SCAN_DAYS} days after {day}")

    def working_day_length(self) -> timedelta:
        return sum((_span(p) for p in self.periods), timedelta())

    def end_of_working_day(self, day: date) -> datetime:
        return datetime.combine(day, self.periods[-1].end, self.timezone)

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise CalendarError("instants must be timezone-aware")
        return moment.astimezone(self.timezone)

    def _windows(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        for period in self.periods:
            yield (
                datetime.combine(day, period.start, self.timezone),
                datetime.combine(day, period.end, self.timezone),
            )

    # Working time -----------------------------------------------------------------------------

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which `amount` of working time has elapsed after `start`."""
        if amount < timedelta():
            raise CalendarError("use subtract_working_time for a negative amount")
        cursor = self.local(start)
        remaining = amount
        day = cursor.date()
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for window_start, window_end in self._windows(day):
                    if cursor >= window_end:
                        continue
                    begin = max(cursor, window_start)
                    available = window_end - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
            cursor = datetime.combine(day, time(0), self.timezone)
        raise CalendarError(f"no working time within {MAX_SCAN_DAYS} days after {start}")

    def subtract_working_time(self, end: datetime, amount: timedelta) -> datetime:
        """The instant from which `amount` of working time elapses exactly at `end`."""
        if amount < timedelta():
            raise CalendarError("use add_working_time for a negative amount")
        cursor = self.local(end)
        remaining = amount
        day = cursor.date()
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for window_start, window_end in reversed(list(self._windows(day))):
                    if cursor <= window_start:
                        continue
                    finish = min(cursor, window_end)
                    available = finish - window_start
                    if remaining <= available:
                        return finish - remaining
                    remaining -= available
            cursor = datetime.combine(day, time(0), self.timezone)
            day -= timedelta(days=1)
        raise CalendarError(f"no working time within {MAX_SCAN_DAYS} days before {end}")

    def next_working_instant(self, moment: datetime) -> datetime:
        """Where counting starts: `moment` itself inside working time (but not at a period's
        end), else the start of the next working period."""
        return self.add_working_time(moment, timedelta())

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside [start, end]; negative when end is before start."""
        if end < start:
            return -self.working_time_between(end, start)
        first, last = self.local(start), self.local(end)
        total = timedelta()
        day = first.date()
        while day <= last.date():
            if self.is_working_day(day):
                for window_start, window_end in self._windows(day):
                    overlap = min(window_end, last) - max(window_start, first)
                    if overlap > timedelta():
                        total += overlap
            day += timedelta(days=1)
        return total

    # Deadlines --------------------------------------------------------------------------------

    def due_at(self, start: datetime, amount: int, unit: TimeUnit) -> datetime:
        """The statutory due instant of a limit counted from `start`."""
        if amount < 0:
            raise CalendarError("a time limit cannot be negative")
        match unit:
            case TimeUnit.WORKING_DAYS:
                return self.add_working_time(start, self.working_day_length() * amount)
            case TimeUnit.WORKING_HOURS:
                return self.add_working_time(start, timedelta(hours=amount))
            case TimeUnit.SAME_DAY:
                return self._same_day_due(start)
            case TimeUnit.CALENDAR_DAYS:
                day = self.local(start).date() + timedelta(days=amount)
                if not self.is_working_day(day):
                    day = self.next_working_day(day)
                return self.end_of_working_day(day)
        raise CalendarError(f"unknown time unit {unit!r}")

    def _same_day_due(self, start: datetime) -> datetime:
        begins = self.next_working_instant(start)
        if begins.timetz().replace(tzinfo=None) < self.same_day_cutoff:
            return self.end_of_working_day(begins.date())
        return self.end_of_working_day(self.next_working_day(begins.date()))

    def classify(self, resolved_at: datetime, due_at: datetime) -> Classification:
        """By date, as the statistics count: before the due date, on it, or after it."""
        resolved_day, due_day = self.local(resolved_at).date(), self.local(due_at).date()
        if resolved_day < due_day:
            return Classification.EARLY
        if resolved_day == due_day:
            return Classification.ON_TIME
        return Classification.LATE

    def state_at(
        self, now: datetime, due_at: datetime, *, paused: bool, due_soon_window: timedelta
    ) -> DeadlineState:
        """An open dossier's state at `now`; due soon within the last `due_soon_window` of
        working time before the due instant."""
        if paused:
            return DeadlineState.PAUSED
        if now >= due_at:
            return DeadlineState.OVERDUE
        if now >= self.subtract_working_time(due_at, due_soon_window):
            return DeadlineState.DUE_SOON
        return DeadlineState.WITHIN


def _span(period: WorkingPeriod) -> timedelta:
    anchor = date(2000, 1, 3)
    return datetime.combine(anchor, period.end) - datetime.combine(anchor, period.start)
