"""Send the national portal a period's dossiers it has not acknowledged: a province joining
late, or after an outage that lost the exchange service's state.

    python -m services.exchange.tools.history --since 2026-01-01T00:00+07:00 \\
        --until 2026-02-01T00:00+07:00 [--rate 200]

Two passes over Kafka as the exchange principal, from `--since` on (a record is published at
or after the event it carries happened): the codes of the dossiers received in the period,
then every lifecycle and deadline event of those dossiers, folded into the exchange service's
store exactly as the running service folds them. Records the service queued or the portal
acknowledged already are not queued again (each event is folded once per dossier), so a run
stopped at any point and started again goes on where it stopped, and changes nothing twice.
The running service's delivery sends what is queued, in order, at PORTAL_RATE_PER_SECOND;
`--rate` bounds how many events a second this command folds (Redis writes), so it never
crowds out the live traffic. A dossier held for a redrive stays held (redrive it).
"""

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiolimiter import AsyncLimiter
from pydantic import ValidationError

from services.exchange.domain.portal_mapping import PortalMapping
from services.exchange.service.portal_sync import fold_event
from services.exchange.settings import ExchangeSettings
from services.exchange.store import RedisExchangeStore
from shared.events.deadline import DEADLINE_EVENT
from shared.events.dossier import DOSSIER_EVENT, DossierReceived
from shared.events.topics import DEADLINE_EVENTS, DOSSIER_EVENTS
from shared.messaging.history import partitions_of, seek_to_history
from shared.persistence.redis_factory import build_redis

ADAPTERS: dict[str, Any] = {DOSSIER_EVENTS: DOSSIER_EVENT, DEADLINE_EVENTS: DEADLINE_EVENT}


async def records(
    consumer: AIOKafkaConsumer, topics: Sequence[str], since: datetime
) -> AsyncIterator[Any]:
    """Every record of `topics` from `since` to the ends they had when this began."""
    partitions = [
        TopicPartition(t, p) for t in topics for p in sorted(await partitions_of(consumer, t))
    ]
    consumer.assign(partitions)
    await seek_to_history(consumer, partitions, since)
    ends = await consumer.end_offsets(partitions)
    left = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
    while left:
        batches = await consumer.getmany(*left, timeout_ms=1000, max_records=2000)
        for tp, batch in batches.items():
            for record in batch:
                if record.offset < ends[tp]:
                    yield record
            if batch and batch[-1].offset + 1 >= ends[tp]:
                left.discard(tp)


def parse(record: Any) -> Any:
    try:
        return ADAPTERS[record.topic].validate_json(record.value or b"")
    except ValidationError:
        return None  # a record the service dead-lettered: nothing to send


async def run(
    since: datetime, until: datetime, rate: float, settings: ExchangeSettings
) -> dict[str, int]:
    consumer = AIOKafkaConsumer(**settings.kafka_access("exchange").client_options(),
                                enable_auto_commit=False)  # fmt: skip
    redis = build_redis(settings.redis_url)
    store = RedisExchangeStore(redis, settings.redis_key_prefix or "exchange")
    mapping = PortalMapping.from_file(settings.portal_mapping_file)
    limiter = AsyncLimiter(rate, 1.0)
    counts = {"dossiers": 0, "events_sending": 0, "records_queued": 0}
    await consumer.start()
    try:
        codes: set[str] = set()
        async for record in records(consumer, [DOSSIER_EVENTS], since):
            event = parse(record)
            if isinstance(event, DossierReceived) and since <= event.occurred_at < until:
                codes.add(event.body.dossier_code)
        counts["dossiers"] = len(codes)
        async for record in records(consumer, [DOSSIER_EVENTS, DEADLINE_EVENTS], since):
            event = parse(record)
            if event is None or event.body.dossier_code not in codes:
                continue
            if event.type not in mapping.events and event.type != "DeadlineSet":
                continue
            async with limiter:
                queued = await fold_event(store, mapping, event, datetime.now(UTC))
            counts["events_sending"] += 1 if queued else 0
            counts["records_queued"] += queued
    finally:
        await consumer.stop()
        await redis.aclose()
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--since", type=datetime.fromisoformat, required=True)
    parser.add_argument("--until", type=datetime.fromisoformat, required=True)
    parser.add_argument("--rate", type=float, default=200.0, help="events folded a second")
    args = parser.parse_args(argv)
    if args.since.tzinfo is None or args.until.tzinfo is None:
        print("--since and --until need a time zone (e.g. +07:00)", file=sys.stderr)
        return 2
    counts = asyncio.run(run(args.since, args.until, args.rate, ExchangeSettings()))
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
