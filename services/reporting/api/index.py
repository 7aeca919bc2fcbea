"""The national service index (Decision 766/QĐ-TTg)."""

from typing import Any

from fastapi import APIRouter

from services.reporting.api.exports import (
    INDEX_HEADINGS,
)
from services.reporting.api.route_parts import (
    Context,
    Format,
    answer,
    chosen_period,
)
from services.reporting.domain.service_index import (
    DECISION,
    INDEX_NOTE,
    index_lines,
)

router = APIRouter()


@router.get("/index766")
async def index766(
    context: Context,
    period: str,
    regime: bool = False,
    agency: str | None = None,
    format: Format = "json",
) -> Any:
    """The national service index (Decision 766/QĐ-TTg) in full, per agency: its five
    groups, each sub-indicator's value, points, formula, source and the report cells it is
    computed from; "not measured" (never 0), with what it would need, where the system
    holds no data for it."""
    chosen = chosen_period(None, None, period, regime)
    indexes = await context.reports.index766(chosen, agency)
    body = {"period": chosen.label, "decision": DECISION, "note": INDEX_NOTE, "agencies": indexes}
    lines = [line for index in indexes for line in index_lines(index)]
    return answer(body, lines, INDEX_HEADINGS, "chi-so-766", format)
