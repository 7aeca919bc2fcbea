"""The deadline service's Kafka adapter: lifecycle events in, deadline events out."""

from typing import Any

from faststream.kafka import KafkaBroker

from services.deadline.store import Parked
from services.deadline.tracker import DeadlineTracker
from shared import topics
from shared.broker_factory import subscribe
from shared.delivery import current_message
from shared.events.deadline import DeadlineEvent
from shared.events.dossier import DossierEvent


def register_handlers(broker: KafkaBroker, group: str, tracker: DeadlineTracker) -> list[Any]:
    broker.publisher(topics.DEADLINE_EVENTS, schema=DeadlineEvent, title="deadline-events")
    dossier_events = subscribe(broker, topics.DOSSIER_EVENTS, group)

    @dossier_events
    async def on_dossier_event(event: DossierEvent) -> None:
        message = current_message()
        record = message.raw_message
        assert not isinstance(record, tuple), "deadline consumes one record at a time"
        origin = Parked(raw=message.body.decode(), partition=record.partition, offset=record.offset)
        await tracker.apply(event, origin)

    return [dossier_events]
