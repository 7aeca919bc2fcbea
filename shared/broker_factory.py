"""Builds each service's Kafka broker with the project's delivery rules."""

import logging
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import BatchSubscriber, DefaultSubscriber
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy

from shared.delivery import DeliveryPolicy
from shared.kafka_access import KafkaAccess
from shared.metrics import DeliveryMetrics
from shared.offset_commits import OffsetCommitter
from shared.publishing import EventPublisher


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


PARTITION_WORKERS = 4  # consumers per subscriber and process, each with its own partitions

# A service runs one consumer per subscriber, all in its group: each one that joins makes the
# others rejoin, and they learn of it at their next heartbeat. At Kafka's 3 s a service with
# five subscribers took 15 s to be assigned its partitions (and so did every restart, scale-out
# or crash recovery); at 0.5 s, about 3 s. The session timeout (10 s) is unchanged.
HEARTBEAT_INTERVAL_MS = 500


def subscribe(
    broker: KafkaBroker, topic: str, consumer_group: str, workers: int = PARTITION_WORKERS
) -> DefaultSubscriber:
    """A subscriber whose offsets the delivery middleware commits after the handler returned
    (in batches); a new consumer group reads its topic from the start.

    With `workers` > 1, FastStream runs that many consumers of the group in this process, each
    handling its own partitions one message at a time: partitions are handled concurrently
    (a handler waiting for Redis or Kafka no longer holds up the other partitions), and the
    order within a partition, hence within a dossier, is kept.

    The services now consume batches instead (`subscribe_batches`, with
    `shared.keyed_batches` where order matters): a message at a time cost a round trip or
    two per message, and FastStream's per-message machinery (BENCHMARKS.md, issue 17). This
    stays for a consumer that must see one message at a time."""
    return broker.subscriber(
        topic,
        group_id=consumer_group,
        max_workers=workers,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        max_poll_interval_ms=10 * 60 * 1000,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        title=f"{topic} ({consumer_group})",
    )


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
    return broker.subscriber(
        topic,
        group_id=consumer_group,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=50,
        decoder=_raw_values,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        max_poll_interval_ms=10 * 60 * 1000,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        title=f"{topic} ({consumer_group})",
    )


def kafka_consumers(subscriber: Any) -> list[Any]:
    """A subscriber's aiokafka consumers: one, or one per worker of a subscriber that handles
    its partitions concurrently (`broker_factory.subscribe(workers=...)`)."""
    group = getattr(subscriber, "consumer_subgroup", None)
    if group:
        return list(group)
    return [subscriber.consumer] if subscriber.consumer is not None else []
