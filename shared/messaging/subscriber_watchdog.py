"""A watchdog per subscriber: a consumer that stops handling while records wait is noticed,
logged, counted and restarted, and `/health` says so meanwhile.

A subscriber is
- `consuming` while it handles what arrives, or has nothing to handle;
- `stalled` when records have waited on its partitions for `stalled_after` seconds (default
  60) with no batch handled, or when its consume loop has ended. It is restarted (its consumer
  stopped, a new one started: the group gives it partitions again, read from the committed
  offsets), and stays `stalled` until it handles a batch;
- `not in group` while it holds no partition (a rebalance under way, or a consumer that left
  its group). Past `stalled_after` it is restarted too.

Nothing the watchdog does loses a record: a restarted subscriber reads again from the group's
committed offsets, which only ever stand for handled records (shared/messaging/offset_commits.py).
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.messaging.broker_factory import kafka_consumers
from shared.messaging.offset_commits import OffsetCommitter

log = logging.getLogger(__name__)
CONSUMING, STALLED, NOT_IN_GROUP = "consuming", "stalled", "not in group"


@dataclass
class SubscriberState:
    status: str = CONSUMING
    reason: str = ""
    behind_since: float | None = None  # records waiting since, with no batch handled
    unassigned_since: float | None = None


class SubscriberWatchdog:
    def __init__(
        self,
        subscribers: list[Any],
        committer: OffsetCommitter,
        registry: CollectorRegistry,
        stalled_after: float = 60.0,
    ) -> None:
        self.subscribers = subscribers
        self.committer = committer
        self.stalled_after = stalled_after
        self.interval = min(5.0, stalled_after / 4)
        self.states: dict[str, SubscriberState] = {}
        self.restarts = Counter(
            "kafka_subscriber_restarts",
            "Subscribers restarted by their watchdog (stalled, or out of their group)",
            ["subscriber"],
            registry=registry,
        )
        self.stalled = Gauge(
            "kafka_subscriber_stalled",
            "1 while a subscriber is stalled or out of its group (see /health), else 0",
            ["subscriber"],
            registry=registry,
        )

    def state(self, subscriber: Any) -> SubscriberState:
        return self.states.setdefault(name_of(subscriber), SubscriberState())

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            for subscriber in self.subscribers:
                await self.check(subscriber)

    async def check(self, subscriber: Any) -> None:
        consumers = kafka_consumers(subscriber)
        if not consumers:
            return  # not started yet, or being restarted
        state, now = self.state(subscriber), time.monotonic()
        waiting = await self._waiting(subscriber, consumers[0], state, now)
        self.stalled.labels(name_of(subscriber)).set(0 if state.status == CONSUMING else 1)
        if waiting:
            await self.restart(subscriber, consumers[0], waiting)

    async def _waiting(
        self, subscriber: Any, consumer: Any, state: SubscriberState, now: float
    ) -> str:
        """Update the subscriber's state; return why it must be restarted, or ''."""
        progress = self.committer.progress(consumer)
        if not _loop_alive(subscriber):
            state.status, state.reason = STALLED, "its consume loop has ended"
            return state.reason
        assigned = consumer.assignment()
        if not assigned:
            state.unassigned_since = state.unassigned_since or now
            state.status, state.reason = NOT_IN_GROUP, "no partition assigned"
            if now - state.unassigned_since >= self.stalled_after:
                return f"no partition assigned for {now - state.unassigned_since:.0f} s"
            return ""
        state.unassigned_since = None
        behind = await _behind(consumer, assigned, progress.handled)
        if not behind:
            state.behind_since = None
            state.status, state.reason = CONSUMING, ""
            return ""
        state.behind_since = state.behind_since or now
        quiet = now - max(state.behind_since, progress.last_handled)
        if quiet < self.stalled_after:
            if state.status == NOT_IN_GROUP:
                state.status, state.reason = CONSUMING, ""
            return ""  # records wait, but it handled a batch within the time
        state.status = STALLED
        state.reason = f"no batch handled for {quiet:.0f} s with records waiting: {behind}"
        return state.reason

    async def restart(self, subscriber: Any, consumer: Any, reason: str) -> None:
        name = name_of(subscriber)
        log.error(
            "subscriber stalled; restarting it",
            extra={"subscriber": name, "reason": reason},
        )
        self.restarts.labels(name).inc()
        self.stalled.labels(name).set(1)
        try:
            async with asyncio.timeout(60):
                await subscriber.stop()  # cancels the stuck handler; its records are read again
        except Exception as error:  # a consumer that cannot leave cleanly is left to Kafka
            log.warning("subscriber stop failed", extra={"subscriber": name, "error": repr(error)})
        self.committer.forget(consumer)
        await subscriber.start()
        state = self.state(subscriber)
        state.behind_since = time.monotonic()  # a fresh start: the time runs from now
        state.unassigned_since = None


def name_of(subscriber: Any) -> str:
    return ",".join(subscriber.topic_names)


def _loop_alive(subscriber: Any) -> bool:
    tasks = getattr(subscriber, "tasks", None)
    if not tasks:
        return True  # a subscriber without handlers, or FastStream's in-memory test broker
    return any(not task.done() for task in tasks)


async def _behind(
    consumer: Any, assigned: set[TopicPartition], handled: dict[TopicPartition, int]
) -> str:
    """The partitions with records not yet handled, as `topic[partition]@handled/end`."""
    try:
        async with asyncio.timeout(10):
            ends = await consumer.end_offsets(list(assigned))
        unknown = [tp for tp in assigned if tp not in handled]
        # a new group, nothing handled or committed yet: it starts at the partition's start
        starts = await consumer.beginning_offsets(unknown) if unknown else {}
    except Exception as error:  # the broker does not answer: that is for /health's kafka
        log.warning("end offsets not read", extra={"error": repr(error)})
        return ""
    behind = []
    for tp in sorted(assigned, key=lambda tp: (tp.topic, tp.partition)):
        done = handled.get(tp, starts.get(tp, 0))
        if ends.get(tp, 0) > done:
            behind.append(f"{tp.topic}[{tp.partition}]@{done}/{ends[tp]}")
    return ",".join(behind)
