"""`catalogue.events.v1`: the deployment's reference data (agencies, fields, procedure versions,
the calendar's overrides and working hours) as a compacted log, one record per entity.

Each record's key names the entity (`agency:UBND.Q1`, `field:land`, `procedure:1.004873`,
`calendar`) and its value is the entity's whole current state with the history of its changes
(who, when, what), so the latest record per key is all a reader needs: compaction keeps it.
intake alone writes it (its admin routes, and the seed from `config/*.toml` into an empty log);
intake, deadline and reporting fold it from the beginning, without a consumer group
(shared/messaging/reference_follower.py), and follow it while they run.

A record's offset orders the changes: `Reference.revision` is the log position a reader has
folded up to. intake stamps each dossier event with the revision it decided with, and deadline
folds at least that far before computing a due date, so the two never use different calendars
for one decision.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from shared.domain.business_calendar import (
    DEFAULT_PERIODS,
    BusinessCalendar,
    CalendarError,
    CalendarOverrides,
    WorkingPeriod,
)
from shared.domain.catalogue import Agency, Catalogue, CatalogueError, Procedure, ProcedureField

log = logging.getLogger(__name__)

CALENDAR_KEY = "calendar"
DEFAULT_SAME_DAY_CUTOFF = time(15, 0)
MIN_PERIOD_MINUTES = 30
MIN_WORKING_DAY_HOURS = 4  # less is not a working day the law's time limits could mean
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the calendar's holiday data and the dossier codes


class Change(BaseModel):
    """One recorded change of an entity: when, by which client, and what changed."""

    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    by: str
    what: str


class AgencyEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["agency"] = "agency"
    agency: Agency
    changes: tuple[Change, ...] = ()

    @property
    def key(self) -> str:
        return f"agency:{self.agency.code}"


class FieldEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["field"] = "field"
    field: ProcedureField
    changes: tuple[Change, ...] = ()

    @property
    def key(self) -> str:
        return f"field:{self.field.code}"


class ProcedureEntry(BaseModel):
    """Every version of one procedure, oldest first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["procedure"] = "procedure"
    code: str
    versions: tuple[Procedure, ...]
    changes: tuple[Change, ...] = ()

    @model_validator(mode="after")
    def _versions_of_this_code(self) -> "ProcedureEntry":
        if any(version.code != self.code for version in self.versions):
            raise ValueError(f"procedure {self.code}: every version must have its code")
        return self

    @property
    def key(self) -> str:
        return f"procedure:{self.code}"


class Period(BaseModel):
    """A working period of the day, in local time (Asia/Ho_Chi_Minh), to the minute."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time
    end: time

    @model_validator(mode="after")
    def _a_real_period(self) -> "Period":
        for moment in (self.start, self.end):
            if moment.tzinfo is not None or moment.second or moment.microsecond:
                raise ValueError("a working period is local time to the minute, e.g. 07:30")
        if _minutes(self.end) - _minutes(self.start) < MIN_PERIOD_MINUTES:
            raise ValueError(f"a working period lasts at least {MIN_PERIOD_MINUTES} minutes")
        return self


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


class CalendarEntry(BaseModel):
    """The operator's corrections to the public-holiday calendar, and the working hours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["calendar"] = "calendar"
    days_off: dict[date, str] = Field(default_factory=dict)
    working_days: dict[date, str] = Field(default_factory=dict)
    periods: tuple[Period, ...] = tuple(Period(start=p.start, end=p.end) for p in DEFAULT_PERIODS)
    same_day_cutoff: time = DEFAULT_SAME_DAY_CUTOFF
    changes: tuple[Change, ...] = ()

    @model_validator(mode="after")
    def _usable(self) -> "CalendarEntry":
        if (
            sum(_minutes(p.end) - _minutes(p.start) for p in self.periods)
            < MIN_WORKING_DAY_HOURS * 60
        ):
            raise ValueError(f"a working day has at least {MIN_WORKING_DAY_HOURS} working hours")
        if self.same_day_cutoff.tzinfo is not None:
            raise ValueError("the same-day cutoff is local time, e.g. 15:00")
        for day in (*self.days_off, *self.working_days):
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise ValueError(f"{day}: overrides are for {FIRST_YEAR} to {LAST_YEAR}")
        return self

    @property
    def key(self) -> str:
        return CALENDAR_KEY

    def calendar(self) -> BusinessCalendar:
        overrides = CalendarOverrides(dict(self.days_off), dict(self.working_days))
        both = set(self.days_off) & set(self.working_days)
        if both:
            raise CalendarError(f"dates both off and working: {sorted(map(str, both))}")
        return BusinessCalendar(
            periods=tuple(WorkingPeriod(p.start, p.end) for p in self.periods),
            overrides=overrides,
            same_day_cutoff=self.same_day_cutoff,
        )


Entry = Annotated[AgencyEntry | FieldEntry | ProcedureEntry | CalendarEntry, Discriminator("kind")]
ENTRY: TypeAdapter[Entry] = TypeAdapter(Entry)


def encode(entry: Entry) -> tuple[bytes, bytes]:
    return entry.key.encode(), entry.model_dump_json().encode()


