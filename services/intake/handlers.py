"""Intake's Kafka adapter: requests from frontends, delivery reports from postal partners.

Both topics are consumed a batch at a time: each key's requests (a dossier's steps) in order,
the keys concurrently (`shared.messaging.keyed_batches`), so concurrent receipts and steps share
their
Redis round trips and Kafka batches. Each message must carry its client's API key in the
`x-api-key` header (or be redriven from its dead letter by an admin, acting for the original
client); a request that fails goes to `<topic>.dlq` with the same reason text the HTTP API
would give.
"""

from typing import Any

from faststream.kafka import KafkaBroker

from services.intake.service.consent import ConsentDesk
from services.intake.service.desk import Desk
from shared.domain.reference_log import Entry
from shared.events import topics
from shared.events.dossier import DossierEvent
from shared.events.intake_requests import (
    INTAKE_REQUEST,
    ChangeNotifications,
    IntakeRequest,
    ReceiveDossier,
)
from shared.events.postal import POSTAL_STATUS, PostalReturn, PostalStatus
from shared.messaging.broker_factory import subscribe_batches
from shared.messaging.delivery import Rejection, current_message
from shared.messaging.keyed_batches import Record, handle_by_key, record_headers
from shared.web.api_keys import ApiKeys


def register_handlers(
    broker: KafkaBroker, group: str, desk: Desk, keys: ApiKeys, consent: ConsentDesk
) -> list[Any]:
    broker.publisher(topics.DOSSIER_EVENTS, schema=DossierEvent, title="dossier-events")
    broker.publisher(topics.POSTAL_RETURNS, schema=PostalReturn, title="postal-returns")
    # written by the admin routes (services/intake/service/catalogue_admin.py), listed here for
    # the AsyncAPI document
    broker.publisher(topics.CATALOGUE_EVENTS, schema=Entry, title="catalogue-events")
    submissions = subscribe_batches(broker, topics.INTAKE_SUBMISSIONS, group)
    postal_status = subscribe_batches(broker, topics.POSTAL_STATUS, group)

    async def on_intake_request(request: IntakeRequest, record: Record) -> None:
        # a rejection (shared/errors.py) is dead-lettered with the reason the HTTP API gives
        client = keys.message_client(record_headers(record))
        if isinstance(request, ReceiveDossier):
            await desk.receive(request, client)
        elif isinstance(request, ChangeNotifications):
            await consent.change(request, client)
        else:
            await desk.act(request, client, retry_conflicts=True)

    async def on_postal_status(report: PostalStatus, record: Record) -> None:
        client = keys.message_client(record_headers(record))
        await desk.report_delivery(report, client)

    @submissions
    async def on_intake_requests() -> list[Rejection]:
        records = current_message().raw_message
        return await handle_by_key(records, INTAKE_REQUEST, on_intake_request)

    @postal_status
    async def on_postal_statuses() -> list[Rejection]:
        records = current_message().raw_message
        return await handle_by_key(records, POSTAL_STATUS, on_postal_status)

    return [submissions, postal_status]
