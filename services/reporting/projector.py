"""Applies events to the read model: each event sets the facts it knows, by event time."""

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Histogram
from redis.asyncio.client import Pipeline

from services.reporting.store import ActiveKeyspace, RedisReportingStore
from shared.clock import Clock
from shared.events import deadline as dl
from shared.events import dossier as de
from shared.events.envelope import Event
from shared.events.survey import RatingAccepted


class Projector:
    def __init__(self, keyspace: ActiveKeyspace, clock: Clock, registry: CollectorRegistry | None):
        self.keyspace = keyspace
        self.clock = clock
        self.lag = Histogram(
            "reporting_projection_lag_seconds",
            "From an event's occurred_at to its being applied to the reports",
            registry=registry if registry is not None else CollectorRegistry(),
            buckets=(
                0.01,
                0.025,
                0.05,
                0.075,
                0.1,
                0.15,
                0.2,
                0.25,
                0.3,
                0.5,
                0.75,
                1,
                2.5,
                5,
                10,
                30,
                60,
                300,
                3600,
                86400,
            ),
        )

    async def on_events(self, events: Sequence[Event]) -> None:
        """Live handlers' events: applied to the keyspace the reports are written to."""
        if events:
            await self.apply(await self.keyspace.writing_to(), events)

    async def apply(self, store: RedisReportingStore, events: Sequence[Event]) -> None:
        """Applies a batch of events in one pipeline (one round trip). Every write is an
        order-free merge, so the batch's order, or a batch applied twice, changes nothing."""
        async with store.redis.pipeline(transaction=False) as pipe:
            for event in events:
                await self._stage(pipe, store, event)
            await pipe.execute()
        now = self.clock.now()
        for event in events:
            self.lag.observe(max(0.0, (now - event.occurred_at).total_seconds()))

    @staticmethod
    async def _stage(pipe: Pipeline, store: RedisReportingStore, event: Event) -> None:
        at = event.occurred_at
        match event:
            case de.DossierReceived(body=body):
                await store.set_facts(
                    pipe, body.dossier_code,
                    agency=body.agency_code, level=body.level.value, field=body.field,
                    procedure=body.procedure_code, channel=body.channel.value,
                    received_at=at.isoformat(),
                )  # fmt: skip
                await store.opened(pipe, body.dossier_code)
            case de.DossierResolved(body=body):
                await store.set_facts(pipe, body.dossier_code, resolved_at=at.isoformat())
                await store.closed(pipe, body.dossier_code, at)
            case de.DossierStopped() | de.DossierWithdrawn() | de.DossierReceiptRefused():
                await store.closed(pipe, event.body.dossier_code, at)
            case de.SupplementRequested() | de.PaymentRequested():
                await store.set_facts(
                    pipe, event.body.dossier_code, **{f"pause:{at.timestamp()}": "p"}
                )
            case de.SupplementReceived() | de.PaymentReceived():
                await store.set_facts(
                    pipe, event.body.dossier_code, **{f"pause:{at.timestamp()}": "r"}
                )
            case de.DossierDelayed(body=body):
                await store.set_facts(pipe, body.dossier_code, apology="1")
            case dl.DeadlineSet(body=body):
                await store.set_if_newer(
                    pipe, body.dossier_code, "due_set_epoch", at, due_at=body.due_at.isoformat()
                )
            case dl.DossierClassified(body=body):
                fields = {"classification": body.classification.value}
                if body.apology_sent:
                    fields["apology"] = "1"
                await store.set_facts(pipe, body.dossier_code, **fields)
            case RatingAccepted(body=body):
                await store.rated(
                    pipe, body.dossier_code, at,
                    agency=body.agency_code, clerk=body.clerk_id or "",
                    procedure=body.procedure_code, rating=body.rating.value,
                )  # fmt: skip
