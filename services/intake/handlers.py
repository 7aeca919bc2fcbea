"""Intake's Kafka adapter: requests from frontends, delivery reports from postal partners.

The decision logic (catalogue, lifecycle) arrives with the intake issue; for now a request is
validated against its contract and recorded, so bad input is dead-lettered with its reason.
"""

import logging
from typing import Any

from faststream.kafka import KafkaBroker

from services.intake.store import IntakeStore
from shared import topics
from shared.broker_factory import subscribe
from shared.events.dossier import DossierEvent
from shared.events.intake_requests import IntakeRequest
from shared.events.postal import PostalReturn, PostalStatus

log = logging.getLogger(__name__)


def register_handlers(broker: KafkaBroker, group: str, store: IntakeStore) -> list[Any]:
    # Declared here so the AsyncAPI document shows what intake writes; used by the intake issue.
    broker.publisher(topics.DOSSIER_EVENTS, schema=DossierEvent, title="dossier-events")
    broker.publisher(topics.POSTAL_RETURNS, schema=PostalReturn, title="postal-returns")
    submissions = subscribe(broker, topics.INTAKE_SUBMISSIONS, group)
    postal_status = subscribe(broker, topics.POSTAL_STATUS, group)

    @submissions
    async def on_intake_request(request: IntakeRequest) -> None:
        await store.record_submission(request.submission_id, request.type)

    @postal_status
    async def on_postal_status(report: PostalStatus) -> None:
        await store.record_submission(report.submission_id, report.type)

    return [submissions, postal_status]
