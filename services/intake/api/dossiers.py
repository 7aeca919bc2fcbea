"""Intake's HTTP API: catalogue, receipts, lifecycle steps, the public status lookup."""

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, create_model

from services.intake.domain.control_sheet import ControlSheet, render_html
from services.intake.domain.forms import Form
from services.intake.domain.lifecycle import ACTION_OF, IllegalStepError
from services.intake.domain.views import DossierView, ReceiptView
from services.intake.service.consent import ConsentDesk
from services.intake.service.desk import Desk
from services.intake.service.personal_data import DataSubjectRequests
from shared.events import intake_requests
from shared.events.envelope import DossierCode, SubmissionId
from shared.events.intake_requests import ChangeNotifications
from shared.events.personal_data import EmailAddress, PersonIdentity
from shared.events.vocabulary import NotificationChannel
from shared.web.api_keys import Scope
from shared.web.http_access import Authenticated
from shared.web.http_errors import install_common_handlers, refused
from shared.web.request_context import parts_of, router_with

log = logging.getLogger(__name__)


def _body_model(request_class: type[intake_requests.DossierStep]) -> type[BaseModel]:
    """The HTTP body of an action: the Kafka request without `type` and `dossier_code`."""
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in request_class.model_fields.items()
        if name not in {"type", "dossier_code"}
    }
    return create_model(
        f"{request_class.__name__}Body",
        __config__=ConfigDict(extra="forbid", str_strip_whitespace=True),
        **fields,
    )


def error_handlers(app: FastAPI) -> None:
    install_common_handlers(app)

    async def illegal_step(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, IllegalStepError)
        refused(request, 409, str(error))
        body = {"detail": str(error), "status": error.status, "allowed_steps": error.allowed}
        return JSONResponse(body, status_code=409)

    app.add_exception_handler(IllegalStepError, illegal_step)


class DataSubject(PersonIdentity):
    """A person, by their citizen ID number, or a foreigner by passport number and nationality
    (in the body, so it stays out of URLs and access logs)."""


@dataclass(frozen=True)
class Parts:
    desk: Desk
    subjects: DataSubjectRequests
    public_url: str
    consent: ConsentDesk


IntakeParts = Annotated[Parts, Depends(parts_of)]
dossiers = APIRouter()


@dossiers.post(
    "/dossiers",
    tags=["dossiers"],
    status_code=201,
    response_model=ReceiptView,
    responses={401: {}, 403: {}, 422: {}},
)
async def receive_dossier(
    context: IntakeParts, request: intake_requests.ReceiveDossier, caller: Authenticated
) -> Response:
    """The receipt: the dossier's view and its rating token, for the applicant only."""
    outcome = await context.desk.receive(request, caller)
    return Response(outcome.view_json, status_code=201, media_type="application/json")


@dossiers.get(
    "/submissions/{submission_id}",
    tags=["dossiers"],
    response_model=ReceiptView | DossierView,
    responses={401: {}, 404: {}},
)
async def submission_answer(
    context: IntakeParts, submission_id: SubmissionId, caller: Authenticated
) -> Response:
    """The answer to one of the caller's own submissions, sent over HTTP or Kafka: how a
    frontend filing on `intake.submissions.v1` gets its receipt (code, appointment, rating
    token). 404 while it is in flight, or if it was refused (dead-lettered)."""
    answer = await context.desk.submission_answer(caller, submission_id)
    return Response(answer, media_type="application/json")


@dossiers.get("/dossiers/{code}", tags=["dossiers"], response_model=DossierView)
async def dossier_status(context: IntakeParts, code: DossierCode) -> DossierView:
    """The public status lookup: status, procedure, agency, dates and processing log."""
    return await context.desk.lookup(code)


@dossiers.get(
    "/dossiers/{code}/control-sheet",
    tags=["dossiers"],
    response_model=ControlSheet,
    responses={401: {}, 403: {}, 404: {}, 200: {"content": {"text/html": {}}}},
)
async def dossier_control_sheet(
    context: IntakeParts,
    code: DossierCode,
    caller: Authenticated,
    format: Literal["json", "html"] = "json",
) -> Response:
    """The processing control sheet (phiếu kiểm soát, form 05 of Circular 01/2018/TT-VPCP):
    one row per step with its time, from, to, the due instant of the part that ended there
    and whether it was on time. For a key (frontend or reports scope) of an agency the
    dossier passed through; an officer's id shows only to a key of that officer's agency.
    `format=html`: the printable sheet."""
    sheet = await context.desk.control_sheet(code, caller)
    if format == "html":
        reference = context.desk.reference.current
        page = render_html(sheet, reference.catalogue, reference.calendar)
        return HTMLResponse(page)
    return Response(sheet.model_dump_json(), media_type="application/json")


