"""Rebuild the reports from Kafka: replay every event from the start of the topics into a fresh
PostgreSQL schema, switch the service to it once caught up (one row updated: reports answer
from the old schema until then), then catch up once more (events the live service applied to
the old schema meanwhile). The old schema is left for the operator to drop.

    python -m services.reporting.tools.rebuild [--workers N]

Safe to run while the service runs: every update is an order-free merge.
"""

import argparse
import asyncio
import logging
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import TypeAdapter, ValidationError

from services.reporting.service.projector import Projector
from services.reporting.settings import ReportingSettings
from services.reporting.store.postgres import (
    POINTER_REFRESH_SECONDS,
    PostgresKeyspace,
    PostgresReportingStore,
    connect,
    migrate,
)
from shared.domain.clock import SystemClock
from shared.events.deadline import DEADLINE_EVENT
from shared.events.dossier import DOSSIER_EVENT
from shared.events.envelope import Event
from shared.events.feedback import FEEDBACK_DEADLINE_EVENT, FEEDBACK_EVENT
from shared.events.survey import SURVEY_EVENT
from shared.events.topics import (
    DEADLINE_EVENTS,
    DOSSIER_EVENTS,
    FEEDBACK_DEADLINES,
    FEEDBACK_EVENTS,
    SURVEY_EVENTS,
)
from shared.messaging.history import partitions_of
from shared.runtime.gc_tuning import tune_for_batches
from shared.runtime.log_setup import configure_logging

log = logging.getLogger(__name__)
TOPICS = (DOSSIER_EVENTS, DEADLINE_EVENTS, SURVEY_EVENTS, FEEDBACK_EVENTS, FEEDBACK_DEADLINES)
PARSERS: dict[str, TypeAdapter[Any]] = {
    DOSSIER_EVENTS: DOSSIER_EVENT,
    DEADLINE_EVENTS: DEADLINE_EVENT,
    SURVEY_EVENTS: SURVEY_EVENT,
    FEEDBACK_EVENTS: FEEDBACK_EVENT,
    FEEDBACK_DEADLINES: FEEDBACK_DEADLINE_EVENT,
}


@dataclass
class Replay:
    consumer: AIOKafkaConsumer
    projector: Projector
    store: PostgresReportingStore
    applied: int = 0
    skipped: int = 0

    async def until(self, ends: dict[TopicPartition, int]) -> None:
        """Apply every event before `ends`. While PostgreSQL applies one batch, the next is fetched
        and parsed (the updates are order-free merges, so batches may overlap)."""
        applying: asyncio.Task[None] | None = None
        while [tp for tp, end in ends.items() if await self.consumer.position(tp) < end]:
            batches = await self.consumer.getmany(timeout_ms=500, max_records=5000)
            events = [
                event
                for tp, records in batches.items()
                for record in records
                if record.offset < ends.get(tp, 0)
                and (event := self._parse(tp.topic, record.value or b"")) is not None
            ]
            if applying is not None:
                await applying
                applying = None
            if events:
                applying = asyncio.create_task(self.projector.apply(self.store, events))
                self.applied += len(events)
        if applying is not None:
            await applying

    def _parse(self, topic: str, value: bytes) -> Event | None:
        try:
            return PARSERS[topic].validate_json(value)  # type: ignore[no-any-return]
        except ValidationError:
            self.skipped += 1  # the live consumers dead-lettered it; so does nobody here
            return None


Share = list[tuple[TopicPartition, int, int]]  # partitions, each from an offset up to an end


