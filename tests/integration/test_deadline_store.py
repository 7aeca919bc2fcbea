"""The deadline store's atomic scripts on the real Redis."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.deadline.store import RedisDeadlineStore
from services.deadline.tracking import Timer, TimerKind, TrackedDossier
from shared.dossier_clock import DossierClock
from shared.events.dossier import TimeLimit
from shared.events.vocabulary import SupplementPolicy, TimeUnit
from shared.redis_factory import build_redis

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
async def store(redis_url: str, unique: str) -> AsyncIterator[RedisDeadlineStore]:
    redis = build_redis(redis_url)
    yield RedisDeadlineStore(redis, f"test-{unique}-store")
    keys = [key async for key in redis.scan_iter(match=f"test-{unique}-store*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def timer(n: int, fire_at: datetime) -> Timer:
    return Timer(TimerKind.OVERDUE, f"S-260302-{n:04d}", fire_at, fire_at)


async def schedule(store: RedisDeadlineStore, timers: list[Timer]) -> None:
    await store.redis.zadd(store.schedule_key, {t.member: t.fire_at.timestamp() for t in timers})


async def test_claims_only_due_timers_in_large_batches_once(store: RedisDeadlineStore) -> None:
    due = [timer(n, NOW - timedelta(seconds=n % 60)) for n in range(6000)]
    later = [timer(9000 + n, NOW + timedelta(hours=1)) for n in range(10)]
    await schedule(store, due + later)
    first = await store.claim_due(NOW, 5000, NOW + timedelta(minutes=1))
    second = await store.claim_due(NOW, 5000, NOW + timedelta(minutes=1))
    assert len(first) == 5000
    assert len(second) == 1000
    assert {t.member for t in first + second} == {t.member for t in due}
    assert await store.claim_due(NOW, 5000, NOW + timedelta(minutes=1)) == []
    assert await store.scheduled_count() == 10
    claimed = first[0]
    assert claimed.fire_at == next(t.fire_at for t in due if t.member == claimed.member)


async def test_an_unconfirmed_claim_returns_after_its_lease(store: RedisDeadlineStore) -> None:
    await schedule(store, [timer(1, NOW)])
    [claimed] = await store.claim_due(NOW, 10, NOW + timedelta(minutes=1))
    assert await store.reclaim_expired(NOW + timedelta(seconds=59)) == 0
    assert await store.reclaim_expired(NOW + timedelta(seconds=61)) == 1
    [again] = await store.claim_due(NOW + timedelta(seconds=61), 10, NOW + timedelta(minutes=2))
    assert again == claimed


async def test_a_confirmed_timer_is_never_scheduled_again(store: RedisDeadlineStore) -> None:
    await schedule(store, [timer(1, NOW)])
    [claimed] = await store.claim_due(NOW, 10, NOW + timedelta(minutes=1))
    await store.confirm_fired([(claimed, "UBND.Q1|overdue")])
    assert await store.reclaim_expired(NOW + timedelta(hours=1)) == 0
    assert await store.census() == {("UBND.Q1", "overdue"): 1}
    dossier = TrackedDossier(
        code=claimed.code,
        agency_code="UBND.Q1",
        received_at=NOW - timedelta(days=3),
        time_limit=TimeLimit(amount=1, unit=TimeUnit.WORKING_DAYS),
        supplement_policy=SupplementPolicy.RESTART,
        clock=DossierClock(
            time_limit=TimeLimit(amount=1, unit=TimeUnit.WORKING_DAYS),
            due_at=NOW,
            appointment_at=NOW,
        ),
    )
    fresh = timer(2, NOW)
    await store.save(
        dossier, bucket="UBND.Q1|overdue", remove_timers=[], add_timers=[claimed, fresh], outbox=[]
    )
    assert await store.scheduled_count() == 1
    assert await store.load(claimed.code) == dossier
