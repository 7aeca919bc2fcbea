"""The independent audit: reads the event topics from Kafka, folds them with its own reading of
the definitions (`audit_fold`, not the read model's code, not its database), and compares every cell
of the processing and satisfaction tables, in every grouping, and of the steps and late while
held by tables, with what the running service answers. Prints each difference and exits 1
on any; records its result for the metrics (`reporting_audit_differences`,
`reporting_audit_last_run_timestamp_seconds`).

    python -m services.reporting.tools.audit --period 2026-M03 [--regime] [--url http://...:8004]
    python -m services.reporting.tools.audit --from 2026-03-01 --to 2026-03-31

It compares at a consistent point: it reads the topics to their end, waits until the service's
consumer group has committed those offsets, reads the service's tables, and, if the topics grew
meanwhile, reads the new events and compares again (a few attempts).
"""

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from services.reporting.domain.digital_reports import DIGITAL_COLUMNS
from services.reporting.domain.feedback_reports import FEEDBACK_COLUMNS
from services.reporting.domain.periods import Period, period_from
from services.reporting.settings import ReportingSettings
from services.reporting.store.postgres import PostgresKeyspace, connect
from services.reporting.tools.audit_extra import FeedbackHistory, digital_cells, feedback_cells
from services.reporting.tools.audit_fold import (
    AuditHistory,
    ByUnit,
    Table,
    held_late_cells,
    processing_cells,
    satisfaction_cells,
    step_cells,
)
from services.reporting.tools.rebuild import PARSERS, TOPICS
from shared.domain.admin_units import MapReading, Tier, UnitMap
from shared.domain.business_calendar import VIETNAM
from shared.domain.rating_reasons import ReasonCategories
from shared.messaging.history import partitions_of
from shared.messaging.kafka_access import KafkaAccess
from shared.messaging.kafka_principals import OPERATOR
from shared.messaging.reference_follower import ReferenceFollower

GROUPINGS = ("agency", "level", "field", "procedure")
RATING_GROUPINGS = ("agency", "clerk", "procedure")
UNIT_READINGS = (  # group_by=unit: every tier as the map was, and today's tiers as it is
    (MapReading.AS_WAS, Tier.PROVINCE), (MapReading.AS_WAS, Tier.DISTRICT),
    (MapReading.AS_WAS, Tier.COMMUNE), (MapReading.AS_IS, Tier.PROVINCE),
    (MapReading.AS_IS, Tier.COMMUNE),
)  # fmt: skip
RATES = {"on_time_rate": ("resolved_early", "resolved_on_time", "resolved_total"),
         "online_rate": ("new_online", None, "new_total"),
         "satisfied_rate": ("very_satisfied", "satisfied", "ratings_total")}  # fmt: skip


@dataclass(frozen=True)
class Difference:
    table: str
    group_by: str
    row: str
    column: str
    service: Any
    audit: Any

    def __str__(self) -> str:
        return (f"{self.table} by {self.group_by}, row {self.row}, column {self.column}: "
                f"service {self.service}, audit {self.audit}")  # fmt: skip


@dataclass
class AuditResult:
    period: str
    events: int = 0
    cells: int = 0
    differences: list[Difference] = field(default_factory=list)
    finished_at: float = 0.0
    seconds: float = 0.0


