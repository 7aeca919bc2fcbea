"""Benchmark: reporting's projection throughput, and a rebuild from Kafka.

    .venv/bin/python -m bench.reporting_projection [--dossiers 100000]

1. Projection: applies `--dossiers` x 4 lifecycle events (received, deadline set, resolved,
   classified) straight to the read model in PostgreSQL, as the handlers do; events per second.
2. Rebuild: publishes the same events to the real topics, then runs
   `services.reporting.tools.rebuild` over the topics from the start; events per second and time.
Needs `scripts/infra.sh up`. Uses a bench-only schema (dropped afterwards); the events
it publishes stay in the topics (they are kept forever), so run it on a scratch broker.
"""

import argparse
import asyncio
import os
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError

from services.reporting.service.projector import Projector
from services.reporting.settings import ReportingSettings
from services.reporting.store.postgres import PostgresKeyspace, connect, migrate
from services.reporting.tools.rebuild import TOPICS, rebuild
from shared.domain.business_calendar import VIETNAM
from shared.domain.clock import SystemClock
from shared.events.envelope import Event
from shared.events.topics import DEADLINE_EVENTS, DOSSIER_EVENTS
from shared.events.vocabulary import Classification
from shared.messaging.history import partitions_of
from shared.runtime.gc_tuning import tune_for_batches
from tests.support import dossier_events as ev
from tests.support.kafka_clients import kafka_options
from tests.support.report_scenario import classified, deadline_set
from tests.support.waiting import wait_for

BATCH = 5000  # events per pipeline, as the rebuild's fetches
START = datetime(2026, 1, 5, 8, tzinfo=VIETNAM)


def lifecycle(n: int) -> list[tuple[str, Event]]:
    code = f"B{n % 1000:03d}-260105-{n // 1000:04d}"
    received_at = START + timedelta(minutes=n % 20000)
    resolved_at = received_at + timedelta(days=2)
    kind = (Classification.EARLY, Classification.ON_TIME, Classification.LATE)[n % 3]
    return [
        (DOSSIER_EVENTS, ev.received(code, received_at)),
        (DEADLINE_EVENTS, deadline_set(code, received_at + timedelta(days=3), received_at)),
        (DOSSIER_EVENTS, ev.resolved(code, resolved_at)),
        (DEADLINE_EVENTS, classified(code, resolved_at, kind)),
    ]


async def project(dossiers: int, prefix: str) -> tuple[int, float]:
    settings = ReportingSettings()
    pool = await connect(settings.database(), max_size=2)
    keyspace = PostgresKeyspace(pool, prefix)
    await migrate(pool, prefix)
    projector = Projector(keyspace, SystemClock(), None)
    store = keyspace.store(prefix)
    applied = 0
    began = time.perf_counter()
    batch: list[Event] = []
    for n in range(dossiers):
        batch += [event for _, event in lifecycle(n)]
        if len(batch) >= BATCH or n == dossiers - 1:
            await projector.apply(store, batch)
            applied += len(batch)
            batch = []
    seconds = time.perf_counter() - began
    await pool.execute(f'DROP SCHEMA "{prefix}" CASCADE')
    await pool.close()
    return applied, seconds


async def publish(dossiers: int) -> None:
    producer = AIOKafkaProducer(
        **kafka_options(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")),
        linger_ms=5, max_batch_size=256 * 1024,
    )  # fmt: skip
    await producer.start()
    try:
        pending = []
        for n in range(dossiers):
            for topic, event in lifecycle(n):
                key = event.body.dossier_code.encode()  # type: ignore[attr-defined]
                pending.append(
                    await producer.send(topic, event.model_dump_json().encode(), key=key)
                )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def _group_progress(admin: AIOKafkaAdminClient, group: str, ends: dict[Any, int]) -> int:
    try:
        committed = await admin.list_consumer_group_offsets(group)
    except GroupCoordinatorNotAvailableError:
        return 0  # a fresh broker creates its offsets topic on the first group

    return sum(min(meta.offset, ends[tp]) for tp, meta in committed.items() if tp in ends)


async def live_service() -> tuple[int, float]:
    """The running service (`python -m services.reporting`, one process, per-message
    FastStream consumers) reading the topics from the start with a fresh group: committed
    events per second."""
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    tag = f"reporting-bench-live-{os.getpid()}"  # its principal owns the groups "reporting*"
    consumer = AIOKafkaConsumer(**kafka_options(bootstrap))
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p) for topic in TOPICS
            for p in await partitions_of(consumer, topic)
        ]  # fmt: skip
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    env = os.environ | {"CONSUMER_GROUP": tag, "REDIS_KEY_PREFIX": tag, "LOG_LEVEL": "WARNING",
                        "REPORTING_PORT": "18904"}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.reporting", env=env
    )
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap))
    await admin.start()
    total = sum(ends.values())

    async def progress() -> int | None:
        assert process.returncode is None, "the reporting service exited"
        done = await _group_progress(admin, tag, ends)
        return done or None

    try:
        first = await wait_for(progress, within=120, what="the service's first commit")
        began = time.perf_counter()

        async def finished() -> int | None:
            done = await progress()
            return done if done is not None and done >= total else None

        done = await wait_for(finished, within=3600, what="the service caught up")
        return done - first, time.perf_counter() - began
    finally:
        process.terminate()
        await process.wait()
        await admin.close()
        await _drop_schemas(tag)


async def _drop_schemas(tag: str) -> None:
    pool = await connect(ReportingSettings().database(), max_size=1)
    try:
        for (name,) in await pool.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", f"{tag}%"
        ):
            await pool.execute(f'DROP SCHEMA "{name}" CASCADE')
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="rebuild processes")
    parser.add_argument("--live-only", action="store_true", help="only the running service")
    args = parser.parse_args()
    tune_for_batches()  # as the services and the rebuild command do
    if args.live_only:
        _print_live()
        return
    applied, seconds = asyncio.run(project(args.dossiers, f"bench-reporting-{os.getpid()}"))
    print(f"events projected            {applied:>12,}")
    print(f"projection events/s         {applied / seconds:>12,.0f}   target >= 10,000")
    if args.skip_rebuild:
        return
    asyncio.run(publish(args.dossiers))
    prefix = f"bench-rebuild-{os.getpid()}"
    settings = ReportingSettings.model_validate({"REDIS_KEY_PREFIX": prefix})
    summary = asyncio.run(rebuild(settings, args.workers))
    print(f"rebuild: events replayed    {summary['events']:>12,}  (all of the topics)")
    print(f"rebuild processes           {summary['workers']:>12,}")
    print(f"rebuild seconds             {summary['seconds']:>12,.1f}")
    print(f"rebuild events/s            {summary['events'] / summary['seconds']:>12,.0f}")
    _print_live()


def _print_live() -> None:
    consumed, seconds = asyncio.run(live_service())
    print(f"live service: events        {consumed:>12,}")
    print(f"live service events/s       {consumed / seconds:>12,.0f}   (one process)")


if __name__ == "__main__":  # the rebuild's processes re-import this module (spawn)
    main()
