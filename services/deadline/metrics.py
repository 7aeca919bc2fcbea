"""The deadline service's own Prometheus metrics (labels bounded: agency, state, kind)."""

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass(frozen=True)
class DeadlineMetrics:
    open_dossiers: Gauge
    open_feedback: Gauge
    timers_fired: Counter
    timer_lag: Histogram
    parked_dead_lettered: Counter

    @classmethod
    def register(cls, registry: CollectorRegistry) -> "DeadlineMetrics":
        return cls(
            open_dossiers=Gauge(
                "deadline_open_dossiers",
                "Open dossiers by agency and state (within, due_soon, overdue, paused)",
                ["agency", "state"],
                registry=registry,
            ),
            open_feedback=Gauge(
                "deadline_open_feedback",
                "Unanswered feedback by agency and state (within, due_soon, overdue)",
                ["agency", "state"],
                registry=registry,
            ),
            timers_fired=Counter(
                "deadline_timers_fired",
                "Timers fired, by kind (due_soon, overdue, apology_reminder)",
                ["kind"],
                registry=registry,
            ),
            timer_lag=Histogram(
                "deadline_timer_lag_seconds",
                "Seconds between a timer's instant and its firing",
                registry=registry,
                buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600),
            ),
            parked_dead_lettered=Counter(
                "deadline_out_of_order_dead_lettered",
                "Events dead-lettered because their dossier's receipt never arrived",
                registry=registry,
            ),
        )
