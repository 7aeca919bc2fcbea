"""Survey's HTTP API: ratings at the counter, kiosk or online, and periodic surveys."""

import logging
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Response

from services.survey.domain.feedback_rules import FeedbackState
from services.survey.service.feedback import FeedbackDesk
from services.survey.service.satisfaction import Satisfaction
from shared.events.feedback import (
    AnswerFeedback,
    FeedbackAnswered,
    FeedbackAnswerRated,
    RateFeedbackAnswer,
    SubmitFeedback,
)
from shared.events.survey import RatingAccepted, SubmitRating, SubmitSurvey, SurveyAnswered
from shared.web.http_access import Authenticated, MaybeAuthenticated
from shared.web.http_errors import install_common_handlers

log = logging.getLogger(__name__)


def survey_router(satisfaction: Satisfaction, http_wait_seconds: float) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["satisfaction"])

    @router.post(
        "/ratings",
        status_code=201,
        response_model=RatingAccepted,
        responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
    )
    async def submit_rating(rating: SubmitRating, caller: MaybeAuthenticated) -> Response:
        """One rating per dossier, from whoever holds its receipt's `rating_token` (online,
        SMS), or from a kiosk or counter frontend whose API key has the `rating` scope for the
        dossier's agency; a kiosk may name the clerk instead of the dossier. `occurred_at` needs
        the `import` scope. A dossier not known yet is waited for a few seconds, then 404."""
        answer = await satisfaction.rate(rating, caller, wait_for_dossier=http_wait_seconds)
        return Response(answer.event_json, status_code=201, media_type="application/json")

    @router.post("/surveys", status_code=201, response_model=SurveyAnswered)
    async def submit_survey(survey: SubmitSurvey, caller: MaybeAuthenticated) -> Response:
        """A periodic survey (five levels over five aspects), anonymous; `occurred_at` needs an
        API key with the `import` scope (a survey is timed by the server)."""
        answer = await satisfaction.survey(survey, caller)
        return Response(answer.event_json, status_code=201, media_type="application/json")

    return router


def feedback_router(desk: FeedbackDesk) -> APIRouter:
    router = APIRouter(prefix="/v1/feedback", tags=["feedback"])
    codes: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}

    @router.post("", status_code=201, responses={404: {}, 422: {}})
    async def file_feedback(feedback: SubmitFeedback, caller: MaybeAuthenticated) -> Response:
        """Feedback or a complaint (phản ánh, kiến nghị), by anyone, about a dossier, a
        procedure or an agency, under a category of config/feedback_categories.toml whose time
        limit (working days) the agency must answer within. The answer gives the feedback's
        code and a `feedback_token`: keep it to read the answer and rate it. No name, phone or
        ID is asked; phone and ID numbers in the content are masked. `occurred_at` needs the
        `import` scope."""
        answer = await desk.file(feedback, caller)
        return Response(answer, status_code=201, media_type="application/json")

    @router.get("/{code}", response_model=FeedbackState, responses={403: {}, 404: {}})
    async def read_feedback(
        code: str, feedback_token: Annotated[str, Header(max_length=64)]
    ) -> FeedbackState:
        """The feedback and its answer, for whoever holds its token (`Feedback-Token` header,
        so it never lands in an access log)."""
        return await desk.lookup(code, feedback_token)

    @router.post(
        "/{code}/answer", status_code=201, response_model=FeedbackAnswered, responses=codes
    )
    async def answer_feedback(code: str, answer: AnswerFeedback, caller: Authenticated) -> Response:
        """The answer of the agency addressed (a frontend key for that agency), once; sending
        it again returns the answer recorded. Deadline judges it on time or late."""
        recorded = await desk.answer(code, answer, caller)
        return Response(recorded, status_code=201, media_type="application/json")

    @router.post(
        "/{code}/rating", status_code=201, response_model=FeedbackAnswerRated, responses=codes
    )
    async def rate_answer(code: str, rating: RateFeedbackAnswer) -> Response:
        """The filer's rating of the answer, with the feedback's token, once."""
        recorded = await desk.rate(code, rating)
        return Response(recorded, status_code=201, media_type="application/json")

    return router


def error_handlers(app: FastAPI) -> None:
    install_common_handlers(app)
