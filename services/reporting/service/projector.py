"""Applies events to the read model: each event sets the facts it knows, by event time."""

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Histogram

from services.reporting.domain.dossier_facts import update_of
from services.reporting.store import Keyspace, ReportingStore
from shared.domain.clock import Clock
from shared.events.envelope import Event


class Projector:
    def __init__(self, keyspace: Keyspace, clock: Clock, registry: CollectorRegistry | None):
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

    async def apply(self, store: ReportingStore, events: Sequence[Event]) -> None:
        """Applies a batch of events as one batch of updates. Every update is an order-free
        merge, so the batch's order, or a batch applied twice, changes nothing."""
        await store.apply([update for event in events if (update := update_of(event))])
        now = self.clock.now()
        for event in events:
            self.lag.observe(max(0.0, (now - event.occurred_at).total_seconds()))
