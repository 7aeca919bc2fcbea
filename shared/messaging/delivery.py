"""The project's delivery rules, applied to every consumed message as a FastStream middleware.

- The offset is committed only after the handler returned (the handler stores its effect
  before returning); commits are batched by `OffsetCommitter` (subscribers use AckPolicy.MANUAL,
  so FastStream itself never commits).
- A message that can never be accepted (bad JSON, schema violation, a domain rejection) goes
  to `<topic>.dlq` with a readable reason in its headers, and is then acknowledged, so it
  never blocks its partition.
- A transient failure (Redis or Kafka unreachable) is retried in place with capped exponential
  backoff, never dropped: the partition waits, and order is kept.
- Batch subscribers (`broker_factory.subscribe_batches`) get the same rules per record: their
  handler parses each record itself and returns the `Rejection`s, which are dead-lettered; the
  batch's offsets are committed after the handler returned.
"""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError
from faststream import BaseMiddleware
from faststream._internal.context.repository import ContextRepo
from faststream.message import StreamMessage
from pydantic import TypeAdapter, ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.errors import RejectedError, TransientError
from shared.messaging.metrics import DeliveryMetrics
from shared.messaging.offset_commits import OffsetCommitter
from shared.messaging.publishing import EventPublisher, carried_headers, dead_letter
from shared.persistence.postgres import POSTGRES_SCHEMA_MISSING, POSTGRES_UNREACHABLE

log = logging.getLogger(__name__)
T = TypeVar("T")
_CURRENT_MESSAGE: ContextVar[StreamMessage[Any] | None] = ContextVar("message", default=None)
_CURRENT_POLICY: ContextVar["DeliveryPolicy | None"] = ContextVar("policy", default=None)


def current_message() -> StreamMessage[Any]:
    """The message (or batch) whose handler is running. Handlers read it here rather than
    through a FastStream `KafkaMessage` parameter, which FastDepends resolves in a worker
    thread for every message (a thread hop that cost about a sixth of a service's CPU)."""
    message = _CURRENT_MESSAGE.get()
    if message is None:
        raise RuntimeError("no message is being handled")
    return message


def current_policy() -> "DeliveryPolicy":
    """The delivery rules of the subscriber whose handler is running."""
    policy = _CURRENT_POLICY.get()
    if policy is None:
        raise RuntimeError("no message is being handled")
    return policy


TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    ConnectionError,
    TimeoutError,
    TransientError,  # ours: a store being rebuilt, the catalogue log not read far enough yet
    *POSTGRES_UNREACHABLE,
    *POSTGRES_SCHEMA_MISSING,  # a wiped read model, until the state guard re-creates it
)


class RejectedMessageError(RejectedError):
    """A message that can never be accepted; its text is the reason put on the dead letter."""


def describe_validation_error(
    raw_body: bytes, error: ValidationError, *, skip_parameter: bool = True
) -> str:
    """A reason an operator can act on, naming fields but never echoing their values.
    (FastStream's errors start their locations with the handler's parameter name, skipped.)"""
    try:
        json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as bad_json:
        return f"invalid JSON: {bad_json}"
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in item["loc"][skip_parameter:]) or "message"
        problems.append(f"{location}: {item['msg']}")
    return "schema violation: " + "; ".join(problems)


@dataclass(frozen=True)
class Rejection:
    """A record of a batch that can never be accepted, and why (dead-lettered)."""

    record: "ConsumerRecord[Any, Any]"
    reason: str


def parse_records(
    records: Sequence["ConsumerRecord[Any, Any]"], adapter: TypeAdapter[T]
) -> tuple[list[T], list[Rejection]]:
    """A batch's records as events, and the records that are not valid events."""
    events: list[T] = []
    rejections: list[Rejection] = []
    for record in records:
        value = record.value or b""
        try:
            events.append(adapter.validate_json(value))
        except ValidationError as error:
            reason = describe_validation_error(value, error, skip_parameter=False)
            rejections.append(Rejection(record, reason))
    return events, rejections


def backoff_seconds(attempt: int, base: float = 0.1, cap: float = 5.0) -> float:
    return float(min(cap, base * 2 ** (attempt - 1)))


