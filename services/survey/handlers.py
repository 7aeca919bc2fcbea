"""The survey service's Kafka adapter: dossier events (to attach ratings to their dossier) and
untrusted ratings. Rating rules arrive with the survey issue."""

from typing import Any

from faststream.kafka import KafkaBroker

from shared import topics
from shared.broker_factory import subscribe
from shared.events.dossier import DossierEvent
from shared.events.survey import SurveyEvent, SurveySubmission
from shared.last_seen import LastSeenStore


def register_handlers(broker: KafkaBroker, group: str, store: LastSeenStore) -> list[Any]:
    broker.publisher(topics.SURVEY_EVENTS, schema=SurveyEvent, title="survey-events")
    dossier_events = subscribe(broker, topics.DOSSIER_EVENTS, group)
    submissions = subscribe(broker, topics.SURVEY_SUBMISSIONS, group)

    @dossier_events
    async def on_dossier_event(event: DossierEvent) -> None:
        await store.record(event.body.dossier_code, event.type, event.event_id)

    @submissions
    async def on_survey_submission(submission: SurveySubmission) -> None:
        if submission.dossier_code is not None:
            await store.record(submission.dossier_code, submission.type, submission.submission_id)

    return [dossier_events, submissions]
