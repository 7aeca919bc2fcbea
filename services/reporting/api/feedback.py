"""Feedback and complaints: the table per agency and category, and the feedback behind each
count."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from services.reporting.api.exports import (
    FEEDBACK_HEADINGS,
    FEEDBACK_LIST_HEADINGS,
)
from services.reporting.api.route_parts import (
    ChosenPeriod,
    Context,
    Format,
    Paged,
    answer,
    checked_column,
    feedback_line,
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
    paging: Paged,
    group: str = "total",
    column: str = "received",
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
    listed = paging.cut(lines)
    body = paging.body(chosen, listed, "feedback", group=group, column=column)
    return answer(body, listed.rows, FEEDBACK_LIST_HEADINGS, f"phan-anh-{column}", paging.output)
