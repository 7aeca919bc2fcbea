"""The reporting service's Kafka adapter: dossier, deadline, survey and feedback events into
the read model, a batch at a time (every write is an order-free merge, so a batch is one Redis
round trip)."""

from typing import Any

from faststream.kafka import KafkaBroker

from services.reporting.service.projector import Projector
from shared.events import topics
from shared.events.deadline import DEADLINE_EVENT
from shared.events.dossier import DOSSIER_EVENT
from shared.events.feedback import FEEDBACK_DEADLINE_EVENT, FEEDBACK_EVENT
from shared.events.survey import SURVEY_EVENT
from shared.messaging.broker_factory import subscribe_batches
from shared.messaging.delivery import Rejection, current_message, parse_records


def register_handlers(broker: KafkaBroker, group: str, projector: Projector) -> list[Any]:
    dossier_events = subscribe_batches(broker, topics.DOSSIER_EVENTS, group)
    deadline_events = subscribe_batches(broker, topics.DEADLINE_EVENTS, group)
    survey_events = subscribe_batches(broker, topics.SURVEY_EVENTS, group)
    feedback_events = subscribe_batches(broker, topics.FEEDBACK_EVENTS, group)
    feedback_deadlines = subscribe_batches(broker, topics.FEEDBACK_DEADLINES, group)

    @feedback_events
    async def on_feedback_events() -> list[Rejection]:
        events, rejections = parse_records(current_message().raw_message, FEEDBACK_EVENT)
        await projector.on_events(events)
        return rejections

    @feedback_deadlines
    async def on_feedback_deadlines() -> list[Rejection]:
        raw = current_message().raw_message
        events, rejections = parse_records(raw, FEEDBACK_DEADLINE_EVENT)
        await projector.on_events(events)
        return rejections

    @dossier_events
    async def on_dossier_events() -> list[Rejection]:
        events, rejections = parse_records(current_message().raw_message, DOSSIER_EVENT)
        await projector.on_events(events)
        return rejections

    @deadline_events
    async def on_deadline_events() -> list[Rejection]:
        events, rejections = parse_records(current_message().raw_message, DEADLINE_EVENT)
        await projector.on_events(events)
        return rejections

    @survey_events
    async def on_survey_events() -> list[Rejection]:
        events, rejections = parse_records(current_message().raw_message, SURVEY_EVENT)
        await projector.on_events(events)
        return rejections

    return [dossier_events, deadline_events, survey_events, feedback_events, feedback_deadlines]
