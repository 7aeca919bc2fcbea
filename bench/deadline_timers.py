"""Benchmark: the deadline service's timers at scale, on the real Redis and Kafka.

    .venv/bin/python -m bench.deadline_timers [--open 1000000] [--burst 100000]

1. Loads `--open` open dossiers (state + 3 timers each) into Redis under a bench-only prefix.
2. Sweep cost: claims due timers while the clock moves through a working day, 2,000 times
   (a few timers due per sweep, as in steady operation); reports p50/p99 per sweep.
3. Burst: makes `--burst` overdue timers due at once and runs the real sweep (load states,
   decide, publish to `deadline.events.v1` on Kafka, confirm); reports events per second.
Cleans its keys afterwards. Needs `scripts/infra.sh up`.
"""

import argparse
import asyncio
import os
import statistics
import time
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry

from services.deadline.domain.tracking import TrackedDossier, Windows, timers_for
from services.deadline.metrics import DeadlineMetrics
from services.deadline.service.tracker import DeadlineTracker, TrackerConfig
from services.deadline.store import RedisDeadlineStore
from shared.domain.business_calendar import VIETNAM, BusinessCalendar
from shared.domain.clock import ManualClock
from shared.domain.dossier_clock import DossierClock
from shared.domain.reference_source import FixedReference
from shared.events.dossier import TimeLimit
from shared.events.vocabulary import SupplementPolicy, TimeUnit
from shared.messaging.kafka_access import KafkaAccess
from shared.messaging.publishing import KafkaEventPublisher
from shared.persistence.redis_factory import build_redis

PREFIX = "bench-deadline"
CALENDAR = BusinessCalendar()
WINDOWS = Windows()


def dossier(n: int, received_at: datetime, days: int) -> TrackedDossier:
    due = CALENDAR.due_at(received_at, days, TimeUnit.WORKING_DAYS)
    return TrackedDossier(
        code=f"B{n % 1000:03d}-260302-{n // 1000:04d}",  # unique up to 10,000,000
        agency_code=f"B{n % 1000:03d}",
        received_at=received_at,
        time_limit=TimeLimit(amount=days, unit=TimeUnit.WORKING_DAYS),
        supplement_policy=SupplementPolicy.RESTART,
        clock=DossierClock(
            time_limit=TimeLimit(amount=days, unit=TimeUnit.WORKING_DAYS),
            due_at=due,
            appointment_at=due,
        ),
        applied=(f"bench-{n}",),
    )


async def load(
    store: RedisDeadlineStore[TrackedDossier], count: int, start: datetime, days: int
) -> None:
    """Bulk-load with pipelines (the service's own `save` is one script call per dossier)."""
    batch = 5000
    for first in range(0, count, batch):
        async with store.redis.pipeline(transaction=False) as pipe:
            timers: dict[str, float] = {}
            for n in range(first, min(first + batch, count)):
                # Filings spread evenly over the working hours of one day, as desks receive them.
                offset = timedelta(seconds=n * 8 * 3600 // count)
                received_at = CALENDAR.add_working_time(start, offset)
                item = dossier(n, received_at, days)
                pipe.set(store.state_key(item.code), item.model_dump_json())
                for timer in timers_for(item, CALENDAR, WINDOWS):
                    timers[timer.member] = timer.fire_at.timestamp()
            pipe.zadd(store.schedule_key, timers)
            await pipe.execute()


async def clear(store: RedisDeadlineStore[TrackedDossier]) -> None:
    cursor = 0
    while True:
        cursor, keys = await store.redis.scan(cursor, match=f"{PREFIX}*", count=10000)
        if keys:
            await store.redis.unlink(*keys)
        if cursor == 0:
            return


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--burst", type=int, default=100_000)
    args = parser.parse_args()
    redis = build_redis(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    store = RedisDeadlineStore(redis, TrackedDossier, PREFIX)
    await clear(store)

    started = time.perf_counter()
    await load(store, args.open, datetime(2026, 3, 2, 7, 30, tzinfo=VIETNAM), days=10)
    load_seconds = time.perf_counter() - started
    scheduled = await store.scheduled_count()

    # Steady sweeps, one a second as the service runs, from the first due-soon instant on.
    now = datetime(2026, 3, 13, 7, 30, tzinfo=VIETNAM)
    sweep_ms: list[float] = []
    claimed_total = 0
    for _ in range(2000):
        now += timedelta(seconds=1)
        begin = time.perf_counter()
        claimed = await store.claim_due(now, 2000, now + timedelta(minutes=1))
        sweep_ms.append((time.perf_counter() - begin) * 1000)
        claimed_total += len(claimed)
    await clear(store)

    # Burst: `--burst` dossiers all overdue at once, fired by the real tracker onto Kafka.
    burst_dossiers = -(-args.burst // 3)  # every dossier has three timers
    await load(store, burst_dossiers, datetime(2026, 3, 2, 7, 30, tzinfo=VIETNAM), days=1)
    publisher = KafkaEventPublisher(KafkaAccess.from_env("deadline"), "bench-deadline")
    await publisher.start()
    clock = ManualClock(datetime(2026, 3, 20, tzinfo=VIETNAM))
    tracker = DeadlineTracker(
        store,
        FixedReference.of(calendar=CALENDAR),
        clock,
        publisher,
        DeadlineMetrics.register(CollectorRegistry()),
        TrackerConfig(WINDOWS, timedelta(minutes=5), 5000, timedelta(minutes=1), "bench"),
    )
    begin = time.perf_counter()
    fired = await tracker.sweep()
    burst_seconds = time.perf_counter() - begin
    await publisher.stop()
    await clear(store)
    await redis.aclose()

    print(f"open dossiers loaded        {args.open:>12,}  ({load_seconds:.0f} s to load)")
    print(f"timers scheduled            {scheduled:>12,}")
    print(f"sweeps measured             {len(sweep_ms):>12,}  ({claimed_total:,} timers claimed)")
    print(f"claim per sweep p50 (ms)    {statistics.median(sweep_ms):>12.3f}")
    print(f"claim per sweep p99 (ms)    {percentile(sweep_ms, 0.99):>12.3f}   target <= 5")
    print(f"burst timers fired          {fired:>12,}  (3 per dossier x {burst_dossiers:,})")
    print(f"burst seconds               {burst_seconds:>12.2f}")
    print(f"burst events/s to Kafka     {fired / burst_seconds:>12,.0f}   target >= 20,000")


if __name__ == "__main__":
    asyncio.run(main())
