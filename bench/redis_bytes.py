"""Benchmark: Redis bytes per dossier, per service, before and after the lifetimes.

    .venv/bin/python -m bench.redis_bytes [--dossiers 100000]

Drives each service's own layer (intake's Desk, deadline's tracker; reporting is in PostgreSQL,
bench/report_queries.py measures its bytes) on
its Redis store with `--dossiers` dossiers, each received, resolved and returned at the
counter, and publishes to an in-memory sink (Kafka is not what is measured). Then it sums
`MEMORY USAGE` (exact: SAMPLES 0) over each service's keys:

- before: right after the dossiers ended: what the services kept for ever before the
  lifetimes (answers, applicants, ended dossiers);
- after: once the lifetimes have passed: the clock moved past them, deadline's sweep and
  intake's erasure run. Stored answers expire by Redis TTL (the idempotency window, a
  real-time TTL the bench cannot move): they are counted as gone once every one is shown to
  carry a TTL no longer than the window.

Needs `scripts/infra.sh up` (Redis). Uses bench-only key prefixes, removed afterwards.
"""

import argparse
import asyncio
import os
import platform
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from services.deadline.domain.tracking import TrackedDossier, Windows
from services.deadline.metrics import DeadlineMetrics
from services.deadline.service.tracker import DeadlineTracker, TrackerConfig
from services.deadline.store import Parked, RedisDeadlineStore
from services.intake.service.desk import Desk
from services.intake.service.personal_data import ApplicantLifetime
from services.intake.store import RedisIntakeStore
from shared.domain.business_calendar import VIETNAM
from shared.domain.catalogue import Catalogue
from shared.domain.clock import ManualClock
from shared.domain.reference_source import FixedReference
from shared.events import intake_requests
from shared.events.dossier import DOSSIER_EVENT
from shared.events.envelope import Event
from shared.events.topics import DEADLINE_EVENTS, DOSSIER_EVENTS
from shared.messaging.publishing import RawRecord
from shared.persistence.redis_factory import build_redis
from shared.web.api_keys import Client, Scope
from tests.support.intake_fixtures import APPLICANT, receipt

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 3, 2, 8, tzinfo=VIETNAM)  # a Monday
WINDOW = timedelta(days=7)  # the idempotency window and deadline's grace (the defaults)
KEPT = timedelta(days=90)  # applicant data after the end (the default)
DESK = Client(id="bench-desk", key_sha256="0" * 64, scopes=frozenset({Scope.FRONTEND}),
              agencies=frozenset({"*"}))  # fmt: skip
CONCURRENCY = 64


class Sink:
    """Keeps the dossier and deadline events (the next services' input), drops the rest."""

    def __init__(self) -> None:
        self.events: list[tuple[str, bytes]] = []

    def _keep(self, topic: str, value: bytes | None) -> None:
        if value is not None and topic in (DOSSIER_EVENTS, DEADLINE_EVENTS):
            self.events.append((topic, value))

    async def publish(self, topic: str, key: str, event: Any) -> None:
        self._keep(topic, event.model_dump_json().encode())

    async def publish_many(self, topic: str, keyed_events: Any) -> None:
        for key, event in keyed_events:
            await self.publish(topic, key, event)

    async def enqueue_many(self, topic: str, keyed_events: Any) -> "asyncio.Future[Any]":
        await self.publish_many(topic, keyed_events)
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result([])
        return done

    async def publish_raw(self, topic: str, key: Any, value: bytes, headers: Any) -> None:
        self._keep(topic, value)

    async def publish_raw_many(self, records: list[RawRecord]) -> None:
        for topic, _, value, _ in records:
            self._keep(topic, value)


@dataclass
class Measure:
    service: str
    keys: int
    bytes: int
    expiring_keys: int  # with a TTL no longer than the idempotency window
    expiring_bytes: int

    @property
    def kept_bytes(self) -> int:
        return self.bytes - self.expiring_bytes


async def measure(redis: Redis, service: str, prefix: str) -> Measure:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=5000)]
    total = expiring = expiring_bytes = 0
    for first in range(0, len(keys), 5000):
        chunk = keys[first : first + 5000]
        async with redis.pipeline(transaction=False) as pipe:
            for key in chunk:
                pipe.memory_usage(key, samples=0)
                pipe.pttl(key)
            replies = await pipe.execute()
        for size, ttl in zip(replies[0::2], replies[1::2], strict=True):
            total += int(size or 0)
            if 0 < int(ttl) <= WINDOW.total_seconds() * 1000:
                expiring += 1
                expiring_bytes += int(size or 0)
    return Measure(service, len(keys), total, expiring, expiring_bytes)


async def in_chunks(count: int, work: Callable[[int], Awaitable[None]]) -> None:
    for first in range(0, count, CONCURRENCY):
        await asyncio.gather(*(work(n) for n in range(first, min(first + CONCURRENCY, count))))


