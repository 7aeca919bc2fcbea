"""Managing the catalogue and the calendar live: the edits an operator makes through intake's
admin routes, each recorded (who, when, what) on the entity and published on
`catalogue.events.v1`, which intake, deadline and reporting follow without a restart.

The edits are pure (a `Reference` and a request in, the entries to publish out); `CatalogueAdmin`
runs one at a time across intake's instances (a Redis lock), on a reading that includes every
record already in the log, and answers once its own records are folded in, so the next
request to this instance already sees the change.
"""

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.domain.admin_units import UnitMap
from shared.domain.business_calendar import CalendarError
from shared.domain.catalogue import Agency, CatalogueError, Procedure, UnknownInCatalogueError
from shared.domain.reference_log import (
    AgencyEntry,
    CalendarEntry,
    Change,
    Entry,
    Period,
    ProcedureEntry,
    Reference,
    encode,
    seed_entries,
)
from shared.events.dossier import TimeLimit
from shared.messaging.publishing import JSON_HEADER, EventPublisher, RawRecord
from shared.messaging.reference_follower import ReferenceFollower

log = logging.getLogger(__name__)


class CatalogueConflictError(CatalogueError):
    http_status = 409

    """The edit contradicts what the catalogue holds (overlapping versions, say): 409."""


# Requests -----------------------------------------------------------------------------------


