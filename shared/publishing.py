"""Publishing events and dead letters with the broker the service already runs."""

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from shared.topics import dead_letter_topic


class EventPublisher:
    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker

    async def publish(self, topic: str, key: str, event: BaseModel) -> None:
        await self.broker.publish(
            event.model_dump_json().encode(),
            topic=topic,
            key=key.encode(),
            headers={"content-type": "application/json"},
        )

    async def publish_many(self, topic: str, keyed_events: Sequence[tuple[str, BaseModel]]) -> None:
        """Send all, then wait for every acknowledgement: one round trip, not one per event."""
        pending: list[asyncio.Future[Any]] = [
            await self.broker.publish(
                event.model_dump_json().encode(),
                topic=topic,
                key=key.encode(),
                headers={"content-type": "application/json"},
                no_confirm=True,
            )
            for key, event in keyed_events
        ]
        await asyncio.gather(*pending)

    async def dead_letter(
        self,
        source_topic: str,
        key: bytes | None,
        value: bytes,
        reason: str,
        *,
        consumer_group: str,
        failed_at: datetime,
        partition: int | None = None,
        offset: int | None = None,
    ) -> None:
        headers = {
            "x-dlq-reason": reason[:2000],
            "x-dlq-source-topic": source_topic,
            "x-dlq-source-partition": "" if partition is None else str(partition),
            "x-dlq-source-offset": "" if offset is None else str(offset),
            "x-dlq-consumer-group": consumer_group,
            "x-dlq-failed-at": failed_at.isoformat(),
        }
        await self.broker.publish(
            value, topic=dead_letter_topic(source_topic), key=key, headers=headers
        )
