"""Rebuild the reports from Kafka: replay every event from the start of the topics into a fresh
keyspace, switch the service to it once caught up, then catch up once more (events the live
service applied to the old keyspace meanwhile). The old keyspace is left for the operator.

    python -m services.reporting.rebuild

Safe to run while the service runs: every update is an order-free merge.
"""

import asyncio
import logging
import sys
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import TypeAdapter, ValidationError

from services.reporting.projector import Projector
from services.reporting.settings import ReportingSettings
from services.reporting.store import POINTER_REFRESH_SECONDS, ActiveKeyspace, RedisReportingStore
from shared.clock import SystemClock
from shared.events.deadline import DEADLINE_EVENT
from shared.events.dossier import DOSSIER_EVENT
from shared.events.envelope import Event
from shared.events.feedback import FEEDBACK_DEADLINE_EVENT, FEEDBACK_EVENT
from shared.events.survey import SURVEY_EVENT
from shared.gc_tuning import tune_for_batches
from shared.history import partitions_of
from shared.log_setup import configure_logging
from shared.redis_factory import build_redis
from shared.topics import (
    DEADLINE_EVENTS,
    DOSSIER_EVENTS,
    FEEDBACK_DEADLINES,
    FEEDBACK_EVENTS,
    SURVEY_EVENTS,
)

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
    store: RedisReportingStore
    applied: int = 0
    skipped: int = 0

    async def until(self, ends: dict[TopicPartition, int]) -> None:
        """Apply every event before `ends`. While Redis applies one batch, the next is fetched
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


async def rebuild(settings: ReportingSettings) -> dict[str, Any]:
    redis = build_redis(settings.redis_url)
    keyspace = ActiveKeyspace(redis, settings.redis_key_prefix or "reporting")
    fresh = f"{keyspace.base}-rebuilt-{int(time.time())}"
    consumer = AIOKafkaConsumer(
        **settings.kafka_access("reporting").client_options(), enable_auto_commit=False
    )
    await consumer.start()
    started = time.monotonic()
    try:
        partitions = [
            TopicPartition(topic, p) for topic in TOPICS
            for p in sorted(await partitions_of(consumer, topic))
        ]  # fmt: skip
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        replay = Replay(consumer, Projector(keyspace, SystemClock(), None), keyspace.store(fresh))
        await replay.until(await consumer.end_offsets(partitions))
        await keyspace.switch(fresh)
        # Live instances re-read the pointer at most this long after the switch; the last
        # catch-up starts after that, so it covers whatever they applied to the old keyspace.
        await asyncio.sleep(2 * POINTER_REFRESH_SECONDS)
        await replay.until(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()
        await redis.aclose()
    seconds = time.monotonic() - started
    return {"keyspace": fresh, "events": replay.applied, "skipped": replay.skipped,
            "seconds": round(seconds, 2)}  # fmt: skip


def main() -> None:
    settings = ReportingSettings()
    configure_logging("reporting-rebuild", settings.log_level)
    tune_for_batches()
    summary = asyncio.run(rebuild(settings))
    log.info("rebuild finished", extra=summary)
    print(summary, file=sys.stderr)


if __name__ == "__main__":
    main()
