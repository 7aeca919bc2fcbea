"""Benchmark: reports at a province's scale, from PostgreSQL, over HTTP.

    .venv/bin/python -m bench.report_queries [--dossiers 1000000] [--agencies 300]
        [--fill kafka|direct] [--schema NAME --skip-fill] [--explain] [--keep]

1. Fill a fresh schema with a year (2025) of dossiers across the agencies, every state
   represented (refused, withdrawn, stopped, resolved early / on time / late, open within,
   overdue and paused, a supplement's pause and restart), with ratings:
   - `--fill kafka` (the default): the events go on the real topics and the running reporting
     service (`python -m services.reporting`, a fresh consumer group started at the topics'
     end) applies them; its rate in events per second is the projection's;
   - `--fill direct`: the projector applies them to the schema in this process (faster to
     iterate; not the live path).
2. Time the running service over HTTP: the processing table for January, the year, one
   agency's January and by commune as the map is; a drill-down page of 100 (keyset); the page;
   a /metrics scrape. p50 / p99 of `--repeat` requests each.
3. 16 concurrent report requests, with the service's RSS sampled every 20 ms.
4. What the database holds per dossier, in bytes.
Needs `scripts/infra.sh up` and the topics. Prints a markdown table (BENCHMARKS.md).
"""

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from services.reporting.domain.dossier_facts import update_of
from services.reporting.domain.periods import named_period
from services.reporting.settings import ReportingSettings
from services.reporting.store.postgres import PostgresReportingStore, connect, migrate
from services.reporting.tools.rebuild import TOPICS
from shared.domain.business_calendar import VIETNAM
from shared.events.envelope import Event
from shared.events.vocabulary import Channel, Classification, RatingLevel
from tests.support import dossier_events as ev
from tests.support.kafka_clients import kafka_options
from tests.support.kafka_probe import start_group_at_end
from tests.support.report_scenario import classified, deadline_set, rating, topic_of
from tests.support.waiting import wait_for

YEAR_START = datetime(2025, 1, 1, tzinfo=VIETNAM)
PORT = 18904
CHANNELS = [Channel.COUNTER] * 6 + [Channel.ONLINE] * 3 + [Channel.POSTAL]


def agency_code(n: int) -> str:
    return f"BENCH.A{n:03d}"


def life(
    n: int, dossiers: int, agencies: int, rng: random.Random, numbers: dict[str, int]
) -> list[Event]:
    """One dossier's events, in time order; the dossiers are received through 2025 in the
    order they come (as a desk files them, so the history is stored in time order)."""
    agency = agency_code(n % agencies)
    at = YEAR_START + timedelta(days=365 * n / dossiers, minutes=rng.randrange(60))
    day = f"{agency}-{at:%y%m%d}"
    numbers[day] = numbers.get(day, 0) + 1
    code = f"{day}-{numbers[day]:04d}"
    receipt = ev.received(code, at, agency=agency)
    channel = rng.choice(CHANNELS)
    body = receipt.body.model_copy(update={"channel": channel})
    events: list[Event] = [receipt.model_copy(update={"body": body})]
    if rng.random() < 0.03:
        return [*events, ev.receipt_refused(code, at + timedelta(minutes=30))]
    due = at + timedelta(days=5)
    events.append(deadline_set(code, due, at))
    now = at
    if rng.random() < 0.2:  # a supplement: paused two days, the clock restarted
        asked, back = at + timedelta(days=2), at + timedelta(days=4)
        events += [ev.supplement_requested(code, asked), ev.supplement_received(code, back)]
        due, now = back + timedelta(days=5), back
        events.append(deadline_set(code, due, back))
    ending = now + timedelta(hours=rng.randrange(6, 24 * 8))
    if ending >= YEAR_START + timedelta(days=365) or rng.random() < 0.02:
        if rng.random() < 0.3:
            events.append(ev.supplement_requested(code, now + timedelta(hours=3)))
        return events  # open at the year's end: within, overdue or paused
    draw = rng.random()
    if draw < 0.05:
        return [*events, ev.withdrawn(code, ending)]
    if draw < 0.08:
        return [*events, ev.stopped(code, ending)]
    kind = (
        Classification.EARLY if ending.date() < due.date()
        else Classification.ON_TIME if ending.date() == due.date() else Classification.LATE
    )  # fmt: skip
    events += [ev.resolved(code, ending), classified(code, ending, kind)]
    if rng.random() < 0.3:
        level = rng.choice(list(RatingLevel))
        events.append(rating(code, level, ending + timedelta(hours=1)))
    return events


