"""The deadline service's Kafka adapter: lifecycle events in, deadline events out; feedback
events in, feedback deadlines out."""

from typing import Any

from faststream.kafka import KafkaBroker

from services.deadline.feedback_tracker import FeedbackTracker
from services.deadline.store import Parked
from services.deadline.tracker import DeadlineTracker
from services.deadline.tracking import OutOfOrderError
from shared import topics
from shared.broker_factory import subscribe
from shared.delivery import RejectedMessageError, current_message
from shared.events.deadline import DeadlineEvent
from shared.events.dossier import DossierEvent
from shared.events.feedback import FeedbackDeadlineEvent, FeedbackEvent


def register_handlers(
    broker: KafkaBroker, group: str, tracker: DeadlineTracker, feedback: FeedbackTracker
) -> list[Any]:
    broker.publisher(topics.DEADLINE_EVENTS, schema=DeadlineEvent, title="deadline-events")
    broker.publisher(
        topics.FEEDBACK_DEADLINES, schema=FeedbackDeadlineEvent, title="feedback-deadlines"
    )
    dossier_events = subscribe(broker, topics.DOSSIER_EVENTS, group)
    feedback_events = subscribe(broker, topics.FEEDBACK_EVENTS, group)

    @feedback_events
    async def on_feedback_event(event: FeedbackEvent) -> None:
        try:
            await feedback.apply(event)
        except OutOfOrderError as error:  # survey writes a feedback's events in order, keyed
            raise RejectedMessageError(str(error)) from error

    @dossier_events
    async def on_dossier_event(event: DossierEvent) -> None:
        message = current_message()
        record = message.raw_message
        assert not isinstance(record, tuple), "deadline consumes one record at a time"
        origin = Parked(raw=message.body.decode(), partition=record.partition, offset=record.offset)
        await tracker.apply(event, origin)

    return [dossier_events, feedback_events]
