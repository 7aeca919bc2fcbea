"""Batched offset commits: a consumer's offset is committed only for messages whose handler
returned (at-least-once), but in batches, not one round trip per message.

A batch is committed after `max_pending` processed messages or `max_delay` seconds, whichever
comes first. A crash loses at most the uncommitted batch's commits, never its effects: those
messages are delivered again and the idempotent handlers change nothing.

A partition's committed offset only moves forward. After a rebalance a consumer reads its
partitions again from their committed offsets, and the records it handles then may be older
than ones it had handled and committed before (they were fetched before a commit landed). Their
offsets are not committed: the higher one already stands for them, since a record's offset is
handed in only after its handler returned. Committing them would move the group back, and with
no new message on the partition it would stay there: lag that never drains, on the metrics and
to the audit (found in CI: 2209, then 3817, then 3723 committed, the consumer at 3817).
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0  # after a failed commit


@dataclass
class _Pending:
    consumer: Any
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    committed: dict[TopicPartition, int] = field(default_factory=dict)  # highest, by this consumer
    count: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    timer: asyncio.Task[None] | None = None


class OffsetCommitter:
    def __init__(self, max_pending: int = 500, max_delay: float = 0.2) -> None:
        self.max_pending = max_pending
        self.max_delay = max_delay
        self._by_consumer: dict[int, _Pending] = {}

    async def processed(self, consumer: Any, topic: str, partition: int, offset: int) -> None:
        if not hasattr(consumer, "assignment"):
            return  # FastStream's in-memory test consumer has no offsets to commit
        pending = self._by_consumer.setdefault(id(consumer), _Pending(consumer))
        tp = TopicPartition(topic, partition)
        pending.offsets[tp] = max(offset + 1, pending.offsets.get(tp, 0))  # never back (doc)
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
            if not offsets:
                return
            assigned = pending.consumer.assignment()
            # After a rebalance, a partition may belong to another member now: its messages
            # will be delivered there again, so its offsets are not ours to commit.
            # And an offset at or below one this consumer committed is a record handled again
            # after a rebalance: the group has it already (see the module's doc).
            mine = {
                tp: offset
                for tp, offset in offsets.items()
                if tp in assigned and offset > pending.committed.get(tp, -1)
            }
            if not mine:
                return
            try:
                await pending.consumer.commit(mine)
            except KafkaError as error:
                # Keep them and try again: a partition with no new messages would otherwise
                # keep its old committed offset until the next rebalance (harmless for the
                # data, but the group would look behind to lag metrics and to the audit).
                log.warning(
                    "offset commit failed; retried shortly",
                    extra={"error": repr(error), "partitions": len(mine)},
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

    async def flush_all(self) -> None:
        for pending in list(self._by_consumer.values()):
            if pending.timer is not None and not pending.timer.done():
                pending.timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pending.timer
            await self._flush(pending)
