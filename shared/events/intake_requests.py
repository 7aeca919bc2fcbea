"""`intake.submissions.v1`: untrusted requests from one-stop frontends to intake.

The HTTP API takes the same models: one validation for both doors.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from shared.events.envelope import AgencyCode, DossierCode, ProcedureCode, Request
from shared.events.personal_data import Applicant, EmailAddress
from shared.events.vocabulary import (
    Channel,
    NotificationChannel,
    Outcome,
    PaymentMethod,
    ReturnMethod,
)

Reason = Annotated[str, Field(min_length=1, max_length=1000)]


class ReceiveDossier(Request):
    type: Literal["ReceiveDossier"] = "ReceiveDossier"
    procedure_code: ProcedureCode
    agency_code: AgencyCode
    channel: Channel
    clerk_id: str | None = Field(None, max_length=50)
    applicant: Applicant
    return_method: ReturnMethod
    received_at: AwareDatetime | None = None
    fully_online: bool | None = Field(
        None,
        description="Filed as a fully online public service (toàn trình): nothing on paper at "
        "the desk; only with the online channel. Omitted: not recorded",
    )
    papers_digitised: bool | None = Field(
        None, description="The filing's papers were digitised at receipt (số hóa hồ sơ)"
    )


class DossierStep(Request):
    dossier_code: DossierCode
    occurred_at: AwareDatetime | None = None


class TransferDossier(DossierStep):
    type: Literal["TransferDossier"] = "TransferDossier"
    to_agency_code: AgencyCode
    officer_id: str | None = Field(
        None,
        max_length=50,
        description="The internal staff id of the officer taking this step (never a name); "
        "shown on the control sheet only to keys of the agency",
    )


class RequestSupplement(DossierStep):
    type: Literal["RequestSupplement"] = "RequestSupplement"
    reason: Reason


class ReceiveSupplement(DossierStep):
    type: Literal["ReceiveSupplement"] = "ReceiveSupplement"


class RequestPayment(DossierStep):
    type: Literal["RequestPayment"] = "RequestPayment"
    amount_vnd: int = Field(ge=0)
    reason: Reason


class ReceivePayment(DossierStep):
    type: Literal["ReceivePayment"] = "ReceivePayment"
    method: PaymentMethod | None = Field(None, description="How the fee was paid")
    amount_vnd: int | None = Field(None, ge=0, description="The amount paid")


class DelayDossier(DossierStep):
    type: Literal["DelayDossier"] = "DelayDossier"
    reason: Reason
    new_appointment_at: AwareDatetime


class ResolveDossier(DossierStep):
    type: Literal["ResolveDossier"] = "ResolveDossier"
    outcome: Outcome
    reason: str | None = Field(None, max_length=1000)
    electronic_result: bool | None = Field(
        None, description="The result was issued as an electronic document (kết quả điện tử)"
    )
    officer_id: str | None = Field(
        None,
        max_length=50,
        description="The internal staff id of the officer taking this step (never a name); "
        "shown on the control sheet only to keys of the agency",
    )


class RefuseReceipt(DossierStep):
    type: Literal["RefuseReceipt"] = "RefuseReceipt"
    reason: Reason


class StopDossier(DossierStep):
    type: Literal["StopDossier"] = "StopDossier"
    reason: Reason


class WithdrawDossier(DossierStep):
    type: Literal["WithdrawDossier"] = "WithdrawDossier"
    reason: Reason


class ReturnResult(DossierStep):
    type: Literal["ReturnResult"] = "ReturnResult"
    cash_on_delivery_vnd: int = Field(0, ge=0, description="Collected by the postman, if any")


class ChangeNotifications(Request):
    """The applicant's later choice of notifications: the channels (none: not told any
    more), and the e-mail address when e-mail is one (omitted: the one given before)."""

    type: Literal["ChangeNotifications"] = "ChangeNotifications"
    dossier_code: DossierCode
    notify: tuple[NotificationChannel, ...] = ()
    email: EmailAddress | None = Field(None, repr=False)


IntakeRequest = Annotated[
    ReceiveDossier
    | ChangeNotifications
    | TransferDossier
    | RequestSupplement
    | ReceiveSupplement
    | RequestPayment
    | ReceivePayment
    | DelayDossier
    | ResolveDossier
    | RefuseReceipt
    | StopDossier
    | WithdrawDossier
    | ReturnResult,
    Field(discriminator="type"),
]
INTAKE_REQUEST: TypeAdapter[IntakeRequest] = TypeAdapter(IntakeRequest)
