"""Following `catalogue.events.v1`: a group-less reader that folds the log from its beginning
and keeps folding while the service runs, so a change made through intake's admin routes is
in force everywhere within moments, without a restart.

`start()` reads up to the end the log had when the service started (the service is not ready
before), `run()` follows it, and `at_least(revision)` waits until the fold has reached a
position, which is how deadline computes with the calendar intake used.
"""

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.domain.reference_log import Reference, ReferenceBook
from shared.errors import ReferenceNotCurrentError
from shared.events.topics import CATALOGUE_EVENTS
from shared.messaging.kafka_access import KafkaAccess

log = logging.getLogger(__name__)


class ReferenceFollower:
    def __init__(
        self,
        access: KafkaAccess,
        client_id: str,
        *,
        topic: str = CATALOGUE_EVENTS,
        wait_seconds: float = 30,
    ) -> None:
        self.access = access
        self.client_id = client_id
        self.topic = topic
        self.partition = TopicPartition(topic, 0)  # one partition: one order of changes
        self.wait_seconds = wait_seconds
        self.book = ReferenceBook()
        self._current = self.book.reference()
        self._moved = asyncio.Condition()
        self._consumer: AIOKafkaConsumer | None = None
        self._following = False  # run() is folding; before it does, a waiter folds itself

    @property
    def current(self) -> Reference:
        return self._current

    async def start(self) -> None:
        """Connect, and fold the log up to the end it has now."""
        consumer = AIOKafkaConsumer(
            **self.access.client_options(),
            group_id=None,
            enable_auto_commit=False,
            client_id=self.client_id,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        consumer.assign([self.partition])
        await consumer.seek_to_beginning(self.partition)
        self._consumer = consumer
        started = time.monotonic()
        end = await self.end_offset()
        while self.book.revision < end:
            await self._fold_once(timeout_ms=500)
        log.info("catalogue folded in %.2fs: %d entries, revision %d, %d skipped",
                 time.monotonic() - started, len(self.book.entries), self.book.revision,
                 self.book.skipped)  # fmt: skip

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def run(self) -> None:
        """Follow the log while the service runs."""
        self._following = True
        try:
            while True:
                await self._fold_once(timeout_ms=1000)
        finally:
            self._following = False

    async def end_offset(self) -> int:
        consumer = self._require_consumer()
        return int((await consumer.end_offsets([self.partition]))[self.partition])

    async def sync(self) -> Reference:
        """The reading that includes every record the log has now (read your writes)."""
        return await self.at_least(await self.end_offset())

    async def at_least(self, revision: int | None) -> Reference:
        if revision is None or self._current.revision >= revision:
            return self._current
        deadline = time.monotonic() + self.wait_seconds
        while not self._following and self._current.revision < revision:
            if time.monotonic() > deadline:
                raise ReferenceNotCurrentError(
                    f"catalogue revision {revision} not read within {self.wait_seconds}s"
                )
            await self._fold_once(timeout_ms=200)  # at start-up, before run() follows
        async with self._moved:
            while self._current.revision < revision:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ReferenceNotCurrentError(
                        f"catalogue revision {revision} not read within {self.wait_seconds}s "
                        f"(at {self._current.revision})"
                    )
                try:
                    await asyncio.wait_for(self._moved.wait(), left)
                except TimeoutError:
                    continue
        return self._current

    async def _fold_once(self, timeout_ms: int) -> None:
        consumer = self._require_consumer()
        batches = await consumer.getmany(self.partition, timeout_ms=timeout_ms, max_records=5000)
        records = [(r.offset, r.key, r.value) for r in batches.get(self.partition, [])]
        self.book.add_batch(records)
        self.book.advance_to(await consumer.position(self.partition))
        if self.book.revision != self._current.revision:
            self._current = self.book.reference()
            async with self._moved:
                self._moved.notify_all()

    def _require_consumer(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise RuntimeError("ReferenceFollower used before start()")
        return self._consumer
