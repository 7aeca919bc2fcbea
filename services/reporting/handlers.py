"""The reporting service's Kafka adapter: dossier, deadline and survey events into the read
model."""

from typing import Any

from faststream.kafka import KafkaBroker

from services.reporting.projector import Projector
from shared import topics
from shared.broker_factory import subscribe
from shared.events.deadline import DeadlineEvent
from shared.events.dossier import DossierEvent
from shared.events.survey import SurveyEvent


def register_handlers(broker: KafkaBroker, group: str, projector: Projector) -> list[Any]:
    dossier_events = subscribe(broker, topics.DOSSIER_EVENTS, group)
    deadline_events = subscribe(broker, topics.DEADLINE_EVENTS, group)
    survey_events = subscribe(broker, topics.SURVEY_EVENTS, group)

    @dossier_events
    async def on_dossier_event(event: DossierEvent) -> None:
        await projector.on_event(event)

    @deadline_events
    async def on_deadline_event(event: DeadlineEvent) -> None:
        await projector.on_event(event)

    @survey_events
    async def on_survey_event(event: SurveyEvent) -> None:
        await projector.on_event(event)

    return [dossier_events, deadline_events, survey_events]
