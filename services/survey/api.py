"""Survey's HTTP API: ratings at the counter, kiosk or online, and periodic surveys."""

import logging

from fastapi import APIRouter, FastAPI, Response

from services.survey.rating_rules import (
    RatingConflictError,
    RatingRejectedError,
    UnknownDossierError,
)
from services.survey.satisfaction import Satisfaction
from shared.events.survey import RatingAccepted, SubmitRating, SubmitSurvey, SurveyAnswered
from shared.http_access import MaybeAuthenticated
from shared.http_errors import answer_with, install_common_handlers

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


def error_handlers(app: FastAPI) -> None:
    install_common_handlers(app)
    app.add_exception_handler(RatingRejectedError, answer_with(422))
    app.add_exception_handler(RatingConflictError, answer_with(409))
    app.add_exception_handler(UnknownDossierError, answer_with(404))
