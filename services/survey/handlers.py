"""The survey service's Kafka adapter: dossier events (to attach ratings to their dossier) and
untrusted ratings and surveys (refused ones go to survey.submissions.v1.dlq with the reason)."""

from typing import Any

from faststream.kafka import KafkaBroker

from services.survey.rating_rules import (
    RatingConflictError,
    RatingRejectedError,
    UnknownDossierError,
)
from services.survey.satisfaction import Satisfaction
from shared import topics
from shared.broker_factory import subscribe
from shared.delivery import RejectedMessageError, current_message
from shared.events.dossier import DossierEvent
from shared.events.survey import SubmitRating, SurveyEvent, SurveySubmission


def register_handlers(broker: KafkaBroker, group: str, satisfaction: Satisfaction) -> list[Any]:
    broker.publisher(topics.SURVEY_EVENTS, schema=SurveyEvent, title="survey-events")
    dossier_events = subscribe(broker, topics.DOSSIER_EVENTS, group)
    submissions = subscribe(broker, topics.SURVEY_SUBMISSIONS, group)

    @dossier_events
    async def on_dossier_event(event: DossierEvent) -> None:
        await satisfaction.on_dossier_event(event)

    @submissions
    async def on_survey_submission(submission: SurveySubmission) -> None:
        try:
            if isinstance(submission, SubmitRating):
                await satisfaction.rate(submission)
            else:
                await satisfaction.survey(submission)
        except UnknownDossierError as unknown:
            if isinstance(submission, SubmitRating) and submission.dossier_code is not None:
                await satisfaction.hold(submission, current_message().body.decode())
            else:
                raise RejectedMessageError(str(unknown)) from unknown
        except (RatingRejectedError, RatingConflictError) as error:
            raise RejectedMessageError(str(error)) from error

    return [dossier_events, submissions]
