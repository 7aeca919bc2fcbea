"""The deadline service's Kafka adapter. Timers and due dates arrive with the deadline issue;
for now each dossier event is validated and its arrival recorded."""

from typing import Any

from faststream.kafka import KafkaBroker

from shared import topics
from shared.broker_factory import subscribe
from shared.events.deadline import DeadlineEvent
from shared.events.dossier import DossierEvent
from shared.last_seen import LastSeenStore


def register_handlers(broker: KafkaBroker, group: str, store: LastSeenStore) -> list[Any]:
    broker.publisher(topics.DEADLINE_EVENTS, schema=DeadlineEvent, title="deadline-events")
    dossier_events = subscribe(broker, topics.DOSSIER_EVENTS, group)

    @dossier_events
    async def on_dossier_event(event: DossierEvent) -> None:
        await store.record(event.body.dossier_code, event.type, event.event_id)

    return [dossier_events]