async def run_intake(redis: Redis, prefix: str, dossiers: int, sink: Sink) -> ApplicantLifetime:
    store = RedisIntakeStore(redis, prefix, WINDOW, applicant_kept_for=KEPT)
    await store.mark_ready()
    catalogue = Catalogue.from_toml((ROOT / "config" / "catalogue.toml").read_text())
    clock = ManualClock(START)
    desk = Desk(store, FixedReference.of(catalogue), clock, sink)  # type: ignore[arg-type]

    async def life(n: int) -> None:
        applicant = APPLICANT | {"id_number": f"{n:012d}"}  # one person per dossier
        filed = intake_requests.ReceiveDossier.model_validate(
            receipt(submission_id=f"r{n}", applicant=applicant)
        )
        code = (await desk.receive(filed, DESK)).view.code
        for step, fields in (("ResolveDossier", {"outcome": "approved"}), ("ReturnResult", {})):
            request = {"type": step, "submission_id": f"{step}{n}", "dossier_code": code}
            model = (
                intake_requests.ResolveDossier
                if step == "ResolveDossier"
                else intake_requests.ReturnResult
            )
            await desk.act(model.model_validate(request | fields), DESK, retry_conflicts=True)

    per_day = 9000  # codes are numbered per agency and day, four digits
    for day in range(0, dossiers, per_day):
        clock.set(START + timedelta(days=day // per_day))
        await in_chunks(min(per_day, dossiers - day), lambda n, d=day: life(d + n))
    clock.set(START + timedelta(days=dossiers // per_day + 1) + KEPT)
    return ApplicantLifetime(store, sink, clock)  # type: ignore[arg-type]


async def run_deadline(redis: Redis, prefix: str, events: list[Event]) -> DeadlineTracker:
    clock = ManualClock(START)
    config = TrackerConfig(
        windows=Windows(), park_for=timedelta(minutes=5), claim_batch=2000,
        claim_lease=timedelta(minutes=1), consumer_group="bench", forget_ended_after=WINDOW,
    )  # fmt: skip
    tracker = DeadlineTracker(
        RedisDeadlineStore(redis, TrackedDossier, prefix), FixedReference.of(), clock, Sink(),  # type: ignore[arg-type]
        DeadlineMetrics.register(CollectorRegistry()), config, lease_clock=clock,
    )  # fmt: skip
    by_code: dict[str, list[Event]] = {}
    for event in events:
        by_code.setdefault(event.body.dossier_code, []).append(event)
    lives = list(by_code.values())

    async def life(n: int) -> None:
        for event in lives[n]:
            clock.set(max(clock.now(), event.occurred_at))
            await tracker.apply(event, Parked(event.model_dump_json(), None, None))  # type: ignore[arg-type]

    await in_chunks(len(lives), life)
    return tracker


async def main(dossiers: int) -> None:
    redis = build_redis(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    stamp = int(time.time())
    prefixes = {name: f"bench-bytes-{stamp}-{name}" for name in ("intake", "deadline")}
    rows: list[tuple[str, Measure, Measure, float]] = []
    try:
        sink = Sink()
        began = time.perf_counter()
        lifetime = await run_intake(redis, prefixes["intake"], dossiers, sink)
        took = time.perf_counter() - began
        before = await measure(redis, "intake", prefixes["intake"])
        while await lifetime.erase_due(5000):
            pass
        after = await measure(redis, "intake", prefixes["intake"])
        rows.append(("intake", before, after, took))

        dossier_events = [
            DOSSIER_EVENT.validate_json(v) for t, v in sink.events if t == DOSSIER_EVENTS
        ]
        began = time.perf_counter()
        tracker = await run_deadline(redis, prefixes["deadline"], dossier_events)
        took = time.perf_counter() - began
        before = await measure(redis, "deadline", prefixes["deadline"])
        assert isinstance(tracker.clock, ManualClock)
        tracker.clock.advance(WINDOW + timedelta(days=1))
        while await tracker.store.forget_ended(tracker.clock.now(), 5000):
            pass
        after = await measure(redis, "deadline", prefixes["deadline"])
        rows.append(("deadline", before, after, took))

    finally:
        for prefix in prefixes.values():
            keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=5000)]
            for first in range(0, len(keys), 5000):
                await redis.delete(*keys[first : first + 5000])
        await redis.aclose()
    report(dossiers, rows)


def report(dossiers: int, rows: list[tuple[str, Measure, Measure, float]]) -> None:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"{dossiers} dossiers, each received, resolved and returned; {machine}")
    print("| service | keys | bytes/dossier before (kept for ever) | bytes/dossier after the "
          "lifetimes | of which expire by TTL (answers) | drive time s |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for service, before, after, took in rows:
        print(f"| {service} | {before.keys} -> {after.keys - after.expiring_keys} | "
              f"{before.bytes / dossiers:.0f} | {after.kept_bytes / dossiers:.0f} | "
              f"{after.expiring_bytes / dossiers:.0f} ({after.expiring_keys} keys) | "
              f"{took:.1f} |")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().dossiers))
