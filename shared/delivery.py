"""The project's delivery rules, applied to every consumed message as a FastStream middleware.

- The offset is committed only after the handler returned (the handler stores its effect
  before returning); commits are batched by `OffsetCommitter` (subscribers use AckPolicy.MANUAL,
  so FastStream itself never commits).
- A message that can never be accepted (bad JSON, schema violation, a domain rejection) goes
  to `<topic>.dlq` with a readable reason in its headers, and is then acknowledged, so it
  never blocks its partition.
- A transient failure (Redis or Kafka unreachable) is retried in place with capped exponential
  backoff, never dropped: the partition waits, and order is kept.
"""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError
from faststream import BaseMiddleware
from faststream._internal.context.repository import ContextRepo
from faststream.message import StreamMessage
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.metrics import DeliveryMetrics
from shared.offset_commits import OffsetCommitter
from shared.publishing import EventPublisher, dead_letter

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    ConnectionError,
    TimeoutError,
)


class RejectedMessageError(Exception):
    """A message that can never be accepted; its text is the reason put on the dead letter."""


def describe_validation_error(raw_body: bytes, error: ValidationError) -> str:
    """A reason an operator can act on, naming fields but never echoing their values."""
    try:
        json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as bad_json:
        return f"invalid JSON: {bad_json}"
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in item["loc"][1:]) or "message"
        problems.append(f"{location}: {item['msg']}")
    return "schema violation: " + "; ".join(problems)


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

    async def dead_letter(self, message: StreamMessage[Any], reason: str) -> None:
        record = message.raw_message
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
        record = msg.raw_message
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        started = time.perf_counter()
        reason = await self.policy.retrying(record.topic, lambda: self._handle(call_next, msg))
        if reason is not None:
            log.warning("message dead-lettered: %s", reason, extra=where)
            await self.policy.retrying(record.topic, lambda: self.policy.dead_letter(msg, reason))
        await self.policy.committer.processed(
            getattr(msg, "consumer", None), record.topic, record.partition, record.offset
        )
        outcome = "handled" if reason is None else "dead_lettered"
        self.policy.metrics.messages.labels(record.topic, outcome).inc()
        self.policy.metrics.handle_seconds.labels(record.topic).observe(
            time.perf_counter() - started
        )
        return None

    async def _handle(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> str | None:
        """Run the handler; return the dead-letter reason, or None when it was handled."""
        try:
            await call_next(msg)
        except ValidationError as error:
            return describe_validation_error(msg.body, error)
        except RejectedMessageError as error:
            return str(error)
        except TRANSIENT_ERRORS:
            raise
        except Exception as error:
            # A bug must not wedge the partition: park the message for an operator instead.
            record = msg.raw_message
            log.exception(
                "handler failed unexpectedly",
                extra={"topic": record.topic, "partition": record.partition,
                       "offset": record.offset},
            )  # fmt: skip
            return f"unexpected handler error: {type(error).__name__}"
        return None
