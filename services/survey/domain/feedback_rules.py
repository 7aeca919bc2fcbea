"""Feedback and complaints, the pure rules: who may file, answer and rate, what each step
publishes, and the feedback's state as a fold over its events (so survey's Redis can be
rebuilt from `feedback.events.v1`). No I/O: the clock's `now` and the categories are passed in.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.survey.domain.rating_rules import (
    DossierFacts,
    RatingConflictError,
    RatingRejectedError,
    masked_comment,
)
from shared.domain.feedback_categories import FeedbackCategories
from shared.domain.rating_tokens import new_token, token_hash, token_matches
from shared.events.envelope import derived_event_id
from shared.events.feedback import (
    AnswerFeedback,
    FeedbackAbout,
    FeedbackAnswered,
    FeedbackAnsweredBody,
    FeedbackAnswerRated,
    FeedbackAnswerRatedBody,
    FeedbackEvent,
    FeedbackReceived,
    FeedbackReceivedBody,
    RateFeedbackAnswer,
    SubmitFeedback,
)
from shared.events.vocabulary import RatingLevel
from shared.web.api_keys import AccessDeniedError, Client, Scope

SOURCE = "survey"


class Stage(StrEnum):
    RECEIVED = "received"
    ANSWERED = "answered"
    RATED = "rated"


class FeedbackState(BaseModel):
    """What survey keeps of one feedback: enough to answer, rate and look it up."""

    model_config = ConfigDict(frozen=True)

    code: str
    agency_code: str
    category: str
    stage: Stage
    received_at: AwareDatetime
    time_limit_days: int
    token_sha256: str
    answered_at: AwareDatetime | None = None
    answer: str | None = None
    rating: RatingLevel | None = None


@dataclass(frozen=True)
class Filed:
    event: FeedbackReceived
    state: FeedbackState
    token: str  # given to the filer once, in the answer; only its hash is kept (as a rating
    # token's: shared/domain/rating_tokens.py)


def check_token(state: FeedbackState, token: str) -> None:
    """Only the filer, holding the token the filing returned, reads and rates the answer."""
    if not token_matches(token, state.token_sha256):
        raise AccessDeniedError(f"the feedback token does not match feedback {state.code}")


def _timed(occurred_at: datetime | None, caller: Client | None, now: datetime) -> datetime:
    """The server's time, unless a key with the import scope dates the step (a history)."""
    if occurred_at is None:
        return now
    if caller is None or not caller.may_backdate:
        raise RatingRejectedError(
            "occurred_at may be given only with the import scope; feedback is timed by the server"
        )
    if occurred_at > now:
        raise RatingRejectedError("occurred_at is in the future")
    return occurred_at


def file_feedback(
    request: SubmitFeedback,
    dossier: DossierFacts | None,
    categories: FeedbackCategories,
    caller: Client | None,
    now: datetime,
) -> Filed:
    """A new feedback, addressed to `agency_code` or to the dossier's receiving agency."""
    try:
        category = categories.get(request.category)
    except ValueError as unknown:
        raise RatingRejectedError(str(unknown)) from unknown
    at = _timed(request.occurred_at, caller, now)
    if dossier is not None and request.agency_code not in (None, dossier.agency_code):
        raise RatingRejectedError(
            f"dossier {dossier.code} was received by {dossier.agency_code}, "
            f"not {request.agency_code}: address its agency or leave agency_code out"
        )
    agency = request.agency_code or (dossier.agency_code if dossier else None)
    if agency is None:
        raise RatingRejectedError("name the agency addressed (agency_code) or a dossier_code")
    about = (
        FeedbackAbout.DOSSIER
        if request.dossier_code
        else FeedbackAbout.PROCEDURE
        if request.procedure_code
        else FeedbackAbout.AGENCY
    )
    token = new_token()
    code = f"PA-{at.strftime('%y%m%d')}-{uuid.uuid4().hex[:10].upper()}"
    event = FeedbackReceived(
        event_id=derived_event_id(SOURCE, "FeedbackReceived", code),
        occurred_at=at,
        recorded_at=now,
        source=SOURCE,
        body=FeedbackReceivedBody(
            feedback_code=code,
            agency_code=agency,
            category=category.code,
            about=about,
            dossier_code=request.dossier_code,
            procedure_code=request.procedure_code or (dossier.procedure_code if dossier else None),
            submitter=request.submitter,
            channel=request.channel,
            time_limit_days=category.working_days,
            limit_source=category.source,
            content=masked_comment(request.content) or "",
            token_sha256=token_hash(token),
        ),
    )
    state = fold_feedback(None, event)
    assert state is not None
    return Filed(event, state, token)


def answer_feedback(
    state: FeedbackState, request: AnswerFeedback, caller: Client, now: datetime
) -> FeedbackAnswered:
    """The agency addressed answers, once."""
    caller.require_agency(state.agency_code, scope=Scope.FRONTEND)
    if state.stage is not Stage.RECEIVED:
        raise RatingConflictError(f"feedback {state.code} was already answered")
    at = _timed(request.occurred_at, caller, now)
    if at < state.received_at:
        raise RatingRejectedError("an answer cannot come before the feedback was filed")
    return FeedbackAnswered(
        event_id=derived_event_id(SOURCE, "FeedbackAnswered", state.code),
        occurred_at=at,
        recorded_at=now,
        source=SOURCE,
        body=FeedbackAnsweredBody(
            feedback_code=state.code,
            agency_code=state.agency_code,
            category=state.category,
            answered_by=caller.id,
            answer=masked_comment(request.answer) or "",
        ),
    )


def rate_answer(
    state: FeedbackState, request: RateFeedbackAnswer, now: datetime
) -> FeedbackAnswerRated:
    """The filer, holding the feedback's token, rates the answer, once."""
    check_token(state, request.feedback_token)
    if state.stage is Stage.RECEIVED:
        raise RatingConflictError(f"feedback {state.code} has no answer to rate yet")
    if state.stage is Stage.RATED:
        raise RatingConflictError(f"the answer to feedback {state.code} was already rated")
    return FeedbackAnswerRated(
        event_id=derived_event_id(SOURCE, "FeedbackAnswerRated", state.code),
        occurred_at=now,
        recorded_at=now,
        source=SOURCE,
        body=FeedbackAnswerRatedBody(
            feedback_code=state.code,
            agency_code=state.agency_code,
            category=state.category,
            level=request.level,
        ),
    )


def fold_feedback(state: FeedbackState | None, event: FeedbackEvent) -> FeedbackState | None:
    """The state after `event`; None when the event changes nothing (a redelivery, or a step
    already folded in), so applying the topic again rebuilds the same state."""
    match event:
        case FeedbackReceived(body=body):
            if state is not None:
                return None
            return FeedbackState(
                code=body.feedback_code,
                agency_code=body.agency_code,
                category=body.category,
                stage=Stage.RECEIVED,
                received_at=event.occurred_at,
                time_limit_days=body.time_limit_days,
                token_sha256=body.token_sha256,
            )
        case FeedbackAnswered(body=body):
            if state is None or state.stage is not Stage.RECEIVED:
                return None
            changes = {"stage": Stage.ANSWERED, "answered_at": event.occurred_at}
            return state.model_copy(update=changes | {"answer": body.answer})
        case FeedbackAnswerRated(body=body):
            if state is None or state.stage is not Stage.ANSWERED:
                return None
            return state.model_copy(update={"stage": Stage.RATED, "rating": body.level})
    return None
