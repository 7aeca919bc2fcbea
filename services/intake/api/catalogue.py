"""The catalogue's HTTP routes: the public lists, and the admin routes that change the catalogue
and the calendar live (services/intake/service/catalogue_admin.py)."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from services.intake.service import catalogue_admin as edits
from services.intake.service.catalogue_admin import (
    AmendTimeLimit,
    CalendarDay,
    CatalogueAdmin,
    Retire,
    WorkingHours,
)
from shared.domain.admin_units import UnitMap
from shared.domain.catalogue import Agency, CatalogueError, Procedure, UnknownInCatalogueError
from shared.domain.clock import Clock
from shared.domain.reference_log import Reference
from shared.domain.reference_source import ReferenceSource
from shared.web.api_keys import Scope
from shared.web.http_access import Authenticated
from shared.web.request_context import parts_of, router_with

ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


@dataclass(frozen=True)
class Parts:
    reference: ReferenceSource
    admin: CatalogueAdmin
    units: UnitMap
    clock: Clock


CatalogueParts = Annotated[Parts, Depends(parts_of)]
routes = APIRouter()


@routes.get("/agencies", tags=["catalogue"], response_model=list[Agency])
async def list_agencies(
    context: CatalogueParts,
) -> list[Agency]:
    return list(context.reference.current.catalogue.agencies.values())


@routes.get("/procedures", tags=["catalogue"], response_model=list[Procedure])
async def list_procedures(
    context: CatalogueParts,
) -> list[Procedure]:
    return list(context.reference.current.catalogue.procedures)


@routes.get("/admin/catalogue/procedures/{code}", tags=["catalogue admin"], responses=ERRORS)
async def procedure_versions(
    context: CatalogueParts, code: str, caller: Authenticated
) -> dict[str, Any]:
    """Every version of a procedure, with the recorded changes (who, when, what)."""
    caller.require(Scope.ADMIN)
    return _procedure(context.reference.current, code)


@routes.post(
    "/admin/catalogue/procedures", tags=["catalogue admin"], status_code=201, responses=ERRORS
)
async def add_procedure_version(
    context: CatalogueParts, version: Procedure, caller: Authenticated
) -> dict[str, Any]:
    """A new procedure, or a new version of one, in force from its `effective_from`: an
    open-ended version in force then ends that day. Dossiers received before keep theirs."""
    caller.require(Scope.ADMIN)
    changed = await context.admin.change(
        lambda ref: edits.add_version(ref, version, caller.id, context.clock.now())
    )
    return _procedure(changed, version.code)


@routes.post("/admin/catalogue/procedures/{code}/amend", tags=["catalogue admin"], responses=ERRORS)
async def amend_time_limit(
    context: CatalogueParts, code: str, amendment: AmendTimeLimit, caller: Authenticated
) -> dict[str, Any]:
    """A new time limit from a day: the version in force then is split there."""
    caller.require(Scope.ADMIN)
    changed = await context.admin.change(
        lambda ref: edits.amend_time_limit(ref, code, amendment, caller.id, context.clock.now())
    )
    return _procedure(changed, code)


@routes.post(
    "/admin/catalogue/procedures/{code}/retire", tags=["catalogue admin"], responses=ERRORS
)
async def retire_procedure(
    context: CatalogueParts, code: str, retirement: Retire, caller: Authenticated
) -> dict[str, Any]:
    """No longer received from a day (abolished); dossiers received before are unaffected."""
    caller.require(Scope.ADMIN)
    changed = await context.admin.change(
        lambda ref: edits.retire(ref, code, retirement, caller.id, context.clock.now())
    )
    return _procedure(changed, code)


@routes.put("/admin/catalogue/agencies/{code}", tags=["catalogue admin"], responses=ERRORS)
async def put_agency(
    context: CatalogueParts, code: str, agency: Agency, caller: Authenticated
) -> dict[str, Any]:
    """Add or change an agency: its `unit` is an administrative unit of UNITS_FILE, and it
    receives (`valid_from` to `valid_to`) only while that unit is in being."""
    caller.require(Scope.ADMIN)
    if agency.code != code:
        raise CatalogueError(f"the body's code {agency.code} is not the path's {code}")
    changed = await context.admin.change(
        lambda ref: edits.put_agency(ref, agency, context.units, caller.id, context.clock.now())
    )
    return {
        "agency": changed.catalogue.agencies[code].model_dump(mode="json"),
        "changes": [c.model_dump(mode="json") for c in changed.agency_changes[code]],
    }


@routes.get("/admin/calendar", tags=["catalogue admin"], responses=ERRORS)
async def calendar(context: CatalogueParts, caller: Authenticated) -> Response:
    """The calendar's overrides and working hours, with their recorded changes."""
    caller.require(Scope.ADMIN)
    return _calendar(context.reference.current)


@routes.put("/admin/calendar/days/{day}", tags=["catalogue admin"], responses=ERRORS)
async def set_day(
    context: CatalogueParts, day: date, request: CalendarDay, caller: Authenticated
) -> Response:
    """Make a day a day off (an extra holiday, a bridge day) or a working day (a swapped
    Saturday). Receipts and due dates computed from now on count with it."""
    caller.require(Scope.ADMIN)
    changed = await context.admin.change(
        lambda ref: edits.set_day(ref, day, request, caller.id, context.clock.now())
    )
    return _calendar(changed)


@routes.delete("/admin/calendar/days/{day}", tags=["catalogue admin"], responses=ERRORS)
async def clear_day(context: CatalogueParts, day: date, caller: Authenticated) -> Response:
    caller.require(Scope.ADMIN)
    changed = await context.admin.change(
        lambda ref: edits.clear_day(ref, day, caller.id, context.clock.now())
    )
    return _calendar(changed)


@routes.put("/admin/calendar/hours", tags=["catalogue admin"], responses=ERRORS)
async def set_hours(
    context: CatalogueParts, hours: WorkingHours, caller: Authenticated
) -> Response:
    """The working periods of a day and the same-day cutoff, for what is computed from now."""
    caller.require(Scope.ADMIN)
    changed = await context.admin.change(
        lambda ref: edits.set_hours(ref, hours, caller.id, context.clock.now())
    )
    return _calendar(changed)


def catalogue_router(
    reference: ReferenceSource, admin: CatalogueAdmin, units: UnitMap, clock: Clock
) -> APIRouter:
    router = router_with(Parts(reference, admin, units, clock), prefix="/v1")
    router.include_router(routes)
    return router


def _procedure(reference: Reference, code: str) -> dict[str, Any]:
    versions = reference.catalogue.versions(code)
    if not versions and code not in reference.procedure_changes:
        raise UnknownInCatalogueError(f"unknown procedure {code!r}")
    return {
        "code": code,
        "versions": [v.model_dump(mode="json") for v in versions],
        "changes": [c.model_dump(mode="json") for c in reference.procedure_changes.get(code, ())],
        "revision": reference.revision,
    }


def _calendar(reference: Reference) -> Response:
    body = reference.calendar_entry.model_dump_json(exclude={"kind"})
    return Response(body, media_type="application/json")
