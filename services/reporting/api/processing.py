"""The statistics table of dossier processing, and the dossiers behind each count."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.reporting.api.exports import (
    DOSSIER_LIST_HEADINGS,
    PROCESSING_HEADINGS,
)
from services.reporting.api.route_parts import (
    ChosenPeriod,
    Context,
    Format,
    Grouping,
    Listing,
    MapParam,
    Paged,
    TierParam,
    UnitParam,
    answer,
    checked_column,
    stream,
)
from services.reporting.domain.projections import (
    COUNT_COLUMNS,
)
from shared.domain.admin_units import MapReading, Tier

router = APIRouter()


@router.get("/processing")
async def processing(
    context: Context,
    chosen: ChosenPeriod,
    group_by: Grouping = "agency",
    agency: str | None = None,
    level: str | None = None,
    format: Format = "json",
    unit: UnitParam = None,
    tier: TierParam = Tier.COMMUNE,
    map_reading: MapParam = MapReading.AS_WAS,
) -> Any:
    """The statistics table of dossier processing for a period (by event time). Every row
    balances: carried_over + new_total = resolved_total + withdrawn + stopped +
    pending_total (= received_total); refused_at_receipt is apart (never received).
    By administrative unit: `group_by=unit` with `tier`, and `map` to read the past as the
    map was or as it is; `unit=` keeps one unit with everything under it."""
    view = context.reports.unit_view(map_reading, tier, unit)
    rows, total = await context.reports.processing_table(chosen, group_by, agency, level, view)
    table = [asdict(row) for row in context.reports.named(group_by, rows)]
    body = {
        "period": chosen.label,
        "group_by": group_by,
        "rows": table,
        "total": asdict(total),
        "map": map_reading,
        "tier": tier,
        "unit": unit,
    }
    return answer(body, [*table, asdict(total)], PROCESSING_HEADINGS, "xu-ly-ho-so", format)


@router.get("/processing/dossiers")
async def processing_dossiers(
    context: Context,
    chosen: ChosenPeriod,
    paging: Paged,
    column: str,
    group_by: Grouping = "agency",
    group: str | None = None,
    agency: str | None = None,
    level: str | None = None,
    unit: UnitParam = None,
    tier: TierParam = Tier.COMMUNE,
    map_reading: MapParam = MapReading.AS_WAS,
    after: Annotated[
        str | None,
        Query(description="keyset: the page after this code (the previous page's `next_after`)"),
    ] = None,
) -> Any:
    """The dossiers behind one count of the processing table: the same period and filters,
    the row (`group`, none for the total) and the `column`. Its `count` is the count. Page
    with `after` (the previous page's `next_after`: a keyset, as fast on the last page as on
    the first) or `page`."""
    view = context.reports.unit_view(map_reading, tier, unit)
    checked_column(column, COUNT_COLUMNS)
    if paging.whole:  # streamed from the database a page at a time
        pages = context.reports.processing_pages(
            chosen, group_by, group, column, agency, level, view
        )
        return await stream(pages, DOSSIER_LIST_HEADINGS, f"ho-so-{column}", paging.output)
    count, found = await context.reports.processing_list(
        chosen,
        group_by,
        group,
        column,
        agency,
        level,
        view,
        after,
        paging.size,
        0 if after is not None else paging.offset,
    )
    listed = Listing(count, [context.reports.dossier_line(facts, chosen) for facts in found])
    following = found[-1].code if len(found) == paging.size else None
    asked = {"group_by": group_by, "group": group, "column": column}
    return paging.body(chosen, listed, "dossiers", **asked, after=after, next_after=following)
