"""The reporting service's Kafka adapter: dossier, deadline and survey events. The report
projections arrive with the reporting issue."""

from typing import Any

from faststream.kafka import KafkaBroker

from shared import topics
from shared.broker_factory import subscribe
from shared.events.deadline import DeadlineEvent
from shared.events.dossier import DossierEvent
from shared.events.survey import SurveyEvent
from shared.last_seen import LastSeenStore


def register_handlers(broker: KafkaBroker, group: str, store: LastSeenStore) -> list[Any]:
    dossier_events = subscribe(broker, topics.DOSSIER_EVENTS, group)
    deadline_events = subscribe(broker, topics.DEADLINE_EVENTS, group)
    survey_events = subscribe(broker, topics.SURVEY_EVENTS, group)

    @dossier_events
    async def on_dossier_event(event: DossierEvent) -> None:
        await store.record(event.body.dossier_code, event.type, event.event_id)

    @deadline_events
    async def on_deadline_event(event: DeadlineEvent) -> None:
        await store.record(event.body.dossier_code, event.type, event.event_id)

    @survey_events
    async def on_survey_event(event: SurveyEvent) -> None:
        if event.body.dossier_code is not None:
            await store.record(event.body.dossier_code, event.type, event.event_id)

    return [dossier_events, deadline_events, survey_events]
