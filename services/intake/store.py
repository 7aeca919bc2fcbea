"""Intake's Redis state. All key formats live here, prefixed `intake:` by default.

Two Lua scripts make each request's effect atomic:
- `receive`: replay a known submission, or allocate the agency's next daily sequence number
  and store the dossier, the applicant, the outbox and the submission's result together (so
  codes have no gaps and a retried submission gets the same code);
- `commit_step`: the same for a later step, refused if another request changed the dossier
  since it was read (optimistic concurrency: one of two concurrent requests wins).
The outbox holds the events to publish, in order; they leave it only once Kafka has them.
"""

from dataclasses import dataclass

from redis.asyncio import Redis

from services.intake.lifecycle import CODE_PLACEHOLDER, DossierRecord
from shared.outbox import LOCK_AND_READ, OutboxEntry, RedisOutbox

PREFIX = "intake"
_PLACEHOLDER_PATTERN = CODE_PLACEHOLDER.replace(".", "%.").replace("-", "%-")

# KEYS: submission, sequence
# ARGV: prefix, agency, yymmdd, record, applicant, result, owner, outbox entries...
# Returns {1, result, code, outbox if this caller now holds the outbox lock} or {0, result}.
_RECEIVE = (
    LOCK_AND_READ
    + f"""
local existing = redis.call('GET', KEYS[1])
if existing then return {{0, existing}} end
local seq = redis.call('INCR', KEYS[2])
if seq > 9999 then
  redis.call('DECR', KEYS[2])
  return redis.error_reply('the daily sequence of agency ' .. ARGV[2] .. ' is exhausted')
end
local code = ARGV[2] .. '-' .. ARGV[3] .. '-' .. string.format('%04d', seq)
local function fill(text) return (string.gsub(text, '{_PLACEHOLDER_PATTERN}', code)) end
local prefix = ARGV[1]
redis.call('HSET', prefix .. ':dossier:' .. code, 'record', fill(ARGV[4]), 'version', 1)
redis.call('SET', prefix .. ':applicant:' .. code, ARGV[5])
local outbox_key = prefix .. ':outbox:' .. code
for i = 8, #ARGV do redis.call('RPUSH', outbox_key, fill(ARGV[i])) end
redis.call('SADD', prefix .. ':outbox:pending', code)
local result = fill(ARGV[6])
redis.call('SET', KEYS[1], result)
local entries = lock_and_read(outbox_key, prefix .. ':outbox:lock:' .. code, ARGV[7])
return {{1, result, code, entries}}
"""
)

# KEYS: submission, dossier, outbox, pending, lock
# ARGV: code, version, record, result, owner, outbox...
_COMMIT_STEP = (
    LOCK_AND_READ
    + """
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
local version = tonumber(redis.call('HGET', KEYS[2], 'version'))
if version ~= tonumber(ARGV[2]) then return {-1, tostring(version)} end
redis.call('HSET', KEYS[2], 'record', ARGV[3], 'version', version + 1)
for i = 6, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
if #ARGV >= 6 then redis.call('SADD', KEYS[4], ARGV[1]) end
redis.call('SET', KEYS[1], ARGV[4])
local entries = {}
if #ARGV >= 6 then entries = lock_and_read(KEYS[3], KEYS[5], ARGV[5]) end
return {1, ARGV[4], ARGV[1], entries}
"""
)


class ConflictError(Exception):
    """Another request changed the dossier between read and write."""


@dataclass(frozen=True)
class Stored:
    """A dossier as read, with the version a write must match."""

    record: DossierRecord
    version: int


@dataclass(frozen=True)
class Committed:
    result: str  # the stored response (JSON) for this submission
    replayed: bool  # true when the submission had been handled before
    code: str = ""
    # The dossier's whole outbox, when this caller took its lock (and so must publish it).
    outbox: tuple["OutboxEntry", ...] = ()


class RedisIntakeStore:
    def __init__(self, redis: "Redis", prefix: str = PREFIX) -> None:
        self.redis = redis
        self.prefix = prefix
        self._receive = redis.register_script(_RECEIVE)
        self._commit = redis.register_script(_COMMIT_STEP)
        self.outbox = RedisOutbox(redis, prefix)

    def submission_key(self, client_id: str, submission_id: str) -> str:
        return f"{self.prefix}:submission:{client_id}:{submission_id}"

    def dossier_key(self, code: str) -> str:
        return f"{self.prefix}:dossier:{code}"

    def applicant_key(self, code: str) -> str:
        return f"{self.prefix}:applicant:{code}"

    async def replay(self, client_id: str, submission_id: str) -> str | None:
        found = await self.redis.get(self.submission_key(client_id, submission_id))
        return None if found is None else str(found)

    async def receive(
        self,
        *,
        client_id: str,
        submission_id: str,
        agency_code: str,
        day: str,
        record: DossierRecord,
        applicant_json: str,
        result_json: str,
        outbox: list[OutboxEntry],
    ) -> Committed:
        keys = [
            self.submission_key(client_id, submission_id),
            f"{self.prefix}:seq:{agency_code}:{day}",
        ]
        args = [self.prefix, agency_code, day, record.model_dump_json(), applicant_json]
        args += [result_json, self.outbox.owner, *(entry.dumps() for entry in outbox)]
        return _committed(await self._receive(keys=keys, args=args))

    async def load(self, code: str) -> Stored | None:
        key = self.dossier_key(code)
        record, version = await self.redis.hmget(key, ["record", "version"])
        if record is None:
            return None
        return Stored(DossierRecord.model_validate_json(record), int(str(version)))

    async def applicant(self, code: str) -> str | None:
        found = await self.redis.get(self.applicant_key(code))
        return None if found is None else str(found)

    async def commit_step(
        self,
        *,
        client_id: str,
        submission_id: str,
        stored: Stored,
        record: DossierRecord,
        result_json: str,
        outbox: list[OutboxEntry],
    ) -> Committed:
        keys = [
            self.submission_key(client_id, submission_id),
            self.dossier_key(record.code),
            self.outbox.list_key(record.code),
            self.outbox.pending_key,
            self.outbox.lock_key(record.code),
        ]
        args = [record.code, str(stored.version), record.model_dump_json(), result_json]
        args.append(self.outbox.owner)
        args += [entry.dumps() for entry in outbox]
        reply = await self._commit(keys=keys, args=args)
        if int(reply[0]) == -1:
            raise ConflictError(f"dossier {record.code} was changed by another request")
        return _committed(reply)


def _committed(reply: list[object]) -> Committed:
    if int(str(reply[0])) == 0:
        return Committed(str(reply[1]), replayed=True)
    entries = reply[3] if isinstance(reply[3], list) else []
    return Committed(
        str(reply[1]),
        replayed=False,
        code=str(reply[2]),
        outbox=tuple(OutboxEntry.loads(str(entry)) for entry in entries),
    )
