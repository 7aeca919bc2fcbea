"""Ratings by agency, clerk or procedure, and the ratings behind each count."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from services.reporting.api.exports import (
    RATING_LIST_HEADINGS,
    SATISFACTION_HEADINGS,
)
from services.reporting.api.route_parts import (
    ChosenPeriod,
    Context,
    Format,
    Paged,
    RatingGrouping,
    answer,
    checked_column,
    require_people_access,
)
from services.reporting.domain.projections import (
    RATING_COLUMNS,
    REASON_COLUMN,
    ranked,
    ratings_in,
)
from shared.web.http_access import MaybeAuthenticated

router = APIRouter()


@router.get("/satisfaction")
async def satisfaction(
    context: Context,
    chosen: ChosenPeriod,
    caller: MaybeAuthenticated,
    group_by: RatingGrouping = "agency",
    agency: str | None = None,
    minimum: int | None = None,
    format: Format = "json",
) -> Any:
    """Ratings by agency, clerk or procedure (optionally of one `agency`); the ranking
    leaves out groups with fewer ratings than `minimum` (default from settings).
    `dissatisfied_by_reason` counts the dissatisfied ratings by reason category. By clerk
    names people: it needs an API key with the reports scope for the agency."""
    if group_by == "clerk":
        require_people_access(caller, agency)
    floor = context.minimum_ratings if minimum is None else minimum
    store = await context.reports.keyspace.current()
    report = ranked(*await store.satisfaction_table(chosen, group_by, agency), floor)
    table = [asdict(row) for row in context.reports.named(group_by, report.rows)]
    body = {
        "period": chosen.label,
        "group_by": group_by,
        "agency": agency,
        "rows": table,
        "total": asdict(report.total),
        "minimum_for_ranking": floor,
        "reason_categories": context.reports.reasons.names,
        "not_ranked": report.unranked,
        "note": f"groups with fewer than {floor} ratings are listed but not ranked",
    }
    # exports: a column per reason category ("Không hài lòng: <category's name>")
    reasons = context.reports.reasons.names
    headings = SATISFACTION_HEADINGS | {
        REASON_COLUMN + code: f"Không hài lòng: {name}" for code, name in reasons.items()
    }
    flat = [
        row | {REASON_COLUMN + code: row["dissatisfied_by_reason"].get(code, 0) for code in reasons}
        for row in [*table, asdict(report.total)]
    ]
    return answer(body, flat, headings, "hai-long", format)


@router.get("/satisfaction/ratings")
async def satisfaction_ratings(
    context: Context,
    chosen: ChosenPeriod,
    paging: Paged,
    column: str,
    caller: MaybeAuthenticated,
    group_by: RatingGrouping = "agency",
    group: str | None = None,
    agency: str | None = None,
) -> Any:
    """The ratings behind one count of the satisfaction table (`column` is a count's name,
    or `reason:<category>`). Clerks are named only to a key with the reports scope for the
    rating's agency; the rows of the table by clerk need one (as the table does)."""
    if group_by == "clerk":
        require_people_access(caller, agency)
    columns = RATING_COLUMNS + tuple(REASON_COLUMN + code for code in context.reports.reasons.names)
    found = ratings_in(
        await context.reports.ratings(chosen, agency),
        chosen,
        group_by,
        group,
        checked_column(column, columns),
    )
    lines = [context.reports.rating_line(facts, caller) for facts in found]
    listed = paging.cut(lines)
    body = paging.body(chosen, listed, "ratings", group_by=group_by, group=group, column=column)
    return answer(body, listed.rows, RATING_LIST_HEADINGS, f"danh-gia-{column}", paging.output)
