"""The projector on the in-memory store: the march scenario's events, applied live in batches
and redelivered, give the hand-computed table (no Redis, no Kafka)."""

from dataclasses import asdict
from datetime import timedelta

from prometheus_client import CollectorRegistry

from services.reporting.domain.periods import named_period
from services.reporting.domain.projections import processing_report
from services.reporting.service.projector import Projector
from services.reporting.store import FixedKeyspace, InMemoryReportingStore
from shared.domain.clock import ManualClock
from tests.support.report_scenario import MARCH_TOTAL, march_events


async def test_live_batches_and_redeliveries_give_the_hand_computed_month() -> None:
    events, _ = march_events("UBND.Q1")
    store, registry = InMemoryReportingStore(), CollectorRegistry()
    latest = max(event.occurred_at for event in events)
    projector = Projector(FixedKeyspace(store), ManualClock(latest + timedelta(seconds=2)),
                          registry)  # fmt: skip
    for first in range(0, len(events), 4):
        await projector.on_events(events[first : first + 4])
    await projector.on_events(events[:5])  # redelivered after a crash
    facts = await store.dossiers_relevant_to(named_period("2026-M03").start)
    _, total = processing_report(facts, named_period("2026-M03"), "agency")
    assert asdict(total) == MARCH_TOTAL
    observed = registry.get_sample_value("reporting_projection_lag_seconds_count")
    assert observed == len(events) + 5
