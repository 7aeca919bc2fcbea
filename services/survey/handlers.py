"""The survey service's Kafka adapter: dossier events (to attach ratings to their dossier),
untrusted ratings, surveys and feedback (refused ones go to survey.submissions.v1.dlq with the
reason), and its own feedback events (folded again, so a lost Redis is rebuilt from them).
Each topic is consumed a batch at a time, each key's records in order and the keys
concurrently (`shared.messaging.keyed_batches`)."""

from typing import Any

from faststream.kafka import KafkaBroker

from services.survey.domain.rating_rules import (
    UnknownDossierError,
)
from services.survey.service.feedback import FeedbackDesk
from services.survey.service.satisfaction import Satisfaction
from shared.events import topics
from shared.events.dossier import DOSSIER_EVENT, DossierEvent
from shared.events.feedback import FEEDBACK_EVENT, FeedbackEvent, SubmitFeedback
from shared.events.survey import SURVEY_SUBMISSION, SubmitRating, SurveyEvent, SurveySubmission
from shared.messaging.broker_factory import subscribe_batches
from shared.messaging.delivery import Rejection, current_message
from shared.messaging.keyed_batches import Record, handle_by_key, record_headers


def register_handlers(
    broker: KafkaBroker, group: str, satisfaction: Satisfaction, desk: FeedbackDesk
) -> list[Any]:
    """Ratings on Kafka follow the HTTP rules: the receipt's `rating_token` in the body, or the
    frontend's API key in the `x-api-key` header (Kafka does not tell a consumer who wrote a
    record, so the principal's ACL decides who may write here, the key who the writer is)."""
    broker.publisher(topics.SURVEY_EVENTS, schema=SurveyEvent, title="survey-events")
    broker.publisher(topics.FEEDBACK_EVENTS, schema=FeedbackEvent, title="feedback-events")
    dossier_events = subscribe_batches(broker, topics.DOSSIER_EVENTS, group)
    submissions = subscribe_batches(broker, topics.SURVEY_SUBMISSIONS, group)
    feedback_events = subscribe_batches(broker, topics.FEEDBACK_EVENTS, group)

    async def on_feedback_event(event: FeedbackEvent, record: Record) -> None:
        await desk.on_event(event)

    async def on_dossier_event(event: DossierEvent, record: Record) -> None:
        await satisfaction.on_dossier_event(event)

    @feedback_events
    async def on_feedback_events() -> list[Rejection]:
        return await handle_by_key(current_message().raw_message, FEEDBACK_EVENT, on_feedback_event)

    @dossier_events
    async def on_dossier_events() -> list[Rejection]:
        return await handle_by_key(current_message().raw_message, DOSSIER_EVENT, on_dossier_event)

    @submissions
    async def on_survey_submissions() -> list[Rejection]:
        records = current_message().raw_message
        return await handle_by_key(records, SURVEY_SUBMISSION, on_survey_submission)

    async def on_survey_submission(submission: SurveySubmission, record: Record) -> None:
        caller = None
        try:
            caller = satisfaction.keys.message_client_optional(record_headers(record))
            if isinstance(submission, SubmitRating):
                await satisfaction.rate(submission, caller)
            elif isinstance(submission, SubmitFeedback):
                await desk.file(submission, caller)
            else:
                await satisfaction.survey(submission, caller)
        except UnknownDossierError:
            # its receipt may still be in flight: the rating waits for it; anything else that
            # names an unknown dossier is dead-lettered (shared/errors.py), as other rejections
            if not (isinstance(submission, SubmitRating) and submission.dossier_code is not None):
                raise
            await satisfaction.hold(submission, (record.value or b"").decode(), caller)

    return [dossier_events, submissions, feedback_events]