@dossiers.get(
    "/dossiers/{code}/forms/{form}",
    tags=["dossiers"],
    response_class=HTMLResponse,
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def dossier_form(context: IntakeParts,
    code: DossierCode, form: Form, caller: Authenticated,
    submission_id: SubmissionId | None = None,
) -> HTMLResponse:  # fmt: skip
    """A form the desk prints, as printable HTML (A4), after Circular 01/2018/TT-VPCP:
    `receipt` (form 01, with the QR code of the public lookup address), `supplement-request`
    (form 02, the missing papers), `refusal` (form 03, refusal at receipt with its reason),
    `apology` (form 04, the new appointment). For a frontend key of an agency the dossier
    passed through; 409 when the dossier has not reached that turn. The receipt slip shows
    the rating token to the client that filed it, given the receipt's `submission_id`."""
    lookup_url = f"{context.public_url.rstrip('/')}/v1/dossiers/{code}"
    page = await context.desk.form(code, form, caller, lookup_url, submission_id)
    return HTMLResponse(page)


class NotificationChoice(BaseModel):
    """The applicant's new choice: the channels (none: not told any more) and the e-mail
    address when e-mail is one (omitted: the one given before)."""

    model_config = ConfigDict(extra="forbid")

    submission_id: str = Field(min_length=1, max_length=100)
    notify: tuple[NotificationChannel, ...] = ()
    email: EmailAddress | None = Field(None, repr=False)


@dossiers.put(
    "/dossiers/{code}/notifications", tags=["dossiers"], responses={401: {}, 403: {}, 409: {}}
)
async def change_notifications(
    context: IntakeParts, code: DossierCode, choice: NotificationChoice, caller: Authenticated
) -> Response:
    """The applicant changes how they are told of their dossier's steps (also on Kafka:
    `ChangeNotifications`). 409 once their data was erased."""
    request = ChangeNotifications(dossier_code=code, **choice.model_dump())
    answer = await context.consent.change(request, caller)
    return Response(answer, media_type="application/json")


@dossiers.post("/admin/data-subject/export", tags=["admin"])
async def export_personal_data(
    context: IntakeParts, person: DataSubject, caller: Authenticated
) -> dict[str, Any]:
    """Everything intake holds on a person (their dossiers with the applicant data), for a
    request under the personal data protection law. Admin scope; logged without the data."""
    caller.require(Scope.ADMIN)
    return await context.subjects.export(person.identity, caller.id)


@dossiers.post("/admin/data-subject/erase", tags=["admin"])
async def erase_personal_data(
    context: IntakeParts, person: DataSubject, caller: Authenticated
) -> dict[str, Any]:
    """Erase a person's applicant data (Redis, and a tombstone on Kafka) from every dossier
    of theirs; 409 while one is open. The dossiers' records (no personal data) stay."""
    caller.require(Scope.ADMIN)
    return await context.subjects.erase(person.identity, caller.id)


def intake_router(
    desk: Desk, subjects: DataSubjectRequests, public_url: str, consent: ConsentDesk
) -> APIRouter:
    router = router_with(Parts(desk, subjects, public_url, consent), prefix="/v1")
    router.include_router(dossiers)
    for request_class, action in ACTION_OF.items():
        _add_action(router, request_class, action)
    return router


def _add_action(
    router: APIRouter, request_class: type[intake_requests.DossierStep], action: str
) -> None:
    async def act(
        context: IntakeParts, code: DossierCode, body: BaseModel, caller: Authenticated
    ) -> Response:
        request = request_class(**body.model_dump(), dossier_code=code)
        outcome = await context.desk.act(request, caller, retry_conflicts=False)
        return Response(outcome.view_json, media_type="application/json")

    act.__annotations__["body"] = _body_model(request_class)  # the action's own body schema

    router.add_api_route(
        f"/dossiers/{{code}}/{action}",
        act,
        methods=["POST"],
        response_model=DossierView,
        tags=["dossier steps"],
        name=action,
        summary=f"{action.replace('-', ' ').capitalize()}",
        responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
    )
