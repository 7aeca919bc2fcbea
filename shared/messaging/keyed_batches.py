"""Batch consumption for handlers whose writes must keep each key's order (a dossier's events,
a dossier's requests): a fetched batch is split by record key; each key's records are handled
one after the other, in offset order, and the keys concurrently.

Running the keys concurrently is what makes a batch cheap: their Redis calls go out together
(`shared.persistence.redis_factory.AutoPipelinedRedis` writes the calls that are ready at once as
one
pipeline) and their Kafka sends share the producer's batches, so a batch of a thousand records
costs a handful of round trips instead of thousands. FastStream's per-message machinery runs
once per batch.

The delivery rules are the single-message ones, per record (`shared.messaging.delivery`): a record
that
is not a valid message, or that the handler rejects, is dead-lettered alone with its reason; a
transient failure is retried in place, holding back only the rest of its key; the batch's
offsets are committed after every record was handled or dead-lettered.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any, TypeAlias, TypeVar

from aiokafka import ConsumerRecord
from pydantic import TypeAdapter

from shared.messaging.delivery import DeliveryPolicy, Rejection, current_policy, rejection_reason

T = TypeVar("T")
Record: TypeAlias = "ConsumerRecord[Any, Any]"
RecordHandler = Callable[[T, Record], Awaitable[None]]


def record_headers(record: Record) -> Mapping[str, str]:
    """A record's headers as text, as FastStream gives a single message's."""
    return {name: value.decode() for name, value in record.headers or ()}


def by_key(records: Sequence[Record]) -> list[list[Record]]:
    """The records of each key, in offset order (records without a key form one chain)."""
    chains: dict[tuple[int, bytes | None], list[Record]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        chains.setdefault((record.partition, record.key), []).append(record)
    return list(chains.values())


async def handle_by_key(
    records: Sequence[Record],
    adapter: TypeAdapter[T],
    handle: RecordHandler[T],
    policy: "DeliveryPolicy | None" = None,
) -> list[Rejection]:
    """Handle a batch (see the module's doc); return the records to dead-letter. `policy`:
    the delivery rules (default: those of the subscriber whose handler is running)."""
    policy = policy or current_policy()
    rejections: list[Rejection] = []

    async def one(record: Record) -> str | None:
        value = record.value or b""

        async def parse_and_handle() -> None:
            await handle(adapter.validate_json(value), record)

        return await rejection_reason(parse_and_handle, record, value, skip_parameter=False)

    async def chain(records: list[Record]) -> None:
        for record in records:
            reason = await policy.retrying(record.topic, partial(one, record))
            if reason is not None:
                rejections.append(Rejection(record, reason))

    await asyncio.gather(*(chain(records) for records in by_key(records)))
    return sorted(rejections, key=lambda r: (r.record.partition, r.record.offset))
