"""A minimal read model any consumer can keep: the last event seen per dossier.

Writing the same event again rewrites the same values, so redelivery changes nothing.
"""

from typing import Protocol

from redis.asyncio import Redis


class LastSeenStore(Protocol):
    async def record(self, dossier_code: str, event_type: str, event_id: str) -> None: ...

    async def last(self, dossier_code: str) -> dict[str, str]: ...


class RedisLastSeenStore:
    def __init__(self, redis: "Redis", service: str) -> None:
        self.redis = redis
        self.service = service

    def key(self, dossier_code: str) -> str:
        return f"{self.service}:last_seen:{dossier_code}"

    async def record(self, dossier_code: str, event_type: str, event_id: str) -> None:
        await self.redis.hset(
            self.key(dossier_code), mapping={"type": event_type, "event_id": event_id}
        )

    async def last(self, dossier_code: str) -> dict[str, str]:
        row = await self.redis.hgetall(self.key(dossier_code))
        return {str(field): str(value) for field, value in row.items()}


class InMemoryLastSeenStore:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, str]] = {}

    async def record(self, dossier_code: str, event_type: str, event_id: str) -> None:
        self.rows[dossier_code] = {"type": event_type, "event_id": event_id}

    async def last(self, dossier_code: str) -> dict[str, str]:
        return dict(self.rows.get(dossier_code, {}))
