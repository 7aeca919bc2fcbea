"""`deadline.events.v1`: due dates and their timers, written by the deadline service."""

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from shared.events.envelope import AgencyCode, DossierCode, Event
from shared.events.vocabulary import Classification


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    dossier_code: DossierCode
    agency_code: AgencyCode


class DeadlineSetBody(Body):
    due_at: AwareDatetime = Field(description="Statutory due instant")
    appointment_at: AwareDatetime = Field(description="The appointment given to the citizen")
    reason: Literal["received", "supplement_restart", "resumed", "apology", "transfer"]
    late_due_at: AwareDatetime | None = Field(
        None, description="The due instant the dossier passed while running: it stays late"
    )


class DeadlineSet(Event):
    type: Literal["DeadlineSet"] = "DeadlineSet"
    body: DeadlineSetBody


class DueBody(Body):
    due_at: AwareDatetime


class DossierDueSoon(Event):
    type: Literal["DossierDueSoon"] = "DossierDueSoon"
    body: DueBody


class DossierOverdue(Event):
    type: Literal["DossierOverdue"] = "DossierOverdue"
    body: DueBody


class ApologyReminderBody(Body):
    appointment_at: AwareDatetime


class ApologyReminder(Event):
    """The appointment is about to pass and no apology letter was sent."""

    type: Literal["ApologyReminder"] = "ApologyReminder"
    body: ApologyReminderBody


class DossierClassifiedBody(Body):
    classification: Classification
    due_at: AwareDatetime
    resolved_at: AwareDatetime
    apology_sent: bool


class DossierClassified(Event):
    type: Literal["DossierClassified"] = "DossierClassified"
    body: DossierClassifiedBody


DeadlineEvent = Annotated[
    DeadlineSet | DossierDueSoon | DossierOverdue | ApologyReminder | DossierClassified,
    Field(discriminator="type"),
]
DEADLINE_EVENT: TypeAdapter[DeadlineEvent] = TypeAdapter(DeadlineEvent)
