"""Batched offset commits: a consumer's offset is committed only for messages whose handler
returned (at-least-once), but in batches, not one round trip per message.

A batch is committed after `max_pending` processed messages or `max_delay` seconds, whichever
comes first. A crash loses at most the uncommitted batch's commits, never its effects: those
messages are delivered again and the idempotent handlers change nothing.

Rebalances (`CommitListener`, given to each subscription):
- on revoke, what was handled is committed (under the lock every commit takes, so a commit in
  flight lands first), then the partitions' state is forgotten: what this consumer committed
  before says nothing once another member may have committed since;
- on assign, each partition's mark is seeded from the group's committed offset.

Within one assignment a partition's committed offset only moves forward: a record handled again
(its offset at or below the mark) is not committed, since the mark already stands for it.
Without the reset and the seed, a partition that moved to another member, was committed lower
there, and came back, had its re-read records' commits dropped against the stale mark: the group
stayed behind, silently, until new traffic came (issue 35). Every offset not committed is
logged at WARNING with topic, partition and both offsets.

A commit is bounded by `commit_timeout` (aiokafka retries a coordinator that is loading
without end, and the lock is held meanwhile): on timeout the offsets are kept and tried again.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0  # after a failed commit
COMMIT_TIMEOUT_SECONDS = 10.0


@dataclass
class Progress:
    """What one consumer has handled: the next offset per partition, and when it last did."""

    handled: dict[TopicPartition, int] = field(default_factory=dict)
    last_handled: float = field(default_factory=time.monotonic)  # or assigned


@dataclass
class _Pending:
    consumer: Any
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    committed: dict[TopicPartition, int] = field(default_factory=dict)  # the mark, per partition
    progress: Progress = field(default_factory=Progress)
    count: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    timer: asyncio.Task[None] | None = None


class OffsetCommitter:
    def __init__(
        self,
        max_pending: int = 500,
        max_delay: float = 0.2,
        commit_timeout: float = COMMIT_TIMEOUT_SECONDS,
    ) -> None:
        self.max_pending = max_pending
        self.max_delay = max_delay
        self.commit_timeout = commit_timeout
        self._by_consumer: dict[int, _Pending] = {}

    def _pending(self, consumer: Any) -> _Pending:
        return self._by_consumer.setdefault(id(consumer), _Pending(consumer))

    def listener(self, consumer_of: Callable[[], Any]) -> "CommitListener":
        """The rebalance listener of one subscription; `consumer_of` gives its consumer (the
        subscriber builds it only when it starts)."""
        return CommitListener(self, consumer_of)

    def progress(self, consumer: Any) -> Progress:
        return self._pending(consumer).progress

    def forget(self, consumer: Any) -> None:
        """A consumer that was stopped for good (its subscriber restarted with a new one)."""
        pending = self._by_consumer.pop(id(consumer), None)
        if pending is not None and pending.timer is not None:
            pending.timer.cancel()

    async def processed(self, consumer: Any, topic: str, partition: int, offset: int) -> None:
        if not hasattr(consumer, "assignment"):
            return  # FastStream's in-memory test consumer has no offsets to commit
        pending = self._pending(consumer)
        tp = TopicPartition(topic, partition)
        pending.offsets[tp] = max(offset + 1, pending.offsets.get(tp, 0))
        pending.progress.handled[tp] = max(offset + 1, pending.progress.handled.get(tp, 0))
        pending.progress.last_handled = time.monotonic()
        pending.count += 1
        if pending.count >= self.max_pending:
            await self._flush(pending)
        elif pending.timer is None or pending.timer.done():
            pending.timer = asyncio.create_task(self._flush_later(pending))

    async def _flush_later(self, pending: _Pending, delay: float | None = None) -> None:
        await asyncio.sleep(self.max_delay if delay is None else delay)
        await self._flush(pending)

    async def _flush(self, pending: _Pending) -> None:
        async with pending.lock:
            offsets, pending.offsets, pending.count = pending.offsets, {}, 0
            mine = self._committable(pending, offsets)
            if not mine:
                return
            try:
                async with asyncio.timeout(self.commit_timeout):
                    await pending.consumer.commit(mine)
            except (KafkaError, TimeoutError) as error:
                # Keep them and try again: a partition with no new messages would otherwise
                # keep its old committed offset until the next rebalance.
                log.warning(
                    "offset commit failed; retried in %.0f s",
                    RETRY_SECONDS,
                    extra={"error": repr(error), "offsets": _described(mine)},
                )
                for partition, offset in mine.items():
                    pending.offsets[partition] = max(offset, pending.offsets.get(partition, 0))
                pending.timer = asyncio.create_task(self._flush_later(pending, RETRY_SECONDS))
                return
            pending.committed.update(mine)
            # Offsets handed in while this commit was under way found a timer running (this
            # one, or one waiting for the lock) and started none: make sure one comes for them,
            # or a partition that gets no further message stays behind for good.
            timer = pending.timer
            if pending.offsets and (
                timer is None or timer.done() or timer is asyncio.current_task()
            ):
                pending.timer = asyncio.create_task(self._flush_later(pending))

    @staticmethod
    def _committable(
        pending: _Pending, offsets: dict[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        """The offsets to commit; every other one is logged, never dropped silently."""
        assigned = pending.consumer.assignment()
        mine = {}
        for tp, offset in offsets.items():
            mark = pending.committed.get(tp, -1)
            if tp not in assigned:
                # Another member has the partition now and reads it from the group's offset.
                log.warning(
                    "offset not committed: partition no longer assigned",
                    extra={"topic": tp.topic, "partition": tp.partition, "offset": offset,
                           "committed": mark},
                )  # fmt: skip
            elif offset <= mark:
                log.warning(
                    "offset not committed: at or below the group's committed offset "
                    "(records handled again after a rebalance)",
                    extra={"topic": tp.topic, "partition": tp.partition, "offset": offset,
                           "committed": mark},
                )  # fmt: skip
            else:
                mine[tp] = offset
        return mine

    async def revoked(self, consumer: Any, partitions: Iterable[TopicPartition]) -> None:
        """Commit what was handled, then forget the partitions (see the module's doc)."""
        pending = self._by_consumer.get(id(consumer))
        if pending is None:
            return
        await self._flush(pending)
        async with pending.lock:
            for tp in partitions:
                pending.committed.pop(tp, None)
                pending.offsets.pop(tp, None)
                pending.progress.handled.pop(tp, None)

    async def assigned(self, consumer: Any, partitions: Iterable[TopicPartition]) -> None:
        """Seed each partition's mark from the group's committed offset."""
        pending = self._pending(consumer)
        pending.progress.last_handled = time.monotonic()  # a fresh start for the watchdog
        for tp in partitions:
            committed = await consumer.committed(tp)
            async with pending.lock:
                if committed is None:
                    pending.committed.pop(tp, None)
                    continue
                pending.committed[tp] = committed
                pending.progress.handled[tp] = committed

    async def flush_all(self) -> None:
        for pending in list(self._by_consumer.values()):
            if pending.timer is not None and not pending.timer.done():
                pending.timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pending.timer
            await self._flush(pending)


class CommitListener(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    """aiokafka calls it around each rebalance, from the consumer's coordination task."""

    def __init__(self, committer: OffsetCommitter, consumer_of: Callable[[], Any]) -> None:
        self.committer = committer
        self.consumer_of = consumer_of

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        consumer = self.consumer_of()
        if consumer is not None and revoked:
            await self.committer.revoked(consumer, revoked)
            log.debug(
                "partitions revoked: handled offsets committed",
                extra={"partitions": _names(revoked)},
            )

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer = self.consumer_of()
        if consumer is not None:
            await self.committer.assigned(consumer, assigned)


def _names(partitions: Iterable[TopicPartition]) -> str:
    return ",".join(sorted(f"{tp.topic}[{tp.partition}]" for tp in partitions))


def _described(offsets: dict[TopicPartition, int]) -> str:
    return ",".join(sorted(f"{tp.topic}[{tp.partition}]@{o}" for tp, o in offsets.items()))
