"""Reading the real broker from tests: committed offsets, and records of a topic."""

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.support.kafka_clients import kafka_options


async def committed_offset(bootstrap: str, group: str, topic: str, partition: int) -> int:
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap))
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
        topic, **kafka_options(bootstrap), auto_offset_reset="earliest", enable_auto_commit=False
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


class TopicTail:
    """Collects what is written to a topic from the moment it starts (no consumer group)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = AIOKafkaConsumer(
            topic, **kafka_options(bootstrap), auto_offset_reset="latest", enable_auto_commit=False
        )
        self.records: list[ConsumerRecord[Any, Any]] = []

    async def __aenter__(self) -> "TopicTail":
        async with asyncio.timeout(60):  # a stuck broker connection: TimeoutError, not a hang
            await self.consumer.start()
            partitions = list(self.consumer.assignment())
            # Pin the starting positions now, so nothing written after this line is missed.
            for partition, offset in (await self.consumer.end_offsets(partitions)).items():
                self.consumer.seek(partition, offset)
        return self

    async def __aexit__(self, *exc: object) -> None:
        async with asyncio.timeout(30):  # runs while a failed test unwinds: never hang there
            await self.consumer.stop()

    async def poll(self) -> list[ConsumerRecord[Any, Any]]:
        batch = await self.consumer.getmany(timeout_ms=100)
        for records in batch.values():
            self.records.extend(records)
        return self.records

    def values_for(self, key: str) -> list[Any]:
        import json

        return [json.loads(r.value) for r in self.records if r.key == key.encode()]


async def start_group_at_end(bootstrap: str, group: str, *topics: str) -> None:
    """Commit the current end of `topics` for a new consumer group, so a test's service reads
    only what the test writes (a new group would otherwise replay the topics' whole history)."""
    async with asyncio.timeout(60):  # a stuck coordinator: TimeoutError, not a hang
        await _start_group_at_end(bootstrap, group, *topics)


async def _start_group_at_end(bootstrap: str, group: str, *topics: str) -> None:
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap))
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    partitions = [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        for partition in topic["partitions"]
    ]
    consumer = AIOKafkaConsumer(
        **kafka_options(bootstrap), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit(dict(ends.items()))
    finally:
        await consumer.stop()
