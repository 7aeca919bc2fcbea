"""A subscriber made to stall on the real broker (its handler blocked) is reported by /health
and /metrics, logged at ERROR and restarted, and its backlog is consumed after the restart."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from fastapi import APIRouter
from prometheus_client.parser import text_string_to_metric_families

from shared.messaging.broker_factory import subscribe_batches
from shared.messaging.delivery import Rejection, current_message
from shared.messaging.kafka_principals import ADMIN
from shared.runtime.service_app import ServiceRuntime, wire_service
from shared.runtime.settings import ServiceSettings
from tests.support.kafka_clients import kafka_options
from tests.support.kafka_probe import committed_offset
from tests.support.running_service import running
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
RECORDS = 60


@pytest.fixture
async def topic(kafka_topics: str) -> AsyncIterator[str]:
    name = f"test-watchdog-{uuid.uuid4().hex[:10]}"
    admin = AIOKafkaAdminClient(**kafka_options(kafka_topics))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)])
        yield name
        await admin.delete_topics([name])
    finally:
        await admin.close()


class BlockingHandler:
    """Blocks its first batch until cancelled (the stall), and its next one until released."""

    def __init__(self) -> None:
        self.calls = 0
        self.released = asyncio.Event()
        self.handled: set[tuple[int, int]] = set()

    async def __call__(self) -> list[Rejection]:
        self.calls += 1
        if self.calls == 1:
            await asyncio.Event().wait()  # stuck for good: only the watchdog's restart ends it
        await self.released.wait()
        self.handled |= {(r.partition, r.offset) for r in current_message().raw_message}
        return []


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def metric(text: str, name: str, topic: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels.get("subscriber") == topic:
                return sample.value
    return 0.0


async def test_a_stalled_subscriber_is_reported_restarted_and_catches_up(
    kafka_topics: str, topic: str
) -> None:
    group = f"test-watchdog-{uuid.uuid4().hex[:8]}"
    settings = ServiceSettings(
        KAFKA_BOOTSTRAP_SERVERS=kafka_topics, KAFKA_USERNAME=ADMIN,
        CONSUMER_GROUP=group, SUBSCRIBER_STALLED_AFTER_SECONDS=3, LOG_LEVEL="WARNING",
    )  # fmt: skip
    handler = BlockingHandler()

    def assemble(runtime: ServiceRuntime) -> list[APIRouter]:
        subscriber = subscribe_batches(runtime.broker, topic, runtime.consumer_group)
        subscriber(handler)
        runtime.subscribers.append(subscriber)
        return []

    app = wire_service(
        "watchdog-test", settings, description="test", assemble=assemble, uses_redis=False
    )
    errors = Captured()
    logging.getLogger("shared.messaging.subscriber_watchdog").addHandler(errors)
    try:
        async with running(app) as client:
            await _produce(kafka_topics, topic)

            async def restarted() -> bool:
                text = (await client.get("/metrics")).text
                return metric(text, "kafka_subscriber_restarts_total", topic) >= 1

            await wait_for(restarted, within=60, what="the watchdog to restart the subscriber")
            health = await client.get("/health")
            assert health.status_code == 503, health.text
            consumer = health.json()["consumers"][topic]
            assert consumer["state"] == "stalled", consumer
            assert "records waiting" in consumer["reason"]
            assert f"{topic}[" in consumer["reason"]
            assert metric((await client.get("/metrics")).text, "kafka_subscriber_stalled", topic)
            logged = [r for r in errors.records if r.getMessage().startswith("subscriber stalled")]
            assert logged
            assert f"{topic}[" in logged[0].__dict__["reason"]

            handler.released.set()  # the restarted subscriber handles its backlog

            async def caught_up() -> bool:
                offsets = [await committed_offset(kafka_topics, group, topic, p) for p in (0, 1)]
                return len(handler.handled) == RECORDS and sum(offsets) == RECORDS

            await wait_for(caught_up, within=60, what="the backlog handled and committed")

            async def healthy() -> bool:
                return (await client.get("/health")).status_code == 200

            await wait_for(healthy, within=30, what="health back to ok")
    finally:
        logging.getLogger("shared.messaging.subscriber_watchdog").removeHandler(errors)


async def _produce(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(**kafka_options(bootstrap))
    await producer.start()
    try:
        for n in range(RECORDS):
            await producer.send(topic, f"record {n}".encode(), partition=n % 2)
        await producer.flush()
    finally:
        await producer.stop()
