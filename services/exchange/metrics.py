"""The exchange service's Prometheus metrics (no personal data: labels are calls, channels,
templates and outcomes)."""

from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.events.portal import PortalRecord


class PortalMetrics:
    """The national portal's deliveries (the courier's `DeliveryMetrics`)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.sent_total = Counter(
            "portal_records_sent", "Records the national portal acknowledged", ["call"],
            registry=registry,
        )  # fmt: skip
        self.failed_total = Counter(
            "portal_records_failed", "Attempts the portal did not acknowledge: failed (5xx, "
            "429, a timeout), unreachable (no connection, 503) or refused (4xx, an error code)",
            ["call", "outcome"], registry=registry,
        )  # fmt: skip
        self.retried_total = Counter(
            "portal_records_retried", "Attempts that were a retry of a record", ["call"],
            registry=registry,
        )  # fmt: skip
        self.dead_lettered_total = Counter(
            "portal_records_dead_lettered",
            "Records given up on and dead-lettered (their dossier waits for a redrive)",
            ["call"], registry=registry,
        )  # fmt: skip
        self.oldest_unsent_age = Gauge(
            "portal_oldest_unsent_age_seconds",
            "Age of the oldest record not yet acknowledged by the portal (0: none waiting)",
            registry=registry,
        )

    @classmethod
    def register(cls, registry: CollectorRegistry) -> "PortalMetrics":
        return cls(registry)

    def sent(self, record: PortalRecord) -> None:
        self.sent_total.labels(record.call).inc()

    def failed(self, record: PortalRecord, outcome: str) -> None:
        self.failed_total.labels(record.call, outcome).inc()

    def retried(self, record: PortalRecord) -> None:
        self.retried_total.labels(record.call).inc()

    def dead_lettered(self, record: PortalRecord) -> None:
        self.dead_lettered_total.labels(record.call).inc()

    def oldest_unsent(self, seconds: float) -> None:
        self.oldest_unsent_age.set(seconds)


class NotificationMetrics:
    """Citizens' messages by channel, template and outcome (the courier's `DeliveryMetrics`)."""

    OUTCOMES = ("sent", "failed", "refused", "unreachable")

    def __init__(self, registry: CollectorRegistry, channels: list[str], kinds: list[str]) -> None:
        labels = ["channel", "template"]
        self.messages = Counter(
            "notifications_messages", "Messages by channel, template and outcome: sent, "
            "failed, refused, unreachable, dead_lettered, retried",
            [*labels, "outcome"], registry=registry,
        )  # fmt: skip
        self.oldest_unsent_age = Gauge(
            "notifications_oldest_unsent_age_seconds",
            "Age of the oldest notice or message not yet sent (0: none waiting)",
            registry=registry,
        )
        for channel in channels:  # every series there from the start: a rate has data at 0
            for kind in kinds:
                for outcome in self.OUTCOMES:
                    self.messages.labels(channel, kind, outcome)

    def _count(self, record: PortalRecord, outcome: str) -> None:
        self.messages.labels(record.call, record.cause, outcome).inc()

    def sent(self, record: PortalRecord) -> None:
        self._count(record, "sent")

    def failed(self, record: PortalRecord, outcome: str) -> None:
        self._count(record, outcome)

    def retried(self, record: PortalRecord) -> None:
        self._count(record, "retried")

    def dead_lettered(self, record: PortalRecord) -> None:
        self._count(record, "dead_lettered")

    def oldest_unsent(self, seconds: float) -> None:
        self.oldest_unsent_age.set(seconds)
