"""The deadline service layer: applies lifecycle events, fires due timers, expires parked events.

Handlers stay short: they call `apply`; the sweeper loop calls `sweep`.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from services.deadline.domain.tracking import (
    OutOfOrderError,
    Timer,
    TimerKind,
    TrackedDossier,
    Windows,
    decide,
    fire,
    state_of,
    timers_for,
)
from services.deadline.metrics import DeadlineMetrics
from services.deadline.store import DeadlineStore, Parked
from shared.domain.business_calendar import BusinessCalendar
from shared.domain.clock import Clock, SystemClock
from shared.domain.reference_source import ReferenceSource
from shared.events.deadline import DeadlineEvent
from shared.events.dossier import DOSSIER_EVENT, DossierEvent, DossierReceived
from shared.events.topics import DEADLINE_EVENTS, DOSSIER_EVENTS
from shared.messaging.publishing import EventPublisher, dead_letter, json_records

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackerConfig:
    windows: Windows
    park_for: timedelta
    claim_batch: int
    claim_lease: timedelta
    consumer_group: str
    forget_ended_after: timedelta = timedelta(days=7)  # how long an ended dossier is kept


class DeadlineTracker:
    def __init__(
        self,
        store: DeadlineStore[TrackedDossier],
        reference: ReferenceSource,
        clock: Clock,
        publisher: EventPublisher,
        metrics: DeadlineMetrics,
        config: TrackerConfig,
        lease_clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.reference = (
            reference  # the calendar, followed live (shared/messaging/reference_follower.py)
        )
        self.clock = clock
        # Claim leases measure how long this process has held a claim: real time, never the
        # domain clock, which tests (and a replay) move by days at a time.
        self.lease_clock = lease_clock or SystemClock()
        self.publisher = publisher
        self.metrics = metrics
        self.config = config
        self._fired_counters = {kind: metrics.timers_fired.labels(kind.value) for kind in TimerKind}

    @property
    def calendar(self) -> BusinessCalendar:
        return self.reference.current.calendar

    # Lifecycle events ---------------------------------------------------------------------------

    async def apply(self, event: DossierEvent, parked: Parked) -> None:
        code = event.body.dossier_code
        # at least the calendar intake decided with: the two never disagree on a due date
        reference = await self.reference.at_least(event.body.reference_revision)
        before = await self.store.load(code)
        try:
            decision = decide(before, event, reference.calendar)
        except OutOfOrderError:
            await self.store.park(code, parked, self.clock.now() + self.config.park_for)
            return
        if decision is None:  # a redelivery: publish what an interrupted attempt left
            pending = await self.store.outbox(code)
        else:
            pending = await self._save(before, decision.dossier, decision.events)
        if not isinstance(event, DossierReceived):
            await self._publish(code, pending)
            return
        # events parked until this receipt: read while its own events are being published
        _, waiting = await asyncio.gather(self._publish(code, pending), self.store.parked(code))
        for parked_event in waiting:
            await self.apply(DOSSIER_EVENT.validate_json(parked_event.raw), parked_event)
        if waiting:
            await self.store.drop_parked(code)

    async def _save(
        self,
        before: TrackedDossier | None,
        after: TrackedDossier,
        events: tuple[DeadlineEvent, ...],
    ) -> list[str]:
        """Save the dossier with its new events; return its outbox (all left to publish)."""
        old = (
            {t.member for t in timers_for(before, self.calendar, self.config.windows)}
            if before
            else set()
        )
        new_timers = timers_for(after, self.calendar, self.config.windows)
        pending = await self.store.save(
            after,
            bucket=self._bucket(after),
            remove_timers=sorted(old - {t.member for t in new_timers}),
            add_timers=new_timers,
            outbox=[event.model_dump_json() for event in events],
            forget_at=None if after.open else self.clock.now() + self.config.forget_ended_after,
        )
        if not after.open:
            await self.store.forget_fired(sorted(old))
        return pending

    def _bucket(self, dossier: TrackedDossier) -> str:
        state = state_of(dossier, self.clock.now(), self.calendar, self.config.windows)
        return "" if state == "resolved" else f"{dossier.agency_code}|{state}"

    async def _publish(self, code: str, pending: list[str]) -> None:
        """Publish a dossier's outbox, then drop what was published from it."""
        if not pending:
            return
        await self.publisher.publish_raw_many(json_records(DEADLINE_EVENTS, code, pending))
        await self.store.clear_outbox(code, len(pending))

    # Timers -------------------------------------------------------------------------------------

    async def sweep(self) -> int:
        """One pass: return expired claims, fire what is due, dead-letter stale parked events.

        Batches are pipelined: while Kafka acknowledges one batch, the next is claimed and
        decided. A batch's claims are confirmed only after its events are acknowledged."""
        now = self.clock.now()
        await self.store.reclaim_expired(self.lease_clock.now())
        fired = 0
        acknowledging: list[asyncio.Task[None]] = []
        while True:
            lease_until = self.lease_clock.now() + self.config.claim_lease
            timers = await self.store.claim_due(now, self.config.claim_batch, lease_until)
            if not timers:
                break
            events, confirmed = await self._decide_fired(timers)
            fired += len(events)
            acknowledged = await self.publisher.enqueue_many(DEADLINE_EVENTS, events)
            acknowledging.append(asyncio.create_task(self._confirm_after(acknowledged, confirmed)))
            if len(acknowledging) >= 4:
                await acknowledging.pop(0)
            if len(timers) < self.config.claim_batch:
                break
        for task in acknowledging:
            await task
        await self._expire_parked()
        await self.store.forget_ended(now)
        return fired

    async def _confirm_after(
        self, acknowledged: "asyncio.Future[object]", confirmed: list[tuple[Timer, str]]
    ) -> None:
        await acknowledged
        await self.store.confirm_fired(confirmed)

    async def _decide_fired(
        self, timers: list[Timer]
    ) -> tuple[list[tuple[str, DeadlineEvent]], list[tuple[Timer, str]]]:
        now = self.clock.now()
        dossiers = await self.store.load_many(sorted({timer.code for timer in timers}))
        outgoing: list[tuple[str, DeadlineEvent]] = []
        confirmed: list[tuple[Timer, str]] = []
        for timer in timers:
            dossier = dossiers.get(timer.code)
            event = fire(dossier, timer, now)
            bucket = ""
            if event is not None and dossier is not None:
                outgoing.append((timer.code, event))
                if timer.kind is not TimerKind.APOLOGY_REMINDER:
                    bucket = f"{dossier.agency_code}|{timer.kind}"
                self._fired_counters[timer.kind].inc()
                self.metrics.timer_lag.observe(max(0.0, (now - timer.fire_at).total_seconds()))
            confirmed.append((timer, bucket))
        return outgoing, confirmed

    async def _expire_parked(self) -> None:
        now = self.clock.now()
        for code in await self.store.expired_parked(now):
            for parked in await self.store.parked(code):
                reason = (
                    f"out of order: no DossierReceived for {code} arrived within "
                    f"{self.config.park_for.total_seconds():.0f}s of this event"
                )
                await dead_letter(
                    self.publisher,
                    DOSSIER_EVENTS,
                    code.encode(),
                    parked.raw.encode(),
                    reason,
                    consumer_group=self.config.consumer_group,
                    failed_at=now,
                    partition=parked.partition,
                    offset=parked.offset,
                )
                self.metrics.parked_dead_lettered.inc()
            await self.store.drop_parked(code)

    async def run_sweeper(self, interval_seconds: float) -> None:
        while True:
            fired = await self.sweep()
            if fired:
                log.info("timers fired", extra={"count": fired})
            await asyncio.sleep(interval_seconds)

    # Queries and metrics ------------------------------------------------------------------------

    async def refresh_gauges(self) -> None:
        self.metrics.open_dossiers.clear()
        for (agency, state), count in (await self.store.census()).items():
            self.metrics.open_dossiers.labels(agency, state).set(count)
