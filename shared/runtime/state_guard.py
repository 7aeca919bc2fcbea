"""Rebuilding a consuming service's state from Kafka when its store comes back empty.

deadline, survey and reporting keep in Redis only what they derived from their topics, which
keep the events (dossier, deadline and survey events are kept forever). Each instance keeps a
marker key, `{prefix}:alive:{instance}`. If the marker is gone while the service runs (Redis
restarted without its data, or was flushed), the instance seeks its assigned partitions back
to the start of the deployment's history (`REPLAY_FROM`, or the start of the topics) and
consumes them again: the handlers are idempotent, so the state is rebuilt, and the events they
publish again carry the same derived ids. Its consumer group's committed offsets move back
as the replay commits.

reporting's read model lives in PostgreSQL: its marker is a row of the live schema
(services/reporting/store/postgres.py `PostgresKeyspace`), gone when the database or the schema is
dropped; the guard then re-creates the schema and replays the same way.

intake's state is rebuilt the same way from its own changelog topics, with its requests held
off meanwhile: services/intake/service/rebuild.py.
"""

import asyncio
import logging
from datetime import datetime
from typing import Any, Protocol

from aiokafka import TopicPartition
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.messaging.broker_factory import kafka_consumers
from shared.messaging.history import seek_to_history
from shared.persistence.postgres import POSTGRES_UNREACHABLE

log = logging.getLogger(__name__)
STORE_UNREACHABLE: tuple[type[Exception], ...] = (RedisError, OSError, *POSTGRES_UNREACHABLE)


class Marker(Protocol):
    """This instance's mark in its store: present while the store keeps its state."""

    async def present(self) -> bool: ...

    async def mark(self) -> None: ...


class RedisMarker:
    def __init__(self, redis: "Redis", key: str) -> None:
        self.redis, self.key = redis, key

    async def present(self) -> bool:
        return bool(await self.redis.exists(self.key))

    async def mark(self) -> None:
        await self.redis.set(self.key, "1")


class StateGuard:
    def __init__(
        self,
        marker: Marker,
        subscribers: list[Any],
        replay_from: datetime | None,
        interval: float = 1.0,
    ) -> None:
        self.marker = marker
        self.subscribers = subscribers
        self.replay_from = replay_from
        self.interval = interval
        self.replays = 0

    async def run(self) -> None:
        await self.marker.mark()
        while True:
            await asyncio.sleep(self.interval)
            try:
                present = await self.marker.present()
            except STORE_UNREACHABLE:
                continue  # the store unreachable: the handlers wait and retry; check again later
            if not present:
                await self.marker.mark()  # first: the store is whole again before the replay
                await self.replay()

    async def replay(self) -> None:
        start = self.replay_from.isoformat() if self.replay_from else "the start of the topics"
        log.warning("the store lost this service's state; replaying its topics from %s", start)
        self.replays += 1
        for subscriber in self.subscribers:
            for consumer in kafka_consumers(subscriber):
                await self._rewind(consumer, sorted(consumer.assignment()))

    async def _rewind(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        await seek_to_history(consumer, partitions, self.replay_from)
