"""Deadline's feedback layer: folds `feedback.events.v1` in, fires the due-soon and overdue
timers once each, and publishes to `feedback.deadlines.v1`.

The same store as dossiers' (one Lua script per save and per claim, fired timers remembered),
under a prefix of its own: `{prefix}:feedback:...`. Feedback is low volume, so a sweep claims,
publishes and confirms one batch at a time.
"""

import logging
from datetime import timedelta

from services.deadline.domain.feedback_tracking import (
    TrackedFeedback,
    decide_feedback,
    feedback_state,
    feedback_timers,
    fire_feedback,
)
from services.deadline.domain.tracking import Windows
from services.deadline.store import DeadlineStore
from shared.domain.business_calendar import BusinessCalendar
from shared.domain.clock import Clock, SystemClock
from shared.domain.reference_source import ReferenceSource
from shared.events.feedback import FeedbackEvent
from shared.events.topics import FEEDBACK_DEADLINES
from shared.messaging.publishing import EventPublisher, json_records

log = logging.getLogger(__name__)


class FeedbackTracker:
    def __init__(
        self,
        store: DeadlineStore[TrackedFeedback],
        reference: ReferenceSource,
        clock: Clock,
        publisher: EventPublisher,
        windows: Windows,
        *,
        claim_batch: int = 500,
        claim_lease: timedelta = timedelta(seconds=60),
        forget_answered_after: timedelta = timedelta(days=7),
        lease_clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.reference = reference
        self.clock = clock
        self.lease_clock = lease_clock or SystemClock()  # leases in real time (see tracker.py)
        self.publisher = publisher
        self.windows = windows
        self.claim_batch = claim_batch
        self.claim_lease = claim_lease
        self.forget_answered_after = forget_answered_after

    @property
    def calendar(self) -> BusinessCalendar:
        return self.reference.current.calendar

    async def apply(self, event: FeedbackEvent) -> None:
        code = event.body.feedback_code
        before = await self.store.load(code)
        decision = decide_feedback(before, event, self.calendar)
        if decision is None:  # a redelivery: publish what an interrupted attempt left
            await self._publish(code, await self.store.outbox(code))
        else:
            after = decision.feedback
            old = (
                {t.member for t in feedback_timers(before, self.calendar, self.windows)}
                if before
                else set()
            )
            new = feedback_timers(after, self.calendar, self.windows)
            pending = await self.store.save(
                after,
                bucket=self._bucket(after),
                remove_timers=sorted(old - {t.member for t in new}),
                add_timers=new,
                outbox=[event.model_dump_json() for event in decision.events],
                forget_at=None if after.open else self.clock.now() + self.forget_answered_after,
            )
            if not after.open:
                await self.store.forget_fired(sorted(old))
            await self._publish(code, pending)

    def _bucket(self, feedback: TrackedFeedback) -> str:
        state = feedback_state(feedback, self.clock.now(), self.calendar, self.windows)
        return "" if state is None else f"{feedback.agency_code}|{state}"

    async def _publish(self, code: str, pending: list[str]) -> None:
        """Publish a feedback's outbox, then drop what was published from it."""
        if not pending:
            return
        await self.publisher.publish_raw_many(json_records(FEEDBACK_DEADLINES, code, pending))
        await self.store.clear_outbox(code, len(pending))

    async def sweep(self) -> int:
        """Fire what is due: claim, publish, and only then confirm (a crash in between leaves
        the claim to expire and fire again, with the same event id)."""
        now = self.clock.now()
        await self.store.reclaim_expired(self.lease_clock.now())
        fired = 0
        while True:
            lease_until = self.lease_clock.now() + self.claim_lease
            timers = await self.store.claim_due(now, self.claim_batch, lease_until)
            if not timers:
                break
            tracked = await self.store.load_many(sorted({timer.code for timer in timers}))
            outgoing = []
            confirmed = []
            for timer in timers:
                feedback = tracked.get(timer.code)
                event = fire_feedback(feedback, timer, now)
                bucket = ""
                if event is not None and feedback is not None:
                    outgoing.append((timer.code, event))
                    bucket = f"{feedback.agency_code}|{timer.kind}"
                confirmed.append((timer, bucket))
            if outgoing:
                await self.publisher.publish_many(FEEDBACK_DEADLINES, outgoing)
            await self.store.confirm_fired(confirmed)
            fired += len(outgoing)
            if len(timers) < self.claim_batch:
                break
        await self.store.forget_ended(now)
        return fired

    async def census(self) -> dict[tuple[str, str], int]:
        return await self.store.census()