class EventReader:
    """Reads the event topics from a start instant, fetch after fetch."""

    def __init__(self, access: KafkaAccess, since: datetime | None) -> None:
        self.consumer = AIOKafkaConsumer(**access.client_options(), enable_auto_commit=False)
        self.since = since
        self.history = AuditHistory()
        self.feedback = FeedbackHistory()
        self.events = 0
        self.partitions: list[TopicPartition] = []

    async def start(self) -> None:
        await self.consumer.start()
        self.partitions = [
            TopicPartition(topic, p) for topic in TOPICS
            for p in sorted(await partitions_of(self.consumer, topic))
        ]  # fmt: skip
        self.consumer.assign(self.partitions)
        await self.consumer.seek_to_beginning(*self.partitions)
        if self.since is not None:
            stamp = int(self.since.timestamp() * 1000)
            found = await self.consumer.offsets_for_times(dict.fromkeys(self.partitions, stamp))
            ends = await self.consumer.end_offsets(self.partitions)
            for partition in self.partitions:
                at = found.get(partition)
                self.consumer.seek(partition, at.offset if at is not None else ends[partition])

    async def read_to_end(self) -> dict[TopicPartition, int]:
        ends: dict[TopicPartition, int] = await self.consumer.end_offsets(self.partitions)
        while [tp for tp in self.partitions if await self.consumer.position(tp) < ends[tp]]:
            fetched = await self.consumer.getmany(timeout_ms=500, max_records=10_000)
            for records in fetched.values():
                for record in records:
                    if record.offset < ends[TopicPartition(record.topic, record.partition)]:
                        self._add(record.topic, record.value or b"")
        return ends

    def _add(self, topic: str, value: bytes) -> None:
        try:
            event = PARSERS[topic].validate_json(value)
        except ValidationError:
            return  # dead-lettered by the service too: in neither figure
        self.history.add(event)
        self.feedback.add(event)
        self.events += 1

    async def stop(self) -> None:
        await self.consumer.stop()


async def wait_for_group(
    access: KafkaAccess, group: str, ends: dict[TopicPartition, int], within: float
) -> None:
    """Until the service's group has committed every offset the audit read. A group still
    catching up is waited for; one that made no progress for `within` seconds fails."""
    admin = AIOKafkaAdminClient(**access.client_options())
    await admin.start()
    try:
        deadline = time.monotonic() + within
        progress = -1
        while True:
            committed = await admin.list_consumer_group_offsets(group)
            behind = [
                tp
                for tp, end in ends.items()
                if end > 0 and (committed.get(tp) is None or committed[tp].offset < end)
            ]
            if not behind:
                return
            done = sum(
                min(committed[tp].offset, end) for tp, end in ends.items() if tp in committed
            )
            if done > progress:
                progress, deadline = done, time.monotonic() + within
            if time.monotonic() > deadline:
                at = {tp: committed[tp].offset if tp in committed else "-" for tp in behind}
                where = ", ".join(
                    f"{tp.topic}:{tp.partition} at {at[tp]} of {ends[tp]}" for tp in sorted(behind)
                )
                raise TimeoutError(
                    f"group {group} has not caught up on {len(behind)} partitions: {where}"
                )
            await asyncio.sleep(0.5)
    finally:
        await admin.close()


def compare(
    table: str, group_by: str, service: dict[str, Any], audit: Table, columns: tuple[str, ...]
) -> tuple[int, list[Difference]]:
    """Every count and rate of every row (and the total) of one table."""
    rows = {row["group"]: row for row in service["rows"]} | {"total": service["total"]}
    differences: list[Difference] = []
    cells = 0
    for group in sorted(set(rows) | set(audit)):
        theirs, ours = rows.get(group, {}), audit.get(group, {})
        if not theirs and not any(ours.values()):
            continue
        for column in columns:
            cells += 1
            expected = _rate(ours, column) if column in RATES else ours.get(column, 0)
            if theirs.get(column, 0 if column not in RATES else None) != expected:
                differences.append(Difference(table, group_by, group, column,
                                              theirs.get(column), expected))  # fmt: skip
    return cells, differences


def _rate(counts: dict[str, int], rate: str) -> float | None:
    first, second, whole = RATES[rate]
    if not counts.get(whole, 0):
        return None
    part = counts.get(first, 0) + (counts.get(second, 0) if second else 0)
    return round(part / counts[whole], 4)