async def rebuild(settings: ReportingSettings, workers: int = 1) -> dict[str, Any]:
    """Replays every topic into a fresh keyspace, switches to it, and catches up once more.
    With `workers` > 1 the partitions are shared out between that many processes (one
    process parses and applies about 20,000 events/s; every update is an order-free merge,
    so processes may apply theirs concurrently)."""
    pool = await connect(settings.database(), max_size=2)
    keyspace = PostgresKeyspace(pool, settings.read_model_schema)
    await keyspace.prepare()
    fresh = f"{keyspace.base}-r{int(time.time() * 1000)}"
    await migrate(pool, fresh)
    consumer = AIOKafkaConsumer(**settings.kafka_access("reporting").client_options())
    await consumer.start()
    started = time.monotonic()
    counts = [0, 0]
    try:
        partitions = [
            TopicPartition(topic, p) for topic in TOPICS
            for p in sorted(await partitions_of(consumer, topic))
        ]  # fmt: skip
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        await _replay_shares(settings, fresh, _shares(starts, ends, workers), counts)
        await keyspace.switch(fresh)
        # Live instances re-read the pointer at most this long after the switch; the last
        # catch-up starts after that, so it covers whatever they applied to the old keyspace.
        await asyncio.sleep(2 * POINTER_REFRESH_SECONDS)
        later = await consumer.end_offsets(partitions)
        await _replay_shares(settings, fresh, _shares(ends, later, workers), counts)
    finally:
        await consumer.stop()
        await pool.close()
    seconds = time.monotonic() - started
    return {"keyspace": fresh, "events": counts[0], "skipped": counts[1],
            "seconds": round(seconds, 2), "workers": workers}  # fmt: skip


def _shares(
    starts: dict[TopicPartition, int], ends: dict[TopicPartition, int], workers: int
) -> list[Share]:
    """The partitions with records to replay, largest first, each to the least loaded share."""
    shares: list[Share] = [[] for _ in range(workers)]
    loads = [0] * workers
    todo = sorted(((ends[tp] - starts[tp], tp) for tp in ends), key=lambda item: -item[0])
    for size, tp in todo:
        if size > 0:
            least = loads.index(min(loads))
            shares[least].append((tp, starts[tp], ends[tp]))
            loads[least] += size
    return [share for share in shares if share]


async def _replay_shares(
    settings: ReportingSettings, prefix: str, shares: list[Share], counts: list[int]
) -> None:
    if len(shares) <= 1:  # in this process
        results = [await replay_share(settings, prefix, share) for share in shares]
    else:
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(len(shares), mp_context=context) as pool:
            results = list(await asyncio.gather(*(
                loop.run_in_executor(pool, _replay_share_in_process, settings, prefix, share)
                for share in shares
            )))  # fmt: skip
    for applied, skipped in results:
        counts[0] += applied
        counts[1] += skipped


def _replay_share_in_process(
    settings: ReportingSettings, prefix: str, share: Share
) -> tuple[int, int]:
    tune_for_batches()
    return asyncio.run(replay_share(settings, prefix, share))


async def replay_share(settings: ReportingSettings, prefix: str, share: Share) -> tuple[int, int]:
    """Applies each partition's records from its start offset up to its end to the schema
    `prefix`: (events applied, records skipped)."""
    pool = await connect(settings.database(), max_size=2)
    consumer = AIOKafkaConsumer(
        **settings.kafka_access("reporting").client_options(), enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([tp for tp, _, _ in share])
        for tp, start, _ in share:
            consumer.seek(tp, start)
        keyspace = PostgresKeyspace(pool, settings.read_model_schema)
        replay = Replay(consumer, Projector(keyspace, SystemClock(), None), keyspace.store(prefix))
        await replay.until({tp: end for tp, _, end in share})
        return replay.applied, replay.skipped
    finally:
        await consumer.stop()
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Rebuild the reports from Kafka.")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes sharing the partitions (default 1)")  # fmt: skip
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    settings = ReportingSettings()
    configure_logging("reporting-rebuild", settings.log_level)
    tune_for_batches()
    summary = asyncio.run(rebuild(settings, args.workers))
    log.info("rebuild finished", extra=summary)
    print(summary, file=sys.stderr)


if __name__ == "__main__":
    main()
