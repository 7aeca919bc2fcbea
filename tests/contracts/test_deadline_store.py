"""One contract, two stores: deadline's Redis store (scripts checked for undeclared keys) and
its in-memory twin must behave the same."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.deadline.domain.tracking import Timer, TimerKind, TrackedDossier
from services.deadline.store import (
    DeadlineStore,
    InMemoryDeadlineStore,
    Parked,
    RedisDeadlineStore,
)
from shared.domain.dossier_clock import DossierClock
from shared.events.dossier import TimeLimit
from shared.events.vocabulary import SupplementPolicy, TimeUnit
from tests.support.lua_key_check import KeyCheckingRedis

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
LEASE = NOW + timedelta(minutes=1)


Store = DeadlineStore[TrackedDossier]


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield InMemoryDeadlineStore(TrackedDossier)
        return
    request.applymarker(pytest.mark.integration)
    redis = KeyCheckingRedis(request.getfixturevalue("redis_url"))
    prefix = f"contract-{uuid.uuid4().hex[:10]}"
    yield RedisDeadlineStore(redis, TrackedDossier, prefix)
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def dossier(code: str = "UBND.Q1-260302-0001", **changes: object) -> TrackedDossier:
    limit = TimeLimit(amount=1, unit=TimeUnit.WORKING_DAYS)
    tracked = TrackedDossier(
        code=code,
        agency_code="UBND.Q1",
        received_at=NOW - timedelta(days=3),
        time_limit=limit,
        supplement_policy=SupplementPolicy.RESTART,
        clock=DossierClock(time_limit=limit, due_at=NOW, appointment_at=NOW),
    )
    return tracked.model_copy(update=changes)


def timer(n: int, fire_at: datetime, kind: TimerKind = TimerKind.OVERDUE) -> Timer:
    return Timer(kind, f"UBND.Q1-260302-{n:04d}", fire_at, fire_at)


async def schedule(store: Store, timers: list[Timer], bucket: str = "") -> None:
    await store.save(dossier(), bucket=bucket, remove_timers=[], add_timers=timers, outbox=[])


async def test_a_saved_dossier_loads_back_alone_and_in_batches(store: Store) -> None:
    one, two = dossier("A-1"), dossier("A-2", apology_sent=True)
    for tracked in (one, two):
        await store.save(tracked, bucket="", remove_timers=[], add_timers=[], outbox=[])
    assert await store.load("A-1") == one
    assert await store.load("missing") is None
    assert await store.load_many(["A-2", "missing", "A-1"]) == {"A-1": one, "A-2": two}
    assert await store.load_many([]) == {}


async def test_the_outbox_keeps_order_and_clears_what_was_published(store: Store) -> None:
    tracked = dossier()
    first = await store.save(
        tracked, bucket="", remove_timers=[], add_timers=[], outbox=["e1", "e2"]
    )
    assert first == ["e1", "e2"]  # a save hands back the outbox as it left it
    assert await store.save(
        tracked, bucket="", remove_timers=[], add_timers=[], outbox=["e3"]
    ) == ["e1", "e2", "e3"]  # fmt: skip
    assert await store.outbox(tracked.code) == ["e1", "e2", "e3"]
    await store.clear_outbox(tracked.code, 2)
    assert await store.outbox(tracked.code) == ["e3"]
    await store.clear_outbox(tracked.code, 1)
    assert await store.outbox(tracked.code) == []


async def test_claims_only_due_timers_in_large_batches_once(store: Store) -> None:
    due = [timer(n, NOW - timedelta(seconds=n % 60)) for n in range(6000)]
    later = [timer(9000 + n, NOW + timedelta(hours=1)) for n in range(10)]
    await schedule(store, due + later)
    first = await store.claim_due(NOW, 5000, LEASE)
    second = await store.claim_due(NOW, 5000, LEASE)
    assert len(first) == 5000
    assert len(second) == 1000
    assert {t.member for t in first + second} == {t.member for t in due}
    assert [t.fire_at for t in first] == sorted(t.fire_at for t in first)  # earliest first
    assert await store.claim_due(NOW, 5000, LEASE) == []
    assert await store.scheduled_count() == 10
    claimed = first[0]
    assert claimed.fire_at == next(t.fire_at for t in due if t.member == claimed.member)


async def test_an_unconfirmed_claim_returns_after_its_lease(store: Store) -> None:
    await schedule(store, [timer(1, NOW)])
    [claimed] = await store.claim_due(NOW, 10, LEASE)
    assert await store.reclaim_expired(LEASE - timedelta(seconds=1)) == 0
    assert await store.reclaim_expired(LEASE + timedelta(seconds=1)) == 1
    [again] = await store.claim_due(NOW + timedelta(seconds=61), 10, LEASE + timedelta(minutes=1))
    assert again == claimed


async def test_a_claimed_or_fired_timer_is_never_scheduled_again(store: Store) -> None:
    first, second, fresh = timer(1, NOW), timer(2, NOW), timer(3, NOW)
    await schedule(store, [first, second])
    claims = await store.claim_due(NOW, 10, LEASE)
    await store.confirm_fired([(claims[0], "UBND.Q1|overdue")])
    await schedule(store, [first, second, fresh])  # first fired, second still claimed
    assert await store.scheduled_count() == 1
    assert await store.reclaim_expired(NOW + timedelta(hours=1)) == 1  # only second's claim
    await store.forget_fired([first.member])
    await schedule(store, [first])
    assert await store.scheduled_count() == 3


async def test_a_save_removes_the_timers_it_is_told_to(store: Store) -> None:
    soon, overdue = timer(1, NOW, TimerKind.DUE_SOON), timer(1, NOW)
    await schedule(store, [soon, overdue])
    await store.save(dossier(), bucket="", remove_timers=[soon.member], add_timers=[],
                     outbox=[])  # fmt: skip
    assert [t.member for t in await store.claim_due(NOW, 10, LEASE)] == [overdue.member]


async def test_the_census_counts_each_dossier_in_one_bucket(store: Store) -> None:
    async def put(code: str, bucket: str) -> None:
        await store.save(dossier(code), bucket=bucket, remove_timers=[], add_timers=[], outbox=[])

    await put("A-1", "UBND.Q1|within")
    await put("A-2", "UBND.Q1|within")
    await put("A-1", "UBND.Q1|due_soon")
    assert await store.census() == {("UBND.Q1", "within"): 1, ("UBND.Q1", "due_soon"): 1}
    fires = Timer(TimerKind.OVERDUE, "A-2", NOW, NOW)
    await schedule(store, [fires])
    [claimed] = await store.claim_due(NOW, 10, LEASE)
    await store.confirm_fired([(claimed, "UBND.Q1|overdue")])  # the timer moves A-2
    await put("A-1", "")  # resolved: out of the census
    census = await store.census()
    assert {key: n for key, n in census.items() if n} == {("UBND.Q1", "overdue"): 1}


async def test_an_ended_dossier_is_forgotten_after_its_grace(store: Store) -> None:
    ended = dossier("A-1", ended="resolved")
    forget_at = NOW + timedelta(days=7)
    await store.save(ended, bucket="", remove_timers=[], add_timers=[], outbox=[],
                     forget_at=forget_at)  # fmt: skip
    await store.save(dossier("A-2"), bucket="", remove_timers=[], add_timers=[], outbox=[])
    await store.save(
        ended,
        bucket="",
        remove_timers=[],
        add_timers=[],
        outbox=[],
        forget_at=forget_at + timedelta(days=1),
    )  # a redelivery: the first stands
    assert await store.forget_ended(forget_at - timedelta(seconds=1)) == 0
    assert await store.load("A-1") == ended
    assert await store.forget_ended(forget_at) == 1
    assert await store.load("A-1") is None
    assert await store.load("A-2") is not None
    assert await store.forget_ended(forget_at + timedelta(days=365)) == 0


async def test_parked_events_wait_per_dossier_and_expire(store: Store) -> None:
    early, late = Parked('{"n": 1}', 0, 10), Parked('{"n": 2}', 0, 11)
    await store.park("A-1", early, NOW + timedelta(minutes=5))
    await store.park("A-1", late, NOW + timedelta(minutes=9))
    await store.park("A-2", early, NOW + timedelta(minutes=7))
    assert await store.parked("A-1") == [early, late]
    assert await store.expired_parked(NOW + timedelta(minutes=6)) == ["A-1"]  # the oldest's
    assert await store.expired_parked(NOW + timedelta(minutes=8)) == ["A-1", "A-2"]
    await store.drop_parked("A-1")
    assert await store.parked("A-1") == []
    assert await store.expired_parked(NOW + timedelta(hours=1)) == ["A-2"]
