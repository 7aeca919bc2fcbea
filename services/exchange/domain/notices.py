"""What a citizen is told, and when (pure): each lifecycle event that concerns the applicant
is one notice, of a kind with a template per channel, and the facts its templates show.
Nothing personal is in a notice: the phone number or address it goes to is added when it is
sent, from the contact the exchange service keeps while intake keeps the applicant."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.events import dossier as d
from shared.events.vocabulary import DeliveryStatus, ReturnMethod

KINDS = (
    "received", "supplement_requested", "payment_requested", "delayed", "refused", "stopped",
    "result_ready", "result_posted", "delivery_failed",
)  # fmt: skip


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    kind: str
    event_id: str
    occurred_at: datetime
    facts: dict[str, Any]  # what the templates show: no personal data


def notice_of(event: d.DossierEvent, return_method: ReturnMethod | None) -> Notice | None:
    """The notice an event makes, if it concerns the applicant. `return_method`: how the
    dossier's result is returned (a result by post is told when it is posted, not when
    ready)."""
    found = _kind_and_facts(event, return_method)
    if found is None:
        return None
    kind, facts = found
    code = event.body.dossier_code
    return Notice(code=code, kind=kind, event_id=event.event_id, occurred_at=event.occurred_at,
                  facts={"code": code} | facts)  # fmt: skip


def _kind_and_facts(
    event: d.DossierEvent, return_method: ReturnMethod | None
) -> tuple[str, dict[str, Any]] | None:
    match event:
        case d.DossierReceived():
            return "received", {"appointment": event.body.appointment_at.isoformat()}
        case d.SupplementRequested() | d.DossierReceiptRefused() | d.DossierStopped():
            kinds = {"SupplementRequested": "supplement_requested",
                     "DossierReceiptRefused": "refused", "DossierStopped": "stopped"}  # fmt: skip
            return kinds[event.type], {"reason": event.body.reason}
        case d.PaymentRequested():
            return "payment_requested", {"amount_vnd": event.body.amount_vnd,
                                         "reason": event.body.reason}  # fmt: skip
        case d.DossierDelayed():
            new = event.body.new_appointment_at.isoformat()
            return "delayed", {"reason": event.body.reason, "new_appointment": new}
        case d.DossierResolved() if return_method != ReturnMethod.POSTAL:
            return "result_ready", {}
        case d.ResultReturned() if event.body.method == ReturnMethod.POSTAL:
            return "result_posted", {}
        case d.PostalDeliveryUpdated() if event.body.status == DeliveryStatus.FAILED:
            return "delivery_failed", {"reason": event.body.reason}
    return None
