"""The idempotent commit and its transactional outbox, written once for every service.

A request's effect is committed by one Lua script (`commit_script(body)`): replay the stored
answer of a submission already handled, or run the service's own `body` (its state changes,
which may refuse with CONFLICT), store the answer (for the idempotency window) and append the
events to the aggregate's outbox, and take the outbox's publishing lock if it is free. The
caller that holds the lock publishes the outbox to Kafka, in order, and only then drops it; a
relay loop publishes what a crash or a Kafka outage left behind.

Every key the script touches is passed in KEYS (a test runs each script under a checker that
fails on any other key), so the script runs unchanged on Redis Cluster given hash tags.

  KEYS[1] the submission's stored answer   KEYS[2] the aggregate's outbox (list)
  KEYS[3] the set of aggregates with pending entries   KEYS[4] the outbox's lock
  KEYS[5] the store's readiness marker (checked only if ARGV[5] is '1')
  KEYS[6...] the body's own keys: KEYS[K + 1], ...
  ARGV[1] lock owner  ARGV[2] aggregate  ARGV[3] answer  ARGV[4] answer ttl ms (0: kept)
  ARGV[5] readiness required  ARGV[6] n entries  ARGV[7 .. 6 + n] entries
  ARGV[7 + n ...] the body's own arguments: ARGV[A + 1], ...

`InMemoryOutbox` and `commit_in_memory` are the same rules in dictionaries: the stores'
in-memory twins use them, and the contract suites check both against each other.
"""

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis

from shared.errors import ConflictingError, TransientError
from shared.messaging.publishing import JSON_HEADER, EventPublisher

LOCK_MILLISECONDS = 30_000

# The script's return codes (first element of its reply).
REPLAYED = 0
COMMITTED = 1
CONFLICT = -1
NOT_READY = -2

_COMMIT_TEMPLATE = f"""
local REPLAYED, COMMITTED, CONFLICT, NOT_READY = {REPLAYED}, {COMMITTED}, {CONFLICT}, {NOT_READY}
if ARGV[5] == '1' and redis.call('EXISTS', KEYS[5]) == 0 then return {{NOT_READY}} end
local replay = redis.call('GET', KEYS[1])
if replay then return {{REPLAYED, replay}} end
local n = tonumber(ARGV[6])
local K, A = 5, 6 + n
local refusal = (function()
%BODY%
end)()
if refusal then return {{CONFLICT, refusal}} end
if tonumber(ARGV[4]) > 0 then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[3])
end
if n == 0 then return {{COMMITTED, ARGV[3], {{}}}} end
for i = 7, 6 + n do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('SADD', KEYS[3], ARGV[2])
if redis.call('SET', KEYS[4], ARGV[1], 'NX', 'PX', {LOCK_MILLISECONDS}) then
  return {{COMMITTED, ARGV[3], redis.call('LRANGE', KEYS[2], 0, -1)}}
end
return {{COMMITTED, ARGV[3], {{}}}}
"""


def commit_script(body: str) -> str:
    """The commit script around a service's `body`: Lua that changes the service's state
    (its keys from KEYS[K + 1], its arguments from ARGV[A + 1]) and returns nothing, or
    returns a string to refuse the commit with CONFLICT (the string says why)."""
    return _COMMIT_TEMPLATE.replace("%BODY%", body)


# KEYS: outbox, pending, lock   ARGV: aggregate, published, owner
# Returns the entries committed meanwhile, with the lock kept (so its holder publishes them
# at once, not the relay later), or none, with the lock released.
_ACKNOWLEDGE = """
redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
local ours = redis.call('GET', KEYS[3]) == ARGV[3]
if redis.call('LLEN', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[2], ARGV[1])
  if ours then redis.call('DEL', KEYS[3]) end
  return {}
end
if not ours then return {} end
redis.call('PEXPIRE', KEYS[3], %LOCK%)
return redis.call('LRANGE', KEYS[1], 0, -1)
""".replace("%LOCK%", str(LOCK_MILLISECONDS))


class ConflictError(ConflictingError):
    """Another request changed the aggregate between read and write (the body refused)."""


class NotReadyError(TransientError, ConnectionError):
    """The store is being rebuilt (or its data was lost): try again shortly. A transient
    error: the Kafka handlers retry it in place, HTTP answers 503 with Retry-After."""


