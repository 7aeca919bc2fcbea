"""Online filing, online payment and digitisation, and the dossiers behind each count."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.reporting.api.exports import (
    DIGITAL_HEADINGS,
    DOSSIER_LIST_HEADINGS,
)
from services.reporting.api.route_parts import (
    ChosenPeriod,
    Context,
    Format,
    Listing,
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
    column: str,
    group: str = "total",
    format: Format = "json",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """The dossiers behind one count of the digital table (`group`: an agency, or total)."""
    store = await context.reports.keyspace.current()
    whole = format != "json"  # an export holds the whole list
    count, found = await store.digital_list(
        chosen,
        group,
        checked_column(column, DIGITAL_COLUMNS),
        None if whole else page_size,
        0 if whole else (page - 1) * page_size,
    )
    lines = [context.reports.dossier_line(facts, chosen) for facts in found]
    listed = Listing(count, lines)
    body = {
        "period": chosen.label,
        "group": group,
        "column": column,
        "count": listed.count,
        "page": page,
        "page_size": page_size,
        "dossiers": listed.rows,
    }
    return answer(body, listed.rows, DOSSIER_LIST_HEADINGS, f"so-hoa-{column}", format)
