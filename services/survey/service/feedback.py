"""The feedback desk: feedback and complaints filed (HTTP and Kafka), answered by the agency
addressed, and the answer rated by the filer; the state folded again from `feedback.events.v1`.

Each step is one commit (the feedback's state, the stored answer to the request, the event in
the outbox), published to `feedback.events.v1` keyed by the feedback's code.
"""

import json

from services.survey.domain.feedback_rules import (
    FeedbackState,
    answer_feedback,
    check_token,
    file_feedback,
    fold_feedback,
    rate_answer,
)
from services.survey.domain.rating_rules import RatingConflictError, UnknownDossierError
from services.survey.store import SurveyStore
from shared.domain.clock import Clock
from shared.domain.feedback_categories import FeedbackCategories
from shared.errors import NotFoundError
from shared.events.feedback import (
    AnswerFeedback,
    FeedbackEvent,
    RateFeedbackAnswer,
    SubmitFeedback,
)
from shared.events.topics import FEEDBACK_EVENTS
from shared.persistence.outbox import ConflictError, OutboxEntry, OutboxPublisher
from shared.web.api_keys import Client


class UnknownFeedbackError(NotFoundError, LookupError):
    """No feedback has that code (HTTP 404)."""


class FeedbackDesk:
    def __init__(
        self,
        store: SurveyStore,
        clock: Clock,
        outbox: OutboxPublisher,
        categories: FeedbackCategories,
    ) -> None:
        self.store = store
        self.clock = clock
        self.outbox = outbox
        self.categories = categories

    async def file(self, request: SubmitFeedback, caller: Client | None) -> str:
        """The filing's answer (JSON): the code, the token to read and rate the answer with,
        the agency addressed and when the answer is due, in working days."""
        replay = await self.store.replay(request.submission_id)
        if replay is not None:
            return replay
        dossier = None
        if request.dossier_code is not None:
            dossier = await self.store.facts(request.dossier_code)
            if dossier is None:
                raise UnknownDossierError(f"no dossier {request.dossier_code} is known")
        filed = file_feedback(request, dossier, self.categories, caller, self.clock.now())
        body = filed.event.body
        answer = json.dumps(
            {
                "feedback_code": body.feedback_code,
                "feedback_token": filed.token,
                "agency_code": body.agency_code,
                "category": body.category,
                "time_limit_days": body.time_limit_days,
                "limit_source": body.limit_source,
                "received_at": filed.event.occurred_at.isoformat(),
            },
            ensure_ascii=False,
        )
        committed = await self.store.commit_feedback(
            submission_id=request.submission_id,
            expected=None,
            state=filed.state,
            result=answer,
            entry=OutboxEntry(FEEDBACK_EVENTS, body.feedback_code, filed.event.model_dump_json()),
        )
        await self.outbox.publish(committed)
        return committed.answer

    async def answer(self, code: str, request: AnswerFeedback, caller: Client) -> str:
        """One answer per feedback; sending it again returns the answer recorded."""
        state = await self._state(code)
        caller.require_agency(state.agency_code)  # before anything, even a replay
        replay = await self.store.step_replay(code, "answer")
        if replay is not None:
            return replay
        event = answer_feedback(state, request, caller, self.clock.now())
        return await self._commit("answer", state, event)

    async def rate(self, code: str, request: RateFeedbackAnswer) -> str:
        state = await self._state(code)
        check_token(state, request.feedback_token)
        replay = await self.store.step_replay(code, "rating")
        if replay is not None:
            return replay  # the rating recorded
        event = rate_answer(state, request, self.clock.now())
        return await self._commit("rating", state, event)

    async def lookup(self, code: str, token: str) -> FeedbackState:
        """The feedback as its filer sees it: only with its token."""
        state = await self._state(code)
        check_token(state, token)
        return state

    async def on_event(self, event: FeedbackEvent) -> None:
        """Fold a feedback event from the topic in (a redelivery, or a rebuild of Redis)."""
        code = event.body.feedback_code
        while True:
            before = await self.store.feedback(code)
            after = fold_feedback(before, event)
            if after is None or await self.store.save_feedback(before, after):
                return

    async def _state(self, code: str) -> FeedbackState:
        state = await self.store.feedback(code)
        if state is None:
            raise UnknownFeedbackError(f"no feedback {code} is known")
        return state

    async def _commit(self, step: str, state: FeedbackState, event: FeedbackEvent) -> str:
        after = fold_feedback(state, event)
        assert after is not None
        try:
            committed = await self.store.commit_feedback_step(
                step=step,
                expected=state,
                state=after,
                result=event.model_dump_json(),
                entry=OutboxEntry(FEEDBACK_EVENTS, state.code, event.model_dump_json()),
            )
        except ConflictError as conflict:
            raise RatingConflictError(f"feedback {state.code}: {conflict}") from conflict
        await self.outbox.publish(committed)
        return committed.answer
