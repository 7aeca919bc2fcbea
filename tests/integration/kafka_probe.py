"""Reading the real broker from tests: committed offsets, and records of a topic."""

from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def committed_offset(bootstrap: str, group: str, topic: str, partition: int) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    found = offsets.get(TopicPartition(topic, partition))
    return -1 if found is None else int(found.offset)


async def read_all(bootstrap: str, topic: str) -> list[ConsumerRecord[Any, Any]]:
    """Every record currently in `topic`, from the beginning, without a consumer group."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = list(consumer.assignment())
        assert partitions, f"topic {topic} has no partitions assigned"
        end = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[Any, Any]] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
        return records
    finally:
        await consumer.stop()
