"""Feedback and complaints: the table per agency and category, and the feedback behind each
count."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.reporting.api.exports import (
    FEEDBACK_HEADINGS,
    FEEDBACK_LIST_HEADINGS,
)
from services.reporting.api.route_parts import (
    ChosenPeriod,
    Context,
    Format,
    answer,
    checked_column,
    feedback_line,
    paged,
)
from services.reporting.domain.feedback_reports import (
    FEEDBACK_COLUMNS,
    feedback_in,
    feedback_report,
)

router = APIRouter()


@router.get("/feedback")
async def feedback(
    context: Context,
    chosen: ChosenPeriod,
    agency: str | None = None,
    format: Format = "json",
) -> Any:
    """Feedback and complaints per agency and category, and the total: received in the
    period, answered in it on time or late (deadline's judgement against the category's
    working days), pending at its end within or past the due instant, and the answers'
    ratings. Every count lists its feedback at /v1/reports/feedback/items."""
    rows, total = feedback_report(await context.reports.feedback(chosen, agency), chosen)
    for row in rows:
        row.agency_name = context.reports.names.name("agency", row.agency or "")
        row.category_name = context.categories.name(row.category or "")
    table = [asdict(row) for row in rows]
    limits = [category.model_dump() for category in context.categories.categories]
    body = {
        "period": chosen.label,
        "agency": agency,
        "rows": table,
        "total": asdict(total),
        "categories": limits,
    }
    return answer(body, [*table, asdict(total)], FEEDBACK_HEADINGS, "phan-anh", format)


@router.get("/feedback/items")
async def feedback_items(
    context: Context,
    chosen: ChosenPeriod,
    group: str = "total",
    column: str = "received",
    format: Format = "json",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """The feedback behind one count of the feedback table: `group` a row's
    agency/category (or total), `column` one of its counts."""
    found = feedback_in(
        await context.reports.feedback(chosen),
        chosen,
        group,
        checked_column(column, FEEDBACK_COLUMNS),
    )
    lines = [feedback_line(facts) for facts in found]
    listed = paged(lines, page, page_size, format)
    body = {
        "period": chosen.label,
        "group": group,
        "column": column,
        "count": listed.count,
        "page": page,
        "page_size": page_size,
        "feedback": listed.rows,
    }
    return answer(body, listed.rows, FEEDBACK_LIST_HEADINGS, f"phan-anh-{column}", format)
