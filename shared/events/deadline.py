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


class StepOutcome(BaseModel):
    """One interconnected step, closed: who held the dossier, from when to when, against which
    due instant (the step's own time limit, counted from its start, paused with the dossier)."""

    model_config = ConfigDict(frozen=True)

    step_index: int = Field(ge=0)
    agency_code: AgencyCode
    started_at: AwareDatetime
    due_at: AwareDatetime = Field(description="The step's due instant it is judged by")
    ended_at: AwareDatetime
    on_time: bool
    overrun_minutes: int = Field(
        ge=0, description="Working time past the step's due instant, in minutes (0: on time)"
    )


class StepDueBody(Body):
    step_index: int = Field(ge=0)
    due_at: AwareDatetime = Field(description="The step's due instant")


class StepDueSoon(Event):
    """The interconnected step held by `agency_code` is due within the due-soon window."""

    type: Literal["StepDueSoon"] = "StepDueSoon"
    body: StepDueBody


class StepOverdue(Event):
    """The interconnected step held by `agency_code` passed its due instant while running."""

    type: Literal["StepOverdue"] = "StepOverdue"
    body: StepDueBody


class StepClosedBody(Body):
    step: StepOutcome


class StepClosed(Event):
    """A step ended: the dossier was handed on to the next agency, or resolved at the last."""

    type: Literal["StepClosed"] = "StepClosed"
    body: StepClosedBody


class DossierClassifiedBody(Body):
    classification: Classification
    due_at: AwareDatetime
    resolved_at: AwareDatetime
    apology_sent: bool
    overran_steps: tuple[StepOutcome, ...] = Field(
        (), description="The interconnected steps that passed their own due instant"
    )
    late_held_by: tuple[AgencyCode, ...] = Field(
        (),
        description="When late: the agencies the lateness is attributed to, those whose steps "
        "overran, or, when none did, the agency holding the dossier when its due instant passed",
    )


class DossierClassified(Event):
    type: Literal["DossierClassified"] = "DossierClassified"
    body: DossierClassifiedBody


DeadlineEvent = Annotated[
    DeadlineSet
    | DossierDueSoon
    | DossierOverdue
    | ApologyReminder
    | DossierClassified
    | StepDueSoon
    | StepOverdue
    | StepClosed,
    Field(discriminator="type"),
]
DEADLINE_EVENT: TypeAdapter[DeadlineEvent] = TypeAdapter(DeadlineEvent)
