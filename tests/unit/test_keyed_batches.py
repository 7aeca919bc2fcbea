"""Batch consumption by key (shared/messaging/keyed_batches.py): each key's records in offset order,
the keys concurrently, bad records rejected one by one, transient failures retried in place.
(The real-broker proof is every service's integration and end-to-end tests.)"""

import asyncio
from typing import Any

from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, TypeAdapter
from redis.exceptions import ConnectionError as RedisConnectionError

from shared.messaging.delivery import DeliveryPolicy, RejectedMessageError
from shared.messaging.keyed_batches import Record, by_key, handle_by_key, record_headers
from shared.messaging.metrics import DeliveryMetrics


class Step(BaseModel):
    n: int


STEP = TypeAdapter(Step)


def record(partition: int, offset: int, key: str | None, value: bytes) -> Record:
    return ConsumerRecord(
        topic="steps", partition=partition, offset=offset, timestamp=0, timestamp_type=0,
        key=None if key is None else key.encode(), value=value, checksum=None,
        serialized_key_size=0, serialized_value_size=len(value),
        headers=(("x-api-key", b"k1"),),
    )  # fmt: skip


def policy() -> DeliveryPolicy:
    publisher: Any = None  # never publishes here: the rejections are returned
    metrics = DeliveryMetrics.register(CollectorRegistry())
    return DeliveryPolicy(publisher, "unit", metrics, backoff=lambda _: 0.0)


def test_records_are_chained_by_partition_and_key_in_offset_order() -> None:
    batch = [
        record(0, 5, "A", b""), record(1, 2, "A", b""), record(0, 3, "A", b""),
        record(0, 4, "B", b""), record(0, 6, None, b""), record(0, 7, None, b""),
    ]  # fmt: skip
    chains = [[(r.partition, r.offset) for r in chain] for chain in by_key(batch)]
    assert sorted(chains) == [[(0, 3), (0, 5)], [(0, 4)], [(0, 6), (0, 7)], [(1, 2)]]
    assert record_headers(batch[0]) == {"x-api-key": "k1"}


async def test_a_keys_records_run_in_order_and_the_keys_run_concurrently() -> None:
    started: list[int] = []
    finished: list[int] = []
    both_started = asyncio.Event()

    async def handle(step: Step, _: Record) -> None:
        started.append(step.n)
        if {1, 10} <= set(started):
            both_started.set()
        await asyncio.wait_for(both_started.wait(), timeout=5)  # A and B are in flight at once
        finished.append(step.n)

    batch = [record(0, 0, "A", b'{"n": 1}'), record(0, 1, "B", b'{"n": 10}'),
             record(0, 2, "A", b'{"n": 2}'), record(0, 3, "A", b'{"n": 3}')]  # fmt: skip
    assert await handle_by_key(batch, STEP, handle, policy()) == []
    assert [n for n in finished if n < 10] == [1, 2, 3]
    assert started.index(10) < started.index(2)  # B did not wait for A's chain


async def test_bad_records_are_rejected_alone_with_their_reason() -> None:
    handled: list[int] = []

    async def handle(step: Step, _: Record) -> None:
        if step.n < 0:
            raise RejectedMessageError("negative numbers are not accepted")
        if step.n == 13:
            raise KeyError("a bug")
        handled.append(step.n)

    batch = [record(0, 0, "A", b"{oops"), record(0, 1, "A", b'{"n": 1}'),
             record(0, 2, "A", b'{"n": -1}'), record(0, 3, "A", b'{"n": 13}'),
             record(0, 4, "A", b'{"n": 2}'), record(1, 0, "B", b'{"n": "x"}')]  # fmt: skip
    rejections = await handle_by_key(batch, STEP, handle, policy())
    assert handled == [1, 2]  # the key goes on after a rejected record
    reasons = {(r.record.partition, r.record.offset): r.reason for r in rejections}
    assert list(reasons) == [(0, 0), (0, 2), (0, 3), (1, 0)]
    assert reasons[(0, 0)].startswith("invalid JSON")
    assert reasons[(0, 2)] == "negative numbers are not accepted"
    assert reasons[(0, 3)] == "unexpected handler error: KeyError"
    assert reasons[(1, 0)].startswith("schema violation: n:")


async def test_a_transient_failure_is_retried_in_place_and_holds_back_only_its_key() -> None:
    attempts: dict[int, int] = {}
    done: list[int] = []

    async def handle(step: Step, _: Record) -> None:
        attempts[step.n] = attempts.get(step.n, 0) + 1
        if step.n == 1 and attempts[1] < 3:
            raise RedisConnectionError("Redis is restarting")
        done.append(step.n)

    batch = [record(0, 0, "A", b'{"n": 1}'), record(0, 1, "A", b'{"n": 2}'),
             record(0, 2, "B", b'{"n": 10}')]  # fmt: skip
    assert await handle_by_key(batch, STEP, handle, policy()) == []
    assert attempts == {1: 3, 2: 1, 10: 1}
    assert done.index(1) < done.index(2)  # A's second record waited for its first
    assert done.index(10) < done.index(1)  # B did not wait
