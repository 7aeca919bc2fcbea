"""What a citizen is told, and when (pure): each lifecycle event that concerns the applicant
is one notice, of a kind with a template per channel, and the facts its templates show.
Nothing personal is in a notice: the phone number or address it goes to is added when it is
sent, from the contact the exchange service keeps while intake keeps the applicant."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.exchange.domain.portal_facts import PortalFacts
from shared.events import dossier as d
from shared.events.envelope import derived_event_id
from shared.events.portal import PortalRecord
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


NOTICE = "notice"  # a notice's record before it becomes one message per chosen channel


def notice_records(
    facts: PortalFacts, event: d.DossierEvent
) -> tuple[PortalFacts, list[PortalRecord]]:
    """Fold one event for the notifications: the facts after it (the return method, the
    events seen) and the notice it makes, queued as one record until it is sent (then it
    becomes one message per channel the applicant chose: `message_records`)."""
    if event.event_id in facts.handled:
        return facts, []
    update: dict[str, Any] = {"handled": (*facts.handled, event.event_id)}
    if isinstance(event, d.DossierReceived):
        update["return_method"] = event.body.return_method
    facts = facts.model_copy(update=update)
    notice = notice_of(event, facts.return_method)
    if notice is None:
        return facts, []
    record = PortalRecord(
        code=notice.code, call=NOTICE, key=message_key(notice.code, event.event_id, NOTICE),
        cause=notice.kind, made_at=notice.occurred_at,
        payload={"kind": notice.kind, "event_id": notice.event_id, "facts": notice.facts},
    )  # fmt: skip
    return facts, [record]


def message_records(notice: PortalRecord, channels: list[str]) -> list[PortalRecord]:
    """The messages of a notice: one per channel chosen, each with its own key."""
    event_id = str(notice.payload["event_id"])
    payload = notice.payload | {"notice": notice.key}  # which notice a message tells
    return [
        notice.model_copy(update={"call": channel, "payload": payload,
                                  "key": message_key(notice.code, event_id, channel)})
        for channel in channels
    ]  # fmt: skip


def message_key(code: str, event_id: str, channel: str) -> str:
    """(dossier, event, channel): a redelivered event sends nothing new."""
    return derived_event_id("notification", code, event_id, channel)
