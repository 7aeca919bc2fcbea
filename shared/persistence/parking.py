"""A parking lot in Redis for messages that arrived before what they depend on (a rating
before its dossier's receipt, say): held per key until released, or until they expire and
are dead-lettered by their owner.

  {prefix}:parked:{key}   list of entries (strings)
  {prefix}:parked         sorted set: key -> expiry (epoch seconds) of its oldest entry
"""

from datetime import datetime
from typing import Protocol

from redis.asyncio import Redis


class Parking(Protocol):
    async def park(self, key: str, entry: str, expires_at: datetime) -> None: ...

    async def waiting(self, key: str) -> list[str]: ...

    async def release(self, key: str) -> None: ...

    async def expired(self, now: datetime, limit: int = 100) -> list[str]: ...


# Scripts rather than MULTI/EXEC pipelines: as atomic, and they share the client's round
# trips (shared/persistence/redis_factory.py), where a transaction would take a connection of
# its own.
_PARK = """
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[3])
return 1
"""
_RELEASE = """
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""


class ParkingLot:
    def __init__(self, redis: "Redis", prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._park = redis.register_script(_PARK)
        self._release = redis.register_script(_RELEASE)

    def list_key(self, key: str) -> str:
        return f"{self.prefix}:parked:{key}"

    @property
    def index_key(self) -> str:
        return f"{self.prefix}:parked"

    async def park(self, key: str, entry: str, expires_at: datetime) -> None:
        keys = [self.list_key(key), self.index_key]
        await self._park(keys=keys, args=[entry, expires_at.timestamp(), key])

    async def waiting(self, key: str) -> list[str]:
        return [str(entry) for entry in await self.redis.lrange(self.list_key(key), 0, -1)]

    async def release(self, key: str) -> None:
        await self._release(keys=[self.list_key(key), self.index_key], args=[key])

    async def expired(self, now: datetime, limit: int = 100) -> list[str]:
        keys = await self.redis.zrangebyscore(self.index_key, "-inf", now.timestamp(), 0, limit)
        return [str(key) for key in keys]


class InMemoryParkingLot:
    """The same rules in dictionaries, for the in-memory twins of the stores."""

    def __init__(self) -> None:
        self.lists: dict[str, list[str]] = {}
        self.expiry: dict[str, float] = {}

    async def park(self, key: str, entry: str, expires_at: datetime) -> None:
        self.lists.setdefault(key, []).append(entry)
        self.expiry.setdefault(key, expires_at.timestamp())

    async def waiting(self, key: str) -> list[str]:
        return list(self.lists.get(key, []))

    async def release(self, key: str) -> None:
        self.lists.pop(key, None)
        self.expiry.pop(key, None)

    async def expired(self, now: datetime, limit: int = 100) -> list[str]:
        due = sorted((at, key) for key, at in self.expiry.items() if at <= now.timestamp())
        return [key for _, key in due[:limit]]
