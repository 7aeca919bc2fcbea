"""Interconnected steps on time, and late while held by: the tables and what is behind each
count."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from services.reporting.api.exports import (
    DOSSIER_LIST_HEADINGS,
    HELD_LATE_HEADINGS,
    STEP_HEADINGS,
    STEP_LIST_HEADINGS,
)
from services.reporting.api.route_parts import (
    ChosenPeriod,
    Context,
    Format,
    Listing,
    Paged,
    answer,
    checked_column,
)
from services.reporting.domain.step_reports import (
    HELD_LATE_COLUMNS,
    STEP_COLUMNS,
    held_by,
    step_report,
    steps_in,
)

router = APIRouter()


@router.get("/steps")
async def steps(
    context: Context,
    chosen: ChosenPeriod,
    format: Format = "json",
) -> Any:
    """Interconnected steps on time: a row per procedure, step and agency; a step counts in
    the period it was handed on (or, the last, resolved), on time or late against its own
    due instant. `overrun_minutes` sums the working time past those instants."""
    rows, total = step_report(await context.reports.stepped(chosen), chosen)
    for row in rows:
        row.procedure_name = context.reports.names.name("procedure", row.procedure)
        row.agency_name = context.reports.names.name("agency", row.agency)
    table = [asdict(row) for row in rows]
    body = {"period": chosen.label, "rows": table, "total": asdict(total)}
    return answer(body, [*table, asdict(total)], STEP_HEADINGS, "buoc-lien-thong", format)


@router.get("/steps/dossiers")
async def steps_dossiers(
    context: Context,
    chosen: ChosenPeriod,
    paging: Paged,
    column: str,
    group: str | None = None,
) -> Any:
    """The steps behind one count of the steps table (`group` is a row's
    procedure/step/agency, none for the total), each with its dossier's code."""
    found = steps_in(
        await context.reports.stepped(chosen), chosen, group, checked_column(column, STEP_COLUMNS)
    )
    lines = [context.reports.step_line(facts, step) for facts, step in found]
    listed = paging.cut(lines)
    body = paging.body(chosen, listed, "steps", group=group, column=column)
    return answer(body, listed.rows, STEP_LIST_HEADINGS, f"buoc-{column}", paging.output)


@router.get("/late-held-by")
async def late_held_by(
    context: Context,
    chosen: ChosenPeriod,
    format: Format = "json",
) -> Any:
    """The dossiers resolved late in the period by the agency their lateness is attributed
    to: those whose steps overran, else the one holding the dossier when its due instant
    passed. A dossier may count under several agencies; the total counts it once (and
    equals the processing table's resolved_late)."""
    rows, total = await (await context.reports.keyspace.current()).held_late_table(chosen)
    table = [asdict(row) for row in context.reports.named("agency", rows)]
    body = {"period": chosen.label, "rows": table, "total": asdict(total)}
    return answer(body, [*table, asdict(total)], HELD_LATE_HEADINGS, "qua-han-do", format)


@router.get("/late-held-by/dossiers")
async def late_held_by_dossiers(
    context: Context,
    chosen: ChosenPeriod,
    paging: Paged,
    group: str | None = None,
    column: str = "late_total",
) -> Any:
    """The dossiers behind a row of "late while held by" (`group`: an agency; none for
    the total, each dossier once), with the agencies each is attributed to."""
    checked_column(column, HELD_LATE_COLUMNS)
    store = await context.reports.keyspace.current()
    count, found = await store.held_late_list(chosen, group, paging.limit, paging.offset)
    lines = [
        context.reports.dossier_line(facts, chosen) | {"late_held_by": list(held_by(facts))}
        for facts in found
    ]
    listed = Listing(count, lines)
    body = paging.body(chosen, listed, "dossiers", group=group, column=column)
    headings = DOSSIER_LIST_HEADINGS | {"late_held_by": "Quá hạn do cơ quan"}
    export = [line | {"late_held_by": ", ".join(line["late_held_by"])} for line in listed.rows]
    return answer(body, export, headings, "ho-so-qua-han-do", paging.output)
