"""intake rebuilds its Redis state from its changelog topics (services/intake/service/changelog.py)
when Redis comes back without it, as deadline, survey and reporting replay theirs.

The store is whole while `{prefix}:ready` exists. Every read and commit checks it in the same
round trip, so once Redis has lost its data intake answers 503 (Retry-After) and its Kafka
handlers retry: never a wrong answer, never a code handed out twice. One instance claims the
rebuild, waits out the publishes in flight (`grace`: an outbox being published when Redis
was lost lands on Kafka by then, or fails and its request was answered with an error), reads
the changelogs from the start of the deployment's history (`REPLAY_FROM`) to their ends,
restores dossiers, applicants, answers within the idempotency window and each agency's daily
sequence (the highest code the log holds), and marks the store ready. On an empty deployment
the same path runs once, over empty topics.
"""

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition
from redis.exceptions import RedisError

from services.intake.service.changelog import CHANGELOGS, SnapshotBuilder, summary
from services.intake.store import IntakeStore
from shared.domain.clock import Clock
from shared.messaging.history import partitions_of, seek_to_history
from shared.messaging.kafka_access import KafkaAccess

log = logging.getLogger(__name__)
CLAIM_SECONDS = 120


class IntakeRebuild:
    def __init__(
        self,
        store: IntakeStore,
        access: KafkaAccess,
        clock: Clock,
        *,
        replay_from: datetime | None,
        answer_window: timedelta,
        grace_seconds: float,
        interval: float = 1.0,
    ) -> None:
        self.store = store
        self.access = access
        self.clock = clock
        self.replay_from = replay_from
        self.answer_window = answer_window
        self.grace_seconds = grace_seconds
        self.interval = interval
        self.owner = uuid.uuid4().hex
        self.rebuilds = 0
        self.seen_ready = False  # this process worked on a whole store (so a loss is a wipe)

    async def run(self) -> None:
        """Check readiness every `interval`; rebuild when it is gone."""
        while True:
            try:
                if await self.store.is_ready():
                    self.seen_ready = True
                else:
                    # At start-up, no publish of this process can be in flight.
                    await self.rebuild_if_claimed(self.grace_seconds if self.seen_ready else 0)
            except (RedisError, OSError) as error:
                log.warning("intake readiness check failed", extra={"error": repr(error)})
            await asyncio.sleep(self.interval)

    async def rebuild_if_claimed(self, grace_seconds: float) -> bool:
        if not await self.store.claim_rebuild(self.owner, CLAIM_SECONDS):
            return False  # another instance rebuilds; requests wait for its `ready`
        log.warning("intake's Redis state is missing; rebuilding it from Kafka")
        started = time.monotonic()
        await asyncio.sleep(grace_seconds)
        builder = await self.read_changelogs()
        snapshot = builder.done()
        await self.store.restore(snapshot, self.clock.now())
        await self.store.mark_ready()
        self.seen_ready = True  # from now on, requests are answered from this store
        self.rebuilds += 1
        log.warning(
            "intake rebuilt from Kafka in %.1fs: %s", time.monotonic() - started, summary(builder)
        )
        return True

    async def read_changelogs(self) -> SnapshotBuilder:
        builder = SnapshotBuilder(self.answer_window)
        consumer = AIOKafkaConsumer(
            **self.access.client_options(),
            group_id=None,
            enable_auto_commit=False,
            client_id=f"intake-rebuild-{self.owner[:8]}",
        )
        await consumer.start()
        try:
            partitions = [
                TopicPartition(topic, partition)
                for topic in CHANGELOGS
                for partition in sorted(await partitions_of(consumer, topic))
            ]
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await seek_to_history(consumer, partitions, self.replay_from)
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for tp, records in batches.items():
                    for record in records:
                        if record.offset < ends[tp]:
                            at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
                            builder.add(tp.topic, record.key, record.value, at)
        finally:
            await consumer.stop()
        return builder
