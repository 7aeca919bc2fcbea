"""The delivery middleware on FastStream's in-memory broker (the real-broker proof is in
tests/integration/test_delivery_rules.py)."""

from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from redis.exceptions import ConnectionError as RedisConnectionError

from shared.messaging.broker_factory import subscribe
from shared.messaging.delivery import DeliveryPolicy, RejectedMessageError, backoff_seconds
from shared.messaging.metrics import DeliveryMetrics
from shared.messaging.publishing import BrokerEventPublisher


class Ping(BaseModel):
    n: int


def broker_with_policy() -> tuple[KafkaBroker, list[Any]]:
    broker = KafkaBroker()
    registry = CollectorRegistry()
    broker.add_middleware(
        DeliveryPolicy(
            BrokerEventPublisher(broker),
            "unit",
            DeliveryMetrics.register(registry),
            backoff=lambda _: 0.0,
        )
    )
    letters: list[Any] = []

    @broker.subscriber("in.dlq")
    async def collect(body: Any, message: KafkaMessage) -> None:
        letters.append(message)

    return broker, letters


@pytest.mark.parametrize(
    ("payload", "reason_start"),
    [
        (b"{oops", "invalid JSON"),
        (b'{"n": "many"}', "schema violation: n: Input should be a valid integer"),
        (b'{"n": -1}', "negative numbers are not accepted"),
    ],
)
async def test_unacceptable_message_goes_to_dead_letter_with_reason(
    payload: bytes, reason_start: str
) -> None:
    broker, letters = broker_with_policy()
    handled: list[int] = []

    @subscribe(broker, "in", "unit")
    async def handle(ping: Ping) -> None:
        if ping.n < 0:
            raise RejectedMessageError("negative numbers are not accepted")
        handled.append(ping.n)

    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(payload, "in", key=b"k1")
        await test_broker.publish({"n": 7}, "in", key=b"k1")

    assert handled == [7]
    [letter] = letters
    assert letter.headers["x-dlq-reason"].startswith(reason_start)
    assert letter.headers["x-dlq-source-topic"] == "in"
    assert letter.headers["x-dlq-consumer-group"] == "unit"
    assert letter.body == payload


async def test_transient_failure_is_retried_until_it_succeeds() -> None:
    broker, letters = broker_with_policy()
    attempts: list[int] = []

    @subscribe(broker, "in", "unit")
    async def handle(ping: Ping) -> None:
        attempts.append(ping.n)
        if len(attempts) < 3:
            raise RedisConnectionError("redis is down")

    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish({"n": 1}, "in")

    assert attempts == [1, 1, 1]
    assert letters == []


async def test_unexpected_bug_is_parked_on_dead_letter_without_the_error_text() -> None:
    broker, letters = broker_with_policy()

    @subscribe(broker, "in", "unit")
    async def handle(ping: Ping) -> None:
        raise KeyError("0912345678")  # an error text may carry personal data

    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish({"n": 1}, "in")

    [letter] = letters
    assert letter.headers["x-dlq-reason"] == "unexpected handler error: KeyError"


@pytest.mark.parametrize(("attempt", "seconds"), [(1, 0.1), (2, 0.2), (4, 0.8), (10, 5.0)])
def test_backoff_doubles_and_is_capped(attempt: int, seconds: float) -> None:
    assert backoff_seconds(attempt) == pytest.approx(seconds)
