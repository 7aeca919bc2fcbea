"""The query side of the reports: loads facts for a period from the read model and names the
groups (the HTTP routes are in services/reporting/api/)."""

from collections.abc import AsyncIterator
from typing import Any

from fastapi import HTTPException

from services.reporting.domain.dossier_facts import (
    DossierFacts,
    FeedbackFacts,
    RatingFacts,
    SurveyFacts,
)
from services.reporting.domain.feedback_reports import feedback_report
from services.reporting.domain.periods import Period
from services.reporting.domain.projections import (
    DossierGrouping,
    ProcessingRow,
    SatisfactionRow,
    due_for_listing,
)
from services.reporting.domain.service_index import (
    AgencyFigures,
    agency_index,
)
from services.reporting.domain.units import UnitQueryError, UnitView
from services.reporting.domain.where import DossierFilter
from services.reporting.service.portal_sync_source import PortalSyncSource
from services.reporting.store.postgres import PostgresKeyspace
from shared.domain.admin_units import MapReading, Tier, UnitMap
from shared.domain.business_calendar import VIETNAM
from shared.domain.catalogue_names import Names
from shared.domain.clock import Clock
from shared.domain.rating_reasons import ReasonCategories
from shared.events.deadline import StepOutcome
from shared.web.api_keys import Client, Scope

EXPORT_PAGE = 1000  # dossiers per database round trip while an export streams


def may_see_people(caller: Client | None, agency: str) -> bool:
    return caller is not None and Scope.REPORTS in caller.scopes and caller.acts_for(agency)


class Reports:
    """The read side: loads facts for a period and names the groups."""

    def __init__(
        self,
        keyspace: PostgresKeyspace,
        names: Names,
        reasons: ReasonCategories,
        units: UnitMap,
        clock: Clock,
        portal_sync: PortalSyncSource | None = None,
    ) -> None:
        self.keyspace, self.names, self.reasons = keyspace, names, reasons
        self.units, self.clock = units, clock
        self.portal_sync = portal_sync or PortalSyncSource(None)

    def unit_view(self, reading: MapReading, tier: Tier, unit: str | None = None) -> UnitView:
        today = self.clock.now().astimezone(VIETNAM).date()
        try:
            return UnitView(self.units, self.names.agency_units, reading, tier, today, unit)
        except UnitQueryError as error:
            raise HTTPException(422, detail=str(error)) from error

    async def _filter(
        self, agency: str | None, level: str | None, view: UnitView, group_by: str
    ) -> DossierFilter:
        """The agencies a query reads: `agency`, and those the unit filter keeps."""
        agencies = None if agency is None else frozenset({agency})
        if view.unit is not None:
            store = await self.keyspace.current()
            kept = frozenset(a for a in await store.agencies() if view.keeps_agency(a))
            agencies = kept if agencies is None else agencies & kept
        return DossierFilter(agencies, level)

    async def processing_table(
        self,
        period: Period,
        group_by: str,
        agency: str | None,
        level: str | None,
        view: UnitView,
    ) -> tuple[list[ProcessingRow], ProcessingRow]:
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
        self,
        group_by: str,
        group: str | None,
        agency: str | None,
        level: str | None,
        view: UnitView,
    ) -> tuple[str, str | None, DossierFilter]:
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
        self,
        period: Period,
        group_by: str,
        group: str | None,
        column: str,
        agency: str | None,
        level: str | None,
        view: UnitView,
        after: str | None,
        limit: int | None,
        offset: int = 0,
    ) -> tuple[int, list[DossierFacts]]:
        """The dossiers behind one cell (a page of them, by code) and their count."""
        store = await self.keyspace.current()
        grouping, row, where = await self.cell(group_by, group, agency, level, view)
        count = await store.processing_count(period, grouping, row, column, where)
        listed = await store.processing_list(
            period, grouping, row, column, where, after, limit, offset
        )
        return count, listed

    async def processing_pages(
        self,
        period: Period,
        group_by: str,
        group: str | None,
        column: str,
        agency: str | None,
        level: str | None,
        view: UnitView,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The whole list of a cell, a page at a time by keyset: what an export streams."""
        store = await self.keyspace.current()
        grouping, row, where = await self.cell(group_by, group, agency, level, view)
        after: str | None = None
        while True:
            found = await store.processing_list(
                period, grouping, row, column, where, after, EXPORT_PAGE
            )
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
        self,
        period: Period,
        agency: str | None = None,
        by_agency: list[ProcessingRow] | None = None,
    ) -> list[dict[str, Any]]:
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
        synced = await self.portal_sync.figures(period.start, period.end, agency)
        indexes = []
        for code in sorted({*processing, *ratings, *digital, *counted}):
            _, handled = feedback_report([f for f in feedback if f.agency == code], period)
            figures = AgencyFigures(
                code, processing.get(code), ratings.get(code), handled, digital.get(code), synced
            )
            indexes.append(agency_index(figures) | {"agency_name": self.names.name("agency", code)})
        return indexes

    async def surveys(self, period: Period, agency: str | None = None) -> list[SurveyFacts]:
        store = await self.keyspace.current()
        found = await store.surveys_between(period.start, period.end)
        return [survey for survey in found if agency in (None, survey.agency)]

    def named(self, grouping: str, rows: list[Any]) -> list[ProcessingRow | SatisfactionRow]:
        for row in rows:
            row.group_name = (
                self.units.name(row.group)
                if grouping == "unit"
                else self.names.name(grouping, row.group)
            )
        return rows

    def dossier_line(self, facts: DossierFacts, period: Period) -> dict[str, Any]:
        ending = facts.ending
        ended = ending is not None and ending[0] < period.end
        due = due_for_listing(facts, period.end)
        return {
            "code": facts.code,
            "procedure": facts.procedure,
            "procedure_name": self.names.name("procedure", facts.procedure),
            "agency": facts.agency,
            "agency_name": self.names.name("agency", facts.agency),
            "received_at": facts.received_at.isoformat(),
            "due_at": due.isoformat() if due else None,
            "ended_at": ending[0].isoformat() if ending and ended else None,
            "ending": ending[1].value if ending and ended else None,
            "classification": facts.classification.value
            if facts.classification and ended
            else None,
            "state_at_end": None if ended else facts.open_state_at(period.end).value,
        }

    def step_line(self, facts: DossierFacts, step: StepOutcome) -> dict[str, Any]:
        return {
            "code": facts.code,
            "procedure": facts.procedure,
            "step": step.step_index + 1,
            "agency": step.agency_code,
            "agency_name": self.names.name("agency", step.agency_code),
            "started_at": step.started_at.isoformat(),
            "due_at": step.due_at.isoformat(),
            "ended_at": step.ended_at.isoformat(),
            "on_time": step.on_time,
            "overrun_minutes": step.overrun_minutes,
        }

    def rating_line(self, facts: RatingFacts, caller: Client | None) -> dict[str, Any]:
        """The clerk is named only to a caller with the reports scope for the agency."""
        named = may_see_people(caller, facts.agency)
        return {
            "code": facts.code,
            "agency": facts.agency,
            "agency_name": self.names.name("agency", facts.agency),
            "clerk": facts.clerk if named else None,
            "procedure": facts.procedure,
            "procedure_name": self.names.name("procedure", facts.procedure),
            "rating": facts.rating.value,
            "rated_at": facts.rated_at.isoformat(),
            "reason_category": facts.reason_category,
        }