PROCESSING_COLUMNS = (
    "received_total", "carried_over", "new_total", "new_online", "new_counter", "new_postal",
    "refused_at_receipt", "resolved_total", "resolved_early", "resolved_on_time",
    "resolved_late", "late_with_apology", "withdrawn", "stopped", "pending_total",
    "pending_within", "pending_overdue", "paused", "on_time_rate", "online_rate",
)  # fmt: skip
STEP_COLUMNS = ("closed_total", "closed_on_time", "closed_late", "overrun_minutes")
HELD_LATE_COLUMNS = ("late_total", "overran_steps", "overrun_minutes")
SATISFACTION_COLUMNS = (
    "ratings_total", "very_satisfied", "satisfied", "dissatisfied", "satisfied_rate",
)  # fmt: skip


def _flatten_reasons(answer: dict[str, Any]) -> dict[str, Any]:
    """`dissatisfied_by_reason` as `reason:<category>` cells, as the audit counts them."""
    for row in [*answer["rows"], answer["total"]]:
        for reason, count in row.get("dissatisfied_by_reason", {}).items():
            row[f"reason:{reason}"] = count
    return answer


async def compare_with_service(
    client: httpx.AsyncClient,
    history: AuditHistory,
    period: Period,
    *,
    by_clerk: bool = True,
    by_unit: tuple[ByUnit, ...] = (),
    feedback: FeedbackHistory | None = None,
) -> tuple[int, list[Difference]]:
    """Every table the service publishes; by clerk only with a key of the reports scope."""
    reasons = tuple(f"reason:{c.code}" for c in ReasonCategories.from_file().categories)
    span = {"from": period.first_day.isoformat(), "to": period.last_day.isoformat()}
    cells, differences = 0, list[Difference]()
    groupings: list[tuple[str, dict[str, str], str | ByUnit]] = [
        (g, {"group_by": g}, g) for g in GROUPINGS
    ]
    for unit in by_unit:
        label = f"unit ({unit.reading.value}, {unit.tier.value})"
        groupings.append((label, unit.query, unit))
    for label, query, grouping in groupings:
        answer = await client.get("/v1/reports/processing", params=span | query)
        answer.raise_for_status()
        ours = processing_cells(history, period.start, period.end, grouping)
        counted, found = compare("processing", label, answer.json(), ours, PROCESSING_COLUMNS)
        cells, differences = cells + counted, differences + found
    tables = [
        ("/v1/reports/steps", "procedure/step/agency",
         step_cells(history, period.start, period.end), STEP_COLUMNS),
        ("/v1/reports/late-held-by", "agency",
         held_late_cells(history, period.start, period.end), HELD_LATE_COLUMNS),
        ("/v1/reports/digital", "agency",
         digital_cells(history, period.start, period.end), DIGITAL_COLUMNS),
    ]  # fmt: skip
    if feedback is not None:
        tables.append(("/v1/reports/feedback", "agency/category",
                       feedback_cells(feedback, period.start, period.end),
                       FEEDBACK_COLUMNS))  # fmt: skip
    for route, label, ours, columns in tables:
        answer = await client.get(route, params=span)
        answer.raise_for_status()
        counted, found = compare(route.rsplit("/", 1)[-1], label, answer.json(), ours, columns)
        cells, differences = cells + counted, differences + found
    for group_by in RATING_GROUPINGS if by_clerk else ("agency", "procedure"):
        answer = await client.get("/v1/reports/satisfaction", params=span | {"group_by": group_by})
        answer.raise_for_status()
        ours = satisfaction_cells(history, period.start, period.end, group_by)
        counted, found = compare("satisfaction", group_by, _flatten_reasons(answer.json()), ours,
                                 SATISFACTION_COLUMNS + reasons)  # fmt: skip
        cells, differences = cells + counted, differences + found
    return cells, differences