@dataclass(frozen=True)
class OutboxEntry:
    topic: str
    key: str
    event: str  # JSON; "" is a tombstone (a record with no value, for compacted topics)

    def dumps(self) -> str:
        """Topic, key and event, a line each: the event's JSON holds no raw line break, and
        JSON around JSON cost intake a tenth of its CPU (every quote escaped, then parsed
        back). Text these lines cannot carry (a line break in the topic or key, a topic
        that reads as JSON) falls back to JSON; `loads` reads both."""
        if (
            self.topic.startswith("{")
            or "\n" in self.topic
            or "\n" in self.key
            or "\n" in self.event
        ):
            return json.dumps({"topic": self.topic, "key": self.key, "event": self.event})
        return f"{self.topic}\n{self.key}\n{self.event}"

    @staticmethod
    def loads(text: str) -> "OutboxEntry":
        if text.startswith("{"):  # JSON: the fallback, or an entry from before the lines
            data = json.loads(text)
            return OutboxEntry(data["topic"], data["key"], data["event"])
        topic, key, event = text.split("\n", 2)
        return OutboxEntry(topic, key, event)


@dataclass(frozen=True)
class Committed:
    answer: str  # the stored answer (JSON) to this submission
    replayed: bool  # the submission had been handled before: this is its stored answer
    aggregate: str = ""
    # The aggregate's whole outbox, when this caller took its lock (and so must publish it).
    outbox: tuple[OutboxEntry, ...] = ()


@dataclass(frozen=True)
class Commit:
    """What one commit stores: the answer to a submission and the events to publish."""

    submission_key: str
    aggregate: str
    answer: str
    entries: Sequence[OutboxEntry]
    answer_ttl_ms: int = 0  # 0: kept; else the idempotency window


class Outbox(Protocol):
    owner: str

    async def lock(self, key: str, seconds: int = 30) -> bool: ...

    async def unlock(self, key: str) -> None: ...

    async def entries(self, key: str) -> list[OutboxEntry]: ...

    async def acknowledge(self, key: str, published: int) -> list["OutboxEntry"]: ...

    async def pending(self, limit: int = 500) -> list[str]: ...


class RedisOutbox:
    """Key layout: {prefix}:outbox:{key} (list of OutboxEntry JSON), {prefix}:outbox:pending
    (set of keys with entries), {prefix}:outbox:lock:{key} (the lock: owner id, expires)."""

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

    async def acknowledge(self, key: str, published: int) -> list[OutboxEntry]:
        """Drop the first `published` entries. If entries were committed meanwhile and the
        lock is still ours, return them with the lock kept (publish them next); otherwise
        release the lock if it is ours, and return none."""
        keys = [self.list_key(key), self.pending_key, self.lock_key(key)]
        more = await self._acknowledge(keys=keys, args=[key, published, self.owner])
        return [OutboxEntry.loads(str(entry)) for entry in more]

    async def pending(self, limit: int = 500) -> list[str]:
        return [str(key) for key in await self.redis.srandmember(self.pending_key, limit) or []]


class CommitScript:
    """A service's commit: `commit_script(body)` registered on Redis, called with the commit,
    the body's keys and arguments, and the readiness marker (None: not checked)."""

    def __init__(self, redis: "Redis", outbox: RedisOutbox, body: str) -> None:
        self.outbox = outbox
        self._script = redis.register_script(commit_script(body))

    async def __call__(
        self,
        commit: Commit,
        keys: Sequence[str] = (),
        args: Sequence[str | int | float] = (),
        *,
        ready_key: str | None = None,
    ) -> Committed:
        outbox = self.outbox
        all_keys = [
            commit.submission_key,
            outbox.list_key(commit.aggregate),
            outbox.pending_key,
            outbox.lock_key(commit.aggregate),
            ready_key or outbox.pending_key,  # some key: unread when readiness is not checked
            *keys,
        ]
        all_args: list[str | int | float] = [
            outbox.owner,
            commit.aggregate,
            commit.answer,
            commit.answer_ttl_ms,
            "1" if ready_key else "0",
            len(commit.entries),
            *(entry.dumps() for entry in commit.entries),
            *args,
        ]
        return committed_from(await self._script(keys=all_keys, args=all_args), commit.aggregate)


def committed_from(reply: list[Any], aggregate: str) -> Committed:
    code = int(reply[0])
    if code == NOT_READY:
        raise NotReadyError("the store is being rebuilt from Kafka; try again shortly")
    if code == CONFLICT:
        raise ConflictError(str(reply[1]))
    if code == REPLAYED:
        return Committed(str(reply[1]), replayed=True)
    entries = reply[2] if isinstance(reply[2], list) else []
    return Committed(
        str(reply[1]),
        replayed=False,
        aggregate=aggregate,
        outbox=tuple(OutboxEntry.loads(str(entry)) for entry in entries),
    )


