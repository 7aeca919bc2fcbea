"""Deadline's feedback layer on the in-memory store and publisher: the due instant on the
working-time calendar, due soon and overdue once each, the answer judged, redelivery harmless."""

import json
from datetime import datetime, timedelta
from typing import Any

from services.deadline.domain.feedback_tracking import TrackedFeedback
from services.deadline.domain.tracking import Windows
from services.deadline.service.feedback_tracker import FeedbackTracker
from services.deadline.store import InMemoryDeadlineStore
from shared.domain.business_calendar import VIETNAM
from shared.domain.clock import ManualClock
from shared.domain.reference_source import FixedReference
from shared.events.feedback import (
    FeedbackAnswered,
    FeedbackAnsweredBody,
    FeedbackEvent,
    FeedbackReceived,
    FeedbackReceivedBody,
)
from shared.events.topics import FEEDBACK_DEADLINES
from shared.messaging.publishing import InMemoryPublisher

MONDAY = datetime(2026, 3, 2, 9, tzinfo=VIETNAM)
CODE = "PA-260302-00000000AB"
DUE = datetime(2026, 3, 16, 9, tzinfo=VIETNAM)  # 10 working days: two weeks, no holiday


def received(at: datetime = MONDAY) -> FeedbackReceived:
    body = FeedbackReceivedBody(
        feedback_code=CODE, agency_code="UBND.P.SG", category="dossier_handling",
        about="agency", submitter="person", channel="portal", time_limit_days=10,
        limit_source="test", content="...", token_sha256="0" * 64,
    )  # fmt: skip
    return FeedbackReceived(event_id="r", occurred_at=at, recorded_at=at, source="survey",
                            body=body)  # fmt: skip


def answered(at: datetime) -> FeedbackAnswered:
    body = FeedbackAnsweredBody(feedback_code=CODE, agency_code="UBND.P.SG",
                                category="dossier_handling", answered_by="desk",
                                answer="ok")  # fmt: skip
    return FeedbackAnswered(event_id="a", occurred_at=at, recorded_at=at, source="survey",
                            body=body)  # fmt: skip


async def open_counts(h: "Harness") -> dict[tuple[str, str], int]:
    return {bucket: count for bucket, count in (await h.store.census()).items() if count}


class Harness:
    def __init__(self, store: InMemoryDeadlineStore[TrackedFeedback] | None = None) -> None:
        self.store = store or InMemoryDeadlineStore(TrackedFeedback)
        self.clock = ManualClock(MONDAY)
        self.kafka = InMemoryPublisher()
        self.tracker = FeedbackTracker(
            self.store, FixedReference.of(), self.clock, self.kafka, Windows(),
            lease_clock=self.clock,
        )  # fmt: skip

    async def apply(self, event: FeedbackEvent) -> None:
        await self.tracker.apply(event)

    def published(self) -> list[dict[str, Any]]:
        return [json.loads(value or b"{}") for _, _, value, _ in self.kafka.on(FEEDBACK_DEADLINES)]

    def types(self) -> list[str]:
        return [event["type"] for event in self.published()]


async def test_an_unanswered_feedback_warns_then_is_overdue_once_and_its_late_answer_judged() -> (
    None
):
    h = Harness()
    await h.apply(received())
    [deadline_set] = h.published()
    assert datetime.fromisoformat(deadline_set["body"]["due_at"]) == DUE
    h.clock.set(DUE - timedelta(hours=4))  # within the 8 working hours before
    await h.tracker.sweep()
    h.clock.set(DUE + timedelta(days=2))
    await h.tracker.sweep()
    await h.tracker.sweep()
    await h.apply(received())  # redelivered: nothing re-armed
    await h.tracker.sweep()
    assert h.types() == ["FeedbackDeadlineSet", "FeedbackDueSoon", "FeedbackOverdue"]
    await h.apply(answered(DUE + timedelta(days=2)))
    await h.apply(answered(DUE + timedelta(days=2)))  # redelivered: judged once
    judged = h.published()[-1]
    assert h.types()[-1] == "FeedbackClassified"
    assert h.types().count("FeedbackClassified") == 1
    assert judged["body"]["on_time"] is False
    assert await open_counts(h) == {}  # answered: no longer counted as open


async def test_an_answer_before_the_due_instant_is_on_time_and_nothing_fires_after() -> None:
    h = Harness()
    await h.apply(received())
    await h.apply(answered(DUE - timedelta(days=1)))
    h.clock.set(DUE + timedelta(days=5))
    await h.tracker.sweep()
    assert h.types() == ["FeedbackDeadlineSet", "FeedbackClassified"]
    assert h.published()[-1]["body"]["on_time"] is True


async def test_two_instances_sweeping_one_store_fire_the_overdue_once() -> None:
    first = Harness()
    second = Harness(first.store)
    await first.apply(received())
    for h in (first, second):
        h.clock.set(DUE + timedelta(hours=1))
    await first.tracker.sweep()
    await second.tracker.sweep()
    await second.apply(received())  # the other instance sees the receipt again (a rebalance)
    await second.tracker.sweep()
    fired = [t for h in (first, second) for t in h.types() if t == "FeedbackOverdue"]
    assert fired == ["FeedbackOverdue"]
    assert await open_counts(first) == {("UBND.P.SG", "overdue"): 1}
