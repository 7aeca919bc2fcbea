"""Reading a deployment's history from Kafka: the partitions of a topic, and where its
history starts (`REPLAY_FROM`, or the start of the topics). Used by every replay: the state
guards, intake's rebuild, reporting's rebuild."""

from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition


async def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


async def seek_to_history(
    consumer: Any, partitions: list[TopicPartition], replay_from: datetime | None
) -> None:
    """Seek each partition to the first record at or after `replay_from` (its end if none),
    or to its beginning when the history is the whole topic."""
    if not partitions:
        return
    if replay_from is None:
        await consumer.seek_to_beginning(*partitions)
        return
    millis = int(replay_from.timestamp() * 1000)
    found = await consumer.offsets_for_times(dict.fromkeys(partitions, millis))
    ends = await consumer.end_offsets(partitions)
    for partition in partitions:
        at = found.get(partition)
        consumer.seek(partition, at.offset if at is not None else ends[partition])
