"""Publishing events and dead letters.

`KafkaEventPublisher` is what services use: its own idempotent aiokafka producer, which sends
about three times faster than a publish through FastStream's middleware chain (measured in
bench/deadline_timers.py). `BrokerEventPublisher` publishes through a FastStream broker, so
tests on FastStream's in-memory `TestKafkaBroker` see what is published. `InMemoryPublisher`
keeps what is published in a list, for the service layers' unit tests on in-memory stores.
"""

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from shared.events.topics import dead_letter_topic
from shared.messaging.kafka_access import KafkaAccess

JSON_HEADER = {"content-type": "application/json"}  # a record's headers, as text
JSON_HEADERS = [(name, value.encode()) for name, value in JSON_HEADER.items()]  # as sent
# topic, key, value (None: a tombstone), headers
RawRecord = tuple[str, bytes | None, bytes | None, dict[str, str]]


def json_records(topic: str, key: str, values: Sequence[str]) -> list[RawRecord]:
    """Events already serialized (an outbox's entries) as records, sent as they were stored:
    parsing them only to serialize them again cost a service's CPU and changed nothing."""
    encoded_key = key.encode()
    return [(topic, encoded_key, value.encode(), JSON_HEADER) for value in values]


API_KEY_HEADER = "x-api-key"
# On a dead letter: the SHA-256 of the key the message came with (never the key itself).
DLQ_KEY_HASH_HEADER = "x-dlq-api-key-sha256"
# On a redriven message: the SHA-256 of the original client's key ("" for none), whose rights
# it is handled with; accepted only beside an admin-scope `x-api-key`.
REDRIVE_FOR_HEADER = "x-redrive-for-key-sha256"
REDRIVE_OF_HEADER = "x-redrive-of"  # the dead letter it was redriven from: topic:partition:offset


def carried_headers(original: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    """What a dead letter keeps of the failed message's headers: all of them but the API key,
    which becomes its hash (a redriven message's original client stays the client)."""
    carried: dict[str, str] = {}
    redriven_for = None
    for name, value in original:
        text = (value or b"").decode("utf-8", "replace")
        if name == API_KEY_HEADER:
            carried[DLQ_KEY_HASH_HEADER] = hashlib.sha256(value or b"").hexdigest()
        elif name == REDRIVE_FOR_HEADER:
            redriven_for = text
        elif not name.startswith(("x-dlq-", "x-redrive-")):
            carried[name] = text
    if redriven_for is not None:
        if redriven_for:
            carried[DLQ_KEY_HASH_HEADER] = redriven_for
        else:
            carried.pop(DLQ_KEY_HASH_HEADER, None)
    return carried


def dead_letter_headers(
    reason: str,
    source_topic: str,
    *,
    consumer_group: str,
    failed_at: datetime,
    partition: int | None,
    offset: int | None,
) -> dict[str, str]:
    return {
        "x-dlq-reason": reason[:2000],
        "x-dlq-source-topic": source_topic,
        "x-dlq-source-partition": "" if partition is None else str(partition),
        "x-dlq-source-offset": "" if offset is None else str(offset),
        "x-dlq-consumer-group": consumer_group,
        "x-dlq-failed-at": failed_at.isoformat(),
    }


class EventPublisher(Protocol):
    async def publish(self, topic: str, key: str, event: BaseModel) -> None: ...

    async def publish_many(
        self, topic: str, keyed_events: Sequence[tuple[str, BaseModel]]
    ) -> None: ...

    async def enqueue_many(
        self, topic: str, keyed_events: Sequence[tuple[str, BaseModel]]
    ) -> "asyncio.Future[Any]": ...

    async def publish_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]
    ) -> None: ...

    async def publish_raw_many(self, records: Sequence[RawRecord]) -> None: ...


OWN_BATCH_FROM = 64  # events in one call from which they get producer batches of their own


