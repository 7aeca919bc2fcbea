"""`dossier.events.v1`: the canonical lifecycle of a dossier, written by intake only.

No personal data travels here: the applicant's identity stays in intake's store, and a postal
return's address goes only to `postal.returns.v1`.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from shared.events.envelope import AgencyCode, DossierCode, Event, ProcedureCode
from shared.events.vocabulary import (
    Channel,
    DeliveryStatus,
    Level,
    Outcome,
    PaymentMethod,
    ReturnMethod,
    SupplementPolicy,
    TimeUnit,
)


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    dossier_code: DossierCode
    agency_code: AgencyCode = Field(description="The agency handling the dossier now")
    reference_revision: int | None = Field(
        None,
        ge=0,
        description="The position of catalogue.events.v1 (catalogue and calendar) the step was "
        "decided with; a consumer computing due dates reads that log at least this far first",
    )


class TimeLimit(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: int = Field(ge=0)
    unit: TimeUnit


class ProcessingStep(BaseModel):
    """One agency's part of an interconnected (liên thông) procedure."""

    model_config = ConfigDict(frozen=True)

    agency_code: AgencyCode
    time_limit: TimeLimit


class DossierReceivedBody(Body):
    procedure_code: ProcedureCode
    procedure_version: str = Field(description="Catalogue version in force at receipt")
    level: Level
    field: str = Field(description="Lĩnh vực, e.g. civil_status, land")
    channel: Channel
    clerk_id: str | None = Field(None, description="Receiving clerk, for counter filings")
    return_method: ReturnMethod
    time_limit: TimeLimit
    supplement_policy: SupplementPolicy
    steps: tuple[ProcessingStep, ...] = ()
    appointment_at: AwareDatetime = Field(description="Hẹn trả kết quả, on the receipt slip")
    rating_token_sha256: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the receipt's rating token (the token itself is never published)",
    )
    fully_online: bool | None = Field(
        None, description="Filed as a fully online public service (None: not recorded)"
    )
    papers_digitised: bool | None = Field(
        None, description="The papers were digitised at receipt (None: not recorded)"
    )


class DossierReceived(Event):
    type: Literal["DossierReceived"] = "DossierReceived"
    body: DossierReceivedBody


class ReasonBody(Body):
    reason: str = Field(max_length=1000)


class DossierReceiptRefused(Event):
    type: Literal["DossierReceiptRefused"] = "DossierReceiptRefused"
    body: ReasonBody


class DossierTransferredBody(Body):
    from_agency_code: AgencyCode
    step_index: int = Field(ge=0, description="Index of the step now starting")


class DossierTransferred(Event):
    type: Literal["DossierTransferred"] = "DossierTransferred"
    body: DossierTransferredBody


class SupplementRequested(Event):
    type: Literal["SupplementRequested"] = "SupplementRequested"
    body: ReasonBody


class SupplementReceivedBody(Body):
    policy: SupplementPolicy


class SupplementReceived(Event):
    type: Literal["SupplementReceived"] = "SupplementReceived"
    body: SupplementReceivedBody


class PaymentRequestedBody(Body):
    amount_vnd: int = Field(ge=0)
    reason: str = Field(max_length=1000)


class PaymentRequested(Event):
    type: Literal["PaymentRequested"] = "PaymentRequested"
    body: PaymentRequestedBody


class PaymentReceivedBody(Body):
    method: PaymentMethod | None = Field(None, description="None: not recorded")
    amount_vnd: int | None = Field(None, ge=0)


class PaymentReceived(Event):
    type: Literal["PaymentReceived"] = "PaymentReceived"
    body: PaymentReceivedBody


class DossierDelayedBody(Body):
    reason: str = Field(max_length=1000)
    previous_appointment_at: AwareDatetime
    new_appointment_at: AwareDatetime


class DossierDelayed(Event):
    """An apology letter was sent with a new appointment; statistics still count it late."""

    type: Literal["DossierDelayed"] = "DossierDelayed"
    body: DossierDelayedBody


class DossierResolvedBody(Body):
    outcome: Outcome
    reason: str | None = Field(None, max_length=1000)
    electronic_result: bool | None = Field(
        None, description="The result was issued electronically (None: not recorded)"
    )


class DossierResolved(Event):
    type: Literal["DossierResolved"] = "DossierResolved"
    body: DossierResolvedBody


class DossierStopped(Event):
    type: Literal["DossierStopped"] = "DossierStopped"
    body: ReasonBody


class DossierWithdrawn(Event):
    type: Literal["DossierWithdrawn"] = "DossierWithdrawn"
    body: ReasonBody


class ResultReturnedBody(Body):
    method: ReturnMethod


class ResultReturned(Event):
    type: Literal["ResultReturned"] = "ResultReturned"
    body: ResultReturnedBody


class PostalDeliveryUpdatedBody(Body):
    status: DeliveryStatus
    reason: str | None = Field(None, max_length=1000)


class PostalDeliveryUpdated(Event):
    type: Literal["PostalDeliveryUpdated"] = "PostalDeliveryUpdated"
    body: PostalDeliveryUpdatedBody


DossierEvent = Annotated[
    DossierReceived
    | DossierReceiptRefused
    | DossierTransferred
    | SupplementRequested
    | SupplementReceived
    | PaymentRequested
    | PaymentReceived
    | DossierDelayed
    | DossierResolved
    | DossierStopped
    | DossierWithdrawn
    | ResultReturned
    | PostalDeliveryUpdated,
    Field(discriminator="type"),
]
DOSSIER_EVENT: TypeAdapter[DossierEvent] = TypeAdapter(DossierEvent)
