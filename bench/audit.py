"""Benchmark: the independent audit's own work on a province's year, without the service.

    .venv/bin/python -m bench.audit [--dossiers 250000] [--kafka]

1. Parse and fold: `--dossiers` x 4 lifecycle events (received, deadline set, resolved,
   classified; those of `bench.reporting_projection`) as JSON, parsed with the topics'
   contracts, folded by `audit_fold`, then every cell of the processing table in its four
   groupings for the year and for one month.
2. With `--kafka`: the same reading from the real topics (`EventReader`, from the start), as
   the audit does (run `bench.reporting_projection` first to put the events there).
"""

import argparse
import asyncio
import time
from datetime import date

from bench.reporting_projection import lifecycle
from services.reporting.domain.periods import Period
from services.reporting.settings import ReportingSettings
from services.reporting.tools import audit_fold
from services.reporting.tools.audit import EventReader
from services.reporting.tools.rebuild import PARSERS
from shared.messaging.kafka_principals import OPERATOR

GROUPINGS = ("agency", "level", "field", "procedure")


def fold_and_count(dossiers: int) -> list[tuple[str, int, float]]:
    raw = [(topic, event.model_dump_json().encode()) for n in range(dossiers)
           for topic, event in lifecycle(n)]  # fmt: skip
    started = time.perf_counter()
    history = audit_fold.fold(PARSERS[topic].validate_json(value) for topic, value in raw)
    parsed = time.perf_counter()
    rows: list[tuple[str, int, float]] = [("parse and fold", len(raw), parsed - started)]
    for label, period in (("2026", Period(date(2026, 1, 1), date(2026, 12, 31))),
                          ("2026-01", Period(date(2026, 1, 1), date(2026, 1, 31)))):  # fmt: skip
        begun = time.perf_counter()
        for grouping in GROUPINGS:
            audit_fold.processing_cells(history, period.start, period.end, grouping)
        rows.append((f"cells, 4 groupings, {label}", len(raw), time.perf_counter() - begun))
    return rows


async def read_from_kafka() -> tuple[str, int, float]:
    reader = EventReader(ReportingSettings().kafka_access(OPERATOR), None)
    started = time.perf_counter()
    await reader.start()
    try:
        await reader.read_to_end()
    finally:
        await reader.stop()
    return ("read and fold from Kafka", reader.events, time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=250_000)
    parser.add_argument("--kafka", action="store_true")
    args = parser.parse_args()
    rows = fold_and_count(args.dossiers)
    if args.kafka:
        rows.append(asyncio.run(read_from_kafka()))
    print(f"{'step':<32} {'events':>10} {'seconds':>9} {'events/s':>10}")
    for step, events, seconds in rows:
        print(f"{step:<32} {events:>10,} {seconds:>9.1f} {events / seconds:>10,.0f}")


if __name__ == "__main__":
    main()
