"""Applies events to the read model: each event sets the facts it knows, by event time."""

from prometheus_client import CollectorRegistry, Histogram

from services.reporting.store import ActiveKeyspace, RedisReportingStore
from shared.clock import Clock
from shared.events import deadline as dl
from shared.events import dossier as de
from shared.events.envelope import Event
from shared.events.survey import RatingAccepted, SurveyEvent


class Projector:
    def __init__(self, keyspace: ActiveKeyspace, clock: Clock, registry: CollectorRegistry | None):
        self.keyspace = keyspace
        self.clock = clock
        self.lag = Histogram(
            "reporting_projection_lag_seconds",
            "From an event's occurred_at to its being applied to the reports",
            registry=registry if registry is not None else CollectorRegistry(),
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400),
        )

    def _applied(self, event: Event) -> None:
        self.lag.observe(max(0.0, (self.clock.now() - event.occurred_at).total_seconds()))

    async def on_dossier_event(self, event: de.DossierEvent) -> None:
        await self.apply_dossier_event(await self.keyspace.current(), event)

    async def on_deadline_event(self, event: dl.DeadlineEvent) -> None:
        await self.apply_deadline_event(await self.keyspace.current(), event)

    async def on_survey_event(self, event: SurveyEvent) -> None:
        await self.apply_survey_event(await self.keyspace.current(), event)

    async def apply_dossier_event(self, store: RedisReportingStore, event: de.DossierEvent) -> None:
        code, at = event.body.dossier_code, event.occurred_at
        match event:
            case de.DossierReceived(body=body):
                await store.set_facts(
                    code,
                    agency=body.agency_code, level=body.level.value, field=body.field,
                    procedure=body.procedure_code, channel=body.channel.value,
                    received_at=at.isoformat(),
                )  # fmt: skip
                await store.opened(code)
            case de.DossierResolved():
                await store.set_facts(code, resolved_at=at.isoformat())
                await store.closed(code, at)
            case de.DossierStopped() | de.DossierWithdrawn() | de.DossierReceiptRefused():
                await store.closed(code, at)
            case de.SupplementRequested() | de.PaymentRequested():
                await store.set_facts(code, **{f"pause:{at.timestamp()}": "p"})
            case de.SupplementReceived() | de.PaymentReceived():
                await store.set_facts(code, **{f"pause:{at.timestamp()}": "r"})
            case de.DossierDelayed():
                await store.set_facts(code, apology="1")
        self._applied(event)

    async def apply_deadline_event(
        self, store: RedisReportingStore, event: dl.DeadlineEvent
    ) -> None:
        code = event.body.dossier_code
        match event:
            case dl.DeadlineSet(body=body):
                due = body.due_at.isoformat()
                await store.set_if_newer(code, "due_set_epoch", event.occurred_at, due_at=due)
            case dl.DossierClassified(body=body):
                fields = {"classification": body.classification.value}
                if body.apology_sent:
                    fields["apology"] = "1"
                await store.set_facts(code, **fields)
        self._applied(event)

    async def apply_survey_event(self, store: RedisReportingStore, event: SurveyEvent) -> None:
        if isinstance(event, RatingAccepted):
            body = event.body
            await store.rated(
                body.dossier_code, event.occurred_at,
                agency=body.agency_code, clerk=body.clerk_id or "", procedure=body.procedure_code,
                rating=body.rating.value,
            )  # fmt: skip
        self._applied(event)
