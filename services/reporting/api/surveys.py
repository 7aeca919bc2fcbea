"""Periodic survey results, and the surveys behind each count."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, HTTPException

from services.reporting.api.exports import (
    SURVEY_ASPECTS_VI,
    SURVEY_HEADINGS,
    SURVEY_LIST_HEADINGS,
)
from services.reporting.api.route_parts import (
    ChosenPeriod,
    Context,
    Format,
    Paged,
    answer,
    checked_column,
)
from services.reporting.domain.survey_reports import SURVEY_COLUMNS, answers_in, survey_report
from shared.events.vocabulary import SurveyAspect

router = APIRouter()


@router.get("/surveys")
async def surveys(
    context: Context,
    chosen: ChosenPeriod,
    agency: str | None = None,
    minimum: int | None = None,
    format: Format = "json",
) -> Any:
    """Periodic survey results: per agency and aspect (and a total per aspect), the answers
    over the five levels and the satisfied share; a row with fewer answers than `minimum`
    (default: the ratings' minimum sample) is marked `below_minimum`."""
    floor = context.minimum_ratings if minimum is None else minimum
    rows, totals = survey_report(await context.reports.surveys(chosen, agency), chosen, floor)
    for row in rows:
        row.agency_name = context.reports.names.name("agency", row.agency or "")
    for row in [*rows, *totals]:
        row.aspect_name = SURVEY_ASPECTS_VI.get(row.aspect)
    table, total = [asdict(r) for r in rows], [asdict(r) for r in totals]
    body = {
        "period": chosen.label,
        "agency": agency,
        "minimum_sample": floor,
        "rows": table,
        "totals": total,
    }
    return answer(body, [*table, *total], SURVEY_HEADINGS, "khao-sat", format)


@router.get("/surveys/answers")
async def survey_answers(
    context: Context,
    chosen: ChosenPeriod,
    paging: Paged,
    group: str,
    column: str = "answers_total",
) -> Any:
    """The surveys behind one count of the survey table: `group` is a row's agency/aspect
    (total/aspect for the total), `column` answers_total or a level."""
    aspect = group.rpartition("/")[2]
    if aspect not in {a.value for a in SurveyAspect}:
        raise HTTPException(
            422,
            detail=f"group {group!r}: not agency/aspect with an aspect "
            f"of {', '.join(a.value for a in SurveyAspect)}",
        )
    found = answers_in(
        await context.reports.surveys(chosen), chosen, group, checked_column(column, SURVEY_COLUMNS)
    )
    lines = [
        {
            "survey_id": s.survey_id,
            "agency": s.agency,
            "period": s.period,
            "answered_at": s.answered_at.isoformat(),
            "level": s.answers[SurveyAspect(aspect)].value,
        }
        for s in found
    ]
    listed = paging.cut(lines)
    body = paging.body(chosen, listed, "surveys", group=group, column=column)
    return answer(body, listed.rows, SURVEY_LIST_HEADINGS, f"khao-sat-{column}", paging.output)
