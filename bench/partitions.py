"""Benchmark: the dossiers' table partitioned by year of receipt, beside the table as it is.

    .venv/bin/python -m bench.partitions --schema <a schema of years, from bench.report_history>
        [--keep]

README's "Past one machine" designs yearly partitions of `dossier`: by the year of receipt
that a dossier's code carries (`{agency}-{yyMMdd}-{seq}`), so that every event of a dossier
finds its partition by its code alone. This measures what they change on a real history,
without changing the service: the schema's dossiers are copied into a table partitioned that
way (one partition a year, a default for codes of another shape), with the same indexes
(the key becomes `(code, year)`), and the same shapes of query are timed on both:
- what a period's fact-reading reports read (the held-late, digital and steps tables, a
  drill-down past its window): the dossiers whose life meets a month, by the GiST index;
- the same for an older month, where the partitions received after it are pruned;
- what the projection's merge reads: a batch of 500 dossiers by code, without and with the
  year the code gives;
- taking a year out of the history: DELETE (rolled back) against DETACH PARTITION.
Prints a markdown table (BENCHMARKS.md). Drops the copy unless `--keep`.
"""

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bench.report_history import CODE_DATE
from services.reporting.settings import ReportingSettings
from services.reporting.store.postgres import connect, quoted
from shared.domain.business_calendar import VIETNAM

YEAR_OF_CODE = r"-(\d\d)\d{4}-"  # the yy of `{agency}-{yyMMdd}-{seq}` (CODE_DATE's, in SQL)
COPIED = (
    "code, facts, agency, level, field, procedure, channel, received_at, ended_at, ending, "
    "classification, apology, late_since, paused, life, fully_online, digitised, "
    "electronic_result, step_ends, paid, paid_online"
)


def year_of(column: str) -> str:
    return f"coalesce(2000 + substring({column} from '{YEAR_OF_CODE}')::int, 0)::smallint"


async def build(pool: Any, source: str, target: str, years: list[int] | None) -> float:
    """A copy of the dossiers with the same indexes, built the same way, partitioned by year
    when `years` are given (one table otherwise): the seconds the copy and its indexes took."""
    await pool.execute(f"DROP SCHEMA IF EXISTS {target} CASCADE; CREATE SCHEMA {target}")
    split = " PARTITION BY RANGE (year)" if years else ""
    await pool.execute(
        f"CREATE TABLE {target}.dossier (LIKE {source}.dossier INCLUDING DEFAULTS, "
        f"year smallint NOT NULL){split}"
    )
    for year in years or []:
        await pool.execute(
            f"CREATE TABLE {target}.dossier_{year} PARTITION OF {target}.dossier "
            f"FOR VALUES FROM ({year}) TO ({year + 1})"
        )
    if years:
        await pool.execute(
            f"CREATE TABLE {target}.dossier_other PARTITION OF {target}.dossier DEFAULT"
        )
    began = time.perf_counter()
    await pool.execute(
        f"INSERT INTO {target}.dossier ({COPIED}, year) "
        f"SELECT {COPIED}, {year_of('code')} FROM {source}.dossier",
        timeout=7200,
    )
    key = "(code, year)" if years else "(code)"
    for ddl in (
        f"ALTER TABLE {{t}}.dossier ADD PRIMARY KEY {key}",
        "CREATE INDEX ON {t}.dossier (agency, code)",
        "CREATE INDEX ON {t}.dossier USING gist (life)",
        "VACUUM ANALYZE {t}.dossier",
    ):
        await pool.execute(ddl.format(t=target), timeout=7200)
    return time.perf_counter() - began


async def timed(run: Callable[[], Awaitable[Any]], repeat: int) -> float:
    """The median of `repeat` runs, in ms, after one to warm the cache."""
    await run()
    took = []
    for _ in range(repeat):
        began = time.perf_counter()
        await run()
        took.append((time.perf_counter() - began) * 1000)
    return statistics.median(took)


async def table_bytes(pool: Any, schema: str) -> int:
    return int(
        await pool.fetchval(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = $1 AND c.relname LIKE 'dossier%' AND c.relkind = 'r'",
            schema,
        )
    )


