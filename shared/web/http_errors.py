"""HTTP error answers every service gives the same way."""

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from shared.messaging.delivery import TRANSIENT_ERRORS
from shared.persistence.outbox import NotReadyError

log = logging.getLogger(__name__)


def refused(request: Request, status: int, reason: str) -> None:
    """Operators see why requests are refused; reasons name codes and fields, never values."""
    log.info("request refused", extra={"path": request.url.path, "status": status,
                                       "reason": reason})  # fmt: skip


def answer_with(status: int) -> Callable[[Request, Exception], Any]:
    """A handler answering `status` with the error's message as `detail`."""

    async def handle(request: Request, error: Exception) -> JSONResponse:
        refused(request, status, str(error))
        return JSONResponse({"detail": str(error)}, status_code=status)

    return handle


def install_common_handlers(app: FastAPI) -> None:
    """422 naming each invalid field without echoing its value (it may be a phone or an ID
    number); 503 when Redis or Kafka is down, to be retried with the same submission_id."""

    async def invalid_fields(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = [
            {"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]}
            for item in error.errors()
        ]
        fields = ", ".join(".".join(str(part) for part in p["loc"]) for p in problems)
        refused(request, 422, f"invalid fields: {fields}")
        return JSONResponse({"detail": problems}, status_code=422)

    async def unavailable(_: Request, __: Exception) -> JSONResponse:
        body = {"detail": "a backing service is unavailable; retry with the same submission_id"}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "2"})

    async def rebuilding(_: Request, error: Exception) -> JSONResponse:
        body = {"detail": f"{error}; retry with the same submission_id"}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})

    app.add_exception_handler(RequestValidationError, invalid_fields)
    for transient in TRANSIENT_ERRORS:
        app.add_exception_handler(transient, unavailable)
    app.add_exception_handler(NotReadyError, rebuilding)