class KafkaEventPublisher:
    def __init__(self, access: KafkaAccess, client_id: str, request_timeout_ms: int = 40_000):
        self.access = access
        self.client_id = client_id
        self.request_timeout_ms = request_timeout_ms
        self._producer: AIOKafkaProducer | None = None
        self._partitioner = DefaultPartitioner()

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("KafkaEventPublisher used before start()")
        return self._producer

    async def start(self) -> None:
        # aiokafka binds a producer to the running loop, so it is built here, not in __init__.
        self._producer = AIOKafkaProducer(
            **self.access.client_options(),
            client_id=self.client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=0,
            max_batch_size=256 * 1024,
            request_timeout_ms=self.request_timeout_ms,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, topic: str, key: str, event: BaseModel) -> None:
        await self.producer.send_and_wait(
            topic, event.model_dump_json().encode(), key=key.encode(), headers=JSON_HEADERS
        )

    async def publish_many(self, topic: str, keyed_events: Sequence[tuple[str, BaseModel]]) -> None:
        await (await self.enqueue_many(topic, keyed_events))

    async def enqueue_many(
        self, topic: str, keyed_events: Sequence[tuple[str, BaseModel]]
    ) -> "asyncio.Future[Any]":
        """Hand every event to the producer; return a future of all their acknowledgements.
        Events enqueued by an earlier call are ordered before this call's; order is kept per
        key. A few events join the producer's open batches (shared with every concurrent
        caller: a batch of dossiers handled at once); many (a sweep's burst) are built into
        batches of their own, one per partition (keys hashed as Kafka's default partitioner
        does), which saves the per-record append. (A batch of its own waits for the
        partition's previous batch to be sent, so many small ones would queue behind each
        other, one produce request each.)"""
        if len(keyed_events) < OWN_BATCH_FROM:
            sent = [
                await self.producer.send(
                    topic, event.model_dump_json().encode(), key=key.encode(),
                    headers=JSON_HEADERS,
                )
                for key, event in keyed_events
            ]  # fmt: skip
            return asyncio.gather(*sent)
        partitions = sorted(await self.producer.partitions_for(topic))
        batches: dict[int, Any] = {}
        pending: list[asyncio.Future[Any]] = []
        for key, event in keyed_events:
            encoded_key = key.encode()
            partition = self._partitioner(encoded_key, partitions, partitions)
            value = event.model_dump_json().encode()
            batch = batches.get(partition)
            if batch is not None and self._append(batch, encoded_key, value):
                continue
            if batch is not None:
                pending.append(await self.producer.send_batch(batch, topic, partition=partition))
            batch = batches[partition] = self.producer.create_batch()
            self._append(batch, encoded_key, value)
        for partition, batch in batches.items():
            pending.append(await self.producer.send_batch(batch, topic, partition=partition))
        return asyncio.gather(*pending)

    @staticmethod
    def _append(batch: Any, key: bytes, value: bytes) -> bool:
        return batch.append(key=key, value=value, timestamp=None, headers=JSON_HEADERS) is not None

    async def publish_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]
    ) -> None:
        encoded = [(name, text.encode()) for name, text in headers.items()]
        await self.producer.send_and_wait(topic, value, key=key, headers=encoded)

    async def publish_raw_many(self, records: Sequence[RawRecord]) -> None:
        """Send every record, then wait for all acknowledgements (one round of batches, not
        one per record); order is kept per partition. Raises if any failed."""
        sent = [
            await self.producer.send(topic, value, key=key, headers=_encoded(headers))
            for topic, key, value, headers in records
        ]
        await asyncio.gather(*sent)


def _encoded(headers: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(name, text.encode()) for name, text in headers.items()]


class BrokerEventPublisher:
    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker

    async def publish(self, topic: str, key: str, event: BaseModel) -> None:
        await self.publish_raw(
            topic,
            key.encode(),
            event.model_dump_json().encode(),
            JSON_HEADER,
        )

    async def publish_many(self, topic: str, keyed_events: Sequence[tuple[str, BaseModel]]) -> None:
        for key, event in keyed_events:
            await self.publish(topic, key, event)

    async def enqueue_many(
        self, topic: str, keyed_events: Sequence[tuple[str, BaseModel]]
    ) -> "asyncio.Future[Any]":
        await self.publish_many(topic, keyed_events)
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def publish_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]
    ) -> None:
        await self.broker.publish(value, topic=topic, key=key, headers=headers)

    async def publish_raw_many(self, records: Sequence[RawRecord]) -> None:
        for topic, key, value, headers in records:
            await self.broker.publish(value or b"", topic=topic, key=key, headers=headers)


class InMemoryPublisher:
    """Every record "published", in order, as Kafka would have it (JSON values encoded)."""

    def __init__(self) -> None:
        self.records: list[RawRecord] = []

    async def publish(self, topic: str, key: str, event: BaseModel) -> None:
        self.records.append((topic, key.encode(), event.model_dump_json().encode(), {}))

    async def publish_many(self, topic: str, keyed_events: Sequence[tuple[str, BaseModel]]) -> None:
        for key, event in keyed_events:
            await self.publish(topic, key, event)

    async def enqueue_many(
        self, topic: str, keyed_events: Sequence[tuple[str, BaseModel]]
    ) -> "asyncio.Future[Any]":
        await self.publish_many(topic, keyed_events)
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result([])
        return done

    async def publish_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]
    ) -> None:
        self.records.append((topic, key, value, headers))

    async def publish_raw_many(self, records: Sequence[RawRecord]) -> None:
        self.records += records

    def on(self, topic: str) -> list[RawRecord]:
        return [record for record in self.records if record[0] == topic]


async def dead_letter(
    publisher: EventPublisher,
    source_topic: str,
    key: bytes | None,
    value: bytes,
    reason: str,
    *,
    consumer_group: str,
    failed_at: datetime,
    partition: int | None = None,
    offset: int | None = None,
    original_headers: dict[str, str] | None = None,
) -> None:
    """`original_headers`: what to keep of the message's own (see `carried_headers`)."""
    headers = dict(original_headers or {})
    headers |= dead_letter_headers(
        reason,
        source_topic,
        consumer_group=consumer_group,
        failed_at=failed_at,
        partition=partition,
        offset=offset,
    )
    await publisher.publish_raw(dead_letter_topic(source_topic), key, value, headers)
