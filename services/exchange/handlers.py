"""The exchange service's Kafka adapter: the lifecycle and deadline events (folded into each
dossier's portal records), the applicants (the owner the portal requires; a tombstone erases
it) and the portal records an operator redrives. Each key's records in order, the keys
concurrently (`shared.messaging.keyed_batches`)."""

from typing import Any

from faststream.kafka import KafkaBroker

from services.exchange.service.portal_sync import PortalSync
from shared.events import topics
from shared.events.deadline import DEADLINE_EVENT, DeadlineEvent
from shared.events.dossier import DOSSIER_EVENT, DossierEvent
from shared.events.portal import PORTAL_RECORD, PortalRecord
from shared.messaging.broker_factory import subscribe_batches
from shared.messaging.delivery import Rejection, current_message
from shared.messaging.keyed_batches import Record, by_key, handle_by_key


def register_handlers(broker: KafkaBroker, group: str, sync: PortalSync) -> list[Any]:
    dossier_events = subscribe_batches(broker, topics.DOSSIER_EVENTS, group)
    deadline_events = subscribe_batches(broker, topics.DEADLINE_EVENTS, group)
    applicants = subscribe_batches(broker, topics.INTAKE_APPLICANTS, group)
    redrives = subscribe_batches(broker, topics.PORTAL_RECORDS, group)

    async def on_event(event: DossierEvent | DeadlineEvent, record: Record) -> None:
        await sync.on_event(event)

    async def on_redrive(portal_record: PortalRecord, record: Record) -> None:
        await sync.on_redrive(portal_record)

    @dossier_events
    async def on_dossier_events() -> list[Rejection]:
        return await handle_by_key(current_message().raw_message, DOSSIER_EVENT, on_event)

    @deadline_events
    async def on_deadline_events() -> list[Rejection]:
        return await handle_by_key(current_message().raw_message, DEADLINE_EVENT, on_event)

    @applicants
    async def on_applicants() -> list[Rejection]:
        """The latest value of each dossier's applicant wins; never dead-lettered (personal
        data has no place in a dead-letter topic; an unreadable one is logged by code)."""
        for chain in by_key(current_message().raw_message):
            last = chain[-1]
            await sync.on_applicant((last.key or b"").decode(), last.value)
        return []

    @redrives
    async def on_redrives() -> list[Rejection]:
        return await handle_by_key(current_message().raw_message, PORTAL_RECORD, on_redrive)

    return [dossier_events, deadline_events, applicants, redrives]
