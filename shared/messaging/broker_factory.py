"""Builds each service's Kafka broker with the project's delivery rules."""

import logging
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import BatchSubscriber, DefaultSubscriber
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy

from shared.messaging.delivery import DeliveryPolicy
from shared.messaging.kafka_access import KafkaAccess
from shared.messaging.metrics import DeliveryMetrics
from shared.messaging.offset_commits import OffsetCommitter
from shared.messaging.publishing import EventPublisher


def build_broker(
    access: KafkaAccess,
    client_id: str,
    consumer_group: str,
    metrics: DeliveryMetrics,
    committer: OffsetCommitter,
    publisher: EventPublisher,
) -> KafkaBroker:
    broker = KafkaBroker(
        access.bootstrap_servers,
        security=access.faststream_security(),
        client_id=client_id,
        # An acknowledged write is on the log; retries never duplicate it.
        acks="all",
        enable_idempotence=True,
        logger=logging.getLogger(f"{client_id}.broker"),
        log_level=logging.DEBUG,
        graceful_timeout=3.0,  # handlers in flight at a stop (STOP_WITHIN_SECONDS bounds all)
    )
    broker.add_middleware(DeliveryPolicy(publisher, consumer_group, metrics, committer=committer))
    return broker


# A service runs one consumer per subscriber, all in its group: each one that joins makes the
# others rejoin, and they learn of it at their next heartbeat. At Kafka's 3 s a service with
# five subscribers took 15 s to be assigned its partitions (and so did every restart, scale-out
# or crash recovery); at 0.5 s, about 3 s. The session timeout (10 s) is unchanged.
HEARTBEAT_INTERVAL_MS = 500

# A consumer that has not asked for records for this long leaves its group, and its partitions
# go to the other members. A batch (at most 1,000 records, one transaction) is handled in well
# under a second, and a transient failure is retried in place with a backoff capped at 5 s, so
# a minute is never reached by a consumer that works; one that is stuck longer is taken out,
# which its watchdog (shared/messaging/subscriber_watchdog.py) also sees. Kafka's default is
# 5 minutes.
MAX_POLL_INTERVAL_MS = 60_000


def _committer_of(broker: KafkaBroker) -> OffsetCommitter:
    for middleware in broker.middlewares:
        if isinstance(middleware, DeliveryPolicy):
            return middleware.committer
    raise RuntimeError("the broker was not built by build_broker (no DeliveryPolicy)")


def _consumer_options(broker: KafkaBroker, consumer_group: str) -> tuple[dict[str, Any], list[Any]]:
    """What every subscriber shares: manual commits by the delivery middleware, a new group
    reading from the start, the group timings, and the rebalance listener that keeps the
    committer's marks true across rebalances (shared/messaging/offset_commits.py); and the list the
    subscriber goes into once built (the listener finds its consumer there)."""
    holder: list[Any] = []  # the subscriber, once built: its consumer exists only once started
    listener = _committer_of(broker).listener(
        lambda: getattr(holder[0], "consumer", None) if holder else None
    )
    return {
        "group_id": consumer_group,
        "ack_policy": AckPolicy.MANUAL,
        "auto_offset_reset": "earliest",
        "max_poll_interval_ms": MAX_POLL_INTERVAL_MS,
        "heartbeat_interval_ms": HEARTBEAT_INTERVAL_MS,
        "listener": listener,
    }, holder


def subscribe(broker: KafkaBroker, topic: str, consumer_group: str) -> DefaultSubscriber:
    """A subscriber handling one message at a time, whose offsets the delivery middleware
    commits after the handler returned (in batches).

    The services consume batches instead (`subscribe_batches`, with `shared.messaging.keyed_batches`
    where order matters): a message at a time cost a round trip or two per message, and
    FastStream's per-message machinery (BENCHMARKS.md, issue 17). This stays for a consumer
    that must see one message at a time."""
    options, holder = _consumer_options(broker, consumer_group)
    subscriber: DefaultSubscriber = broker.subscriber(
        topic, **options, title=f"{topic} ({consumer_group})"
    )
    holder.append(subscriber)
    return subscriber


async def _raw_values(message: StreamMessage[Any]) -> list[bytes]:
    """A batch's bodies left as bytes: the handler parses each record itself, so one bad
    record is dead-lettered alone instead of failing its whole batch."""
    return list(message.body)


def subscribe_batches(
    broker: KafkaBroker, topic: str, consumer_group: str, max_records: int = 1000
) -> BatchSubscriber:
    """A batch subscriber for handlers whose writes are order-free merges (one round trip per
    batch). The handler takes the `KafkaMessage` (its `raw_message` is the records) and returns
    the `delivery.Rejection`s; the delivery middleware dead-letters them and commits the
    batch's offsets after the handler returned."""
    options, holder = _consumer_options(broker, consumer_group)
    subscriber: BatchSubscriber = broker.subscriber(
        topic,
        **options,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=50,
        decoder=_raw_values,
        title=f"{topic} ({consumer_group})",
    )
    holder.append(subscriber)
    return subscriber


def kafka_consumers(subscriber: Any) -> list[Any]:
    """A subscriber's aiokafka consumer, once started (a list: none before)."""
    consumer = getattr(subscriber, "consumer", None)
    return [consumer] if consumer is not None else []
