"""A transactional outbox in Redis, per aggregate (a dossier): events are written to the
aggregate's outbox in the same Lua script as its state, then published to Kafka in order and
only then dropped. A lock keeps two publishers from interleaving one aggregate's events; a
relay loop publishes what a crash or a Kafka outage left behind.

Key layout (a service's commit scripts write to it directly):
  {prefix}:outbox:{key}          list of OutboxEntry JSON
  {prefix}:outbox:pending        set of keys with entries
  {prefix}:outbox:lock:{key}     the publishing lock (owner id, expires)
"""

import asyncio
import json
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis

from shared.publishing import EventPublisher

JSON_HEADER = {"content-type": "application/json"}

# Lua: take the lock if free and return the entries (for commit scripts to append).
LOCK_AND_READ = """
local function lock_and_read(outbox_key, lock_key, owner)
  if redis.call('SET', lock_key, owner, 'NX', 'PX', 30000) then
    return redis.call('LRANGE', outbox_key, 0, -1)
  end
  return {}
end
"""

# KEYS: outbox, pending, lock   ARGV: key, published, owner
_ACKNOWLEDGE = """
redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
if redis.call('GET', KEYS[3]) == ARGV[3] then redis.call('DEL', KEYS[3]) end
return 1
"""


@dataclass(frozen=True)
class OutboxEntry:
    topic: str
    key: str
    event: str  # JSON

    def dumps(self) -> str:
        return json.dumps({"topic": self.topic, "key": self.key, "event": self.event})

    @staticmethod
    def loads(text: str) -> "OutboxEntry":
        data = json.loads(text)
        return OutboxEntry(data["topic"], data["key"], data["event"])


class RedisOutbox:
    def __init__(self, redis: "Redis", prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.owner = uuid.uuid4().hex  # this process, as the holder of locks
        self._acknowledge = redis.register_script(_ACKNOWLEDGE)

    def list_key(self, key: str) -> str:
        return f"{self.prefix}:outbox:{key}"

    def lock_key(self, key: str) -> str:
        return f"{self.prefix}:outbox:lock:{key}"

    @property
    def pending_key(self) -> str:
        return f"{self.prefix}:outbox:pending"

    async def lock(self, key: str, seconds: int = 30) -> bool:
        return bool(await self.redis.set(self.lock_key(key), self.owner, nx=True, ex=seconds))

    async def unlock(self, key: str) -> None:
        await self.redis.delete(self.lock_key(key))

    async def entries(self, key: str) -> list[OutboxEntry]:
        return [
            OutboxEntry.loads(str(e)) for e in await self.redis.lrange(self.list_key(key), 0, -1)
        ]

    async def acknowledge(self, key: str, published: int) -> None:
        """Drop the first `published` entries, and release the lock if it is still ours."""
        keys = [self.list_key(key), self.pending_key, self.lock_key(key)]
        await self._acknowledge(keys=keys, args=[key, published, self.owner])

    async def pending(self, limit: int = 500) -> list[str]:
        return [str(key) for key in await self.redis.srandmember(self.pending_key, limit) or []]


class OutboxPublisher:
    def __init__(self, outbox: RedisOutbox, publisher: EventPublisher) -> None:
        self.outbox = outbox
        self.publisher = publisher

    async def publish_locked(self, key: str, entries: list[OutboxEntry]) -> None:
        """Publish entries we hold the lock for (handed back by a commit script), in order."""
        for entry in entries:
            await self.publisher.publish_raw(
                entry.topic, entry.key.encode(), entry.event.encode(), JSON_HEADER
            )
        await self.outbox.acknowledge(key, len(entries))

    async def flush(self, key: str) -> None:
        if not await self.outbox.lock(key):
            return  # another publisher is at it; the relay comes back for what remains
        entries = await self.outbox.entries(key)
        try:
            await self.publish_locked(key, entries)
        except BaseException:
            await self.outbox.unlock(key)
            raise

    async def relay(self, interval_seconds: float) -> None:
        """Publish what a crash or a Kafka outage left in outboxes."""
        while True:
            for key in await self.outbox.pending():
                await self.flush(key)
            await asyncio.sleep(interval_seconds)
