"""Reports over HTTP: JSON, CSV and XLSX; every count can be listed (the drill-down routes)."""

from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from starlette.background import BackgroundTask

from services.reporting.digital_reports import DIGITAL_COLUMNS
from services.reporting.dossier_facts import (
    DossierFacts,
    FeedbackFacts,
    RatingFacts,
    SurveyFacts,
)
from services.reporting.exports import (
    DIGITAL_HEADINGS,
    DOSSIER_LIST_HEADINGS,
    FEEDBACK_HEADINGS,
    FEEDBACK_LIST_HEADINGS,
    HELD_LATE_HEADINGS,
    INDEX_HEADINGS,
    PROCESSING_HEADINGS,
    RATING_LIST_HEADINGS,
    SATISFACTION_HEADINGS,
    STEP_HEADINGS,
    STEP_LIST_HEADINGS,
    SURVEY_ASPECTS_VI,
    SURVEY_HEADINGS,
    SURVEY_LIST_HEADINGS,
    csv_stream,
    to_csv,
    to_xlsx,
    xlsx_file,
)
from services.reporting.feedback_reports import FEEDBACK_COLUMNS, feedback_in, feedback_report
from services.reporting.page import report_page
from services.reporting.periods import Period, PeriodError, period_from
from services.reporting.pg_store import PostgresKeyspace
from services.reporting.projections import (
    COUNT_COLUMNS,
    RATING_COLUMNS,
    REASON_COLUMN,
    DossierGrouping,
    ProcessingRow,
    SatisfactionRow,
    due_for_listing,
    ranked,
    ratings_in,
)
from services.reporting.service_index import (
    DECISION,
    INDEX_NOTE,
    AgencyFigures,
    agency_index,
    index_lines,
)
from services.reporting.step_reports import (
    HELD_LATE_COLUMNS,
    STEP_COLUMNS,
    held_by,
    step_report,
    steps_in,
)
from services.reporting.survey_reports import SURVEY_COLUMNS, answers_in, survey_report
from services.reporting.units import UnitQueryError, UnitView
from services.reporting.where import DossierFilter
from shared.domain.admin_units import MapReading, Tier, UnitMap
from shared.domain.business_calendar import VIETNAM
from shared.domain.catalogue_names import Names
from shared.domain.clock import Clock
from shared.domain.feedback_categories import FeedbackCategories
from shared.domain.rating_reasons import ReasonCategories
from shared.events.deadline import StepOutcome
from shared.events.vocabulary import SurveyAspect
from shared.web.api_keys import AccessDeniedError, Client, Scope, UnauthenticatedError
from shared.web.http_access import MaybeAuthenticated

Format = Literal["json", "csv", "xlsx"]
Grouping = Literal["agency", "level", "field", "procedure", "unit"]
RatingGrouping = Literal["agency", "clerk", "procedure"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_PAGE = 1000  # dossiers per database round trip while an export streams
From = Annotated[date | None, Query(alias="from")]
MapParam = Annotated[
    MapReading,
    Query(alias="map", description="as_was: under the unit that received each dossier; "
          "as_is: rolled up into today's successors"),
]  # fmt: skip
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
        "code": facts.code, "agency": facts.agency, "category": facts.category,
        "received_at": facts.received_at.isoformat(), "due_at": instant(facts.due_at),
        "overdue_at": instant(facts.overdue_at), "answered_at": instant(facts.answered_at),
        "on_time": facts.judged_on_time(), "rating": facts.rating.value if facts.rating else None,
    }  # fmt: skip


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


async def _stream(
    pages: AsyncIterator[list[dict[str, Any]]], headings: dict[str, str], name: str,
    output: Format,
) -> Response:  # fmt: skip
    """A list of any length as CSV or XLSX, never whole in memory."""
    if output == "csv":
        return StreamingResponse(
            csv_stream(pages, headings), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )  # fmt: skip
    path = await xlsx_file(pages, headings, name)
    return FileResponse(
        path, media_type=XLSX, filename=f"{name}.xlsx",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )  # fmt: skip


