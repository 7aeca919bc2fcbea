"""HTTP error answers every service gives the same way."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from shared.errors import RejectedError, TransientError
from shared.messaging.delivery import TRANSIENT_ERRORS
from shared.persistence.outbox import NotReadyError

log = logging.getLogger(__name__)


def refused(request: Request, status: int, reason: str) -> None:
    """Operators see why requests are refused; reasons name codes and fields, never values."""
    log.info("request refused", extra={"path": request.url.path, "status": status,
                                       "reason": reason})  # fmt: skip


async def rejected(request: Request, error: Exception) -> JSONResponse:
    """Any `RejectedError`: its `http_status`, its message as `detail`."""
    assert isinstance(error, RejectedError)
    refused(request, error.http_status, str(error))
    return JSONResponse({"detail": str(error)}, status_code=error.http_status)


async def passing(_: Request, error: Exception) -> JSONResponse:
    """Any `TransientError` of ours: 503, its message as `detail`, to be tried again."""
    return JSONResponse({"detail": str(error)}, status_code=503, headers={"Retry-After": "2"})


def install_common_handlers(app: FastAPI) -> None:
    """Every service's rejections (shared/errors.py) answered with their status and reason,
    here once; 422 naming each invalid field without echoing its value (it may be a phone or
    an ID number); 503 when Redis or Kafka is down, to be retried with the same
    submission_id."""

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

    app.add_exception_handler(RejectedError, rejected)
    app.add_exception_handler(TransientError, passing)
    app.add_exception_handler(RequestValidationError, invalid_fields)
    for transient in TRANSIENT_ERRORS:
        app.add_exception_handler(transient, unavailable)
    app.add_exception_handler(NotReadyError, rebuilding)
