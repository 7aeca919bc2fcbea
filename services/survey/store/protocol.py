"""What the survey service's stores offer, and the values they hand back."""

from typing import Protocol

from services.survey.domain.feedback_rules import FeedbackState
from services.survey.domain.rating_rules import DossierFacts, StoredRating
from shared.persistence.outbox import (
    Committed,
    Outbox,
    OutboxEntry,
)
from shared.persistence.parking import Parking

PREFIX = "survey"


class SurveyStore(Protocol):
    @property
    def outbox(self) -> Outbox: ...

    @property
    def held(self) -> Parking: ...  # ratings waiting for their dossier's receipt

    async def remember(self, facts: DossierFacts) -> None: ...

    async def facts(self, code: str) -> DossierFacts | None: ...

    async def clerk_latest(self, clerk_id: str) -> DossierFacts | None: ...

    async def rating(self, code: str) -> StoredRating | None: ...

    async def replay(self, submission_id: str) -> str | None: ...

    async def comment(self, event_id: str) -> str | None: ...

    async def commit_rating(
        self,
        *,
        submission_id: str,
        code: str,
        expected: StoredRating | None,
        stored: StoredRating,
        result: str,
        comment: str | None,
        entry: OutboxEntry,
    ) -> Committed: ...

    async def commit_survey(
        self, *, submission_id: str, key: str, event_id: str, result: str,
        comment: str | None, entry: OutboxEntry,
    ) -> Committed: ...  # fmt: skip

    async def feedback(self, code: str) -> FeedbackState | None: ...

    async def commit_feedback(
        self, *, submission_id: str, expected: FeedbackState | None, state: FeedbackState,
        result: str, entry: OutboxEntry,
    ) -> Committed: ...  # fmt: skip

    async def step_replay(self, code: str, step: str) -> str | None: ...

    async def commit_feedback_step(
        self, *, step: str, expected: FeedbackState, state: FeedbackState, result: str,
        entry: OutboxEntry,
    ) -> Committed: ...  # fmt: skip

    async def save_feedback(self, expected: FeedbackState | None, state: FeedbackState) -> bool: ...