def _column(column: str, allowed: tuple[str, ...]) -> str:
    if column not in allowed:
        raise HTTPException(422, detail=f"unknown column {column!r}; one of {', '.join(allowed)}")
    return column


def _page(rows: list[dict[str, Any]], page: int, page_size: int, output: Format) -> Listing:
    if output != "json":
        return Listing(len(rows), rows)  # an export holds the whole list
    first = (page - 1) * page_size
    return Listing(len(rows), rows[first : first + page_size])


class Reports:
    """The read side: loads facts for a period and names the groups."""

    def __init__(
        self, keyspace: PostgresKeyspace, names: Names, reasons: ReasonCategories,
        units: UnitMap, clock: Clock,
    ) -> None:  # fmt: skip
        self.keyspace, self.names, self.reasons = keyspace, names, reasons
        self.units, self.clock = units, clock

    def unit_view(self, reading: MapReading, tier: Tier, unit: str | None = None) -> UnitView:
        today = self.clock.now().astimezone(VIETNAM).date()
        try:
            return UnitView(self.units, self.names.agency_units, reading, tier, today, unit)
        except UnitQueryError as error:
            raise HTTPException(422, detail=str(error)) from error

    async def _filter(
        self, agency: str | None, level: str | None, view: UnitView, group_by: str
    ) -> DossierFilter:  # fmt: skip
        """The agencies a query reads: `agency`, and those the unit filter keeps."""
        agencies = None if agency is None else frozenset({agency})
        if view.unit is not None:
            store = await self.keyspace.current()
            kept = frozenset(a for a in await store.agencies() if view.keeps_agency(a))
            agencies = kept if agencies is None else agencies & kept
        return DossierFilter(agencies, level)

    async def processing_table(
        self, period: Period, group_by: str, agency: str | None, level: str | None,
        view: UnitView,
    ) -> tuple[list[ProcessingRow], ProcessingRow]:  # fmt: skip
        """The table, a query; by unit, the agencies' rows summed into their units' rows (a
        dossier's unit depends only on the agency that received it)."""
        store = await self.keyspace.current()
        where = await self._filter(agency, level, view, group_by)
        if group_by != "unit":
            return await store.processing_table(period, group_by, where)
        by_agency, total = await store.processing_table(period, "agency", where)
        units: dict[str, ProcessingRow] = {}
        for row in by_agency:
            key = view.agency_row(row.group)
            units.setdefault(key, ProcessingRow(key)).add(row)
        return [units[key].finish() for key in sorted(units)], total

    async def cell(
        self, group_by: str, group: str | None, agency: str | None, level: str | None,
        view: UnitView,
    ) -> tuple[str, str | None, DossierFilter]:  # fmt: skip
        """A cell of the processing table as the store's (grouping, group, filter): by unit,
        the agencies placed in the row's unit."""
        where = await self._filter(agency, level, view, group_by)
        if group_by != "unit":
            return group_by, group, where
        if group is not None:
            store = await self.keyspace.current()
            agencies = await store.agencies() if where.agencies is None else where.agencies
            where = DossierFilter(
                frozenset(a for a in agencies if view.agency_row(a) == group), level
            )
        return "agency", None, where

    async def processing_list(
        self, period: Period, group_by: str, group: str | None, column: str,
        agency: str | None, level: str | None, view: UnitView,
        after: str | None, limit: int | None, offset: int = 0,
    ) -> tuple[int, list[DossierFacts]]:  # fmt: skip
        """The dossiers behind one cell (a page of them, by code) and their count."""
        store = await self.keyspace.current()
        grouping, row, where = await self.cell(group_by, group, agency, level, view)
        count = await store.processing_count(period, grouping, row, column, where)
        listed = await store.processing_list(period, grouping, row, column, where, after,
                                             limit, offset)  # fmt: skip
        return count, listed

    async def processing_pages(
        self, period: Period, group_by: str, group: str | None, column: str,
        agency: str | None, level: str | None, view: UnitView,
    ) -> AsyncIterator[list[dict[str, Any]]]:  # fmt: skip
        """The whole list of a cell, a page at a time by keyset: what an export streams."""
        store = await self.keyspace.current()
        grouping, row, where = await self.cell(group_by, group, agency, level, view)
        after: str | None = None
        while True:
            found = await store.processing_list(period, grouping, row, column, where, after,
                                                EXPORT_PAGE)  # fmt: skip
            if found:
                yield [self.dossier_line(facts, period) for facts in found]
            if len(found) < EXPORT_PAGE:
                return
            after = found[-1].code

    async def stepped(self, period: Period) -> list[DossierFacts]:
        """The dossiers with a step handed on in the period: all the steps table reads."""
        return await (await self.keyspace.current()).with_steps_closed(period)

    def grouping(self, group_by: str, view: UnitView) -> DossierGrouping:
        return view.row if group_by == "unit" else group_by

    async def ratings(self, period: Period, agency: str | None = None) -> list[RatingFacts]:
        store = await self.keyspace.current()
        found = await store.ratings_between(period.start, period.end)
        return [facts for facts in found if agency in (None, facts.agency)]

    async def feedback(self, period: Period, agency: str | None = None) -> list[FeedbackFacts]:
        store = await self.keyspace.current()
        found = await store.feedback_relevant_to(period.start)
        return [facts for facts in found if agency in (None, facts.agency)]

    async def index766(
        self, period: Period, agency: str | None = None,
        by_agency: list[ProcessingRow] | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """The service index of each agency with anything in the period: its cells are the
        processing, satisfaction, feedback and digital tables' (each a query; `by_agency`: the
        processing table by agency, when the caller has it already)."""
        store = await self.keyspace.current()
        where = DossierFilter(None if agency is None else frozenset({agency}))
        processing_rows = by_agency
        if processing_rows is None:
            processing_rows, _ = await store.processing_table(period, "agency", where)
        rated, _ = await store.satisfaction_table(period, "agency", agency)
        feedback = await self.feedback(period, agency)
        feedback_rows, _ = feedback_report(feedback, period)  # the agencies it counts for
        digital_rows, _ = await store.digital_table(period, where)
        processing = {row.group: row for row in processing_rows}
        ratings = {row.group: row for row in rated}
        digital = {row.group: row for row in digital_rows}
        counted = {row.agency or "" for row in feedback_rows}
        indexes = []
        for code in sorted({*processing, *ratings, *digital, *counted}):
            _, handled = feedback_report([f for f in feedback if f.agency == code], period)
            figures = AgencyFigures(code, processing.get(code), ratings.get(code), handled,
                                    digital.get(code))  # fmt: skip
            indexes.append(agency_index(figures) | {"agency_name": self.names.name("agency", code)})
        return indexes

    async def surveys(self, period: Period, agency: str | None = None) -> list[SurveyFacts]:
        store = await self.keyspace.current()
        found = await store.surveys_between(period.start, period.end)
        return [survey for survey in found if agency in (None, survey.agency)]

    def named(self, grouping: str, rows: list[Any]) -> list[ProcessingRow | SatisfactionRow]:
        for row in rows:
            row.group_name = (
                self.units.name(row.group) if grouping == "unit"
                else self.names.name(grouping, row.group)
            )  # fmt: skip
        return rows

    def dossier_line(self, facts: DossierFacts, period: Period) -> dict[str, Any]:
        ending = facts.ending
        ended = ending is not None and ending[0] < period.end
        due = due_for_listing(facts, period.end)
        return {
            "code": facts.code, "procedure": facts.procedure,
            "procedure_name": self.names.name("procedure", facts.procedure),
            "agency": facts.agency, "agency_name": self.names.name("agency", facts.agency),
            "received_at": facts.received_at.isoformat(),
            "due_at": due.isoformat() if due else None,
            "ended_at": ending[0].isoformat() if ending and ended else None,
            "ending": ending[1].value if ending and ended else None,
            "classification": facts.classification.value if facts.classification and ended
            else None,
            "state_at_end": None if ended else facts.open_state_at(period.end).value,
        }  # fmt: skip

    def step_line(self, facts: DossierFacts, step: StepOutcome) -> dict[str, Any]:
        return {
            "code": facts.code, "procedure": facts.procedure, "step": step.step_index + 1,
            "agency": step.agency_code, "agency_name": self.names.name("agency", step.agency_code),
            "started_at": step.started_at.isoformat(), "due_at": step.due_at.isoformat(),
            "ended_at": step.ended_at.isoformat(), "on_time": step.on_time,
            "overrun_minutes": step.overrun_minutes,
        }  # fmt: skip

    def rating_line(self, facts: RatingFacts, caller: Client | None) -> dict[str, Any]:
        """The clerk is named only to a caller with the reports scope for the agency."""
        named = may_see_people(caller, facts.agency)
        return {
            "code": facts.code, "agency": facts.agency,
            "agency_name": self.names.name("agency", facts.agency),
            "clerk": facts.clerk if named else None,
            "procedure": facts.procedure,
            "procedure_name": self.names.name("procedure", facts.procedure),
            "rating": facts.rating.value, "rated_at": facts.rated_at.isoformat(),
            "reason_category": facts.reason_category,
        }  # fmt: skip


def may_see_people(caller: Client | None, agency: str) -> bool:
    return caller is not None and Scope.REPORTS in caller.scopes and caller.acts_for(agency)


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


def reports_router(
    keyspace: PostgresKeyspace, minimum_ratings: int, names: Names,
    reasons: ReasonCategories, units: UnitMap, clock: Clock,
    categories: FeedbackCategories | None = None,
) -> APIRouter:  # fmt: skip
    router = APIRouter(prefix="/v1/reports", tags=["reports"])
    reports = Reports(keyspace, names, reasons, units, clock)
    categories = categories or FeedbackCategories.from_file()

    @router.get("/feedback")
    async def feedback(
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, agency: str | None = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        """Feedback and complaints per agency and category, and the total: received in the
        period, answered in it on time or late (deadline's judgement against the category's
        working days), pending at its end within or past the due instant, and the answers'
        ratings. Every count lists its feedback at /v1/reports/feedback/items."""
        chosen = _period(from_day, to_day, period, regime)
        rows, total = feedback_report(await reports.feedback(chosen, agency), chosen)
        for row in rows:
            row.agency_name = names.name("agency", row.agency or "")
            row.category_name = categories.name(row.category or "")
        table = [asdict(row) for row in rows]
        limits = [category.model_dump() for category in categories.categories]
        body = {"period": chosen.label, "agency": agency, "rows": table,
                "total": asdict(total), "categories": limits}  # fmt: skip
        return _answer(body, [*table, asdict(total)], FEEDBACK_HEADINGS, "phan-anh", format)

    @router.get("/feedback/items")
    async def feedback_items(
        group: str = "total", column: str = "received", from_day: From = None,
        to_day: To = None, period: str | None = None, regime: bool = False,
        format: Format = "json", page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Any:  # fmt: skip
        """The feedback behind one count of the feedback table: `group` a row's
        agency/category (or total), `column` one of its counts."""
        chosen = _period(from_day, to_day, period, regime)
        found = feedback_in(await reports.feedback(chosen), chosen, group,
                            _column(column, FEEDBACK_COLUMNS))  # fmt: skip
        lines = [feedback_line(facts) for facts in found]
        listed = _page(lines, page, page_size, format)
        body = {"period": chosen.label, "group": group, "column": column,
                "count": listed.count, "page": page, "page_size": page_size,
                "feedback": listed.rows}  # fmt: skip
        return _answer(body, listed.rows, FEEDBACK_LIST_HEADINGS, f"phan-anh-{column}", format)

    @router.get("/processing")
    async def processing(
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, group_by: Grouping = "agency",
        agency: str | None = None, level: str | None = None, format: Format = "json",
        unit: UnitParam = None, tier: TierParam = Tier.COMMUNE,
        map_reading: MapParam = MapReading.AS_WAS,
    ) -> Any:  # fmt: skip
        """The statistics table of dossier processing for a period (by event time). Every row
        balances: carried_over + new_total = resolved_total + withdrawn + stopped +
        pending_total (= received_total); refused_at_receipt is apart (never received).
        By administrative unit: `group_by=unit` with `tier`, and `map` to read the past as the
        map was or as it is; `unit=` keeps one unit with everything under it."""
        chosen = _period(from_day, to_day, period, regime)
        view = reports.unit_view(map_reading, tier, unit)
        rows, total = await reports.processing_table(chosen, group_by, agency, level, view)
        table = [asdict(row) for row in reports.named(group_by, rows)]
        body = {"period": chosen.label, "group_by": group_by, "rows": table, "total": asdict(total),
                "map": map_reading, "tier": tier, "unit": unit}  # fmt: skip
        return _answer(body, [*table, asdict(total)], PROCESSING_HEADINGS, "xu-ly-ho-so", format)

    @router.get("/processing/dossiers")
    async def processing_dossiers(
        column: str, from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, group_by: Grouping = "agency", group: str | None = None,
        agency: str | None = None, level: str | None = None, format: Format = "json",
        unit: UnitParam = None, tier: TierParam = Tier.COMMUNE,
        map_reading: MapParam = MapReading.AS_WAS,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
        after: Annotated[str | None, Query(description="keyset: the page after this code "
                                           "(the previous page's `next_after`)")] = None,
    ) -> Any:  # fmt: skip
        """The dossiers behind one count of the processing table: the same period and filters,
        the row (`group`, none for the total) and the `column`. Its `count` is the count. Page
        with `after` (the previous page's `next_after`: a keyset, as fast on the last page as on
        the first) or `page`."""
        chosen = _period(from_day, to_day, period, regime)
        view = reports.unit_view(map_reading, tier, unit)
        _column(column, COUNT_COLUMNS)
        if format != "json":  # the whole list, streamed from the database a page at a time
            pages = reports.processing_pages(chosen, group_by, group, column, agency, level, view)
            return await _stream(pages, DOSSIER_LIST_HEADINGS, f"ho-so-{column}", format)
        count, found = await reports.processing_list(
            chosen, group_by, group, column, agency, level, view, after, page_size,
            0 if after is not None else (page - 1) * page_size,
        )  # fmt: skip
        lines = [reports.dossier_line(facts, chosen) for facts in found]
        following = found[-1].code if len(found) == page_size else None
        body = {"period": chosen.label, "group_by": group_by, "group": group, "column": column,
                "count": count, "page": page, "page_size": page_size, "after": after,
                "next_after": following, "dossiers": lines}  # fmt: skip
        return _answer(body, lines, DOSSIER_LIST_HEADINGS, f"ho-so-{column}", format)

    @router.get("/steps")
    async def steps(
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, format: Format = "json",
    ) -> Any:  # fmt: skip
        """Interconnected steps on time: a row per procedure, step and agency; a step counts in
        the period it was handed on (or, the last, resolved), on time or late against its own
        due instant. `overrun_minutes` sums the working time past those instants."""
        chosen = _period(from_day, to_day, period, regime)
        rows, total = step_report(await reports.stepped(chosen), chosen)
        for row in rows:
            row.procedure_name = reports.names.name("procedure", row.procedure)
            row.agency_name = reports.names.name("agency", row.agency)
        table = [asdict(row) for row in rows]
        body = {"period": chosen.label, "rows": table, "total": asdict(total)}
        return _answer(body, [*table, asdict(total)], STEP_HEADINGS, "buoc-lien-thong", format)

    @router.get("/steps/dossiers")
    async def steps_dossiers(
        column: str, from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, group: str | None = None, format: Format = "json",
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Any:  # fmt: skip
        """The steps behind one count of the steps table (`group` is a row's
        procedure/step/agency, none for the total), each with its dossier's code."""
        chosen = _period(from_day, to_day, period, regime)
        found = steps_in(await reports.stepped(chosen), chosen, group,
                         _column(column, STEP_COLUMNS))  # fmt: skip
        lines = [reports.step_line(facts, step) for facts, step in found]
        listed = _page(lines, page, page_size, format)
        body = {"period": chosen.label, "group": group, "column": column,
                "count": listed.count, "page": page, "page_size": page_size,
                "steps": listed.rows}  # fmt: skip
        return _answer(body, listed.rows, STEP_LIST_HEADINGS, f"buoc-{column}", format)

    @router.get("/late-held-by")
    async def late_held_by(
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, format: Format = "json",
    ) -> Any:  # fmt: skip
        """The dossiers resolved late in the period by the agency their lateness is attributed
        to: those whose steps overran, else the one holding the dossier when its due instant
        passed. A dossier may count under several agencies; the total counts it once (and
        equals the processing table's resolved_late)."""
        chosen = _period(from_day, to_day, period, regime)
        rows, total = await (await reports.keyspace.current()).held_late_table(chosen)
        table = [asdict(row) for row in reports.named("agency", rows)]
        body = {"period": chosen.label, "rows": table, "total": asdict(total)}
        return _answer(body, [*table, asdict(total)], HELD_LATE_HEADINGS, "qua-han-do", format)

    @router.get("/late-held-by/dossiers")
    async def late_held_by_dossiers(
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, group: str | None = None, column: str = "late_total",
        format: Format = "json", page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Any:  # fmt: skip
        """The dossiers behind a row of "late while held by" (`group`: an agency; none for
        the total, each dossier once), with the agencies each is attributed to."""
        chosen = _period(from_day, to_day, period, regime)
        _column(column, HELD_LATE_COLUMNS)
        store = await reports.keyspace.current()
        whole = format != "json"  # an export holds the whole list
        count, found = await store.held_late_list(
            chosen, group, None if whole else page_size, 0 if whole else (page - 1) * page_size
        )
        lines = [
            reports.dossier_line(facts, chosen) | {"late_held_by": list(held_by(facts))}
            for facts in found
        ]
        listed = Listing(count, lines)
        body = {"period": chosen.label, "group": group, "column": column,
                "count": listed.count, "page": page, "page_size": page_size,
                "dossiers": listed.rows}  # fmt: skip
        headings = DOSSIER_LIST_HEADINGS | {"late_held_by": "Quá hạn do cơ quan"}
        export = [line | {"late_held_by": ", ".join(line["late_held_by"])} for line in listed.rows]
        return _answer(body, export, headings, "ho-so-qua-han-do", format)

    @router.get("/satisfaction")
    async def satisfaction(
        caller: MaybeAuthenticated,
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, group_by: RatingGrouping = "agency", agency: str | None = None,
        minimum: int | None = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        """Ratings by agency, clerk or procedure (optionally of one `agency`); the ranking
        leaves out groups with fewer ratings than `minimum` (default from settings).
        `dissatisfied_by_reason` counts the dissatisfied ratings by reason category. By clerk
        names people: it needs an API key with the reports scope for the agency."""
        if group_by == "clerk":
            require_people_access(caller, agency)
        chosen = _period(from_day, to_day, period, regime)
        floor = minimum_ratings if minimum is None else minimum
        store = await reports.keyspace.current()
        report = ranked(*await store.satisfaction_table(chosen, group_by, agency), floor)
        table = [asdict(row) for row in reports.named(group_by, report.rows)]
        body = {
            "period": chosen.label, "group_by": group_by, "agency": agency, "rows": table,
            "total": asdict(report.total), "minimum_for_ranking": floor,
            "reason_categories": reports.reasons.names,
            "not_ranked": report.unranked,
            "note": f"groups with fewer than {floor} ratings are listed but not ranked",
        }  # fmt: skip
        # exports: a column per reason category ("Không hài lòng: <category's name>")
        reasons = reports.reasons.names
        headings = SATISFACTION_HEADINGS | {
            REASON_COLUMN + code: f"Không hài lòng: {name}" for code, name in reasons.items()
        }
        flat = [
            row | {REASON_COLUMN + code: row["dissatisfied_by_reason"].get(code, 0)
                   for code in reasons}
            for row in [*table, asdict(report.total)]
        ]  # fmt: skip
        return _answer(body, flat, headings, "hai-long", format)

    @router.get("/satisfaction/ratings")
    async def satisfaction_ratings(
        column: str, caller: MaybeAuthenticated,
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, group_by: RatingGrouping = "agency", group: str | None = None,
        agency: str | None = None, format: Format = "json",
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Any:  # fmt: skip
        """The ratings behind one count of the satisfaction table (`column` is a count's name,
        or `reason:<category>`). Clerks are named only to a key with the reports scope for the
        rating's agency; the rows of the table by clerk need one (as the table does)."""
        if group_by == "clerk":
            require_people_access(caller, agency)
        chosen = _period(from_day, to_day, period, regime)
        columns = RATING_COLUMNS + tuple(REASON_COLUMN + code for code in reports.reasons.names)
        found = ratings_in(await reports.ratings(chosen, agency), chosen, group_by, group,
                           _column(column, columns))  # fmt: skip
        lines = [reports.rating_line(facts, caller) for facts in found]
        listed = _page(lines, page, page_size, format)
        body = {"period": chosen.label, "group_by": group_by, "group": group, "column": column,
                "count": listed.count, "page": page, "page_size": page_size,
                "ratings": listed.rows}  # fmt: skip
        return _answer(body, listed.rows, RATING_LIST_HEADINGS, f"danh-gia-{column}", format)

    @router.get("/surveys")
    async def surveys(
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, agency: str | None = None, minimum: int | None = None,
        format: Format = "json",
    ) -> Any:  # fmt: skip
        """Periodic survey results: per agency and aspect (and a total per aspect), the answers
        over the five levels and the satisfied share; a row with fewer answers than `minimum`
        (default: the ratings' minimum sample) is marked `below_minimum`."""
        chosen = _period(from_day, to_day, period, regime)
        floor = minimum_ratings if minimum is None else minimum
        rows, totals = survey_report(await reports.surveys(chosen, agency), chosen, floor)
        for row in rows:
            row.agency_name = reports.names.name("agency", row.agency or "")
        for row in [*rows, *totals]:
            row.aspect_name = SURVEY_ASPECTS_VI.get(row.aspect)
        table, total = [asdict(r) for r in rows], [asdict(r) for r in totals]
        body = {"period": chosen.label, "agency": agency, "minimum_sample": floor,
                "rows": table, "totals": total}  # fmt: skip
        return _answer(body, [*table, *total], SURVEY_HEADINGS, "khao-sat", format)

    @router.get("/surveys/answers")
    async def survey_answers(
        group: str, column: str = "answers_total", from_day: From = None, to_day: To = None,
        period: str | None = None, regime: bool = False, format: Format = "json",
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Any:  # fmt: skip
        """The surveys behind one count of the survey table: `group` is a row's agency/aspect
        (total/aspect for the total), `column` answers_total or a level."""
        chosen = _period(from_day, to_day, period, regime)
        aspect = group.rpartition("/")[2]
        if aspect not in {a.value for a in SurveyAspect}:
            raise HTTPException(422, detail=f"group {group!r}: not agency/aspect with an aspect "
                                f"of {', '.join(a.value for a in SurveyAspect)}")  # fmt: skip
        found = answers_in(await reports.surveys(chosen), chosen, group,
                           _column(column, SURVEY_COLUMNS))  # fmt: skip
        lines = [{"survey_id": s.survey_id, "agency": s.agency, "period": s.period,
                  "answered_at": s.answered_at.isoformat(),
                  "level": s.answers[SurveyAspect(aspect)].value} for s in found]  # fmt: skip
        listed = _page(lines, page, page_size, format)
        body = {"period": chosen.label, "group": group, "column": column,
                "count": listed.count, "page": page, "page_size": page_size,
                "surveys": listed.rows}  # fmt: skip
        return _answer(body, listed.rows, SURVEY_LIST_HEADINGS, f"khao-sat-{column}", format)

    @router.get("/page", response_class=HTMLResponse)
    async def page_for_people(
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, group_by: Grouping = "agency", unit: UnitParam = None,
        tier: TierParam = Tier.COMMUNE, map_reading: MapParam = MapReading.AS_WAS,
    ) -> HTMLResponse:  # fmt: skip
        """The processing and satisfaction reports as a page for people, with a chart; each
        count links to the list of dossiers or ratings behind it. By unit, the page links to
        the same table read the other way (as the map was / as it is)."""
        chosen = _period(from_day, to_day, period, regime)
        view = reports.unit_view(map_reading, tier, unit)
        rows, total = await reports.processing_table(chosen, group_by, None, None, view)
        grouping = group_by if group_by in ("agency", "procedure") else "agency"
        store = await reports.keyspace.current()
        ratings = ranked(*await store.satisfaction_table(chosen, grouping), minimum_ratings)
        reports.named(group_by, rows)
        reports.named(grouping, ratings.rows)
        on_map = {"tier": tier.value, "map": map_reading.value} | ({"unit": unit} if unit else {})
        steps = step_report(await reports.stepped(chosen), chosen)
        held_late = await store.held_late_table(chosen)
        reports.named("agency", held_late[0])
        feedback = feedback_report(await reports.feedback(chosen), chosen)
        for row in feedback[0]:
            row.agency_name = names.name("agency", row.agency or "")
            row.category_name = categories.name(row.category or "")
        page = report_page(
            chosen, group_by, rows, total, grouping, ratings, on_map, steps, held_late,
            feedback, await reports.index766(
                chosen, by_agency=rows if group_by == "agency" and unit is None else None
            ),
        )  # fmt: skip
        return HTMLResponse(page)

    @router.get("/digital")
    async def digital(
        from_day: From = None, to_day: To = None, period: str | None = None,
        regime: bool = False, agency: str | None = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        """Online filing, online payment and digitisation per agency: each optional fact's
        recorded count next to its yes count, and the rate over the recorded ones only."""
        chosen = _period(from_day, to_day, period, regime)
        store = await reports.keyspace.current()
        where = DossierFilter(None if agency is None else frozenset({agency}))
        rows, total = await store.digital_table(chosen, where)
        for row in rows:
            row.group_name = names.name("agency", row.group)
        table = [asdict(row) for row in rows]
        body = {"period": chosen.label, "agency": agency, "rows": table, "total": asdict(total)}
        return _answer(body, [*table, asdict(total)], DIGITAL_HEADINGS, "so-hoa", format)

    @router.get("/digital/dossiers")
    async def digital_dossiers(
        column: str, group: str = "total", from_day: From = None, to_day: To = None,
        period: str | None = None, regime: bool = False, format: Format = "json",
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Any:  # fmt: skip
        """The dossiers behind one count of the digital table (`group`: an agency, or total)."""
        chosen = _period(from_day, to_day, period, regime)
        store = await reports.keyspace.current()
        whole = format != "json"  # an export holds the whole list
        count, found = await store.digital_list(
            chosen, group, _column(column, DIGITAL_COLUMNS), None if whole else page_size,
            0 if whole else (page - 1) * page_size,
        )  # fmt: skip
        lines = [reports.dossier_line(facts, chosen) for facts in found]
        listed = Listing(count, lines)
        body = {"period": chosen.label, "group": group, "column": column,
                "count": listed.count, "page": page, "page_size": page_size,
                "dossiers": listed.rows}  # fmt: skip
        return _answer(body, listed.rows, DOSSIER_LIST_HEADINGS, f"so-hoa-{column}", format)

    @router.get("/index766")
    async def index766(
        period: str, regime: bool = False, agency: str | None = None, format: Format = "json"
    ) -> Any:
        """The national service index (Decision 766/QĐ-TTg) in full, per agency: its five
        groups, each sub-indicator's value, points, formula, source and the report cells it is
        computed from; "not measured" (never 0), with what it would need, where the system
        holds no data for it."""
        chosen = _period(None, None, period, regime)
        indexes = await reports.index766(chosen, agency)
        body = {"period": chosen.label, "decision": DECISION, "note": INDEX_NOTE,
                "agencies": indexes}  # fmt: skip
        lines = [line for index in indexes for line in index_lines(index)]
        return _answer(body, lines, INDEX_HEADINGS, "chi-so-766", format)

    return router
