"""Online filing, online payment and digitisation, and the dossiers behind each count."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from services.reporting.api.exports import (
    DIGITAL_HEADINGS,
    DOSSIER_LIST_HEADINGS,
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
from services.reporting.domain.digital_reports import DIGITAL_COLUMNS
from services.reporting.domain.where import DossierFilter

router = APIRouter()


@router.get("/digital")
async def digital(
    context: Context,
    chosen: ChosenPeriod,
    agency: str | None = None,
    format: Format = "json",
) -> Any:
    """Online filing, online payment and digitisation per agency: each optional fact's
    recorded count next to its yes count, and the rate over the recorded ones only."""
    store = await context.reports.keyspace.current()
    where = DossierFilter(None if agency is None else frozenset({agency}))
    rows, total = await store.digital_table(chosen, where)
    for row in rows:
        row.group_name = context.reports.names.name("agency", row.group)
    table = [asdict(row) for row in rows]
    body = {"period": chosen.label, "agency": agency, "rows": table, "total": asdict(total)}
    return answer(body, [*table, asdict(total)], DIGITAL_HEADINGS, "so-hoa", format)


@router.get("/digital/dossiers")
async def digital_dossiers(
    context: Context,
    chosen: ChosenPeriod,
    paging: Paged,
    column: str,
    group: str = "total",
) -> Any:
    """The dossiers behind one count of the digital table (`group`: an agency, or total)."""
    store = await context.reports.keyspace.current()
    column = checked_column(column, DIGITAL_COLUMNS)
    count, found = await store.digital_list(chosen, group, column, paging.limit, paging.offset)
    listed = Listing(count, [context.reports.dossier_line(facts, chosen) for facts in found])
    body = paging.body(chosen, listed, "dossiers", group=group, column=column)
    return answer(body, listed.rows, DOSSIER_LIST_HEADINGS, f"so-hoa-{column}", paging.output)