async def measure(schema: str, keep: bool, repeat: int) -> None:
    pool = await connect(ReportingSettings().database(), max_size=2)
    source = quoted(schema)
    flat, split = quoted(f"{schema[:50]}-flat"), quoted(f"{schema[:50]}-parts")
    try:
        held = await pool.fetchval(f"SELECT count(*) FROM {source}.dossier")
        years = sorted(
            int(y)
            for (y,) in await pool.fetch(f"SELECT DISTINCT {year_of('code')} FROM {source}.dossier")
            if y
        )
        flat_seconds = await build(pool, source, flat, None)
        split_seconds = await build(pool, source, split, years)
        print(f"{held:,} dossiers received {years[0]}-{years[-1]}, copied with their indexes:")
        print(
            f"one table {flat_seconds:.0f} s, {len(years)} yearly partitions {split_seconds:.0f} s"
        )
        rows: list[tuple[str, list[float]]] = []

        async def each(name: str, query: str, *args: Any, pruned: str = "") -> None:
            took = []
            for table in (source, flat, split):
                text = query.format(t=table) + (pruned if table == split else "")

                async def run(text: str = text) -> Any:
                    return await pool.fetch(text, *args)

                took.append(await timed(run, repeat))
            rows.append((name, took))

        life = "SELECT count(*) FROM {t}.dossier d WHERE d.life && tstzrange($1, $2, '[)')"
        for year in sorted({years[-1], years[len(years) // 2]}, reverse=True):
            month = (datetime(year, 1, 1, tzinfo=VIETNAM), datetime(year, 2, 1, tzinfo=VIETNAM))
            await each(f"the dossiers alive in January {year} (life index)", life, *month)
            await each(f"the same, partitions received after {year} pruned", life, *month,
                       pruned=f" AND d.year <= {year}")  # fmt: skip
        codes = [r[0] for r in await pool.fetch(f"SELECT code FROM {source}.dossier")]
        batch = random.Random(7).sample(codes, 500)
        by_code = "SELECT code FROM {t}.dossier WHERE code = ANY($1::text[])"
        await each("a merge's 500 dossiers, by code alone", by_code, batch)
        years_of = sorted({2000 + int(m.group(1)) for c in batch if (m := CODE_DATE.search(c))})
        given = by_code + " AND $2::int[] IS NOT NULL"  # the years, used by the partitions
        await each("the same, with the years the codes give", given, batch, years_of,
                   pruned=" AND year = ANY($2::int[])")  # fmt: skip
        oldest = years[0]
        rows.append((f"taking {oldest} out (DELETE, rolled back / DETACH PARTITION)",
                     [await _delete_year(pool, source, oldest),
                      await _delete_year(pool, flat, oldest),
                      await _detach_year(pool, split, oldest)]))  # fmt: skip
        sizes = [await table_bytes(pool, s.strip('"')) / held for s in (source, flat, split)]
        print_table(held, rows, sizes)
    finally:
        if not keep:
            for copy in (flat, split):
                await pool.execute(f"DROP SCHEMA IF EXISTS {copy} CASCADE")
        await pool.close()


def print_table(held: int, rows: list[tuple[str, list[float]]], sizes: list[float]) -> None:
    print(f"\n| {held:,} dossiers, ms | the table as the service filled it | "
          "the same rebuilt at once | partitioned by year, built the same |")  # fmt: skip
    print("|---|---:|---:|---:|")
    for name, took in rows:
        print(f"| {name} | " + " | ".join(f"{t:,.1f}" for t in took) + " |")
    print("| bytes per dossier, table and indexes | " + " | ".join(f"{b:,.0f}" for b in sizes)
          + " |")  # fmt: skip


async def _delete_year(pool: Any, source: str, year: int) -> float:
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        # the rows alone (the roll-up's row trigger held off, as the projection's merge does:
        # a year taken out of the facts keeps its figures in the roll-up either way)
        await connection.execute("SET LOCAL reporting.merging = on")
        began = time.perf_counter()
        await connection.execute(
            f"DELETE FROM {source}.dossier WHERE {year_of('code')} = $1", year, timeout=7200
        )
        took = (time.perf_counter() - began) * 1000
        await transaction.rollback()
    return took


async def _detach_year(pool: Any, target: str, year: int) -> float:
    began = time.perf_counter()
    await pool.execute(f"ALTER TABLE {target}.dossier DETACH PARTITION {target}.dossier_{year}")
    took = (time.perf_counter() - began) * 1000
    await pool.execute(
        f"ALTER TABLE {target}.dossier ATTACH PARTITION {target}.dossier_{year} "
        f"FOR VALUES FROM ({year}) TO ({year + 1})"
    )
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    asyncio.run(measure(args.schema, args.keep, args.repeat))


if __name__ == "__main__":
    main()
