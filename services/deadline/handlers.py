"""The deadline service's Kafka adapter: lifecycle events in, deadline events out; feedback
events in, feedback deadlines out. Both are consumed a batch at a time, each dossier's (each
feedback's) events in order and the dossiers concurrently (`shared.messaging.keyed_batches`)."""

from typing import Any

from faststream.kafka import KafkaBroker

from services.deadline.service.feedback_tracker import FeedbackTracker
from services.deadline.service.tracker import DeadlineTracker
from services.deadline.store import Parked
from shared.events import topics
from shared.events.deadline import DeadlineEvent
from shared.events.dossier import DOSSIER_EVENT, DossierEvent
from shared.events.feedback import FEEDBACK_EVENT, FeedbackDeadlineEvent, FeedbackEvent
from shared.messaging.broker_factory import subscribe_batches
from shared.messaging.delivery import Rejection, current_message
from shared.messaging.keyed_batches import Record, handle_by_key


def register_handlers(
    broker: KafkaBroker, group: str, tracker: DeadlineTracker, feedback: FeedbackTracker
) -> list[Any]:
    broker.publisher(topics.DEADLINE_EVENTS, schema=DeadlineEvent, title="deadline-events")
    broker.publisher(
        topics.FEEDBACK_DEADLINES, schema=FeedbackDeadlineEvent, title="feedback-deadlines"
    )
    dossier_events = subscribe_batches(broker, topics.DOSSIER_EVENTS, group)
    feedback_events = subscribe_batches(broker, topics.FEEDBACK_EVENTS, group)

    async def on_feedback_event(event: FeedbackEvent, record: Record) -> None:
        # survey writes a feedback's events in order, keyed: one out of order (OutOfOrderError,
        # a rejection) is dead-lettered
        await feedback.apply(event)

    async def on_dossier_event(event: DossierEvent, record: Record) -> None:
        raw = (record.value or b"").decode()
        await tracker.apply(
            event, Parked(raw=raw, partition=record.partition, offset=record.offset)
        )

    @feedback_events
    async def on_feedback_events() -> list[Rejection]:
        return await handle_by_key(current_message().raw_message, FEEDBACK_EVENT, on_feedback_event)

    @dossier_events
    async def on_dossier_events() -> list[Rejection]:
        return await handle_by_key(current_message().raw_message, DOSSIER_EVENT, on_dossier_event)

    return [dossier_events, feedback_events]
