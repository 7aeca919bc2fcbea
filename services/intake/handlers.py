"""Intake's Kafka adapter: requests from frontends, delivery reports from postal partners.

Each message must carry its client's API key in the `x-api-key` header (or be redriven from
its dead letter by an admin, acting for the original client); a request that fails goes to
`<topic>.dlq` with the same reason text the HTTP API would give.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from faststream.kafka import KafkaBroker

from services.intake.desk import Desk, DossierNotFoundError
from services.intake.lifecycle import IllegalStepError, RequestRejectedError
from shared import topics
from shared.api_keys import AccessDeniedError, ApiKeys, UnauthenticatedError
from shared.broker_factory import subscribe
from shared.delivery import RejectedMessageError, current_message
from shared.events.dossier import DossierEvent
from shared.events.intake_requests import IntakeRequest, ReceiveDossier
from shared.events.postal import PostalReturn, PostalStatus
from shared.reference_log import Entry


def register_handlers(broker: KafkaBroker, group: str, desk: Desk, keys: ApiKeys) -> list[Any]:
    broker.publisher(topics.DOSSIER_EVENTS, schema=DossierEvent, title="dossier-events")
    broker.publisher(topics.POSTAL_RETURNS, schema=PostalReturn, title="postal-returns")
    # written by the admin routes (services/intake/catalogue_admin.py), listed here for AsyncAPI
    broker.publisher(topics.CATALOGUE_EVENTS, schema=Entry, title="catalogue-events")
    submissions = subscribe(broker, topics.INTAKE_SUBMISSIONS, group)
    postal_status = subscribe(broker, topics.POSTAL_STATUS, group)

    @submissions
    async def on_intake_request(request: IntakeRequest) -> None:
        with rejections_as_dead_letters():
            client = keys.message_client(current_message().headers)
            if isinstance(request, ReceiveDossier):
                await desk.receive(request, client)
            else:
                await desk.act(request, client, retry_conflicts=True)

    @postal_status
    async def on_postal_status(report: PostalStatus) -> None:
        with rejections_as_dead_letters():
            client = keys.message_client(current_message().headers)
            await desk.report_delivery(report, client)

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
