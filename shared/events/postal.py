"""`postal.returns.v1` (results to deliver, to postal partners) and `postal.status.v1`
(what partners report back; untrusted)."""

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from shared.events.envelope import AgencyCode, DossierCode, Event, Request
from shared.events.personal_data import Person
from shared.events.vocabulary import DeliveryStatus


class PostalReturnRequestedBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    dossier_code: DossierCode
    agency_code: AgencyCode
    recipient: Person
    cash_on_delivery_vnd: int = Field(0, ge=0)


class PostalReturnRequested(Event):
    type: Literal["PostalReturnRequested"] = "PostalReturnRequested"
    body: PostalReturnRequestedBody


PostalReturn = Annotated[PostalReturnRequested, Field(discriminator="type")]
POSTAL_RETURN: TypeAdapter[PostalReturn] = TypeAdapter(PostalReturn)


class ReportDeliveryStatus(Request):
    type: Literal["ReportDeliveryStatus"] = "ReportDeliveryStatus"
    dossier_code: DossierCode
    status: DeliveryStatus
    reason: str | None = Field(None, max_length=1000, description="Why a delivery failed")
    occurred_at: AwareDatetime


PostalStatus = Annotated[ReportDeliveryStatus, Field(discriminator="type")]
POSTAL_STATUS: TypeAdapter[PostalStatus] = TypeAdapter(PostalStatus)
