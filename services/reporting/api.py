"""Reports over HTTP: JSON, CSV and XLSX."""

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import HTMLResponse

from services.reporting.exports import (
    PROCESSING_HEADINGS,
    SATISFACTION_HEADINGS,
    to_csv,
    to_xlsx,
)
from services.reporting.page import report_page
from services.reporting.periods import Period, PeriodError, period_from
from services.reporting.projections import processing_report, satisfaction_report
from services.reporting.store import ActiveKeyspace

Format = Literal["json", "csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INDEX_766_FORMULA = (
    "progress (max 20) = 20 x (resolved early + resolved on time + pending within deadline) / "
    "received_total; satisfaction (max 18) = 18 x (very satisfied + satisfied) / ratings_total"
)


def _period(from_day: date | None, to_day: date | None, period: str | None, regime: bool) -> Period:
    try:
        return period_from(from_day, to_day, period, regime=regime)
    except PeriodError as error:
        raise HTTPException(422, detail=str(error)) from error


def _answer(
    body: dict[str, Any], rows: list[dict[str, Any]], headings: dict[str, str], name: str,
    output: Format,
) -> Any:  # fmt: skip
    if output == "csv":
        return Response(
            to_csv(rows, headings),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if output == "xlsx":
        return Response(
            to_xlsx(rows, headings, name),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return body  # fmt: skip


def reports_router(keyspace: ActiveKeyspace, minimum_ratings: int) -> APIRouter:
    router = APIRouter(prefix="/v1/reports", tags=["reports"])
    From = Annotated[date | None, Query(alias="from")]  # noqa: N806
    To = Annotated[date | None, Query(alias="to")]  # noqa: N806

    @router.get("/processing")
    async def processing(
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, group_by: Literal["agency", "level", "field", "procedure"] = "agency",
        agency: str | None = None, level: str | None = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        """The statistics table of dossier processing for a period (by event time)."""
        store = await keyspace.current()
        chosen = _period(from_day, to_day, period, regime)
        dossiers = [
            facts
            for facts in await store.dossiers_relevant_to(chosen.start)
            if agency in (None, facts.agency) and level in (None, facts.level)
        ]
        rows, total = processing_report(dossiers, chosen, group_by)
        table = [asdict(row) for row in rows]
        body = {"period": chosen.label, "group_by": group_by, "rows": table, "total": asdict(total)}
        return _answer(body, [*table, asdict(total)], PROCESSING_HEADINGS, "xu-ly-ho-so", format)

    @router.get("/satisfaction")
    async def satisfaction(
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, group_by: Literal["agency", "clerk", "procedure"] = "agency",
        minimum: int | None = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        """Ratings by agency, clerk or procedure; the ranking leaves out groups with fewer
        ratings than `minimum` (default from settings)."""
        store = await keyspace.current()
        chosen = _period(from_day, to_day, period, regime)
        floor = minimum_ratings if minimum is None else minimum
        report = satisfaction_report(
            await store.ratings_between(chosen.start, chosen.end), chosen, group_by, floor
        )
        table = [asdict(row) for row in report.rows]
        body = {
            "period": chosen.label, "group_by": group_by, "rows": table,
            "total": asdict(report.total), "minimum_for_ranking": floor,
            "not_ranked": report.unranked,
            "note": f"groups with fewer than {floor} ratings are listed but not ranked",
        }  # fmt: skip
        return _answer(
            body, [*table, asdict(report.total)], SATISFACTION_HEADINGS, "hai-long", format
        )

    @router.get("/page", response_class=HTMLResponse)
    async def page(
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, group_by: Literal["agency", "level", "field", "procedure"] = "agency",
    ) -> HTMLResponse:  # fmt: skip
        """The processing and satisfaction reports as a page for people, with a chart."""
        store = await keyspace.current()
        chosen = _period(from_day, to_day, period, regime)
        rows, total = processing_report(await store.dossiers_relevant_to(chosen.start), chosen,
                                        group_by)  # fmt: skip
        grouping = group_by if group_by in ("agency", "procedure") else "agency"
        ratings = satisfaction_report(
            await store.ratings_between(chosen.start, chosen.end), chosen, grouping,
            minimum_ratings,
        )  # fmt: skip
        processing_rows = [*(asdict(row) for row in rows), asdict(total)]
        satisfaction_rows = [*(asdict(row) for row in ratings.rows), asdict(ratings.total)]
        html = report_page(chosen, rows, total, ratings, processing_rows, satisfaction_rows)
        return HTMLResponse(html)

    @router.get("/index766")
    async def index766(
        period: str, regime: bool = False, group_by: Literal["agency"] = "agency"
    ) -> dict[str, Any]:
        """Two of the six groups of the national service index (Decision 766/QĐ-TTg)."""
        store = await keyspace.current()
        chosen = _period(None, None, period, regime)
        rows, _ = processing_report(
            await store.dossiers_relevant_to(chosen.start), chosen, group_by
        )
        ratings = satisfaction_report(
            await store.ratings_between(chosen.start, chosen.end), chosen, group_by, 0
        )
        happy = {row.group: row.satisfied_rate for row in ratings.rows}
        scores = []
        for row in rows:
            good = row.resolved_early + row.resolved_on_time + row.pending_within
            progress = round(20 * good / row.received_total, 2) if row.received_total else None
            rate = happy.get(row.group)
            scores.append({
                "group": row.group,
                "processing_progress": progress,
                "satisfaction": None if rate is None else round(18 * rate, 2),
            })  # fmt: skip
        return {
            "period": chosen.label, "formula": INDEX_766_FORMULA, "scores": scores,
            "not_measured": ["transparency (18)", "online services (12)", "online payment (10)",
                             "digitisation (22)"],
        }  # fmt: skip

    return router
