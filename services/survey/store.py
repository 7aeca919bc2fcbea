"""The survey service's Redis state. All key formats live here, prefixed `survey:` by default.

A rating is committed by one Lua script: the dossier's rating, the stored answer for the
submission, the masked comment and the outbox entry, together, and only if the dossier's
rating is still the one the decision was made against (else a concurrent rating won).
"""

from dataclasses import dataclass

from redis.asyncio import Redis

from services.survey.rating_rules import DossierFacts, StoredRating
from shared.outbox import LOCK_AND_READ, OutboxEntry, RedisOutbox
from shared.parking import ParkingLot

PREFIX = "survey"

# KEYS: submission, rating, outbox, pending, lock, comment
# ARGV: expected current rating event id ('' for none), rating, result, owner, comment, entry, key
_COMMIT_RATING = (
    LOCK_AND_READ
    + """
local replay = redis.call('GET', KEYS[1])
if replay then return {0, replay} end
local current = redis.call('GET', KEYS[2])
local current_id = ''
if current then current_id = cjson.decode(current)['event_id'] end
if current_id ~= ARGV[1] then return {-1, current_id} end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[3])
if ARGV[5] ~= '' then redis.call('SET', KEYS[6], ARGV[5]) end
redis.call('RPUSH', KEYS[3], ARGV[6])
redis.call('SADD', KEYS[4], ARGV[7])
return {1, ARGV[3], lock_and_read(KEYS[3], KEYS[5], ARGV[4])}
"""
)

# KEYS: submission, outbox, pending, lock, comment   ARGV: result, owner, comment, entry, key
_COMMIT_SURVEY = (
    LOCK_AND_READ
    + """
local replay = redis.call('GET', KEYS[1])
if replay then return {0, replay} end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call('SET', KEYS[5], ARGV[3]) end
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[5])
return {1, ARGV[1], lock_and_read(KEYS[2], KEYS[4], ARGV[2])}
"""
)

# KEYS: clerk   ARGV: received_at epoch, facts
_SET_IF_NEWER = """
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '-1')
if tonumber(ARGV[1]) >= at then redis.call('HSET', KEYS[1], 'at', ARGV[1], 'facts', ARGV[2]) end
return 1
"""


class RatingRaceError(Exception):
    """Another rating of the same dossier was committed between read and write."""


@dataclass(frozen=True)
class Committed:
    result: str  # the stored answer (the accepted event, JSON)
    replayed: bool
    outbox: tuple[OutboxEntry, ...] = ()


class RedisSurveyStore:
    def __init__(self, redis: "Redis", prefix: str = PREFIX) -> None:
        self.redis = redis
        self.prefix = prefix
        self.outbox = RedisOutbox(redis, prefix)
        self.held = ParkingLot(redis, prefix)
        self._commit_rating = redis.register_script(_COMMIT_RATING)
        self._commit_survey = redis.register_script(_COMMIT_SURVEY)
        self._set_if_newer = redis.register_script(_SET_IF_NEWER)

    def facts_key(self, code: str) -> str:
        return f"{self.prefix}:dossier:{code}"

    def clerk_key(self, clerk_id: str) -> str:
        return f"{self.prefix}:clerk:{clerk_id}"

    def rating_key(self, code: str) -> str:
        return f"{self.prefix}:rating:{code}"

    def submission_key(self, submission_id: str) -> str:
        return f"{self.prefix}:submission:{submission_id}"

    def comment_key(self, event_id: str) -> str:
        return f"{self.prefix}:comment:{event_id}"

    async def remember(self, facts: DossierFacts) -> None:
        await self.redis.set(self.facts_key(facts.code), facts.model_dump_json())
        if facts.clerk_id:
            await self._set_if_newer(
                keys=[self.clerk_key(facts.clerk_id)],
                args=[facts.received_at.timestamp(), facts.model_dump_json()],
            )

    async def facts(self, code: str) -> DossierFacts | None:
        raw = await self.redis.get(self.facts_key(code))
        return None if raw is None else DossierFacts.model_validate_json(raw)

    async def clerk_latest(self, clerk_id: str) -> DossierFacts | None:
        raw = await self.redis.hget(self.clerk_key(clerk_id), "facts")
        return None if raw is None else DossierFacts.model_validate_json(raw)

    async def rating(self, code: str) -> StoredRating | None:
        raw = await self.redis.get(self.rating_key(code))
        return None if raw is None else StoredRating.model_validate_json(raw)

    async def replay(self, submission_id: str) -> str | None:
        raw = await self.redis.get(self.submission_key(submission_id))
        return None if raw is None else str(raw)

    async def comment(self, event_id: str) -> str | None:
        raw = await self.redis.get(self.comment_key(event_id))
        return None if raw is None else str(raw)

    async def commit_rating(
        self,
        *,
        submission_id: str,
        code: str,
        expected: StoredRating | None,
        stored: StoredRating,
        result: str,
        comment: str | None,
        entry: OutboxEntry,
    ) -> Committed:
        keys = [
            self.submission_key(submission_id),
            self.rating_key(code),
            self.outbox.list_key(code),
            self.outbox.pending_key,
            self.outbox.lock_key(code),
            self.comment_key(stored.event_id),
        ]
        args = [expected.event_id if expected else "", stored.model_dump_json(), result]
        args += [self.outbox.owner, comment or "", entry.dumps(), code]
        reply = await self._commit_rating(keys=keys, args=args)
        if int(reply[0]) == -1:
            raise RatingRaceError(code)
        return _committed(reply)

    async def commit_survey(
        self, *, submission_id: str, key: str, event_id: str, result: str,
        comment: str | None, entry: OutboxEntry,
    ) -> Committed:  # fmt: skip
        keys = [
            self.submission_key(submission_id),
            self.outbox.list_key(key),
            self.outbox.pending_key,
            self.outbox.lock_key(key),
            self.comment_key(event_id),
        ]
        args = [result, self.outbox.owner, comment or "", entry.dumps(), key]
        return _committed(await self._commit_survey(keys=keys, args=args))


def _committed(reply: list[object]) -> Committed:
    if int(str(reply[0])) == 0:
        return Committed(str(reply[1]), replayed=True)
    entries = reply[2] if isinstance(reply[2], list) else []
    return Committed(
        str(reply[1]), replayed=False, outbox=tuple(OutboxEntry.loads(str(e)) for e in entries)
    )
