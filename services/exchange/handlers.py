"""The exchange service's Kafka adapter: the lifecycle and deadline events (folded into each
dossier's portal records), the applicants (the owner the portal requires; a tombstone erases
it) and the portal records an operator redrives. Each key's records in order, the keys
concurrently (`shared.messaging.keyed_batches`)."""

import logging
from typing import Any, Literal

from faststream.kafka import KafkaBroker

from services.exchange.service.notifications import Notifications
from services.exchange.service.portal_sync import PortalSync
from shared.events import topics
from shared.events.deadline import DEADLINE_EVENT, DeadlineEvent
from shared.events.dossier import DOSSIER_EVENT, DossierEvent
from shared.events.personal_data import OrganisationApplicant, PersonApplicant, parse_applicant
from shared.events.portal import PORTAL_RECORD, PortalRecord
from shared.messaging.broker_factory import subscribe_batches
from shared.messaging.delivery import Rejection, current_message
from shared.messaging.keyed_batches import Record, by_key, handle_by_key

log = logging.getLogger(__name__)


def register_handlers(
    broker: KafkaBroker, group: str, sync: PortalSync, notifications: Notifications
) -> list[Any]:
    dossier_events = subscribe_batches(broker, topics.DOSSIER_EVENTS, group)
    deadline_events = subscribe_batches(broker, topics.DEADLINE_EVENTS, group)
    applicants = subscribe_batches(broker, topics.INTAKE_APPLICANTS, group)
    redrives = subscribe_batches(broker, topics.PORTAL_RECORDS, group)
    message_redrives = subscribe_batches(broker, topics.NOTIFICATIONS, group)

    async def on_event(event: DossierEvent | DeadlineEvent, record: Record) -> None:
        await sync.on_event(event)

    async def on_dossier_event(event: DossierEvent, record: Record) -> None:
        await sync.on_event(event)
        await notifications.on_event(event)

    async def on_redrive(portal_record: PortalRecord, record: Record) -> None:
        await sync.on_redrive(portal_record)

    async def on_message_redrive(message: PortalRecord, record: Record) -> None:
        await notifications.on_redrive(message)

    @dossier_events
    async def on_dossier_events() -> list[Rejection]:
        records = current_message().raw_message
        return await handle_by_key(records, DOSSIER_EVENT, on_dossier_event)

    @deadline_events
    async def on_deadline_events() -> list[Rejection]:
        return await handle_by_key(current_message().raw_message, DEADLINE_EVENT, on_event)

    @applicants
    async def on_applicants() -> list[Rejection]:
        """The latest value of each dossier's applicant wins; never dead-lettered (personal
        data has no place in a dead-letter topic; an unreadable one is logged by code)."""
        for chain in by_key(current_message().raw_message):
            code = (chain[-1].key or b"").decode()
            applicant = read_applicant(code, chain[-1].value)
            if applicant is not False:
                await sync.on_applicant(code, applicant)
                await notifications.on_applicant(code, applicant)
        return []

    @redrives
    async def on_redrives() -> list[Rejection]:
        return await handle_by_key(current_message().raw_message, PORTAL_RECORD, on_redrive)

    @message_redrives
    async def on_message_redrives() -> list[Rejection]:
        records = current_message().raw_message
        return await handle_by_key(records, PORTAL_RECORD, on_message_redrive)

    return [dossier_events, deadline_events, applicants, redrives, message_redrives]


def read_applicant(
    code: str, value: bytes | None
) -> PersonApplicant | OrganisationApplicant | Literal[False] | None:
    """The applicant of a dossier, None for a tombstone (erased), False for a value that is
    not one (skipped and logged by code: personal data never goes to a dead letter)."""
    if not value:
        return None
    try:
        return parse_applicant(value)
    except ValueError:
        log.warning("unreadable applicant record skipped", extra={"dossier_code": code})
        return False
