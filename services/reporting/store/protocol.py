"""What reporting's stores answer (`ReportingStore`), and where the live one is (`Keyspace`)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from services.reporting.domain.digital_reports import DigitalRow
from services.reporting.domain.dossier_facts import (
    DossierFacts,
    FactsUpdate,
    FeedbackFacts,
    RatingFacts,
    SurveyFacts,
)
from services.reporting.domain.periods import Period
from services.reporting.domain.projections import (
    ProcessingRow,
    SatisfactionRow,
)
from services.reporting.domain.step_reports import HeldLateRow
from services.reporting.domain.where import DossierFilter

PREFIX = "reporting"


OPEN = 1e12  # the "closed at" score of an open dossier


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


class ReportingStore(Protocol):
    async def apply(self, updates: Sequence[FactsUpdate]) -> None: ...

    async def processing_table(
        self, period: Period, grouping: str, where: DossierFilter = ...
    ) -> tuple[list[ProcessingRow], ProcessingRow]: ...

    async def processing_count(
        self, period: Period, grouping: str, group: str | None, column: str,
        where: DossierFilter = ...,
    ) -> int: ...  # fmt: skip

    async def processing_list(
        self, period: Period, grouping: str, group: str | None, column: str,
        where: DossierFilter = ..., after: str | None = None, limit: int | None = 100,
        offset: int = 0,
    ) -> list[DossierFacts]: ...  # fmt: skip

    async def agencies(self) -> list[str]: ...

    async def satisfaction_table(
        self, period: Period, grouping: str, agency: str | None = None
    ) -> tuple[list[SatisfactionRow], SatisfactionRow]: ...

    async def digital_table(
        self, period: Period, where: DossierFilter = ...
    ) -> tuple[list[DigitalRow], DigitalRow]: ...

    async def digital_list(
        self, period: Period, group: str, column: str, limit: int | None = None, offset: int = 0
    ) -> tuple[int, list[DossierFacts]]: ...

    async def with_steps_closed(self, period: Period) -> list[DossierFacts]: ...

    async def held_late_table(self, period: Period) -> tuple[list[HeldLateRow], HeldLateRow]: ...

    async def held_late_list(
        self, period: Period, group: str | None, limit: int | None = None, offset: int = 0
    ) -> tuple[int, list[DossierFacts]]: ...

    async def dossiers_relevant_to(self, start: datetime) -> list[DossierFacts]: ...

    async def ratings_between(self, start: datetime, end: datetime) -> list[RatingFacts]: ...

    async def surveys_between(self, start: datetime, end: datetime) -> list[SurveyFacts]: ...

    async def feedback_relevant_to(self, start: datetime) -> list[FeedbackFacts]: ...


class Keyspace(Protocol):
    """Where reports are read from (`current`) and events applied to (`writing_to`)."""

    async def current(self) -> ReportingStore: ...

    async def writing_to(self) -> ReportingStore: ...
