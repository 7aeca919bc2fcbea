"""Group commit on the real Redis: the services' client writes concurrent commands as one
pipeline (shared/persistence/redis_factory.py), and intake's receipts share their numbering round
trips
(services/intake/store.py) while codes stay unique and gapless, also with two instances."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.exceptions import ResponseError

from services.intake.store import RedisIntakeStore
from shared.persistence.redis_factory import AutoPipelinedRedis, build_redis
from tests.support.intake_store_samples import builder

pytestmark = pytest.mark.integration


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[AutoPipelinedRedis]:
    client = build_redis(redis_url)
    assert isinstance(client, AutoPipelinedRedis)
    yield client
    await client.aclose()


async def test_concurrent_commands_share_round_trips_and_keep_their_own_results(
    redis: AutoPipelinedRedis,
) -> None:
    key = f"test-pipe-{uuid.uuid4().hex}"
    await redis.set(f"{key}:text", "not a number")
    before = redis.round_trips
    results = await asyncio.gather(
        *(redis.incr(f"{key}:n") for _ in range(300)),
        redis.incr(f"{key}:text"),  # fails, alone
        redis.get(f"{key}:missing"),
        return_exceptions=True,
    )
    assert sorted(r for r in results[:300] if isinstance(r, int)) == list(range(1, 301))
    assert isinstance(results[300], ResponseError)
    assert results[301] is None
    assert redis.round_trips - before <= 3  # 302 commands, written together
    assert await redis.get(f"{key}:n") == "300"
    await redis.delete(f"{key}:n", f"{key}:text")


async def test_scripts_work_when_redis_forgot_them(redis: AutoPipelinedRedis) -> None:
    script = redis.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    key = f"test-pipe-{uuid.uuid4().hex}"
    await redis.script_flush()  # as after a Redis restart: NOSCRIPT, then loaded again
    results = await asyncio.gather(*(script(keys=[key], args=[2]) for _ in range(50)))
    assert sorted(results) == list(range(2, 101, 2))
    await redis.delete(key)


async def test_concurrent_receipts_on_two_instances_get_unique_gapless_codes(
    redis_url: str,
) -> None:
    prefix = f"test-group-{uuid.uuid4().hex[:8]}"
    clients = [build_redis(redis_url), build_redis(redis_url)]
    stores = [RedisIntakeStore(client, prefix) for client in clients]
    await stores[0].mark_ready()

    async def receive(n: int, submission: str) -> tuple[str, bool]:
        committed = await stores[n % 2].receive(
            client_id="desk", submission_id=submission, agency_code="STP", day="261123",
            build=builder("desk", submission, []),
        )  # fmt: skip
        return json.loads(committed.answer)["code"], committed.replayed

    try:
        first = await asyncio.gather(*(receive(n, f"s{n}") for n in range(10)))
        # 150 new receipts and the 10 first sent again, concurrently, half on each instance
        again = [receive(n + 1, f"s{n}") for n in range(10)]
        new = [receive(n, f"t{n}") for n in range(150)]
        results = await asyncio.gather(*again, *new)
        replays, receipts = results[:10], results[10:]
        assert replays == [(code, True) for code, _ in first]
        codes = sorted(code for code, replayed in [*first, *receipts] if not replayed)
        assert codes == [f"STP-261123-{n:04d}" for n in range(1, 161)]
        assert sum(client.round_trips for client in clients) < 2 * 160  # shared, not per receipt
    finally:
        for client in clients:
            await client.aclose()


async def test_receipts_numbered_on_from_this_instance_follow_numbers_taken_elsewhere(
    redis: AutoPipelinedRedis,
) -> None:
    """An instance numbers on from the last number it handed out, without reading Redis;
    when another took numbers meanwhile, the commit conflicts and the receipt takes the next
    number from Redis' count (no code twice, none skipped)."""
    prefix = f"test-group-{uuid.uuid4().hex[:8]}"
    store = RedisIntakeStore(redis, prefix)
    await store.mark_ready()

    async def receive(submission: str) -> str:
        committed = await store.receive(
            client_id="desk", submission_id=submission, agency_code="STP", day="261123",
            build=builder("desk", submission, []),
        )  # fmt: skip
        return str(json.loads(committed.answer)["code"])

    assert await receive("a") == "STP-261123-0001"
    before = redis.round_trips
    assert await asyncio.gather(*(receive(f"c{n}") for n in range(3))) == [
        f"STP-261123-{n:04d}" for n in (2, 3, 4)
    ]
    assert redis.round_trips - before <= 2  # numbered on here, no read of the count first
    await redis.set(store.sequence_key("STP", "261123"), 7)  # another instance took 5-7
    assert await receive("b") == "STP-261123-0008"
    assert await receive("d") == "STP-261123-0009"  # contended: read fresh, no conflict