def lives(dossiers: int, agencies: int, seed: int = 2025) -> Iterator[list[Event]]:
    rng, numbers = random.Random(seed), dict[str, int]()
    for n in range(dossiers):
        yield life(n, dossiers, agencies, rng, numbers)


async def publish(dossiers: int, agencies: int) -> int:
    producer = AIOKafkaProducer(
        **kafka_options(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")),
        linger_ms=20, max_batch_size=512 * 1024,
    )  # fmt: skip
    await producer.start()
    sent = 0
    try:
        pending = []
        for events in lives(dossiers, agencies):
            for event in events:
                key = event.body.dossier_code.encode()  # type: ignore[attr-defined]
                pending.append(
                    await producer.send(topic_of(event), event.model_dump_json().encode(), key=key)
                )
                sent += 1
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


async def fill_direct(settings: ReportingSettings, dossiers: int, agencies: int) -> int:
    pool = await connect(settings.database(), max_size=2)
    store = PostgresReportingStore(pool, settings.read_model_schema)
    applied, batch = 0, []
    try:
        for events in lives(dossiers, agencies):
            batch += [update for event in events if (update := update_of(event))]
            if len(batch) >= 5000:
                await store.apply(batch)
                applied, batch = applied + len(batch), []
        await store.apply(batch)
        return applied + len(batch)
    finally:
        await pool.close()


@asynccontextmanager
async def service(settings_env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    env = os.environ | settings_env | {"LOG_LEVEL": "WARNING", "REPORTING_PORT": str(PORT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.reporting", env=env
    )
    try:
        async with httpx.AsyncClient(timeout=5) as client:

            async def healthy() -> bool:
                assert process.returncode is None, "the reporting service exited"
                try:
                    return (await client.get(f"http://127.0.0.1:{PORT}/health")).status_code == 200
                except httpx.HTTPError:
                    return False

            await wait_for(healthy, within=180, what="the reporting service healthy")
        yield process
    finally:
        process.terminate()
        await process.wait()


async def committed_events(group: str) -> int:
    admin = AIOKafkaAdminClient(
        **kafka_options(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    )
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return sum(meta.offset for meta in offsets.values() if meta.offset > 0)
    finally:
        await admin.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


REPORTS = {
    "processing, January, all agencies": "/v1/reports/processing?period=2025-M01",
    "processing, the year": "/v1/reports/processing?period=2025-Y",
    "processing, one agency's January": "/v1/reports/processing?period=2025-M01&agency=BENCH.A007",
    "processing, by commune as the map is": "/v1/reports/processing?period=2025-M06"
    "&group_by=unit&map=as_is",
    "drill-down page of 100, a month's cell (keyset)": "/v1/reports/processing/dossiers"
    "?period=2025-M01&column=resolved_total&page_size=100&after=BENCH.A150-250110",
    "drill-down page of 100, a year's cell (keyset)": "/v1/reports/processing/dossiers"
    "?period=2025-Y&column=resolved_late&page_size=100&after=BENCH.A150-250601",
    "the page": "/v1/reports/page?period=2025-M01",
    "/metrics scrape": "/metrics",
}


async def time_requests(client: httpx.AsyncClient, path: str, repeat: int) -> list[float]:
    took = []
    for _ in range(repeat):
        began = time.perf_counter()
        answer = await client.get(path)
        took.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return took


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def measure(pid: int, repeat: int) -> list[tuple[str, float, float, int]]:
    rows = []
    base = f"http://127.0.0.1:{PORT}"
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        for name, path in REPORTS.items():
            times = await time_requests(client, path, 1 if name == "the page" else repeat)
            rows.append((name, statistics.median(times), p99(times), len(times)))
        peak, done = rss_mb(pid), asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_mb(pid))
                await asyncio.sleep(0.02)

        sampler = asyncio.create_task(sample())
        mix = [p for n, p in REPORTS.items() if n.startswith(("processing", "drill"))]
        began = time.perf_counter()
        together = await asyncio.gather(
            *(time_requests(client, mix[i % len(mix)], 3) for i in range(16))
        )
        wall = time.perf_counter() - began
        done.set()
        await sampler
        flat = [t for each in together for t in each]
        rows.append((f"16 concurrent ({wall:.1f} s wall), peak RSS {peak:.0f} MB",
                     statistics.median(flat), p99(flat), len(flat)))  # fmt: skip
    return rows


async def bytes_per_dossier(settings: ReportingSettings) -> tuple[int, float]:
    pool = await connect(settings.database(), max_size=1)
    try:
        name = f'"{settings.read_model_schema}"'
        count = await pool.fetchval(f"SELECT count(*) FROM {name}.dossier")
        size = await pool.fetchval(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
            settings.read_model_schema,
        )
        return int(count), float(size) / max(1, int(count))
    finally:
        await pool.close()


class Explaining:
    """A pool whose `fetch` prints the query's plan (EXPLAIN ANALYZE) before running it."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def fetch(self, query: str, *args: Any) -> Any:
        plan = await self.pool.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {query}", *args)
        print("\n".join(row[0] for row in plan))
        return await self.pool.fetch(query, *args)


async def explain(settings: ReportingSettings) -> None:
    pool = await connect(settings.database(), max_size=1)
    try:
        store = PostgresReportingStore(Explaining(pool), settings.read_model_schema)  # type: ignore[arg-type]
        for name in ("2025-M01", "2025-Y"):
            print(f"-- processing {name}")
            await store.processing_table(named_period(name), "agency")
    finally:
        await pool.close()


async def run(args: argparse.Namespace) -> None:
    stamp = f"bench-q{int(time.time())}"
    schema = args.schema or stamp
    group = f"reporting-{stamp}"
    env = {"REPORTING_SCHEMA": schema, "CONSUMER_GROUP": group}
    settings = ReportingSettings.model_validate({"REPORTING_SCHEMA": schema})
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    await start_group_at_end(bootstrap, group, *TOPICS)
    fill: tuple[int, float] | None = None
    if not args.skip_fill and args.fill == "direct":
        pool = await connect(settings.database(), max_size=1)
        await migrate(pool, schema)
        await pool.close()
        began = time.perf_counter()
        applied = await fill_direct(settings, args.dossiers, args.agencies)
        fill = (applied, time.perf_counter() - began)
    async with service(env) as process:
        if not args.skip_fill and args.fill == "kafka":
            first = await committed_events(group)  # the topics' ends when the group started
            began = time.perf_counter()
            sent = await publish(args.dossiers, args.agencies)
            published = time.perf_counter() - began

            async def caught_up() -> bool:
                return await committed_events(group) - first >= sent

            await wait_for(caught_up, within=7200, what="the service to apply the fill")
            fill = (sent, time.perf_counter() - began)
            print(f"published {sent:,} events in {published:.0f} s; applied by the service "
                  f"{fill[1]:.0f} s after the first was published")  # fmt: skip
        rows = await measure(process.pid or 0, args.repeat)
    count, per_dossier = await bytes_per_dossier(settings)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\n{count:,} dossiers in schema {schema} ({args.agencies} agencies); {machine}")
    if fill:
        print(f"fill ({args.fill}): {fill[0]:,} events in {fill[1]:.0f} s = "
              f"{fill[0] / fill[1]:,.0f} events/s")  # fmt: skip
    print(f"database: {per_dossier:,.0f} bytes per dossier (tables and indexes)\n")
    print("| request | p50 ms | p99 ms | requests |")
    print("|---|---:|---:|---:|")
    for name, p50, worst, n in rows:
        print(f"| {name} | {p50:,.0f} | {worst:,.0f} | {n} |")
    if args.explain:
        await explain(settings)
    if not args.keep and not args.schema:
        pool = await connect(settings.database(), max_size=1)
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=300)
    parser.add_argument("--fill", choices=["kafka", "direct"], default="kafka")
    parser.add_argument("--schema", help="an existing schema to time (with --skip-fill)")
    parser.add_argument("--skip-fill", action="store_true")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the tables")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
