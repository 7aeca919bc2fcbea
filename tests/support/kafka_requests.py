"""Requests sent to intake over Kafka as a frontend or partner does, and their dead letters."""

import json
from typing import Any

from aiokafka import AIOKafkaProducer

from tests.support.kafka_clients import kafka_options
from tests.support.kafka_probe import TopicTail
from tests.support.waiting import wait_for


async def send(bootstrap: str, topic: str, key: str, value: Any, api_key: str | None) -> None:
    producer = AIOKafkaProducer(**kafka_options(bootstrap))
    await producer.start()
    try:
        headers = [] if api_key is None else [("x-api-key", api_key.encode())]
        payload = value if isinstance(value, bytes) else json.dumps(value).encode()
        await producer.send_and_wait(topic, payload, key=key.encode(), headers=headers)
    finally:
        await producer.stop()


async def dead_letter_for(tail: TopicTail, key: str) -> dict[str, str]:
    async def found() -> dict[str, str] | None:
        await tail.poll()
        for record in tail.records:
            if record.key == key.encode():
                return {name: value.decode() for name, value in record.headers}
        return None

    return await wait_for(found, within=30, what=f"dead letter {key}")
