"""Intake's Kafka adapter: requests from frontends, delivery reports from postal partners.

Both topics are consumed a batch at a time: each key's requests (a dossier's steps) in order,
the keys concurrently (`shared.messaging.keyed_batches`), so concurrent receipts and steps share
their
Redis round trips and Kafka batches. Each message must carry its client's API key in the
`x-api-key` header (or be redriven from its dead letter by an admin, acting for the original
client); a request that fails goes to `<topic>.dlq` with the same reason text the HTTP API
would give.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from faststream.kafka import KafkaBroker

from services.intake.desk import Desk, DossierNotFoundError
from services.intake.lifecycle import IllegalStepError, RequestRejectedError
from shared.domain.reference_log import Entry
from shared.events import topics
from shared.events.dossier import DossierEvent
from shared.events.intake_requests import INTAKE_REQUEST, IntakeRequest, ReceiveDossier
from shared.events.postal import POSTAL_STATUS, PostalReturn, PostalStatus
from shared.messaging.broker_factory import subscribe_batches
from shared.messaging.delivery import RejectedMessageError, Rejection, current_message
from shared.messaging.keyed_batches import Record, handle_by_key, record_headers
from shared.web.api_keys import AccessDeniedError, ApiKeys, UnauthenticatedError


def register_handlers(broker: KafkaBroker, group: str, desk: Desk, keys: ApiKeys) -> list[Any]:
    broker.publisher(topics.DOSSIER_EVENTS, schema=DossierEvent, title="dossier-events")
    broker.publisher(topics.POSTAL_RETURNS, schema=PostalReturn, title="postal-returns")
    # written by the admin routes (services/intake/catalogue_admin.py), listed here for AsyncAPI
    broker.publisher(topics.CATALOGUE_EVENTS, schema=Entry, title="catalogue-events")
    submissions = subscribe_batches(broker, topics.INTAKE_SUBMISSIONS, group)
    postal_status = subscribe_batches(broker, topics.POSTAL_STATUS, group)

    async def on_intake_request(request: IntakeRequest, record: Record) -> None:
        with rejections_as_dead_letters():
            client = keys.message_client(record_headers(record))
            if isinstance(request, ReceiveDossier):
                await desk.receive(request, client)
            else:
                await desk.act(request, client, retry_conflicts=True)

    async def on_postal_status(report: PostalStatus, record: Record) -> None:
        with rejections_as_dead_letters():
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


@contextmanager
def rejections_as_dead_letters() -> Iterator[None]:
    """Turn a request's rejection into a dead letter with the reason the HTTP API gives."""
    try:
        yield
    except UnauthenticatedError as error:
        raise RejectedMessageError(f"unauthenticated: {error}") from error
    except AccessDeniedError as error:
        raise RejectedMessageError(f"forbidden: {error}") from error
    except (DossierNotFoundError, RequestRejectedError, IllegalStepError) as error:
        raise RejectedMessageError(str(error)) from error
