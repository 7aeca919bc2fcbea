"""The reports as a page for people."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.reporting.api.report_page import report_page
from services.reporting.api.route_parts import (
    ChosenPeriod,
    Context,
    Grouping,
    MapParam,
    TierParam,
    UnitParam,
)
from services.reporting.domain.feedback_reports import feedback_report
from services.reporting.domain.projections import (
    ranked,
)
from services.reporting.domain.step_reports import (
    step_report,
)
from shared.domain.admin_units import MapReading, Tier

router = APIRouter()


@router.get("/page", response_class=HTMLResponse)
async def page_for_people(
    context: Context,
    chosen: ChosenPeriod,
    group_by: Grouping = "agency",
    unit: UnitParam = None,
    tier: TierParam = Tier.COMMUNE,
    map_reading: MapParam = MapReading.AS_WAS,
) -> HTMLResponse:
    """The processing and satisfaction reports as a page for people, with a chart; each
    count links to the list of dossiers or ratings behind it. By unit, the page links to
    the same table read the other way (as the map was / as it is)."""
    view = context.reports.unit_view(map_reading, tier, unit)
    rows, total = await context.reports.processing_table(chosen, group_by, None, None, view)
    grouping = group_by if group_by in ("agency", "procedure") else "agency"
    store = await context.reports.keyspace.current()
    ratings = ranked(*await store.satisfaction_table(chosen, grouping), context.minimum_ratings)
    context.reports.named(group_by, rows)
    context.reports.named(grouping, ratings.rows)
    on_map = {"tier": tier.value, "map": map_reading.value} | ({"unit": unit} if unit else {})
    steps = step_report(await context.reports.stepped(chosen), chosen)
    held_late = await store.held_late_table(chosen)
    context.reports.named("agency", held_late[0])
    feedback = feedback_report(await context.reports.feedback(chosen), chosen)
    for row in feedback[0]:
        row.agency_name = context.reports.names.name("agency", row.agency or "")
        row.category_name = context.categories.name(row.category or "")
    page = report_page(
        chosen,
        group_by,
        rows,
        total,
        grouping,
        ratings,
        on_map,
        steps,
        held_late,
        feedback,
        await context.reports.index766(
            chosen, by_agency=rows if group_by == "agency" and unit is None else None
        ),
    )
    return HTMLResponse(page)
