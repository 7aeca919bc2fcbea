"""The exchange service's state in Redis, per dossier:

- `facts:{code}` (hash: version, facts): the dossier as the portal sees it (PortalFacts);
- `queue:{code}` (list): its records not yet acknowledged by the portal, in order;
- `state:{code}` (hash): the last record sent, the portal's answer, the error, attempts, held;
- `acked:{code}` (set): the keys the portal acknowledged;
- `applicant:{code}`: the owner's name, identity number and kind (personal: never logged,
  forgotten on the applicants topic's tombstone);
- `lease:{code}`: the instance sending its head record now (two instances never both send);
and `due` (dossier → when its head record may be sent) and `pending` (dossier → when its head
record was queued: the oldest unsent record's age); for the sync report (766 indicator 1.4),
`received:{agency}` (dossier → its receipt instant) and `agencies`.

A fold commits with a script that checks the facts' version (optimistic: a concurrent fold of
the same dossier, from the other topic, makes it fold again), so facts and queue move together.
"""

import json
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from services.exchange.domain.portal_facts import PortalFacts
from services.exchange.store.protocol import Queued, SyncState
from shared.events.portal import PortalRecord

_COMMIT = """
local current = redis.call('HGET', KEYS[1], 'version') or '0'
if current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', tostring(tonumber(ARGV[1]) + 1), 'facts', ARGV[2])
if #ARGV > 4 then
  for i = 5, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
  if redis.call('HGET', KEYS[5], 'held') ~= '1' then
    redis.call('ZADD', KEYS[3], 'NX', ARGV[3], ARGV[4])
  end
  redis.call('ZADD', KEYS[4], 'NX', ARGV[3], ARGV[4])
end
return 1
"""

# KEYS: queue, due, pending, acked, state; ARGV: key, code, now, then the state's field pairs
_ACKNOWLEDGE = """
local head = redis.call('LINDEX', KEYS[1], 0)
if not head or cjson.decode(head)['record']['key'] ~= ARGV[1] then return 0 end
redis.call('LPOP', KEYS[1])
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[5], unpack(ARGV, 4))
redis.call('HSET', KEYS[5], 'attempts', '0')
redis.call('HINCRBY', KEYS[5], 'acknowledged', 1)
local next_head = redis.call('LINDEX', KEYS[1], 0)
if next_head then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  redis.call('ZADD', KEYS[3], cjson.decode(next_head)['queued_at'], ARGV[2])
else
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
end
return 1
"""

# KEYS: queue, due, pending; ARGV: key, code, now, then the new records (queued json)
_REPLACE_HEAD = """
local head = redis.call('LINDEX', KEYS[1], 0)
if not head or cjson.decode(head)['record']['key'] ~= ARGV[1] then return 0 end
redis.call('LPOP', KEYS[1])
for i = #ARGV, 4, -1 do redis.call('LPUSH', KEYS[1], ARGV[i]) end
if redis.call('LLEN', KEYS[1]) > 0 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
else
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
end
return 1
"""

# KEYS: queue, due, state, acked; ARGV: record json (queued), key, code, now
_RELEASE = """
if redis.call('SISMEMBER', KEYS[4], ARGV[2]) == 1 then return 0 end
local head = redis.call('LINDEX', KEYS[1], 0)
if not head or cjson.decode(head)['record']['key'] ~= ARGV[2] then
  redis.call('LPUSH', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[3], 'held', '0', 'attempts', '0')
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
return 1
"""


