"""The commit sequence of issue 35, on the real broker, with the committer and its rebalance
listener as the services use them:

consumer A handles 0-99 and commits 100; the partition leaves A for B, whose committed-offset
fetch was stale, so B commits 95; the partition comes back to A, which reads 95-99 again.
A must commit 100 again. Before the listener, A kept its own "highest committed" (100) across
the rebalance and dropped those commits without a word: the group stayed at 95 until new
traffic came (the "reporting group stops committing" seen in test runs)."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.messaging.offset_commits import OffsetCommitter
from tests.support.kafka_clients import kafka_options
from tests.support.kafka_probe import committed_offset
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
async def topic(kafka_topics: str) -> AsyncIterator[str]:
    name = f"test-commits-{uuid.uuid4().hex[:10]}"
    admin = AIOKafkaAdminClient(**kafka_options(kafka_topics))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
        producer = AIOKafkaProducer(**kafka_options(kafka_topics))
        await producer.start()
        try:
            for offset in range(100):
                await producer.send(name, f"record {offset}".encode())
            await producer.flush()
        finally:
            await producer.stop()
        yield name
        await admin.delete_topics([name])
    finally:
        await admin.close()


async def handle_until(
    consumer: AIOKafkaConsumer, committer: OffsetCommitter, end: int, tp: TopicPartition
) -> list[int]:
    """Read and hand in records until `end`, as the delivery middleware does after a handler."""
    handled: list[int] = []

    async def reached() -> bool:
        batch = await consumer.getmany(timeout_ms=200)
        for record in batch.get(tp, []):
            handled.append(record.offset)
            await committer.processed(consumer, record.topic, record.partition, record.offset)
        return bool(handled) and handled[-1] == end - 1

    await wait_for(reached, within=60, what=f"records up to {end}")
    return handled


async def test_records_read_again_after_the_partition_came_back_are_committed(
    kafka_topics: str, topic: str
) -> None:
    bootstrap, group = kafka_topics, f"test-commits-{uuid.uuid4().hex[:10]}"
    tp = TopicPartition(topic, 0)
    committer = OffsetCommitter(max_pending=1_000, max_delay=0.05)
    options = kafka_options(bootstrap) | {
        "group_id": group, "enable_auto_commit": False, "auto_offset_reset": "earliest",
    }  # fmt: skip

    async def group_at(offset: int) -> bool:
        return await committed_offset(bootstrap, group, topic, 0) == offset

    a = AIOKafkaConsumer(**options, client_id="consumer-a")
    a.subscribe([topic], listener=committer.listener(lambda: a))
    await a.start()
    try:
        assert await handle_until(a, committer, 100, tp) == list(range(100))
        await wait_for(lambda: group_at(100), within=30, what="A's commit of 100")

        a.unsubscribe()  # A leaves the group: the partition moves to B
        b = AIOKafkaConsumer(**options, client_id="consumer-b")
        await b.start()
        try:
            b.subscribe([topic])
            await wait_for(_assigned(b, tp), within=60, what="B to be assigned the partition")
            await b.commit({tp: 95})  # B's fetch of the committed offset was stale
        finally:
            await b.stop()  # B leaves; the partition comes back to A
        assert await group_at(95)

        a.subscribe([topic], listener=committer.listener(lambda: a))
        assert await handle_until(a, committer, 100, tp) == [95, 96, 97, 98, 99]
        await wait_for(lambda: group_at(100), within=30, what="A's commit of 100 again")
    finally:
        await committer.flush_all()
        await a.stop()


def _assigned(consumer: AIOKafkaConsumer, tp: TopicPartition) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        await consumer.getmany(timeout_ms=100)  # drives the group membership
        return tp in consumer.assignment()

    return check
