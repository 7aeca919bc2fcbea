"""The survey service's in-memory twin of the Redis store, for the service layer's unit tests."""

from services.survey.domain.feedback_rules import FeedbackState
from services.survey.domain.rating_rules import DossierFacts, StoredRating
from shared.persistence.outbox import (
    Commit,
    Committed,
    InMemoryOutbox,
    OutboxEntry,
    commit_in_memory,
)
from shared.persistence.parking import InMemoryParkingLot


class InMemorySurveyStore:
    """The Redis store's rules in dictionaries: for the service layer's unit tests."""

    def __init__(self) -> None:
        self.outbox = InMemoryOutbox()
        self.held = InMemoryParkingLot()
        self.dossiers: dict[str, DossierFacts] = {}
        self.clerks: dict[str, DossierFacts] = {}
        self.ratings: dict[str, StoredRating] = {}
        self.answers: dict[str, str] = {}
        self.comments: dict[str, str] = {}
        self.feedbacks: dict[str, FeedbackState] = {}
        self.step_answers: dict[str, str] = {}  # apart from clients' submissions

    async def remember(self, facts: DossierFacts) -> None:
        self.dossiers[facts.code] = facts
        if facts.clerk_id:
            latest = self.clerks.get(facts.clerk_id)
            if latest is None or facts.received_at >= latest.received_at:
                self.clerks[facts.clerk_id] = facts

    async def facts(self, code: str) -> DossierFacts | None:
        return self.dossiers.get(code)

    async def clerk_latest(self, clerk_id: str) -> DossierFacts | None:
        return self.clerks.get(clerk_id)

    async def rating(self, code: str) -> StoredRating | None:
        return self.ratings.get(code)

    async def replay(self, submission_id: str) -> str | None:
        return self.answers.get(submission_id)

    async def comment(self, event_id: str) -> str | None:
        return self.comments.get(event_id)

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
    ) -> Committed:
        async def body() -> str | None:
            current = self.ratings.get(code)
            if (current.event_id if current else None) != (expected.event_id if expected else None):
                return "the dossier was rated meanwhile"
            self.ratings[code] = stored
            if comment:
                self.comments[stored.event_id] = comment
            return None

        commit = Commit(submission_id, code, result, [entry])
        return await commit_in_memory(self.answers, self.outbox, commit, body)

    async def commit_survey(
        self, *, submission_id: str, key: str, event_id: str, result: str,
        comment: str | None, entry: OutboxEntry,
    ) -> Committed:  # fmt: skip
        async def body() -> str | None:
            if comment:
                self.comments[event_id] = comment
            return None

        commit = Commit(submission_id, key, result, [entry])
        return await commit_in_memory(self.answers, self.outbox, commit, body)

    async def feedback(self, code: str) -> FeedbackState | None:
        return self.feedbacks.get(code)

    async def commit_feedback(
        self, *, submission_id: str, expected: FeedbackState | None, state: FeedbackState,
        result: str, entry: OutboxEntry,
    ) -> Committed:  # fmt: skip
        async def body() -> str | None:
            if not await self.save_feedback(expected, state):
                return "the feedback changed meanwhile"
            return None

        commit = Commit(submission_id, state.code, result, [entry])
        return await commit_in_memory(self.answers, self.outbox, commit, body)

    async def step_replay(self, code: str, step: str) -> str | None:
        return self.step_answers.get(f"{code}:{step}")

    async def commit_feedback_step(
        self, *, step: str, expected: FeedbackState, state: FeedbackState, result: str,
        entry: OutboxEntry,
    ) -> Committed:  # fmt: skip
        async def body() -> str | None:
            if not await self.save_feedback(expected, state):
                return "the feedback changed meanwhile"
            return None

        commit = Commit(f"{state.code}:{step}", state.code, result, [entry])
        return await commit_in_memory(self.step_answers, self.outbox, commit, body)

    async def save_feedback(self, expected: FeedbackState | None, state: FeedbackState) -> bool:
        current = self.feedbacks.get(state.code)
        if (current.stage if current else None) != (expected.stage if expected else None):
            return False
        self.feedbacks[state.code] = state
        return True
