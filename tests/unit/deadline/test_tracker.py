"""The deadline service layer on the in-memory store and publisher: no Redis, no Kafka."""

import dataclasses
import json
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry

from services.deadline.domain.tracking import TrackedDossier, Windows
from services.deadline.metrics import DeadlineMetrics
from services.deadline.service.tracker import DeadlineTracker, TrackerConfig
from services.deadline.store import InMemoryDeadlineStore, Parked
from shared.domain.business_calendar import VIETNAM, BusinessCalendar, CalendarOverrides
from shared.domain.clock import ManualClock
from shared.domain.reference_log import Reference
from shared.domain.reference_source import FixedReference
from shared.events.dossier import DossierEvent
from shared.events.topics import DEADLINE_EVENTS, DOSSIER_EVENTS, dead_letter_topic
from shared.messaging.publishing import InMemoryPublisher
from tests.support import dossier_events as ev

MONDAY = datetime(2026, 3, 2, 8, tzinfo=VIETNAM)
CODE = "UBND.Q1-260302-0001"
GRACE = timedelta(days=7)


class CatchingUp(FixedReference):
    """A follower still behind intake: it reaches the day off at `revision` when asked to."""

    def __init__(self, revision: int) -> None:
        super().__init__(FixedReference.of().current)
        self.revision, self.asked = revision, list[int | None]()

    async def at_least(self, revision: int | None) -> Reference:
        self.asked.append(revision)
        if revision is not None and revision >= self.revision:
            tuesday = (MONDAY + timedelta(days=1)).date()
            calendar = BusinessCalendar(overrides=CalendarOverrides({tuesday: "nghỉ bù"}))
            self.replace(dataclasses.replace(FixedReference.of(calendar=calendar).current,
                                             revision=revision))  # fmt: skip
        return self.current


class Harness:
    def __init__(self, reference: FixedReference | None = None) -> None:
        self.store = InMemoryDeadlineStore(TrackedDossier)
        self.clock = ManualClock(MONDAY)
        self.kafka = InMemoryPublisher()
        config = TrackerConfig(
            windows=Windows(), park_for=timedelta(minutes=5), claim_batch=100,
            claim_lease=timedelta(minutes=1), consumer_group="deadline",
            forget_ended_after=GRACE,
        )  # fmt: skip
        self.tracker = DeadlineTracker(
            self.store, reference or FixedReference.of(), self.clock, self.kafka,
            DeadlineMetrics.register(CollectorRegistry()), config, lease_clock=self.clock,
        )  # fmt: skip
        self.offset = 0

    async def apply(self, event: DossierEvent) -> None:
        self.offset += 1
        await self.tracker.apply(event, Parked(event.model_dump_json(), 0, self.offset))

    def published(self) -> list[str]:
        return [json.loads(value or b"{}")["type"] for _, _, value, _ in
                self.kafka.on(DEADLINE_EVENTS)]  # fmt: skip


async def test_a_late_dossier_fires_its_warnings_once_and_ends_classified_late() -> None:
    h = Harness()
    await h.apply(ev.received(CODE, MONDAY, amount=3, appointment_at=MONDAY + timedelta(days=3)))
    assert h.published() == ["DeadlineSet"]
    assert await h.tracker.sweep() == 0
    h.clock.advance(timedelta(days=4))  # Friday: past three working days
    fired = await h.tracker.sweep()
    assert await h.tracker.sweep() == 0
    assert sorted(h.published()) == sorted(
        ["DeadlineSet", "DossierDueSoon", "DossierOverdue", "ApologyReminder"]
    )
    assert fired == 3
    await h.apply(ev.resolved(CODE, h.clock.now()))
    classified = json.loads(h.kafka.on(DEADLINE_EVENTS)[-1][2] or b"{}")
    assert classified["type"] == "DossierClassified"
    assert classified["body"]["classification"] == "late"


async def test_a_redelivered_event_publishes_nothing_new() -> None:
    h = Harness()
    receipt = ev.received(CODE, MONDAY, amount=3)
    await h.apply(receipt)
    await h.apply(receipt)
    assert h.published() == ["DeadlineSet"]


async def test_an_ended_dossier_is_kept_for_its_grace_then_forgotten() -> None:
    h = Harness()
    await h.apply(ev.received(CODE, MONDAY, amount=3))
    await h.apply(ev.resolved(CODE, MONDAY + timedelta(hours=2)))
    h.clock.advance(GRACE - timedelta(minutes=1))
    await h.tracker.sweep()
    assert await h.store.load(CODE) is not None
    h.clock.advance(timedelta(minutes=1))
    await h.tracker.sweep()
    assert await h.store.load(CODE) is None
    assert h.store.schedule == {}
    assert h.store.fired == set()


async def test_an_event_before_its_receipt_waits_for_it() -> None:
    h = Harness()
    await h.apply(ev.resolved(CODE, MONDAY + timedelta(hours=2)))
    assert h.published() == []
    await h.apply(ev.received(CODE, MONDAY, amount=3))
    assert h.published() == ["DeadlineSet", "DossierClassified"]
    assert await h.store.parked(CODE) == []


async def test_an_event_whose_receipt_never_comes_is_dead_lettered_with_the_reason() -> None:
    h = Harness()
    await h.apply(ev.resolved(CODE, MONDAY))
    h.clock.advance(timedelta(minutes=5))
    await h.tracker.sweep()
    [(_, key, _, headers)] = h.kafka.on(dead_letter_topic(DOSSIER_EVENTS))
    assert key == CODE.encode()
    assert "no DossierReceived" in headers["x-dlq-reason"]
    assert await h.store.parked(CODE) == []


async def test_a_due_date_is_computed_with_at_least_the_calendar_intake_decided_with() -> None:
    reference = CatchingUp(revision=7)
    h = Harness(reference)
    received = ev.received(CODE, MONDAY, amount=3, appointment_at=MONDAY + timedelta(days=4))
    stamped = received.body.model_copy(update={"reference_revision": 7})
    await h.apply(received.model_copy(update={"body": stamped}))
    assert reference.asked == [7]
    (_, _, value, _) = h.kafka.on(DEADLINE_EVENTS)[0]
    due = datetime.fromisoformat(json.loads(value or b"{}")["body"]["due_at"])
    assert due.astimezone(VIETNAM).date() == (MONDAY + timedelta(days=4)).date()  # Tuesday off
