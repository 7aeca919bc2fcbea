"""What every report route shares: the period dependency, the service's reports (`Context`),
the answer in JSON, CSV or XLSX, paging, the access to figures that name people."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Query, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from services.reporting.api.exports import (
    csv_stream,
    to_csv,
    to_xlsx,
    xlsx_file,
)
from services.reporting.domain.dossier_facts import (
    FeedbackFacts,
)
from services.reporting.domain.periods import Period, PeriodError, period_from
from services.reporting.service.queries import Reports
from shared.domain.admin_units import MapReading, Tier
from shared.domain.feedback_categories import FeedbackCategories
from shared.web.api_keys import AccessDeniedError, Client, Scope, UnauthenticatedError
from shared.web.request_context import parts_of

Format = Literal["json", "csv", "xlsx"]
Grouping = Literal["agency", "level", "field", "procedure", "unit"]
RatingGrouping = Literal["agency", "clerk", "procedure"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
From = Annotated[date | None, Query(alias="from")]
MapParam = Annotated[
    MapReading,
    Query(
        alias="map",
        description="as_was: under the unit that received each dossier; "
        "as_is: rolled up into today's successors",
    ),
]
TierParam = Annotated[Tier, Query(description="The tier of the rows when group_by=unit")]
UnitParam = Annotated[
    str | None, Query(description="Only dossiers of this unit and the units under it")
]
To = Annotated[date | None, Query(alias="to")]


@dataclass(frozen=True)
class Listing:
    count: int
    rows: list[dict[str, Any]]


def feedback_line(facts: FeedbackFacts) -> dict[str, Any]:
    def instant(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "code": facts.code,
        "agency": facts.agency,
        "category": facts.category,
        "received_at": facts.received_at.isoformat(),
        "due_at": instant(facts.due_at),
        "overdue_at": instant(facts.overdue_at),
        "answered_at": instant(facts.answered_at),
        "on_time": facts.judged_on_time(),
        "rating": facts.rating.value if facts.rating else None,
    }


def chosen_period(
    from_day: From = None, to_day: To = None, period: str | None = None, regime: bool = False
) -> Period:
    """The period asked: `period` (2026-M03, 2026-Q1, 2026-H1, 2026), or `from`/`to`."""
    try:
        return period_from(from_day, to_day, period, regime=regime)
    except PeriodError as error:
        raise HTTPException(422, detail=str(error)) from error


def answer(
    body: dict[str, Any],
    rows: list[dict[str, Any]],
    headings: dict[str, str],
    name: str,
    output: Format,
) -> Any:
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
    return body


async def stream(
    pages: AsyncIterator[list[dict[str, Any]]],
    headings: dict[str, str],
    name: str,
    output: Format,
) -> Response:
    """A list of any length as CSV or XLSX, never whole in memory."""
    if output == "csv":
        return StreamingResponse(
            csv_stream(pages, headings),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    path = await xlsx_file(pages, headings, name)
    return FileResponse(
        path,
        media_type=XLSX,
        filename=f"{name}.xlsx",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


def checked_column(column: str, allowed: tuple[str, ...]) -> str:
    if column not in allowed:
        raise HTTPException(422, detail=f"unknown column {column!r}; one of {', '.join(allowed)}")
    return column


@dataclass(frozen=True)
class Paging:
    """The page of a list asked: in JSON, page `page` of `size` rows; an export (CSV, XLSX)
    holds the whole list."""

    output: Format
    page: int
    size: int

    @property
    def whole(self) -> bool:
        return self.output != "json"

    @property
    def limit(self) -> int | None:
        return None if self.whole else self.size

    @property
    def offset(self) -> int:
        return 0 if self.whole else (self.page - 1) * self.size

    def cut(self, rows: list[dict[str, Any]]) -> Listing:
        if self.whole:
            return Listing(len(rows), rows)
        return Listing(len(rows), rows[self.offset : self.offset + self.size])

    def body(
        self, chosen: Period, listed: Listing, rows_named: str, **asked: Any
    ) -> dict[str, Any]:
        """A list's answer in JSON: the period and what was asked, the count, the page and
        its rows (under `rows_named`)."""
        return {
            "period": chosen.label,
            **asked,
            "count": listed.count,
            "page": self.page,
            "page_size": self.size,
            rows_named: listed.rows,
        }


def paging(
    format: Format = "json",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Paging:
    return Paging(format, page, page_size)


Paged = Annotated[Paging, Depends(paging)]


ChosenPeriod = Annotated[Period, Depends(chosen_period)]


@dataclass(frozen=True)
class ReportContext:
    reports: Reports
    minimum_ratings: int
    categories: FeedbackCategories


# the service's reports, put on each request by the router (`reports_router`)
Context = Annotated[ReportContext, Depends(parts_of)]


def require_people_access(caller: Client | None, agency: str | None) -> None:
    """Figures by clerk name people: a key with the reports scope, for the agency asked
    (`agency=`), or for every agency (a province-level key) when none is asked."""
    if caller is None:
        raise UnauthenticatedError(
            "figures by clerk name people: send an API key with the reports scope (X-API-Key)"
        )
    if agency is not None:
        caller.require_agency(agency, scope=Scope.REPORTS)
        return
    caller.require(Scope.REPORTS)
    if not caller.all_agencies:
        raise AccessDeniedError(
            f"client {caller.id} sees the clerks of its own agencies only: add agency=..."
        )