class RedisExchangeStore:
    def __init__(self, redis: "Redis", prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._commit = redis.register_script(_COMMIT)
        self._acknowledge = redis.register_script(_ACKNOWLEDGE)
        self._release = redis.register_script(_RELEASE)
        self._replace_head = redis.register_script(_REPLACE_HEAD)

    def key(self, kind: str, code: str = "") -> str:
        return f"{self.prefix}:{kind}:{code}" if code else f"{self.prefix}:{kind}"

    # folding
    async def facts(self, code: str) -> tuple[str, PortalFacts]:
        version, facts = await self.redis.hmget(self.key("facts", code), ["version", "facts"])
        if facts is None:
            return "0", PortalFacts(code=code)
        return str(version), PortalFacts.model_validate_json(facts)

    async def commit(
        self, version: str, facts: PortalFacts, records: list[PortalRecord], now: datetime
    ) -> bool:
        """Facts and their new records in one step; False if another fold came first."""
        code = facts.code
        stamp = now.timestamp()
        keys = [self.key(k, code) for k in ("facts", "queue")]
        keys += [self.key("due"), self.key("pending"), self.key("state", code)]
        args: list[Any] = [version, facts.model_dump_json(), stamp, code]
        args += [Queued(record, stamp).dump() for record in records]
        return bool(await self._commit(keys=keys, args=args))

    # the applicant (personal data)
    async def keep_applicant(self, code: str, owner: dict[str, Any]) -> None:
        await self.redis.set(self.key("applicant", code), json.dumps(owner))

    async def forget_applicant(self, code: str) -> None:
        await self.redis.delete(self.key("applicant", code))

    async def applicant(self, code: str) -> dict[str, Any] | None:
        text = await self.redis.get(self.key("applicant", code))
        return None if text is None else dict(json.loads(text))

    # sending
    async def due(self, now: datetime, limit: int) -> list[str]:
        codes = await self.redis.zrangebyscore(self.key("due"), "-inf", now.timestamp(), 0, limit)
        return [c.decode() if isinstance(c, bytes) else str(c) for c in codes]

    async def lease(self, code: str, owner: str, seconds: float) -> bool:
        taken = await self.redis.set(
            self.key("lease", code), owner, nx=True, px=int(seconds * 1000)
        )
        return bool(taken)

    async def free(self, code: str) -> None:
        await self.redis.delete(self.key("lease", code))

    async def peek(self, code: str) -> Queued | None:
        text = await self.redis.lindex(self.key("queue", code), 0)
        return None if text is None else Queued.load(text)

    async def due_at(self, code: str) -> datetime | None:
        score = await self.redis.zscore(self.key("due"), code)
        return None if score is None else datetime.fromtimestamp(float(score), UTC)

    async def head(self, code: str) -> Queued | None:
        text = await self.redis.lindex(self.key("queue", code), 0)
        if text is None:
            await self.redis.zrem(self.key("due"), code)
            await self.redis.zrem(self.key("pending"), code)
            return None
        return Queued.load(text)

    async def acknowledge(self, record: PortalRecord, answer: str, now: datetime) -> bool:
        code = record.code
        keys = [self.key("queue", code), self.key("due"), self.key("pending")]
        keys += [self.key("acked", code), self.key("state", code)]
        fields = [*_last(record, now), "last_answer", answer[:2000], "last_error", ""]
        return bool(
            await self._acknowledge(keys=keys, args=[record.key, code, now.timestamp(), *fields])
        )

    async def failed(
        self, record: PortalRecord, error: str, now: datetime, *, counted: bool = True
    ) -> int:
        """Note a failed attempt and its error; return the attempts counted so far (an outage
        of the portal is noted, not counted)."""
        state = self.key("state", record.code)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(state, mapping=dict(zip(*[iter(_last(record, now))] * 2, strict=True)))
            pipe.hset(state, "last_error", error[:2000])
            pipe.hincrby(state, "attempts", 1 if counted else 0)
            replies = await pipe.execute()
        return int(replies[-1])

    async def retry_at(self, code: str, at: datetime) -> None:
        await self.redis.zadd(self.key("due"), {code: at.timestamp()})

    async def hold(self, code: str) -> None:
        """Its head record was dead-lettered: the dossier waits for a redrive (its queue and
        its place in `pending` stay, so the oldest unsent record's age keeps growing)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key("state", code), "held", "1")
            pipe.zrem(self.key("due"), code)
            await pipe.execute()

    async def release(self, record: PortalRecord, now: datetime) -> bool:
        """A redriven record: put back at the head of its dossier's queue (unless the portal
        has it already) and send again now."""
        code = record.code
        keys = [self.key("queue", code), self.key("due"), self.key("state", code)]
        keys.append(self.key("acked", code))
        queued = Queued(record, now.timestamp()).dump()
        released = await self._release(keys=keys, args=[queued, record.key, code, now.timestamp()])
        if released:
            await self.redis.zadd(self.key("pending"), {code: now.timestamp()}, nx=True)
        return bool(released)

    async def replace_head(
        self, code: str, key: str, records: list[PortalRecord], now: datetime
    ) -> bool:
        keys = [self.key("queue", code), self.key("due"), self.key("pending")]
        queued = [Queued(record, now.timestamp()).dump() for record in records]
        return bool(await self._replace_head(keys=keys, args=[key, code, now.timestamp(), *queued]))

    async def journal(self, code: str, key: str, entry: dict[str, str]) -> None:
        await self.redis.hset(self.key("journal", code), key, json.dumps(entry))

    async def journal_of(self, code: str) -> dict[str, dict[str, str]]:
        found = await self.redis.hgetall(self.key("journal", code))
        return {_text(k): dict(json.loads(v)) for k, v in found.items()}

    # the sync report (766 indicator 1.4)
    async def index_receipt(self, agency: str, code: str, received_at: datetime) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.key("received", agency), {code: received_at.timestamp()})
            pipe.sadd(self.key("agencies"), agency)
            await pipe.execute()

    async def received_between(
        self, since: datetime, until: datetime, agency: str | None
    ) -> dict[str, list[str]]:
        """The dossiers received in [since, until), by agency (every agency, or one)."""
        agencies = [agency] if agency else sorted(map(_text, await self.redis.smembers(
            self.key("agencies"))))  # fmt: skip
        found: dict[str, list[str]] = {}
        for name in agencies:
            codes = await self.redis.zrangebyscore(
                self.key("received", name), since.timestamp(), f"({until.timestamp()}"
            )
            if codes:
                found[name] = sorted(map(_text, codes))
        return found

    async def synchronised(self, codes: list[str]) -> list[bool]:
        """Whether each dossier's records all reached the portal (none waits, one at least
        acknowledged)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for code in codes:
                pipe.llen(self.key("queue", code))
                pipe.hget(self.key("state", code), "acknowledged")
            replies = await pipe.execute()
        pairs = zip(replies[::2], replies[1::2], strict=True)
        return [int(waiting) == 0 and int(acked or 0) > 0 for waiting, acked in pairs]

    # what operators see
    async def oldest_unsent(self) -> datetime | None:
        first = await self.redis.zrange(self.key("pending"), 0, 0, withscores=True)
        return datetime.fromtimestamp(float(first[0][1]), UTC) if first else None

    async def state(self, code: str) -> SyncState:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.key("state", code))
            pipe.llen(self.key("queue", code))
            replies = await pipe.execute()
        fields = {_text(k): _text(v) for k, v in replies[0].items()}
        return SyncState(
            code=code,
            queued=int(replies[1]),
            acknowledged=int(fields.pop("acknowledged", "0")),
            attempts=int(fields.pop("attempts", "0")),
            held=fields.pop("held", "0") == "1",
            last=fields,
        )

    async def is_acknowledged(self, code: str, key: str) -> bool:
        return bool(await self.redis.sismember(self.key("acked", code), key))


def _last(record: PortalRecord, now: datetime) -> list[str]:
    return [
        "last_key", record.key, "last_call", record.call, "last_cause", record.cause,
        "last_sent_at", now.isoformat(),
    ]  # fmt: skip


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
