"""The deadline service's Redis store (see the package's doc for its keys and scripts)."""

from datetime import UTC, datetime
from typing import Generic

from redis.asyncio import Redis

from services.deadline.domain.tracking import Timer
from services.deadline.store.parked import ParkedEvents
from services.deadline.store.protocol import PREFIX, S, _epoch
from shared.persistence.parking import ParkingLot

_MOVE_BUCKET = """
local function move_bucket(bucket_key, census_key, code, new)
  local old = redis.call('HGET', bucket_key, code)
  if old == new then return end
  if old then redis.call('HINCRBY', census_key, old, -1) end
  if new == '' then
    redis.call('HDEL', bucket_key, code)
  else
    redis.call('HSET', bucket_key, code, new)
    redis.call('HINCRBY', census_key, new, 1)
  end
end
"""


# KEYS: state, outbox, schedule, fired, bucket, census, claimed, ended
# ARGV: code, state_json, bucket, forget_at ('' while open), n_remove, removes..., n_add,
#       (member, score)..., outbox...
# Returns the dossier's outbox after the save (what is left to publish, oldest first).
# A timer already fired, or claimed by a sweeper right now, is never added again.
_SAVE = (
    _MOVE_BUCKET
    + """
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[8], 'NX', ARGV[4], ARGV[1]) end
local i = 5
local n_remove = tonumber(ARGV[i])
for j = 1, n_remove do redis.call('ZREM', KEYS[3], ARGV[i + j]) end
i = i + n_remove + 1
local n_add = tonumber(ARGV[i])
for j = 0, n_add - 1 do
  local member = ARGV[i + 1 + 2 * j]
  local fired = redis.call('SISMEMBER', KEYS[4], member) == 1
  if not fired and redis.call('HEXISTS', KEYS[7], member) == 0 then
    redis.call('ZADD', KEYS[3], ARGV[i + 2 + 2 * j], member)
  end
end
i = i + 2 * n_add + 1
for j = i, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[j]) end
move_bucket(KEYS[5], KEYS[6], ARGV[1], ARGV[3])
return redis.call('LRANGE', KEYS[2], 0, -1)
"""
)


