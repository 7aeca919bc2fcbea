"""Intake's Redis store: each effect one commit, with its body in Lua (see the package's doc)."""

import asyncio
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial

from redis.asyncio import Redis

from services.intake.domain.lifecycle import DossierRecord
from services.intake.store.numbering import _fail, _Issued, _Numbering
from services.intake.store.protocol import (
    LAST_SEQUENCE,
    PREFIX,
    NewDossier,
    SequenceExhaustedError,
    Snapshot,
    Stored,
    dossier_code,
    erase_at,
    person_of,
)
from shared.persistence.outbox import (
    Commit,
    CommitScript,
    Committed,
    ConflictError,
    NotReadyError,
    OutboxEntry,
    RedisOutbox,
)

CONTENDED_SECONDS = 5.0  # after a conflict on a day's numbers, read them fresh this long


# KEYS[K+1] sequence  KEYS[K+2] dossier  KEYS[K+3] applicant  KEYS[K+4] the person's dossiers
# ARGV[A+1] the sequence as read  ARGV[A+2] the number taken  ARGV[A+3] record  ARGV[A+4] applicant
# ARGV[A+5] code
_RECEIVE_BODY = """
local seq = tonumber(redis.call('GET', KEYS[K + 1]) or '0')
if seq ~= tonumber(ARGV[A + 1]) then return 'the sequence moved to ' .. seq end
redis.call('SET', KEYS[K + 1], ARGV[A + 2])
if redis.call('EXISTS', KEYS[K + 2]) == 1 then return 'the code is taken' end
redis.call('HSET', KEYS[K + 2], 'record', ARGV[A + 3], 'version', 1)
redis.call('SET', KEYS[K + 3], ARGV[A + 4])
redis.call('SADD', KEYS[K + 4], ARGV[A + 5])
"""


# KEYS[K+1] dossier  KEYS[K+2] erasure schedule
# ARGV[A+1] the version as read  ARGV[A+2] the new record  ARGV[A+3] erase at ('' while
#   open)  ARGV[A+4] code
_STEP_BODY = """
local version = tonumber(redis.call('HGET', KEYS[K + 1], 'version'))
if version ~= tonumber(ARGV[A + 1]) then return 'the dossier changed' end
redis.call('HSET', KEYS[K + 1], 'record', ARGV[A + 2], 'version', version + 1)
if ARGV[A + 3] ~= '' then redis.call('ZADD', KEYS[K + 2], 'NX', ARGV[A + 3], ARGV[A + 4]) end
"""


# KEYS[K+1] applicant   ARGV[A+1] the applicant as read   ARGV[A+2] the new applicant
_APPLICANT_BODY = """
if redis.call('GET', KEYS[K + 1]) ~= ARGV[A + 1] then return 'the applicant changed' end
redis.call('SET', KEYS[K + 1], ARGV[A + 2])
"""


# KEYS: dossier   ARGV: record, version: a restored record never replaces a newer one
_RESTORE_RECORD = """
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if tonumber(ARGV[2]) > version then
  redis.call('HSET', KEYS[1], 'record', ARGV[1], 'version', ARGV[2])
end
return 1
"""


# KEYS: sequence   ARGV: number: a restored sequence only moves forward
_RESTORE_SEQUENCE = """
if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
"""