async def run_audit(
    settings: ReportingSettings, period: Period, url: str, group: str, attempts: int = 4,
    wait_seconds: float = 120, key: str | None = None,
) -> AuditResult:  # fmt: skip
    """`key`: an API key with the reports scope for every agency, to audit the table by clerk
    too (it names people); without one the public tables are audited."""
    started = time.monotonic()
    result = AuditResult(period.label)
    # The audit reads as the read-only operator: it is no part of the service it checks.
    access = settings.kafka_access(OPERATOR)
    by_unit = await unit_groupings(settings, access)
    reader = EventReader(access, settings.replay_from)
    await reader.start()
    try:
        headers = {"X-API-Key": key} if key else {}
        async with httpx.AsyncClient(base_url=url, timeout=120, headers=headers) as client:
            ends = await reader.read_to_end()
            for _ in range(attempts):
                await wait_for_group(access, group, ends, wait_seconds)
                result.cells, result.differences = await compare_with_service(
                    client,
                    reader.history,
                    period,
                    by_clerk=key is not None,
                    by_unit=by_unit,
                    feedback=reader.feedback,
                )
                grown = await reader.read_to_end()
                if not result.differences or grown == ends:
                    break  # agreed, or disagreed on a snapshot that did not move
                ends = grown
    finally:
        await reader.stop()
    result.events, result.seconds = reader.events, round(time.monotonic() - started, 2)
    result.finished_at = time.time()
    return result


async def unit_groupings(settings: ReportingSettings, access: KafkaAccess) -> tuple[ByUnit, ...]:
    """The map (UNITS_FILE) and where the catalogue places each agency (catalogue.events.v1,
    as it is now), for auditing the tables by unit."""
    follower = ReferenceFollower(access, "reporting-audit", topic=settings.catalogue_topic)
    await follower.start()
    try:
        agencies = follower.current.catalogue.agencies
    finally:
        await follower.stop()
    units, today = UnitMap.from_file(settings.units_file), datetime.now(VIETNAM).date()
    agency_units = {code: agency.unit for code, agency in agencies.items()}
    return tuple(ByUnit(units, agency_units, r, t, today) for r, t in UNIT_READINGS)


async def record(settings: ReportingSettings, result: AuditResult) -> None:
    pool = await connect(settings.database(), max_size=2)
    try:
        keyspace = PostgresKeyspace(pool, settings.read_model_schema)
        await keyspace.prepare()
        summary = asdict(result) | {"differences": len(result.differences)}
        await keyspace.store(keyspace.base).record_audit(json.dumps(summary))
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.reporting.tools.audit")
    parser.add_argument("--period", help="2026-M03, 2026-Q1, 2026-H1, 2026-9M, 2026-Y")
    parser.add_argument("--from", dest="from_day", type=date.fromisoformat)
    parser.add_argument("--to", dest="to_day", type=date.fromisoformat)
    parser.add_argument("--regime", action="store_true", help="the 15th-to-14th cut")
    parser.add_argument("--url", help="the reporting service (default: http://127.0.0.1:PORT)")
    parser.add_argument("--group", help="its consumer group (default: CONSUMER_GROUP)")
    parser.add_argument(
        "--key",
        default=os.environ.get("REPORTS_API_KEY"),
        help="an API key with the reports scope for all agencies, to audit the table by clerk "
        "(default: REPORTS_API_KEY; without one, by clerk is skipped)",
    )
    args = parser.parse_args(argv)
    settings = ReportingSettings()
    period = period_from(args.from_day, args.to_day, args.period, regime=args.regime)
    url = args.url or f"http://127.0.0.1:{settings.port}"
    group = args.group or settings.consumer_group or "reporting"
    result = asyncio.run(run_audit(settings, period, url, group, key=args.key))
    if not args.key:
        print("satisfaction by clerk not audited: no key with the reports scope (--key)")
    asyncio.run(record(settings, result))
    for difference in result.differences:
        print(difference)
    print(f"audit {result.period}: {result.events} events, {result.cells} cells compared, "
          f"{len(result.differences)} differences, {result.seconds} s")  # fmt: skip
    return 1 if result.differences else 0


if __name__ == "__main__":
    sys.exit(main())
