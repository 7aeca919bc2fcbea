"""aiokafka 0.14 against the project's Kafka 4.x: idempotent producer and transactions work."""

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.kafka_clients import kafka_options
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


async def test_idempotent_transactional_producer_commits_and_aborts(
    kafka_topics: str, unique: str
) -> None:
    topic = f"test.transactions.{unique}"
    admin = AIOKafkaAdminClient(**kafka_options(kafka_topics))
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    await admin.close()

    producer = AIOKafkaProducer(
        **kafka_options(kafka_topics),
        enable_idempotence=True,
        transactional_id=f"test-tx-{unique}",
    )
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(topic, b"committed-1", key=b"k")
            await producer.send_and_wait(topic, b"committed-2", key=b"k")
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"aborted", key=b"k")
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send_and_wait(topic, b"committed-3", key=b"k")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        **kafka_options(kafka_topics),
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[bytes] = []
    try:

        async def three_committed() -> bool:
            batch = await consumer.getmany(timeout_ms=200)
            seen.extend(record.value for records in batch.values() for record in records)
            return len(seen) >= 3

        await wait_for(three_committed, within=30, what="the committed records")
    finally:
        await consumer.stop()
    assert seen == [b"committed-1", b"committed-2", b"committed-3"]