@dataclass
class InMemoryOutbox:
    """The Redis outbox's rules in dictionaries (locks do not expire: one process)."""

    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    lists: dict[str, list[OutboxEntry]] = field(default_factory=dict)
    locks: dict[str, str] = field(default_factory=dict)

    async def lock(self, key: str, seconds: int = 30) -> bool:
        if key in self.locks:
            return False
        self.locks[key] = self.owner
        return True

    async def unlock(self, key: str) -> None:
        self.locks.pop(key, None)

    async def entries(self, key: str) -> list[OutboxEntry]:
        return list(self.lists.get(key, []))

    async def acknowledge(self, key: str, published: int) -> list[OutboxEntry]:
        remaining = self.lists.get(key, [])[published:]
        ours = self.locks.get(key) == self.owner
        if remaining:
            self.lists[key] = remaining
            return list(remaining) if ours else []
        self.lists.pop(key, None)
        if ours:
            del self.locks[key]
        return []

    async def pending(self, limit: int = 500) -> list[str]:
        return list(self.lists)[:limit]


async def commit_in_memory(
    answers: dict[str, str],
    outbox: InMemoryOutbox,
    commit: Commit,
    body: Callable[[], Awaitable[str | None]],
    *,
    ready: bool = True,
) -> Committed:
    """`commit_script`'s rules for the in-memory twins: `body` changes the state, or returns
    why it refuses (CONFLICT). (Answers do not expire here.)"""
    if not ready:
        raise NotReadyError("the store is being rebuilt from Kafka; try again shortly")
    if commit.submission_key in answers:
        return Committed(answers[commit.submission_key], replayed=True)
    refusal = await body()
    if refusal is not None:
        raise ConflictError(refusal)
    answers[commit.submission_key] = commit.answer
    if not commit.entries:
        return Committed(commit.answer, replayed=False, aggregate=commit.aggregate)
    outbox.lists.setdefault(commit.aggregate, []).extend(commit.entries)
    if commit.aggregate in outbox.locks:
        return Committed(commit.answer, replayed=False, aggregate=commit.aggregate)
    outbox.locks[commit.aggregate] = outbox.owner
    entries = tuple(outbox.lists[commit.aggregate])
    return Committed(commit.answer, replayed=False, aggregate=commit.aggregate, outbox=entries)


class OutboxPublisher:
    def __init__(self, outbox: Outbox, publisher: EventPublisher) -> None:
        self.outbox = outbox
        self.publisher = publisher

    async def publish_locked(self, key: str, entries: Sequence[OutboxEntry]) -> None:
        """Publish entries we hold the lock for (handed back by a commit), in order, and drop
        them once Kafka has all of them; then those committed meanwhile (by callers that
        found the lock held), until none is left and the lock is released. (With none to
        publish, as when the relay finds the outbox emptied, it only releases the lock.)"""
        while True:
            if entries:
                await self.publisher.publish_raw_many(
                    [
                        (entry.topic, entry.key.encode(), entry.event.encode() or None,
                         JSON_HEADER)
                        for entry in entries
                    ]
                )  # fmt: skip
            entries = await self.outbox.acknowledge(key, len(entries))
            if not entries:
                return

    async def publish(self, committed: Committed) -> None:
        """Publish what a commit handed back (nothing if another caller holds the lock)."""
        if committed.outbox:
            await self._publish_or_unlock(committed.aggregate, committed.outbox)

    async def flush(self, key: str) -> None:
        if not await self.outbox.lock(key):
            return  # another publisher is at it; the relay comes back for what remains
        await self._publish_or_unlock(key, await self.outbox.entries(key))

    async def _publish_or_unlock(self, key: str, entries: Sequence[OutboxEntry]) -> None:
        """On failure the lock is given back, so the relay retries at once (else it expires)."""
        try:
            await self.publish_locked(key, entries)
        except BaseException:
            with contextlib.suppress(Exception):
                await self.outbox.unlock(key)
            raise

    async def relay(self, interval_seconds: float) -> None:
        """Publish what a crash or a Kafka outage left in outboxes."""
        while True:
            for key in await self.outbox.pending():
                await self.flush(key)
            await asyncio.sleep(interval_seconds)
