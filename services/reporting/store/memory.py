"""Reporting's in-memory twin: the same queries answered by the pure Python definitions."""

from collections.abc import Sequence
from datetime import datetime

from services.reporting.domain.digital_reports import DigitalRow, digital_in, digital_report
from services.reporting.domain.dossier_facts import (
    DossierFacts,
    FactsUpdate,
    FeedbackFacts,
    RatingFacts,
    SurveyFacts,
    facts_from,
    feedback_from,
    rating_from,
)
from services.reporting.domain.periods import Period
from services.reporting.domain.projections import (
    ProcessingRow,
    SatisfactionRow,
    dossiers_in,
    processing_report,
    satisfaction_counts,
)
from services.reporting.domain.step_reports import HeldLateRow, held_late_in, held_late_report
from services.reporting.domain.where import EVERYTHING, DossierFilter
from services.reporting.store.protocol import OPEN, ReportingStore, _epoch


class InMemoryReportingStore:
    """The same merges as the Redis store, in dictionaries: for unit tests and the properties."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, str]] = {}
        self.closed: dict[str, float] = {}
        self.ratings: dict[str, tuple[float, dict[str, str]]] = {}
        self.surveys: dict[str, SurveyFacts] = {}
        self.feedback_rows: dict[str, dict[str, str]] = {}
        self.feedback_closed: dict[str, float] = {}

    async def apply(self, updates: Sequence[FactsUpdate]) -> None:
        for update in updates:
            if update.feedback:
                self.feedback_rows.setdefault(update.code, {}).update(update.fields)
                if update.opened:
                    self.feedback_closed.setdefault(update.code, OPEN)
                if update.closed_at is not None:
                    at = _epoch(update.closed_at)
                    closed = self.feedback_closed.get(update.code, OPEN)
                    self.feedback_closed[update.code] = min(at, closed)
                continue
            if update.survey is not None:
                self.surveys[update.survey.survey_id] = update.survey
                continue
            self.rows.setdefault(update.code, {}).update(update.fields)
            if update.opened:
                self.closed.setdefault(update.code, OPEN)
            if update.closed_at is not None:
                at = _epoch(update.closed_at)
                self.closed[update.code] = min(at, self.closed.get(update.code, OPEN))
            if update.rating is not None and update.rated_at is not None:
                at = _epoch(update.rated_at)
                if update.code not in self.ratings or self.ratings[update.code][0] <= at:
                    self.ratings[update.code] = (at, update.rating)

    async def dossiers_relevant_to(self, start: datetime) -> list[DossierFacts]:
        codes = sorted(code for code, closed in self.closed.items() if closed >= _epoch(start))
        return [facts for code in codes if (facts := facts_from(code, self.rows[code])) is not None]

    async def ratings_between(self, start: datetime, end: datetime) -> list[RatingFacts]:
        return [
            rating_from(code, row)
            for code, (at, row) in sorted(self.ratings.items())
            if _epoch(start) <= at < _epoch(end)
        ]

    async def surveys_between(self, start: datetime, end: datetime) -> list[SurveyFacts]:
        return [
            survey
            for _, survey in sorted(self.surveys.items())
            if start <= survey.answered_at < end
        ]

    # The processing table and its lists: the pure definitions (projections.columns_of) ------

    async def _read(self, period: Period, where: DossierFilter) -> list[DossierFacts]:
        return [
            facts
            for facts in await self.dossiers_relevant_to(period.start)
            if (where.agencies is None or facts.agency in where.agencies)
            and where.level in (None, facts.level)
        ]

    async def processing_table(
        self, period: Period, grouping: str, where: DossierFilter = EVERYTHING
    ) -> tuple[list[ProcessingRow], ProcessingRow]:
        return processing_report(await self._read(period, where), period, grouping)

    async def processing_count(
        self, period: Period, grouping: str, group: str | None, column: str,
        where: DossierFilter = EVERYTHING,
    ) -> int:  # fmt: skip
        return len(dossiers_in(await self._read(period, where), period, grouping, group, column))

    async def processing_list(
        self, period: Period, grouping: str, group: str | None, column: str,
        where: DossierFilter = EVERYTHING, after: str | None = None, limit: int | None = 100,
        offset: int = 0,
    ) -> list[DossierFacts]:  # fmt: skip
        found = dossiers_in(await self._read(period, where), period, grouping, group, column)
        found = [facts for facts in found if after is None or facts.code > after][offset:]
        return found if limit is None else found[:limit]

    async def agencies(self) -> list[str]:
        return sorted({row["agency"] for row in self.rows.values() if "agency" in row})

    async def satisfaction_table(
        self, period: Period, grouping: str, agency: str | None = None
    ) -> tuple[list[SatisfactionRow], SatisfactionRow]:
        found = await self.ratings_between(period.start, period.end)
        return satisfaction_counts(
            [r for r in found if agency in (None, r.agency)], period, grouping
        )

    async def digital_table(
        self, period: Period, where: DossierFilter = EVERYTHING
    ) -> tuple[list[DigitalRow], DigitalRow]:
        return digital_report(await self._read(period, where), period)

    async def digital_list(
        self, period: Period, group: str, column: str, limit: int | None = None, offset: int = 0
    ) -> tuple[int, list[DossierFacts]]:
        found = digital_in(await self._read(period, EVERYTHING), period, group, column)
        return len(found), found[offset:] if limit is None else found[offset : offset + limit]

    async def held_late_table(self, period: Period) -> tuple[list[HeldLateRow], HeldLateRow]:
        return held_late_report(await self._read(period, EVERYTHING), period)

    async def held_late_list(
        self, period: Period, group: str | None, limit: int | None = None, offset: int = 0
    ) -> tuple[int, list[DossierFacts]]:
        found = held_late_in(await self._read(period, EVERYTHING), period, group)
        return len(found), found[offset:] if limit is None else found[offset : offset + limit]

    async def with_steps_closed(self, period: Period) -> list[DossierFacts]:
        return [
            facts
            for facts in await self._read(period, EVERYTHING)
            if any(period.start <= step.ended_at < period.end for step in facts.steps)
        ]

    async def feedback_relevant_to(self, start: datetime) -> list[FeedbackFacts]:
        codes = sorted(c for c, closed in self.feedback_closed.items() if closed >= _epoch(start))
        found = (feedback_from(code, self.feedback_rows[code]) for code in codes)
        return [facts for facts in found if facts is not None]


class FixedKeyspace:
    """One store for both, for the service layer's unit tests."""

    def __init__(self, store: ReportingStore) -> None:
        self.store = store

    async def current(self) -> ReportingStore:
        return self.store

    async def writing_to(self) -> ReportingStore:
        return self.store
