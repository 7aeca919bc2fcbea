"""The exchange service's Prometheus metrics (no personal data: labels are calls and outcomes)."""

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass(frozen=True)
class PortalMetrics:
    sent: Counter
    failed: Counter
    retried: Counter
    dead_lettered: Counter
    oldest_unsent: Gauge

    @classmethod
    def register(cls, registry: CollectorRegistry) -> "PortalMetrics":
        return cls(
            Counter("portal_records_sent", "Records the national portal acknowledged",
                    ["call"], registry=registry),
            Counter("portal_records_failed", "Attempts the portal did not acknowledge: "
                    "failed (no answer, 5xx, 429) or refused (4xx, an error code)",
                    ["call", "outcome"], registry=registry),
            Counter("portal_records_retried", "Attempts that were a retry of a record",
                    ["call"], registry=registry),
            Counter("portal_records_dead_lettered", "Records given up on and dead-lettered "
                    "(their dossier waits for a redrive)", ["call"], registry=registry),
            Gauge("portal_oldest_unsent_age_seconds", "Age of the oldest record not yet "
                  "acknowledged by the portal (0: none waiting)", registry=registry),
        )  # fmt: skip
