"""Which contract each topic carries: the single map used by schemas, docs and tests."""

from typing import Any

from pydantic import TypeAdapter

from shared.domain.reference_log import ENTRY
from shared.events import topics
from shared.events.deadline import DEADLINE_EVENT
from shared.events.dossier import DOSSIER_EVENT
from shared.events.feedback import FEEDBACK_DEADLINE_EVENT, FEEDBACK_EVENT
from shared.events.intake_requests import INTAKE_REQUEST
from shared.events.portal import PORTAL_RECORD
from shared.events.postal import POSTAL_RETURN, POSTAL_STATUS
from shared.events.survey import SURVEY_EVENT, SURVEY_SUBMISSION

TOPIC_CONTRACTS: dict[str, TypeAdapter[Any]] = {
    topics.INTAKE_SUBMISSIONS: INTAKE_REQUEST,
    topics.DOSSIER_EVENTS: DOSSIER_EVENT,
    topics.DEADLINE_EVENTS: DEADLINE_EVENT,
    topics.SURVEY_SUBMISSIONS: SURVEY_SUBMISSION,
    topics.SURVEY_EVENTS: SURVEY_EVENT,
    topics.FEEDBACK_EVENTS: FEEDBACK_EVENT,
    topics.FEEDBACK_DEADLINES: FEEDBACK_DEADLINE_EVENT,
    topics.POSTAL_RETURNS: POSTAL_RETURN,
    topics.POSTAL_STATUS: POSTAL_STATUS,
    topics.PORTAL_RECORDS: PORTAL_RECORD,
    topics.NOTIFICATIONS: PORTAL_RECORD,  # a message: the same record, its call the channel
}


# Reference data, read whole by the services that follow it (no groups, no dead letters).
REFERENCE_CONTRACTS: dict[str, TypeAdapter[Any]] = {topics.CATALOGUE_EVENTS: ENTRY}


def json_schema_of(topic: str) -> dict[str, Any]:
    schema = (TOPIC_CONTRACTS | REFERENCE_CONTRACTS)[topic].json_schema(mode="validation")
    schema["title"] = topic
    return schema
