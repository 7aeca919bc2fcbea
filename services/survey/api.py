"""Survey's HTTP API: ratings at the counter, kiosk or online, and periodic surveys."""

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.survey.rating_rules import (
    RatingConflictError,
    RatingRejectedError,
    UnknownDossierError,
)
from services.survey.satisfaction import Satisfaction
from shared.delivery import TRANSIENT_ERRORS
from shared.events.survey import RatingAccepted, SubmitRating, SubmitSurvey, SurveyAnswered

log = logging.getLogger(__name__)


def survey_router(satisfaction: Satisfaction, http_wait_seconds: float) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["satisfaction"])

    @router.post(
        "/ratings",
        status_code=201,
        response_model=RatingAccepted,
        responses={404: {}, 409: {}, 422: {}},
    )
    async def submit_rating(rating: SubmitRating) -> Response:
        """One rating per dossier; a kiosk may name the clerk instead of the dossier. A
        dossier not known yet is waited for a few seconds before the answer is 404."""
        answer = await satisfaction.rate(rating, wait_for_dossier=http_wait_seconds)
        return Response(answer.event_json, status_code=201, media_type="application/json")

    @router.post("/surveys", status_code=201, response_model=SurveyAnswered)
    async def submit_survey(survey: SubmitSurvey) -> Response:
        answer = await satisfaction.survey(survey)
        return Response(answer.event_json, status_code=201, media_type="application/json")

    return router


def error_handlers(app: FastAPI) -> None:
    def answer(status: int) -> Callable[[Request, Exception], Any]:
        async def handle(request: Request, error: Exception) -> JSONResponse:
            log.info("request refused", extra={"path": request.url.path, "status": status,
                                               "reason": str(error)})  # fmt: skip
            return JSONResponse({"detail": str(error)}, status_code=status)

        return handle

    async def invalid_fields(_: Request, error: Exception) -> JSONResponse:
        # Never echo inputs back: a comment may hold a phone number.
        assert isinstance(error, RequestValidationError)
        problems = [
            {"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]}
            for item in error.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    async def unavailable(_: Request, __: Exception) -> JSONResponse:
        body = {"detail": "a backing service is unavailable; retry with the same submission_id"}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "2"})

    app.add_exception_handler(RatingRejectedError, answer(422))
    app.add_exception_handler(RatingConflictError, answer(409))
    app.add_exception_handler(UnknownDossierError, answer(404))
    app.add_exception_handler(RequestValidationError, invalid_fields)
    for transient in TRANSIENT_ERRORS:
        app.add_exception_handler(transient, unavailable)
