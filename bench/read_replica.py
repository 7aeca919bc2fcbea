"""Benchmark: how far a read replica is behind the primary while the projection writes.

    bench/replica.sh up
    replica=postgresql://reporting:reporting-dev-secret@127.0.0.1:5433/reporting
    REPORTING_READ_DATABASE_URL=$replica .venv/bin/python -m bench.read_replica [--dossiers N]
    bench/replica.sh down

While the projector applies `--dossiers` x 4 events to the primary at full speed (as
`bench.reporting_projection` does), a probe writes a row on the primary every 200 ms and times
how long the replica takes to show it: the delay a report served by the replica has behind
the facts. Then the same probe with the primary idle. Prints a markdown table (BENCHMARKS.md).
The report queries' own times on the replica are `bench.report_queries --skip-fill` run with
the same variable (the service then sends its report queries to the replica).
"""

import argparse
import asyncio
import contextlib
import os
import statistics
import time
from typing import Any

import asyncpg

from bench.reporting_projection import project
from services.reporting.settings import ReportingSettings
from shared.runtime.gc_tuning import tune_for_batches
from tests.support.waiting import wait_for

PROBE = "public.bench_replica_probe"
EVERY = 0.2  # seconds between probes


async def probe_once(primary: Any, replica: Any) -> float:
    """A row written and committed on the primary, then read on the replica: seconds."""
    written = await primary.fetchval(f"INSERT INTO {PROBE} DEFAULT VALUES RETURNING id")
    began = time.perf_counter()
    # polling the replica for the row is the measure itself (no event can say it arrived)
    while not await replica.fetchval(f"SELECT count(*) FROM {PROBE} WHERE id = $1", written):  # noqa: ASYNC110
        await asyncio.sleep(0.002)
    return time.perf_counter() - began


async def probe_until(primary: Any, replica: Any, done: asyncio.Event) -> list[float]:
    delays = []
    while not done.is_set():
        delays.append(await probe_once(primary, replica))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), EVERY)
    return delays


def summary(name: str, delays: list[float]) -> str:
    ms = sorted(d * 1000 for d in delays)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"| {name} | {len(ms)} | {statistics.median(ms):.1f} | {p99:.1f} | {ms[-1]:.1f} |"


async def measure(dossiers: int) -> None:
    settings = ReportingSettings()
    if settings.read_database_url is None:
        raise SystemExit("REPORTING_READ_DATABASE_URL must name the replica (bench/replica.sh)")
    primary = await asyncpg.connect(settings.database())
    replica = await asyncpg.connect(settings.database(read=True))
    try:
        await primary.execute(f"CREATE TABLE IF NOT EXISTS {PROBE} (id bigserial PRIMARY KEY)")
        if not await replica.fetchval("SELECT pg_is_in_recovery()"):
            raise SystemExit("REPORTING_READ_DATABASE_URL is not a replica (not in recovery)")
        await wait_for(lambda: replica.fetchval(f"SELECT to_regclass('{PROBE}')"), what="the probe")
        done = asyncio.Event()
        prober = asyncio.create_task(probe_until(primary, replica, done))
        applied, seconds = await project(dossiers, f"bench-replica-{os.getpid()}")
        done.set()
        loaded = await prober
        idle = [await probe_once(primary, replica) for _ in range(50)]
    finally:
        await primary.execute(f"DROP TABLE IF EXISTS {PROBE}")
        await primary.close()
        await replica.close()
    print(f"primary written: {applied:,} events in {seconds:.1f} s = {applied / seconds:,.0f}/s")
    print("\n| replica behind the primary | probes | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    print(summary("while the projection writes at full speed", loaded))
    print(summary("primary idle", idle))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dossiers", type=int, default=100_000)
    args = parser.parse_args()
    tune_for_batches()  # as the services do
    asyncio.run(measure(args.dossiers))


if __name__ == "__main__":
    main()
