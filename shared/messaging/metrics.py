"""Prometheus metrics shared by every service; one registry per app, passed in."""

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass(frozen=True)
class DeliveryMetrics:
    """How each consumed message ended. Labels are bounded: topic and outcome only."""

    messages: Counter
    retries: Counter
    handle_seconds: Histogram

    @classmethod
    def register(cls, registry: CollectorRegistry) -> "DeliveryMetrics":
        return cls(
            messages=Counter(
                "consumed_messages",
                "Messages consumed, by topic and outcome (handled, dead_lettered)",
                ["topic", "outcome"],
                registry=registry,
            ),
            retries=Counter(
                "handler_transient_retries",
                "Handler attempts retried after a transient failure (Redis or Kafka down)",
                ["topic"],
                registry=registry,
            ),
            handle_seconds=Histogram(
                "handler_duration_seconds",
                "Time to handle one message, retries included",
                ["topic"],
                registry=registry,
                buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            ),
        )