class DeliveryPolicy:
    """Middleware factory given to the broker: `broker.add_middleware(DeliveryPolicy(...))`."""

    def __init__(
        self,
        publisher: EventPublisher,
        consumer_group: str,
        metrics: DeliveryMetrics,
        backoff: Callable[[int], float] = backoff_seconds,
        committer: OffsetCommitter | None = None,
    ) -> None:
        self.publisher = publisher
        self.consumer_group = consumer_group
        self.metrics = metrics
        self.backoff = backoff
        self.committer = committer or OffsetCommitter()

    def __call__(self, msg: Any, /, *, context: ContextRepo) -> "DeliveryMiddleware":
        return DeliveryMiddleware(msg, context=context, policy=self)

    async def dead_letter(self, record: "ConsumerRecord[Any, Any]", reason: str) -> None:
        await dead_letter(
            self.publisher,
            record.topic,
            record.key,
            record.value or b"",
            reason,
            consumer_group=self.consumer_group,
            failed_at=datetime.now(UTC),
            partition=record.partition,
            offset=record.offset,
            original_headers=carried_headers(record.headers or ()),
        )

    async def retrying(self, topic: str, attempt_once: Callable[[], Awaitable[Any]]) -> Any:
        attempt = 0
        while True:
            try:
                return await attempt_once()
            except TRANSIENT_ERRORS as error:
                attempt += 1
                self.metrics.retries.labels(topic).inc()
                delay = self.backoff(attempt)
                log.warning(
                    "transient failure, retrying in %.1fs",
                    delay,
                    extra={"topic": topic, "attempt": attempt, "error": repr(error)},
                )
                await asyncio.sleep(delay)


class DeliveryMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, policy: DeliveryPolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        token = _CURRENT_MESSAGE.set(msg)
        policy_token = _CURRENT_POLICY.set(self.policy)
        try:
            if isinstance(msg.raw_message, tuple):
                return await self._consume_batch(call_next, msg)
            return await self._consume_one(call_next, msg)
        finally:
            _CURRENT_POLICY.reset(policy_token)
            _CURRENT_MESSAGE.reset(token)

    async def _consume_one(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        record = msg.raw_message
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        started = time.perf_counter()
        reason = await self.policy.retrying(record.topic, lambda: self._handle(call_next, msg))
        if reason is not None:
            log.warning("message dead-lettered: %s", reason, extra=where)
            await self.policy.retrying(
                record.topic, lambda: self.policy.dead_letter(record, reason)
            )
        await self.policy.committer.processed(
            getattr(msg, "consumer", None), record.topic, record.partition, record.offset
        )
        outcome = "handled" if reason is None else "dead_lettered"
        self.policy.metrics.messages.labels(record.topic, outcome).inc()
        self.policy.metrics.handle_seconds.labels(record.topic).observe(
            time.perf_counter() - started
        )
        return None

    async def _consume_batch(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> None:
        records: tuple[ConsumerRecord[Any, Any], ...] = msg.raw_message
        topic = records[0].topic
        started = time.perf_counter()
        try:
            rejections: list[Rejection] = await self.policy.retrying(topic, lambda: call_next(msg))
        except Exception as error:
            # A bug must not wedge the partitions: park the whole batch for an operator.
            log.exception("batch handler failed unexpectedly", extra={"topic": topic})
            reason = f"unexpected handler error: {type(error).__name__}"
            rejections = [Rejection(record, reason) for record in records]
        for rejection in rejections:
            log.warning(
                "message dead-lettered: %s", rejection.reason,
                extra={"topic": topic, "partition": rejection.record.partition,
                       "offset": rejection.record.offset},
            )  # fmt: skip
            await self.policy.retrying(
                topic, partial(self.policy.dead_letter, rejection.record, rejection.reason)
            )
        last_offsets: dict[int, int] = {}
        for record in records:
            last_offsets[record.partition] = max(
                record.offset, last_offsets.get(record.partition, -1)
            )
        consumer = getattr(msg, "consumer", None)
        for partition, offset in last_offsets.items():
            await self.policy.committer.processed(consumer, topic, partition, offset)
        metrics = self.policy.metrics
        metrics.messages.labels(topic, "handled").inc(len(records) - len(rejections))
        metrics.messages.labels(topic, "dead_lettered").inc(len(rejections))
        metrics.handle_seconds.labels(topic).observe(time.perf_counter() - started)

    async def _handle(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> str | None:
        """Run the handler; return the dead-letter reason, or None when it was handled."""
        return await rejection_reason(partial(call_next, msg), msg.raw_message, msg.body)


async def rejection_reason(
    handle: Callable[[], Awaitable[Any]],
    record: "ConsumerRecord[Any, Any]",
    body: bytes,
    *,
    skip_parameter: bool = True,
) -> str | None:
    """Run a record's handling; return why it must be dead-lettered, or None when it was
    handled. Transient errors propagate (the caller retries them in place). `skip_parameter`:
    validation errors name fields after the handler's parameter (FastStream's parsing)."""
    try:
        await handle()
    except ValidationError as error:
        return describe_validation_error(body, error, skip_parameter=skip_parameter)
    except RejectedError as error:
        # every service's rejections (shared/errors.py) become dead letters here, once
        return error.dead_letter_reason
    except TRANSIENT_ERRORS:
        raise
    except Exception as error:
        # A bug must not wedge the partition: park the message for an operator instead.
        log.exception(
            "handler failed unexpectedly",
            extra={"topic": record.topic, "partition": record.partition,
                   "offset": record.offset},
        )  # fmt: skip
        return f"unexpected handler error: {type(error).__name__}"
    return None
