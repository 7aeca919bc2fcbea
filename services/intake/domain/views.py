"""What intake answers: the public view of a dossier (no personal data, ever)."""

from datetime import datetime

from pydantic import BaseModel

from services.intake.domain.lifecycle import DossierRecord, Status, allowed_actions
from shared.events.vocabulary import Channel, Level, Outcome


class LogLine(BaseModel):
    step: str
    agency_code: str
    at: datetime


class DossierView(BaseModel):
    code: str
    status: Status
    procedure_code: str
    procedure_name: str
    procedure_version: str
    field: str
    level: Level
    agency_code: str
    receiving_agency_code: str
    channel: Channel
    received_at: datetime
    appointment_at: datetime
    outcome: Outcome | None
    allowed_steps: list[str]
    log: list[LogLine]


class ReceiptView(DossierView):
    """The answer to a receipt, for the frontend that filed it and the receipt slip: the view,
    and the rating token that entitles the applicant to rate the dossier online or by SMS.
    Never in the public lookup; the stored answer to the submission keeps it for reprints."""

    rating_token: str


def view_of(record: DossierRecord) -> DossierView:
    return DossierView(
        code=record.code,
        status=record.status,
        procedure_code=record.procedure_code,
        procedure_name=record.procedure_name,
        procedure_version=record.procedure_version,
        field=record.field,
        level=record.level,
        agency_code=record.agency_code,
        receiving_agency_code=record.receiving_agency_code,
        channel=record.channel,
        received_at=record.received_at,
        appointment_at=record.appointment_at,
        outcome=record.outcome,
        allowed_steps=allowed_actions(record.status),
        log=[LogLine(step=e.step, agency_code=e.agency_code, at=e.at) for e in record.log],
    )
