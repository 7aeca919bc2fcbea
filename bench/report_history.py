"""Benchmark helper: years of a province's history from one year's, to time reports on a
database the size of ten years.

    .venv/bin/python -m bench.report_history --from-schema <a kept bench.report_queries schema>
        [--years 10]
    .venv/bin/python -m bench.report_queries --schema <the schema it prints> --skip-fill

Copies every dossier of the one-year schema (2025) into a fresh schema once per year, moved
back 0 to N-1 years (its code's date, every instant of its facts), through the projection's
own merge (`merge_dossiers`: the table's triggers, the roll-up), so each row is derived and
rolled up exactly as the projection does it. The projection's own
rate is measured by `bench.report_queries` and `bench.reporting_projection`; this is only
the fastest way to a database of ten years' dossiers on one machine.
"""

import argparse
import asyncio
import json
import re
import time
from datetime import datetime, timedelta

from services.reporting.settings import ReportingSettings
from services.reporting.store.postgres import connect, migrate, quoted

INSTANT_KEYS = ("due:", "pause:", "paid:")  # facts keyed by an epoch
CODE_DATE = re.compile(r"-(\d{2})(\d{4})-")


def moved(code: str, facts: dict[str, str], years: int) -> tuple[str, dict[str, str]]:
    """A dossier `years` years earlier: its code's date, its epoch keys and instant values."""
    shift = timedelta(days=365 * years)
    code = CODE_DATE.sub(lambda m: f"-{int(m.group(1)) - years:02d}{m.group(2)}-", code, 1)
    out: dict[str, str] = {}
    for key, value in facts.items():
        kind, _, epoch = key.partition(":")
        if f"{kind}:" in INSTANT_KEYS:
            key = f"{kind}:{float(epoch) - shift.total_seconds()}"
        if kind in ("received_at", "ended", "due"):
            value = (datetime.fromisoformat(value) - shift).isoformat()
        out[key] = value
    return code, out


async def copy_years(
    source: str, years: int, into: str | None = None, first: int = 0
) -> tuple[str, int, float]:
    settings = ReportingSettings()
    pool = await connect(settings.database(), max_size=3)
    target = into or f"bench-h{int(time.time())}"
    await migrate(pool, target)
    began, copied = time.perf_counter(), 0
    try:
        rows = await pool.fetch(f"SELECT code, facts::text FROM {quoted(source)}.dossier")
        for back in range(first, years):
            for first in range(0, len(rows), 20_000):
                batch = [moved(r[0], json.loads(r[1]), back) for r in rows[first : first + 20_000]]
                # as the projection writes (the roll-up moved with the facts); a merge is
                # idempotent, so a copy started again goes on
                await pool.execute(
                    f"SELECT {quoted(target)}.merge_dossiers($1::text[], $2::text[]::jsonb[])",
                    [code for code, _ in batch], [json.dumps(f) for _, f in batch],
                    timeout=3600,
                )  # fmt: skip
                copied += len(batch)
            print(f"year {2025 - back}: {copied:,} dossiers, {time.perf_counter() - began:.0f} s")
        await pool.execute(f"VACUUM ANALYZE {quoted(target)}.dossier", timeout=3600)
    finally:
        await pool.close()
    return target, copied, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--from-schema", required=True)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--into", help="an existing schema to add to (a second process)")
    parser.add_argument("--first", type=int, default=0, help="the first year back to copy")
    args = parser.parse_args()
    target, copied, seconds = asyncio.run(
        copy_years(args.from_schema, args.years, args.into, args.first)
    )
    print(f"schema {target}: {copied:,} dossiers in {seconds:.0f} s")


if __name__ == "__main__":
    main()