class RedisIntakeStore:
    def __init__(
        self,
        redis: "Redis",
        prefix: str = PREFIX,
        answer_ttl: timedelta = timedelta(days=7),
        applicant_kept_for: timedelta = timedelta(days=90),
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.answer_ttl_ms = int(answer_ttl.total_seconds() * 1000)
        self.applicant_kept_for = applicant_kept_for
        self.outbox = RedisOutbox(redis, prefix)
        self._receive = CommitScript(redis, self.outbox, _RECEIVE_BODY)
        self._step = CommitScript(redis, self.outbox, _STEP_BODY)
        self._applicant = CommitScript(redis, self.outbox, _APPLICANT_BODY)
        self._restore_record = redis.register_script(_RESTORE_RECORD)
        self._restore_sequence = redis.register_script(_RESTORE_SEQUENCE)
        # Receipts of one agency and day in this process take numbers a group at a time (see
        # `_number_waiting`), so they do not race each other for the same number (other
        # instances still may: retried).
        self._numbering = [asyncio.Lock() for _ in range(64)]
        self._waiting: dict[str, list[_Numbering]] = {}
        self._last_numbers: dict[str, int] = {}  # sequence key -> last number handed out here
        self._contended_until: dict[str, float] = {}  # sequence key -> monotonic time

    # keys
    def submission_key(self, client_id: str, submission_id: str) -> str:
        return f"{self.prefix}:submission:{client_id}:{submission_id}"

    def dossier_key(self, code: str) -> str:
        return f"{self.prefix}:dossier:{code}"

    def applicant_key(self, code: str) -> str:
        return f"{self.prefix}:applicant:{code}"

    def person_key(self, person: str) -> str:
        return f"{self.prefix}:person:{person}"

    def sequence_key(self, agency_code: str, day: str) -> str:
        return f"{self.prefix}:seq:{agency_code}:{day}"

    @property
    def ready_key(self) -> str:
        return f"{self.prefix}:ready"

    @property
    def erasure_key(self) -> str:
        return f"{self.prefix}:erase:due"

    @property
    def rebuilding_key(self) -> str:
        return f"{self.prefix}:rebuilding"

    # reads: each checks readiness in the same round trip
    async def _read(self, command: str, *args: str) -> object:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.exists(self.ready_key)
            pipe.execute_command(command, *args)
            ready, value = await pipe.execute()
        if not ready:
            raise NotReadyError("intake is rebuilding its state from Kafka; try again shortly")
        return value

    async def replay(self, client_id: str, submission_id: str) -> str | None:
        found = await self._read("GET", self.submission_key(client_id, submission_id))
        return None if found is None else str(found)

    async def load(self, code: str) -> Stored | None:
        found = await self._read("HMGET", self.dossier_key(code), "record", "version")
        assert isinstance(found, list)
        record, version = found
        if record is None:
            return None
        return Stored(DossierRecord.model_validate_json(record), int(str(version)))

    async def applicant(self, code: str) -> str | None:
        found = await self._read("GET", self.applicant_key(code))
        return None if found is None else str(found)

    # writes
    async def receive(
        self,
        *,
        client_id: str,
        submission_id: str,
        agency_code: str,
        day: str,
        build: Callable[[str], NewDossier],
    ) -> Committed:
        sequence_key = self.sequence_key(agency_code, day)
        waiting = _Numbering(client_id, submission_id, build)
        self._waiting.setdefault(sequence_key, []).append(waiting)
        await self._number_waiting(agency_code, day)
        return await waiting.answered

    async def _number_waiting(self, agency_code: str, day: str) -> None:
        """Group commit: the receipts waiting for this agency's numbers of the day take the
        next ones in their order, and their commit scripts go to Redis together (one round
        trip, `AutoPipelinedRedis`). Each script checks that its number follows the last one
        taken, so numbers stay gapless and unique across instances: when another instance
        took one meanwhile (or a receipt turned out to be a replay, which takes no number),
        that receipt and the ones after it conflict and are numbered again.

        Pipelined while this instance alone numbers that day: the lock is held while
        numbering and issuing, not for the replies; the next group is numbered on from the
        last number handed out here (`_last_numbers`, no read of the count) and its scripts
        queue behind this group's, so groups follow each other as receipts arrive, not a
        round trip apart. After a conflict (another instance numbers that day too), for
        CONTENDED_SECONDS each group reads the count and waits for its replies before the
        next is numbered, as two writers pipelining would conflict on every group."""
        sequence_key = self.sequence_key(agency_code, day)
        lock = self._numbering[zlib.crc32(sequence_key.encode()) % len(self._numbering)]
        while True:
            contended = self._contended_until.get(sequence_key, 0.0) > time.monotonic()
            async with lock:
                group = self._waiting.pop(sequence_key, [])
                if not group:
                    return  # another receipt's coroutine took them
                issued = await self._issue(agency_code, day, group, read_count=contended)
                if contended:
                    conflicted = await self._answer(sequence_key, issued)
            if not contended:
                conflicted = await self._answer(sequence_key, issued)
            if not conflicted:
                return
            self._last_numbers.pop(sequence_key, None)
            self._contended_until[sequence_key] = time.monotonic() + CONTENDED_SECONDS

    async def _issue(
        self, agency_code: str, day: str, group: list["_Numbering"], *, read_count: bool
    ) -> list["_Issued"]:
        """Number a group and issue its commit scripts (under the numbering lock)."""
        sequence_key = self.sequence_key(agency_code, day)
        try:
            last = None if read_count else self._last_numbers.get(sequence_key)
            if last is None:
                last = int(await self.redis.get(sequence_key) or 0)
            numbered = group[: max(0, LAST_SEQUENCE - last)]
            for exhausted in group[len(numbered) :]:
                await self._refuse_exhausted(exhausted, agency_code, day)
        except BaseException as error:  # Redis failed, or cancelled: none left waiting
            for waiting in group:
                _fail(waiting, error)
            raise
        issued = [
            _Issued(waiting, asyncio.ensure_future(
                self._commit_receipt(waiting, agency_code, day, last + i)
            ))
            for i, waiting in enumerate(numbered)
        ]  # fmt: skip
        self._remember_last(sequence_key, last + len(numbered))
        await asyncio.sleep(0)  # the scripts are queued before the next group's
        return issued

    def _remember_last(self, sequence_key: str, last: int) -> None:
        if len(self._last_numbers) >= 4096:  # agencies x days in use: a bound, not a cache
            self._last_numbers.clear()
            self._contended_until.clear()
        self._last_numbers[sequence_key] = last

    async def _answer(self, sequence_key: str, issued: list["_Issued"]) -> bool:
        """Hand each issued receipt its commit's reply; put those that conflicted back in
        line to be numbered again. Whether any conflicted."""
        conflicted = False
        try:
            for receipt in issued:
                try:
                    receipt.waiting.answered.set_result(await receipt.commit)
                except ConflictError:  # another took the number: take the next
                    conflicted = True
                    self._waiting.setdefault(sequence_key, []).append(receipt.waiting)
                except Exception as error:
                    receipt.waiting.answered.set_exception(error)
        except BaseException as error:  # cancelled: no receipt left waiting
            for receipt in issued:
                receipt.commit.cancel()
                _fail(receipt.waiting, error)
            for waiting in self._waiting.pop(sequence_key, []):
                _fail(waiting, error)
            raise
        return conflicted

    async def _commit_receipt(
        self, waiting: "_Numbering", agency_code: str, day: str, last: int
    ) -> Committed:
        sequence_key = self.sequence_key(agency_code, day)
        code = dossier_code(agency_code, day, last + 1)
        new = waiting.build(code)
        commit = Commit(
            self.submission_key(waiting.client_id, waiting.submission_id), code, new.answer,
            new.entries, self.answer_ttl_ms,
        )  # fmt: skip
        keys = [sequence_key, self.dossier_key(code), self.applicant_key(code),
                self.person_key(person_of(new.applicant_json))]  # fmt: skip
        args: list[str | int] = [
            last, last + 1, new.record.model_dump_json(), new.applicant_json, code
        ]  # fmt: skip
        return await self._receive(commit, keys, args, ready_key=self.ready_key)

    async def _refuse_exhausted(self, waiting: "_Numbering", agency_code: str, day: str) -> None:
        replayed = await self.replay(waiting.client_id, waiting.submission_id)
        if replayed is not None:
            waiting.answered.set_result(Committed(replayed, replayed=True))
        else:
            waiting.answered.set_exception(
                SequenceExhaustedError(
                    f"agency {agency_code} has handed out all {LAST_SEQUENCE} codes of {day}"
                )
            )

    async def commit_step(
        self,
        *,
        client_id: str,
        submission_id: str,
        stored: Stored,
        record: DossierRecord,
        answer: str,
        entries: Sequence[OutboxEntry],
    ) -> Committed:
        commit = Commit(
            self.submission_key(client_id, submission_id), record.code, answer, entries,
            self.answer_ttl_ms,
        )  # fmt: skip
        keys = [self.dossier_key(record.code), self.erasure_key]
        erase = erase_at(record, self.applicant_kept_for)
        args: list[str | int | float] = [
            stored.version, record.model_dump_json(), "" if erase is None else erase.timestamp(),
            record.code,
        ]  # fmt: skip
        return await self._step(commit, keys, args, ready_key=self.ready_key)

    async def commit_applicant(
        self,
        *,
        client_id: str,
        submission_id: str,
        code: str,
        read: str,
        applicant_json: str,
        answer: str,
        entries: Sequence[OutboxEntry],
    ) -> Committed:
        commit = Commit(
            self.submission_key(client_id, submission_id), code, answer, entries,
            self.answer_ttl_ms,
        )  # fmt: skip
        keys = [self.applicant_key(code)]
        return await self._applicant(commit, keys, [read, applicant_json], ready_key=self.ready_key)

    # personal data's lifetime
    async def erasures_due(self, now: datetime, limit: int = 500) -> list[str]:
        due = await self.redis.zrangebyscore(self.erasure_key, "-inf", now.timestamp(), 0, limit)
        return [str(code) for code in due]

    async def person_codes(self, person: str) -> list[str]:
        found = await self._read("SMEMBERS", self.person_key(person))
        assert isinstance(found, (list, set))
        return sorted(str(code) for code in found)

    async def forget_person(self, person: str, codes: Sequence[str]) -> None:
        if codes:
            await self.redis.srem(self.person_key(person), *codes)

    async def erase_applicants(self, codes: Sequence[str]) -> None:
        """Delete the applicants, their erasure schedule and their codes in the person index."""
        if not codes:
            return
        found = await self.redis.mget([self.applicant_key(code) for code in codes])
        async with self.redis.pipeline(transaction=True) as pipe:
            for code, applicant in zip(codes, found, strict=True):
                if applicant is not None:
                    pipe.srem(self.person_key(person_of(str(applicant))), code)
            pipe.delete(*[self.applicant_key(code) for code in codes])
            pipe.zrem(self.erasure_key, *codes)
            await pipe.execute()

    # rebuild
    async def is_ready(self) -> bool:
        return bool(await self.redis.exists(self.ready_key))

    async def claim_rebuild(self, owner: str, seconds: int) -> bool:
        claimed = await self.redis.set(self.rebuilding_key, owner, nx=True, ex=seconds)
        return bool(claimed) or str(await self.redis.get(self.rebuilding_key)) == owner

    async def restore(self, snapshot: Snapshot, now: datetime) -> None:
        """Merge what Kafka holds: newer versions win, sequences only move forward, answers
        are kept for what remains of their window. Pipelined, a thousand writes a trip."""
        writes: list[Callable[[Redis], Awaitable[object]]] = []
        for stored in snapshot.records.values():
            keys = [self.dossier_key(stored.record.code)]
            args: list[str | int] = [stored.record.model_dump_json(), stored.version]
            writes.append(partial(self._restore_record, keys, args))
        for code, applicant in snapshot.applicants.items():
            writes.append(partial(_set, self.applicant_key(code), applicant, None))
            writes.append(partial(_add, self.person_key(person_of(applicant)), code))
            erase = erase_at(snapshot.records[code].record, self.applicant_kept_for) if (
                code in snapshot.records) else None  # fmt: skip
            if erase is not None:
                writes.append(partial(_schedule, self.erasure_key, code, erase.timestamp()))
        for answer in snapshot.answers:
            left = int((answer.expires_at - now).total_seconds() * 1000)
            if left > 0:
                key = self.submission_key(answer.client_id, answer.submission_id)
                writes.append(partial(_set, key, answer.answer, left))
        for (agency, day), number in snapshot.sequences.items():
            keys = [self.sequence_key(agency, day)]
            writes.append(partial(self._restore_sequence, keys, [number]))
        for first in range(0, len(writes), 1000):
            async with self.redis.pipeline(transaction=False) as pipe:
                for write in writes[first : first + 1000]:
                    await write(pipe)
                await pipe.execute()

    async def mark_ready(self) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.ready_key, "1")
            pipe.delete(self.rebuilding_key)
            await pipe.execute()


async def _add(key: str, member: str, pipe: "Redis") -> object:
    return await pipe.sadd(key, member)


async def _schedule(key: str, code: str, at: float, pipe: "Redis") -> object:
    return await pipe.zadd(key, {code: at}, nx=True)


async def _set(key: str, value: str, px: int | None, pipe: "Redis") -> object:
    """SET NX (a restore never replaces what is there), queued on a pipeline."""
    return await pipe.set(key, value, px=px, nx=True)
