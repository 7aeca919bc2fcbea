"""Gauges of the current month for Prometheus, computed from the read model at scrape time
(so they are exact, whatever the delivery did): labels are bounded (agency, channel, state,
classification)."""

from datetime import date

from prometheus_client import CollectorRegistry, Gauge

from services.reporting.domain.periods import VIETNAM, Period, named_period
from services.reporting.store.postgres import PostgresKeyspace
from shared.domain.clock import Clock
from shared.events.vocabulary import Channel


class MonthGauges:
    def __init__(self, keyspace: PostgresKeyspace, clock: Clock, registry: CollectorRegistry):
        self.keyspace = keyspace
        self.clock = clock
        self._registry = registry
        self.received = self._gauge("month_received", "received this month", "channel")
        self.resolved = self._gauge("month_resolved", "resolved this month", "classification")
        self.open = self._gauge("open_dossiers", "open now (within, overdue, paused)", "state")
        self.on_time = self._gauge("month_on_time_rate", "early or on time over resolved", None)
        self.satisfied = self._gauge("month_satisfied_rate", "satisfied over ratings", None)

    def _gauge(self, name: str, what: str, label: str | None) -> Gauge:
        labels = ["agency"] if label is None else ["agency", label]
        return Gauge(f"reporting_{name}", f"Dossiers {what}, by {', '.join(labels)}", labels,
                     registry=self._registry)  # fmt: skip

    def _month(self) -> Period:
        today: date = self.clock.now().astimezone(VIETNAM).date()  # the month in Vietnam
        return named_period(f"{today.year}-M{today.month:02d}")

    async def refresh(self) -> None:
        month = self._month()
        store = await self.keyspace.current()
        rows, _ = await store.processing_table(month, "agency")  # one query
        for gauge in (self.received, self.resolved, self.open, self.on_time, self.satisfied):
            gauge.clear()
        for row in rows:
            for channel in Channel:  # received in the month, by channel (new_<channel>)
                count = getattr(row, f"new_{channel.value}")
                if count:
                    self.received.labels(row.group, channel.value).set(count)
            for kind in ("early", "on_time", "late"):
                self.resolved.labels(row.group, kind).set(getattr(row, f"resolved_{kind}"))
            self.open.labels(row.group, "within").set(row.pending_within)
            self.open.labels(row.group, "overdue").set(row.pending_overdue)
            self.open.labels(row.group, "paused").set(row.paused)
            if row.on_time_rate is not None:
                self.on_time.labels(row.group).set(row.on_time_rate)
        rated_rows, _ = await store.satisfaction_table(month, "agency")
        for rated in rated_rows:
            if rated.satisfied_rate is not None:
                self.satisfied.labels(rated.group).set(rated.satisfied_rate)