class AmendTimeLimit(BaseModel):
    """A new time limit in force from `effective_from`; dossiers received before keep theirs."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    effective_from: date
    time_limit: TimeLimit
    online_time_limit: TimeLimit | None = None
    decision: str = Field("", max_length=200, description="The decision that amends it")


class Retire(BaseModel):
    """The procedure is no longer received from `effective_from` (abolished or replaced)."""

    model_config = ConfigDict(extra="forbid")

    effective_from: date
    decision: str = Field("", max_length=200)


class CalendarDay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["day_off", "working_day"]
    note: str = Field("", max_length=200, description="The decision, e.g. a bridge day's")


class WorkingHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    periods: tuple[Period, ...] = Field(min_length=1)
    same_day_cutoff: time


# Edits ---------------------------------------------------------------------------------------


def _versions(reference: Reference, code: str) -> tuple[Procedure, ...]:
    return tuple(reference.catalogue.versions(code))


def _changes(reference: Reference, code: str, change: Change) -> tuple[Change, ...]:
    return (*reference.procedure_changes.get(code, ()), change)


def add_version(reference: Reference, version: Procedure, by: str, at: datetime) -> Entry:
    """A new version from its `effective_from`. An open-ended version in force then is closed
    on that day; any other overlap is a conflict."""
    kept: list[Procedure] = []
    closed = ""
    for existing in _versions(reference, version.code):
        if existing.effective_from == version.effective_from:
            raise CatalogueConflictError(
                f"procedure {version.code} already has a version from {version.version}; "
                "amend it instead"
            )
        ends_after = existing.effective_to is None or existing.effective_to > version.effective_from
        if existing.effective_from < version.effective_from and ends_after:
            if existing.effective_to is not None:
                raise CatalogueConflictError(
                    f"procedure {version.code}: version {existing.version} is in force until "
                    f"{existing.effective_to}, after {version.version}"
                )
            existing = existing.model_copy(update={"effective_to": version.effective_from})
            closed = f"; version {existing.version} ends then"
        elif existing.effective_from > version.effective_from and (
            version.effective_to is None or version.effective_to > existing.effective_from
        ):
            raise CatalogueConflictError(
                f"procedure {version.code}: version {existing.version} starts before the new "
                f"version ends; give the new one an effective_to of {existing.version} or earlier"
            )
        kept.append(existing)
    what = f"version {version.version} added ({_limit(version.time_limit)}){closed}"
    return _procedure_entry(
        reference, version.code, [*kept, version], Change(at=at, by=by, what=what)
    )


def amend_time_limit(
    reference: Reference, code: str, amendment: AmendTimeLimit, by: str, at: datetime
) -> Entry:
    """Split the version in force on `effective_from` there: the days before keep the old time
    limit, the days from it have the new one."""
    current = _in_force(reference, code, amendment.effective_from)
    limits = {"time_limit": amendment.time_limit, "online_time_limit": amendment.online_time_limit}
    versions = [v for v in _versions(reference, code) if v != current]
    if current.effective_from == amendment.effective_from:
        versions.append(current.model_copy(update=limits))
    else:
        versions.append(current.model_copy(update={"effective_to": amendment.effective_from}))
        versions.append(
            current.model_copy(update=limits | {"effective_from": amendment.effective_from})
        )
    what = (
        f"time limit from {amendment.effective_from}: {_limit(current.time_limit)} -> "
        f"{_limit(amendment.time_limit)}{_decision(amendment.decision)}"
    )
    return _procedure_entry(reference, code, versions, Change(at=at, by=by, what=what))


def retire(reference: Reference, code: str, retirement: Retire, by: str, at: datetime) -> Entry:
    day = retirement.effective_from
    current = _in_force(reference, code, day)
    later = [v for v in _versions(reference, code) if v.effective_from > day]
    if later:
        raise CatalogueConflictError(
            f"procedure {code} has a version from {later[0].version}, after {day}: "
            "retire it from a later day"
        )
    versions = [v for v in _versions(reference, code) if v != current]
    if current.effective_from < day:  # a version retired on its first day was never in force
        versions.append(current.model_copy(update={"effective_to": day}))
    what = f"retired from {day}{_decision(retirement.decision)}"
    return _procedure_entry(reference, code, versions, Change(at=at, by=by, what=what))


def check_agency_on_map(agency: Agency, units: UnitMap) -> None:
    """An agency belongs to a unit on the map and receives only while that unit is in being."""
    if agency.unit not in units.units:
        raise CatalogueError(f"agency {agency.code}: unknown administrative unit {agency.unit!r}")
    unit = units.unit(agency.unit)
    if unit.valid_from is not None and (
        agency.valid_from is None or agency.valid_from < unit.valid_from
    ):
        raise CatalogueError(
            f"agency {agency.code}: its unit {unit.code} is in being from {unit.valid_from}; "
            f"give the agency a valid_from of {unit.valid_from} or later"
        )
    if unit.valid_to is not None and (agency.valid_to is None or agency.valid_to > unit.valid_to):
        raise CatalogueError(
            f"agency {agency.code}: its unit {unit.code} ceased on {unit.valid_to}; "
            f"give the agency a valid_to of {unit.valid_to} or earlier"
        )


def put_agency(
    reference: Reference, agency: Agency, units: UnitMap, by: str, at: datetime
) -> Entry:
    check_agency_on_map(agency, units)
    existing = reference.catalogue.agencies.get(agency.code)
    what = "added" if existing is None else f"changed from {existing.model_dump_json()}"
    changes = _agency_changes(reference, agency.code)
    return AgencyEntry(agency=agency, changes=(*changes, Change(at=at, by=by, what=what)))


def set_day(reference: Reference, day: date, request: CalendarDay, by: str, at: datetime) -> Entry:
    calendar = reference.calendar_entry
    days_off = {d: n for d, n in calendar.days_off.items() if d != day}
    working = {d: n for d, n in calendar.working_days.items() if d != day}
    (days_off if request.kind == "day_off" else working)[day] = request.note
    what = f"{day} is a {request.kind.replace('_', ' ')}{_decision(request.note)}"
    return _calendar(
        calendar, Change(at=at, by=by, what=what), days_off=days_off, working_days=working
    )


def clear_day(reference: Reference, day: date, by: str, at: datetime) -> Entry:
    calendar = reference.calendar_entry
    if day not in calendar.days_off and day not in calendar.working_days:
        raise UnknownInCatalogueError(f"no calendar override on {day}")
    days_off = {d: n for d, n in calendar.days_off.items() if d != day}
    working = {d: n for d, n in calendar.working_days.items() if d != day}
    what = f"override on {day} removed"
    return _calendar(
        calendar, Change(at=at, by=by, what=what), days_off=days_off, working_days=working
    )


def set_hours(reference: Reference, hours: WorkingHours, by: str, at: datetime) -> Entry:
    calendar = reference.calendar_entry
    shown = ", ".join(f"{p.start:%H:%M}-{p.end:%H:%M}" for p in hours.periods)
    what = f"working hours {shown}, same-day cutoff {hours.same_day_cutoff:%H:%M}"
    return _calendar(
        calendar,
        Change(at=at, by=by, what=what),
        periods=hours.periods,
        same_day_cutoff=hours.same_day_cutoff,
    )


def _calendar(calendar: CalendarEntry, change: Change, **updates: object) -> Entry:
    updated = calendar.model_copy(update=updates | {"changes": (*calendar.changes, change)})
    try:
        return CalendarEntry.model_validate(updated.model_dump())  # re-validated whole
    except ValidationError as error:
        reasons = "; ".join(str(e["msg"]) for e in error.errors())
        raise CatalogueError(f"the calendar would be unusable: {reasons}") from None


def _in_force(reference: Reference, code: str, day: date) -> Procedure:
    if not _versions(reference, code):
        raise UnknownInCatalogueError(f"unknown procedure {code!r}")
    try:
        return reference.catalogue.procedure(code, day)
    except UnknownInCatalogueError as error:
        raise CatalogueConflictError(str(error)) from error


def _procedure_entry(
    reference: Reference, code: str, versions: list[Procedure], change: Change
) -> Entry:
    ordered = tuple(sorted(versions, key=lambda v: v.effective_from))
    return ProcedureEntry(code=code, versions=ordered, changes=_changes(reference, code, change))


def _agency_changes(reference: Reference, code: str) -> tuple[Change, ...]:
    return reference.agency_changes.get(code, ())


def _limit(limit: TimeLimit) -> str:
    return f"{limit.amount} {limit.unit.value}"


def _decision(decision: str) -> str:
    return f" ({decision})" if decision else ""


# Publishing ----------------------------------------------------------------------------------

Edit = Callable[[Reference], Entry]
LockFactory = Callable[[], AbstractAsyncContextManager[object]]


class CatalogueAdmin:
    def __init__(
        self, follower: ReferenceFollower, publisher: EventPublisher, lock: LockFactory
    ) -> None:
        self.follower = follower
        self.publisher = publisher
        self.lock = lock

    async def change(self, edit: Edit) -> Reference:
        """Apply one edit on the latest reading; the reading that includes it is returned."""
        async with self.lock():
            reference = await self.follower.sync()
            entry = edit(reference)
            try:
                self.follower.book.with_entries([entry])  # what the catalogue would become
            except (CalendarError, ValueError) as unusable:
                raise CatalogueError(f"the change would leave it unusable: {unusable}") from None
            await self._publish([entry])
            return await self.follower.sync()

    async def seed_if_empty(self, catalogue_toml: str, overrides_toml: str, at: datetime) -> bool:
        """Load the configuration files into an empty log: a new deployment's catalogue."""
        async with self.lock():
            await self.follower.sync()
            if self.follower.book.entries or await self.follower.end_offset() > 0:
                return False
            entries = seed_entries(catalogue_toml, overrides_toml, at, "seed")
            await self._publish(entries)
            await self.follower.sync()
        log.info("catalogue seeded from the configuration files", extra={"entries": len(entries)})
        return True

    async def _publish(self, entries: list[Entry]) -> None:
        records: list[RawRecord] = []
        for entry in entries:
            key, value = encode(entry)
            records.append((self.follower.topic, key, value, JSON_HEADER))
        await self.publisher.publish_raw_many(records)
