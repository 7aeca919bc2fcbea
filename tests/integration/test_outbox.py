"""The outbox relay on real Redis and Kafka: what a crash left behind is published, in order."""

import json

import pytest

from shared.events.topics import DEADLINE_EVENTS
from shared.messaging.kafka_access import KafkaAccess
from shared.messaging.kafka_principals import ADMIN
from shared.messaging.publishing import InMemoryPublisher, KafkaEventPublisher
from shared.persistence.outbox import OutboxEntry, OutboxPublisher, RedisOutbox
from shared.persistence.redis_factory import build_redis
from tests.support.kafka_probe import TopicTail
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


async def test_relay_publishes_a_crashed_commits_outbox_in_order_then_empties_it(
    kafka_topics: str, redis_url: str, unique: str
) -> None:
    redis = build_redis(redis_url)
    outbox = RedisOutbox(redis, f"test-{unique}-outbox")
    key = f"OUTBOX-{unique}"
    # What a commit script leaves when the process dies before publishing:
    entries = [OutboxEntry(DEADLINE_EVENTS, key, json.dumps({"n": n})) for n in range(5)]
    await redis.rpush(outbox.list_key(key), *(entry.dumps() for entry in entries))
    await redis.sadd(outbox.pending_key, key)
    publisher = KafkaEventPublisher(KafkaAccess.resolve(kafka_topics, ADMIN), "test-outbox")
    await publisher.start()
    try:
        async with TopicTail(kafka_topics, DEADLINE_EVENTS) as tail:
            assert await outbox.pending() == [key]
            relay = OutboxPublisher(outbox, publisher)
            for pending in await outbox.pending():
                await relay.flush(pending)

            async def published() -> list[int] | None:
                await tail.poll()
                found = [value["n"] for value in tail.values_for(key)]
                return found if len(found) >= 5 else None

            assert await wait_for(published, within=30, what="relayed events") == [0, 1, 2, 3, 4]
        assert await outbox.entries(key) == []
        assert await outbox.pending() == []
        assert await redis.get(outbox.lock_key(key)) is None
    finally:
        await publisher.stop()
        await redis.aclose()


async def test_a_held_lock_keeps_a_second_publisher_out(redis_url: str, unique: str) -> None:
    redis = build_redis(redis_url)
    first, second = RedisOutbox(redis, f"test-{unique}-o"), RedisOutbox(redis, f"test-{unique}-o")
    assert await first.lock("k")
    assert not await second.lock("k")
    await first.acknowledge("k", 0)
    assert await second.lock("k")
    await redis.aclose()


async def test_a_relay_that_finds_the_outbox_emptied_releases_the_lock(
    redis_url: str, unique: str
) -> None:
    redis = build_redis(redis_url)
    outbox = RedisOutbox(redis, f"test-{unique}-o")
    await redis.sadd(outbox.pending_key, "k")  # pending when listed; emptied since by another
    await OutboxPublisher(outbox, InMemoryPublisher()).flush("k")
    assert await redis.get(outbox.lock_key("k")) is None
    assert await outbox.pending() == []
    await redis.aclose()