# KEYS: schedule, claimed   ARGV: now, limit, lease_until
# Variadic ZREM/HSET: a few Redis calls per claim instead of two per timer.
_CLAIM_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
if #due == 0 then return due end
local members, claims = {}, {}
for i = 1, #due, 2 do
  members[#members + 1] = due[i]
  claims[#claims + 1] = due[i]
  claims[#claims + 1] = due[i + 1] .. '|' .. ARGV[3]
end
-- unpack() is limited to a few thousand values: call in even-sized chunks
for i = 1, #members, 4000 do
  redis.call('ZREM', KEYS[1], unpack(members, i, math.min(i + 3999, #members)))
end
for i = 1, #claims, 4000 do
  redis.call('HSET', KEYS[2], unpack(claims, i, math.min(i + 3999, #claims)))
end
return due
"""


# KEYS: claimed, schedule   ARGV: now
_RECLAIM_EXPIRED = """
local moved = 0
local claims = redis.call('HGETALL', KEYS[1])
for i = 1, #claims, 2 do
  local sep = string.find(claims[i + 1], '|', 1, true)
  local fire_at = string.sub(claims[i + 1], 1, sep - 1)
  local lease_until = tonumber(string.sub(claims[i + 1], sep + 1))
  if lease_until <= tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[1], claims[i])
    redis.call('ZADD', KEYS[2], fire_at, claims[i])
    moved = moved + 1
  end
end
return moved
"""


# KEYS: claimed, fired, bucket, census   ARGV: n, (member, code, bucket)...
_CONFIRM_FIRED = (
    _MOVE_BUCKET
    + """
for j = 0, tonumber(ARGV[1]) - 1 do
  local member, code, bucket = ARGV[2 + 3 * j], ARGV[3 + 3 * j], ARGV[4 + 3 * j]
  redis.call('HDEL', KEYS[1], member)
  redis.call('SADD', KEYS[2], member)
  if bucket ~= '' then move_bucket(KEYS[3], KEYS[4], code, bucket) end
end
return 1
"""
)


class RedisDeadlineStore(ParkedEvents, Generic[S]):
    """`model`: what is tracked (TrackedDossier; a feedback under a prefix of its own)."""

    def __init__(self, redis: "Redis", model: type[S], prefix: str = PREFIX) -> None:
        self.model = model
        self.redis = redis
        self.prefix = prefix
        self._save = redis.register_script(_SAVE)
        self._claim = redis.register_script(_CLAIM_DUE)
        self._reclaim = redis.register_script(_RECLAIM_EXPIRED)
        self._confirm = redis.register_script(_CONFIRM_FIRED)
        self.parking = ParkingLot(redis, prefix)

    # keys
    def state_key(self, code: str) -> str:
        return f"{self.prefix}:dossier:{code}"

    def outbox_key(self, code: str) -> str:
        return f"{self.prefix}:outbox:{code}"

    @property
    def schedule_key(self) -> str:
        return f"{self.prefix}:timers"

    @property
    def claimed_key(self) -> str:
        return f"{self.prefix}:timers:claimed"

    @property
    def fired_key(self) -> str:
        return f"{self.prefix}:timers:fired"

    @property
    def bucket_key(self) -> str:
        return f"{self.prefix}:bucket"

    @property
    def census_key(self) -> str:
        return f"{self.prefix}:census"

    @property
    def ended_key(self) -> str:
        return f"{self.prefix}:ended"

    # dossiers
    async def load(self, code: str) -> S | None:
        raw = await self.redis.get(self.state_key(code))
        return None if raw is None else self.model.model_validate_json(raw)

    async def load_many(self, codes: list[str]) -> dict[str, S]:
        if not codes:
            return {}
        rows = await self.redis.mget([self.state_key(code) for code in codes])
        return {
            code: self.model.model_validate_json(raw)
            for code, raw in zip(codes, rows, strict=True)
            if raw is not None
        }

    async def save(
        self,
        dossier: S,
        *,
        bucket: str,
        remove_timers: list[str],
        add_timers: list[Timer],
        outbox: list[str],
        forget_at: datetime | None = None,
    ) -> list[str]:
        """Atomically: state, timer changes (never re-adding one fired or being fired), outbox,
        bucket, and when to forget an ended dossier. Returns the dossier's outbox as it is
        then (its events not yet published, oldest first), saving a read before publishing."""
        forget = "" if forget_at is None else str(_epoch(forget_at))
        args: list[str | float] = [dossier.code, dossier.model_dump_json(), bucket, forget]
        args += [len(remove_timers), *remove_timers, len(add_timers)]
        for timer in add_timers:
            args += [timer.member, _epoch(timer.fire_at)]
        args += outbox
        keys = [
            self.state_key(dossier.code),
            self.outbox_key(dossier.code),
            self.schedule_key,
            self.fired_key,
            self.bucket_key,
            self.census_key,
            self.claimed_key,
            self.ended_key,
        ]
        return [str(item) for item in await self._save(keys=keys, args=args)]

    async def outbox(self, code: str) -> list[str]:
        return [str(item) for item in await self.redis.lrange(self.outbox_key(code), 0, -1)]

    async def clear_outbox(self, code: str, published: int) -> None:
        await self.redis.ltrim(self.outbox_key(code), published, -1)

    # timers
    async def claim_due(self, now: datetime, limit: int, lease_until: datetime) -> list[Timer]:
        flat = await self._claim(
            keys=[self.schedule_key, self.claimed_key],
            args=[_epoch(now), limit, _epoch(lease_until)],
        )
        return [
            Timer.parse(str(flat[i]), datetime.fromtimestamp(float(flat[i + 1]), UTC))
            for i in range(0, len(flat), 2)
        ]

    async def reclaim_expired(self, now: datetime) -> int:
        return int(
            await self._reclaim(keys=[self.claimed_key, self.schedule_key], args=[_epoch(now)])
        )

    async def confirm_fired(self, fired: list[tuple[Timer, str]]) -> None:
        """Forget the claims and remember the timers as fired; move census buckets."""
        if not fired:
            return
        args: list[str | int] = [len(fired)]
        for timer, bucket in fired:
            args += [timer.member, timer.code, bucket]
        keys = [self.claimed_key, self.fired_key, self.bucket_key, self.census_key]
        await self._confirm(keys=keys, args=args)

    async def forget_fired(self, members: list[str]) -> None:
        if members:
            await self.redis.srem(self.fired_key, *members)

    async def forget_ended(self, now: datetime, limit: int = 500) -> int:
        """Drop the state of dossiers whose grace period after their end has passed."""
        due = await self.redis.zrangebyscore(self.ended_key, "-inf", _epoch(now), 0, limit)
        codes = [str(code) for code in due]
        if codes:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(*[self.state_key(code) for code in codes])
                pipe.zrem(self.ended_key, *codes)
                await pipe.execute()
        return len(codes)

    async def scheduled_count(self) -> int:
        return int(await self.redis.zcard(self.schedule_key))

    # metrics
    async def census(self) -> dict[tuple[str, str], int]:
        rows = await self.redis.hgetall(self.census_key)
        counts: dict[tuple[str, str], int] = {}
        for bucket, count in rows.items():
            agency, _, state = str(bucket).partition("|")
            counts[(agency, state)] = int(count)
        return counts