@dataclass(frozen=True)
class Reference:
    """One consistent reading of the reference data, at a log position."""

    catalogue: Catalogue
    calendar: BusinessCalendar
    calendar_entry: CalendarEntry
    revision: int  # the log position folded up to (0: nothing yet)
    procedure_changes: dict[str, tuple[Change, ...]]
    agency_changes: dict[str, tuple[Change, ...]]

    @property
    def loaded(self) -> bool:
        return bool(self.catalogue.agencies)


class ReferenceBook:
    """Folds the log's records, in offset order, into the entries a `Reference` is built of.
    A record that does not parse, or that would leave the reference unusable (a procedure
    naming an unknown agency, say), is skipped and counted, never applied."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.revision = 0
        self.skipped = 0

    def add(self, offset: int, key: bytes | None, value: bytes | None) -> None:
        self.add_batch([(offset, key, value)])

    def add_batch(self, records: Iterable[tuple[int, bytes | None, bytes | None]]) -> None:
        batch = list(records)
        if not batch:
            return
        before, skipped = dict(self.entries), self.skipped
        for _, key, value in batch:
            self._apply(key, value)
        if self._usable():
            self.revision = max(self.revision, batch[-1][0] + 1)
            return
        # one record of the batch is bad: apply them one by one
        self.entries, self.skipped = before, skipped
        for offset, key, value in batch:
            kept = dict(self.entries)
            self._apply(key, value)
            if not self._usable():
                self.entries = kept
                self.skipped += 1
                log.error("catalogue record skipped: it leaves the catalogue unusable",
                          extra={"offset": offset, "key": (key or b"").decode()})  # fmt: skip
            self.revision = max(self.revision, offset + 1)

    def advance_to(self, position: int) -> None:
        """The log's position moved past records compacted away or control records."""
        self.revision = max(self.revision, position)

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        name = (key or b"").decode("utf-8", "replace")
        if not value:
            self.entries.pop(name, None)  # a tombstone
            return
        try:
            entry = ENTRY.validate_json(value)
        except ValidationError:
            self.skipped += 1
            log.error("catalogue record skipped: not a valid entry", extra={"key": name})
            return
        if entry.key != name:
            self.skipped += 1
            log.error("catalogue record skipped: key does not name its entry", extra={"key": name})
            return
        self.entries[name] = entry

    def _usable(self) -> bool:
        try:
            self.reference()
        except (CatalogueError, CalendarError, ValueError):
            return False
        return True

    def with_entries(self, entries: Iterable[Entry]) -> "ReferenceBook":
        """A copy with `entries` applied: what the reference would be (it raises if unusable)."""
        book = ReferenceBook()
        book.entries = dict(self.entries) | {entry.key: entry for entry in entries}
        book.revision = self.revision
        book.reference()
        return book

    def reference(self) -> Reference:
        agencies: list[Agency] = []
        fields: list[ProcedureField] = []
        procedures: list[Procedure] = []
        changes: dict[str, tuple[Change, ...]] = {}
        agency_changes: dict[str, tuple[Change, ...]] = {}
        calendar_entry = CalendarEntry()
        for entry in self.entries.values():
            match entry:
                case AgencyEntry():
                    agencies.append(entry.agency)
                    agency_changes[entry.agency.code] = entry.changes
                case FieldEntry():
                    fields.append(entry.field)
                case ProcedureEntry():
                    procedures.extend(entry.versions)
                    changes[entry.code] = entry.changes
                case CalendarEntry():
                    calendar_entry = entry
        return Reference(
            Catalogue(agencies, procedures, fields),
            calendar_entry.calendar(),
            calendar_entry,
            self.revision,
            changes,
            agency_changes,
        )


def seed_entries(catalogue_toml: str, overrides_toml: str, at: datetime, by: str) -> list[Entry]:
    """What an empty log is seeded with: the catalogue and calendar files, as entries."""
    catalogue = Catalogue.from_toml(catalogue_toml)
    overrides = CalendarOverrides.from_toml(overrides_toml)
    seeded = (Change(at=at, by=by, what="seeded from the configuration files"),)
    entries: list[Entry] = [
        AgencyEntry(agency=a, changes=seeded) for a in catalogue.agencies.values()
    ]
    entries += [FieldEntry(field=f, changes=seeded) for f in catalogue.fields.values()]
    for code in sorted({p.code for p in catalogue.procedures}):
        versions = tuple(catalogue.versions(code))
        entries.append(ProcedureEntry(code=code, versions=versions, changes=seeded))
    entries.append(
        CalendarEntry(
            days_off=dict(overrides.days_off),
            working_days=dict(overrides.working_days),
            changes=seeded,
        )
    )
    return entries


def seed_from_files(catalogue_toml: str, overrides_toml: str) -> Reference:
    """The reference a fresh deployment starts with, without Kafka (tools, unit tests)."""
    book = ReferenceBook()
    book.entries = {
        entry.key: entry
        for entry in seed_entries(catalogue_toml, overrides_toml, datetime.now().astimezone(), "-")
    }
    return book.reference()
