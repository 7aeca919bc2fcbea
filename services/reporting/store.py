"""Reporting's read model: a Protocol, its Redis store and the in-memory twin. All key formats
live here, prefixed `reporting:`.

Every update is a merge that gives the same result in any order and any number of times (set a
field keyed by what set it; keep the earliest closing; keep the latest rating), so redelivery,
late events and several instances leave exactly the facts one pass in order would.

  {p}:dossier:{code}   hash of a dossier's facts (see `dossier_facts.facts_from`)
  {p}:relevant         zset code -> when it closed (1e12 while open): a report for a period
                       starting at F reads only dossiers with score >= F
  {p}:rating:{code}    hash of the dossier's current rating;  {p}:rated  zset code -> rated at
  {p}:survey:{id}      a periodic survey's answers (JSON);  {p}:surveyed  zset id -> answered at
  {p}:feedback:{code}  hash of a feedback's facts (see `dossier_facts.feedback_from`)
  {p}:feedback:relevant  zset code -> when it was answered (1e12 while unanswered)
  {p}:audit:last       the last audit's result (JSON), for the metrics
"""

import json
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from redis.asyncio import Redis

from services.reporting.dossier_facts import (
    DossierFacts,
    FactsUpdate,
    FeedbackFacts,
    RatingFacts,
    SurveyFacts,
    facts_from,
    feedback_from,
    rating_from,
)
from services.reporting.periods import Period
from services.reporting.projections import ProcessingRow, dossiers_in, processing_report
from services.reporting.where import DossierFilter

PREFIX = "reporting"
POINTER_REFRESH_SECONDS = 1.0
OPEN = 1e12  # the "closed at" score of an open dossier

# KEYS: rating hash, rated zset   ARGV: code, stamp (epoch), field, value, ...
_RATED = """
local current = tonumber(redis.call('HGET', KEYS[1], 'rated_epoch') or '-1')
if tonumber(ARGV[2]) < current then return 0 end
redis.call('HSET', KEYS[1], 'rated_epoch', ARGV[2], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# KEYS: relevant zset, then one facts hash per update   ARGV: JSON updates, open score
# Each update is [code, opened (0/1), closing score or "", field, value, ...]: its fields are
# merged into its hash; a receipt never reopens a dossier already closed; the earliest closing
# instant wins. One call applies a chunk of a batch: one reply to read instead of one per
# command, which was most of the projection's client-side cost.
_MERGE = """
local relevant = KEYS[1]
for i, update in ipairs(cjson.decode(ARGV[1])) do
  local code = update[1]
  if #update > 3 then redis.call('HSET', KEYS[i + 1], unpack(update, 4)) end
  if update[2] == 1 and not redis.call('ZSCORE', relevant, code) then
    redis.call('ZADD', relevant, ARGV[2], code)
  end
  if update[3] ~= '' then redis.call('ZADD', relevant, 'LT', update[3], code) end
end
return 1
"""
MERGE_CHUNK = 500  # updates per script call: each call holds Redis for about a millisecond


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _merges(updates: Sequence[FactsUpdate]) -> str:
    """`_MERGE`'s argument: each update as [code, opened, closing score or "", field, value...]
    (the score written as redis-py writes a float, so stored scores are as before)."""
    return json.dumps([
        [u.code, int(u.opened), "" if u.closed_at is None else repr(_epoch(u.closed_at)),
         *(item for pair in u.fields.items() for item in pair)]
        for u in updates
    ], ensure_ascii=False)  # fmt: skip


class ReportingStore(Protocol):
    async def apply(self, updates: Sequence[FactsUpdate]) -> None: ...

    async def processing_table(
        self, period: Period, grouping: str, where: DossierFilter = ...
    ) -> tuple[list[ProcessingRow], ProcessingRow]: ...

    async def processing_count(
        self, period: Period, grouping: str, group: str | None, column: str,
        where: DossierFilter = ...,
    ) -> int: ...  # fmt: skip

    async def processing_list(
        self, period: Period, grouping: str, group: str | None, column: str,
        where: DossierFilter = ..., after: str | None = None, limit: int | None = 100,
    ) -> list[DossierFacts]: ...  # fmt: skip

    async def agencies(self) -> list[str]: ...

    async def dossiers_relevant_to(self, start: datetime) -> list[DossierFacts]: ...

    async def ratings_between(self, start: datetime, end: datetime) -> list[RatingFacts]: ...

    async def surveys_between(self, start: datetime, end: datetime) -> list[SurveyFacts]: ...

    async def feedback_relevant_to(self, start: datetime) -> list[FeedbackFacts]: ...


class RedisReportingStore:
    def __init__(self, redis: "Redis", prefix: str = PREFIX) -> None:
        self.redis = redis
        self.prefix = prefix
        self._merge = redis.register_script(_MERGE)
        self._rated = redis.register_script(_RATED)

    def dossier_key(self, code: str) -> str:
        return f"{self.prefix}:dossier:{code}"

    def rating_key(self, code: str) -> str:
        return f"{self.prefix}:rating:{code}"

    @property
    def relevant_key(self) -> str:
        return f"{self.prefix}:relevant"

    @property
    def rated_key(self) -> str:
        return f"{self.prefix}:rated"

    def survey_key(self, survey_id: str) -> str:
        return f"{self.prefix}:survey:{survey_id}"

    @property
    def surveyed_key(self) -> str:
        return f"{self.prefix}:surveyed"

    def feedback_key(self, code: str) -> str:
        return f"{self.prefix}:feedback:{code}"

    @property
    def feedback_relevant_key(self) -> str:
        return f"{self.prefix}:feedback:relevant"

    @property
    def audit_key(self) -> str:
        return f"{self.prefix}:audit:last"

    async def apply(self, updates: Sequence[FactsUpdate]) -> None:
        """A batch of updates in one pipeline (one round trip): dossiers' and feedback's facts
        by one script call per `MERGE_CHUNK` updates, ratings and surveys one by one."""
        dossiers = [u for u in updates if not u.feedback and (u.fields or u.opened or u.closed_at)]
        feedback = [update for update in updates if update.feedback]
        async with self.redis.pipeline(transaction=False) as pipe:
            for first in range(0, len(dossiers), MERGE_CHUNK):
                chunk = dossiers[first : first + MERGE_CHUNK]
                keys = [self.relevant_key, *(self.dossier_key(u.code) for u in chunk)]
                await self._merge(keys=keys, args=[_merges(chunk), OPEN], client=pipe)
            for first in range(0, len(feedback), MERGE_CHUNK):
                chunk = feedback[first : first + MERGE_CHUNK]
                keys = [self.feedback_relevant_key, *(self.feedback_key(u.code) for u in chunk)]
                await self._merge(keys=keys, args=[_merges(chunk), OPEN], client=pipe)
            for update in updates:
                if update.rating is not None and update.rated_at is not None:
                    args: list[Any] = [update.code, _epoch(update.rated_at)]
                    args += [item for pair in update.rating.items() for item in pair]
                    await self._rated(keys=[self.rating_key(update.code), self.rated_key],
                                      args=args, client=pipe)  # fmt: skip
                if update.survey is not None:  # the same survey again: the same key and value
                    survey = update.survey
                    pipe.set(self.survey_key(survey.survey_id), survey.model_dump_json())
                    pipe.zadd(self.surveyed_key, {survey.survey_id: _epoch(survey.answered_at)})
            await pipe.execute()

    async def feedback_relevant_to(self, start: datetime) -> list[FeedbackFacts]:
        """Feedback answered at or after `start`, or not yet answered."""
        found = await self.redis.zrangebyscore(self.feedback_relevant_key, _epoch(start), "+inf")
        rows = await self._hashes([self.feedback_key(str(code)) for code in found])
        return [
            facts
            for code, row in zip(found, rows, strict=True)
            if (facts := feedback_from(str(code), row)) is not None
        ]

    async def dossiers_relevant_to(self, start: datetime) -> list[DossierFacts]:
        found = await self.redis.zrangebyscore(self.relevant_key, _epoch(start), "+inf")
        rows = await self._hashes([self.dossier_key(str(code)) for code in found])
        return [
            facts
            for code, row in zip(found, rows, strict=True)
            if (facts := facts_from(str(code), row)) is not None
        ]

    async def ratings_between(self, start: datetime, end: datetime) -> list[RatingFacts]:
        found = await self.redis.zrangebyscore(self.rated_key, _epoch(start), f"({_epoch(end)}")
        rows = await self._hashes([self.rating_key(str(code)) for code in found])
        return [rating_from(str(code), row) for code, row in zip(found, rows, strict=True) if row]

    async def surveys_between(self, start: datetime, end: datetime) -> list[SurveyFacts]:
        found = await self.redis.zrangebyscore(self.surveyed_key, _epoch(start), f"({_epoch(end)}")
        surveys: list[SurveyFacts] = []
        for first in range(0, len(found), 500):
            keys = [self.survey_key(str(survey_id)) for survey_id in found[first : first + 500]]
            surveys += [
                SurveyFacts.model_validate_json(v) for v in await self.redis.mget(keys) if v
            ]
        return surveys

    async def _hashes(self, keys: Sequence[str]) -> list[dict[str, str]]:
        loaded: list[dict[str, str]] = []
        for first in range(0, len(keys), 500):
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in keys[first : first + 500]:
                    pipe.hgetall(key)
                loaded += await pipe.execute()
        return loaded

    async def last_audit(self) -> str | None:
        found = await self.redis.get(self.audit_key)
        return None if found is None else str(found)

    async def record_audit(self, result_json: str) -> None:
        await self.redis.set(self.audit_key, result_json)


class InMemoryReportingStore:
    """The same merges as the Redis store, in dictionaries: for unit tests and the properties."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, str]] = {}
        self.closed: dict[str, float] = {}
        self.ratings: dict[str, tuple[float, dict[str, str]]] = {}
        self.surveys: dict[str, SurveyFacts] = {}
        self.feedback_rows: dict[str, dict[str, str]] = {}
        self.feedback_closed: dict[str, float] = {}

    async def apply(self, updates: Sequence[FactsUpdate]) -> None:
        for update in updates:
            if update.feedback:
                self.feedback_rows.setdefault(update.code, {}).update(update.fields)
                if update.opened:
                    self.feedback_closed.setdefault(update.code, OPEN)
                if update.closed_at is not None:
                    at = _epoch(update.closed_at)
                    closed = self.feedback_closed.get(update.code, OPEN)
                    self.feedback_closed[update.code] = min(at, closed)
                continue
            if update.survey is not None:
                self.surveys[update.survey.survey_id] = update.survey
                continue
            self.rows.setdefault(update.code, {}).update(update.fields)
            if update.opened:
                self.closed.setdefault(update.code, OPEN)
            if update.closed_at is not None:
                at = _epoch(update.closed_at)
                self.closed[update.code] = min(at, self.closed.get(update.code, OPEN))
            if update.rating is not None and update.rated_at is not None:
                at = _epoch(update.rated_at)
                if update.code not in self.ratings or self.ratings[update.code][0] <= at:
                    self.ratings[update.code] = (at, update.rating)

    async def dossiers_relevant_to(self, start: datetime) -> list[DossierFacts]:
        codes = sorted(code for code, closed in self.closed.items() if closed >= _epoch(start))
        return [facts for code in codes if (facts := facts_from(code, self.rows[code])) is not None]

    async def ratings_between(self, start: datetime, end: datetime) -> list[RatingFacts]:
        return [
            rating_from(code, row)
            for code, (at, row) in sorted(self.ratings.items())
            if _epoch(start) <= at < _epoch(end)
        ]

    async def surveys_between(self, start: datetime, end: datetime) -> list[SurveyFacts]:
        return [
            survey
            for _, survey in sorted(self.surveys.items())
            if start <= survey.answered_at < end
        ]

    # The processing table and its lists: the pure definitions (projections.columns_of) ------

    async def _read(self, period: Period, where: DossierFilter) -> list[DossierFacts]:
        return [
            facts
            for facts in await self.dossiers_relevant_to(period.start)
            if (where.agencies is None or facts.agency in where.agencies)
            and where.level in (None, facts.level)
        ]

    async def processing_table(
        self, period: Period, grouping: str, where: DossierFilter = DossierFilter()
    ) -> tuple[list[ProcessingRow], ProcessingRow]:
        return processing_report(await self._read(period, where), period, grouping)

    async def processing_count(
        self, period: Period, grouping: str, group: str | None, column: str,
        where: DossierFilter = DossierFilter(),
    ) -> int:  # fmt: skip
        return len(dossiers_in(await self._read(period, where), period, grouping, group, column))

    async def processing_list(
        self, period: Period, grouping: str, group: str | None, column: str,
        where: DossierFilter = DossierFilter(), after: str | None = None, limit: int | None = 100,
    ) -> list[DossierFacts]:  # fmt: skip
        found = dossiers_in(await self._read(period, where), period, grouping, group, column)
        found = [facts for facts in found if after is None or facts.code > after]
        return found if limit is None else found[:limit]

    async def agencies(self) -> list[str]:
        return sorted({row["agency"] for row in self.rows.values() if "agency" in row})

    async def feedback_relevant_to(self, start: datetime) -> list[FeedbackFacts]:
        codes = sorted(c for c, closed in self.feedback_closed.items() if closed >= _epoch(start))
        found = (feedback_from(code, self.feedback_rows[code]) for code in codes)
        return [facts for facts in found if facts is not None]


class Keyspace(Protocol):
    """Where reports are read from (`current`) and events applied to (`writing_to`)."""

    async def current(self) -> ReportingStore: ...

    async def writing_to(self) -> ReportingStore: ...


class FixedKeyspace:
    """One store for both, for the service layer's unit tests."""

    def __init__(self, store: ReportingStore) -> None:
        self.store = store

    async def current(self) -> ReportingStore:
        return self.store

    async def writing_to(self) -> ReportingStore:
        return self.store


class ActiveKeyspace:
    """Which keyspace the reports are read from and written to. A rebuild fills a fresh one
    and then switches this pointer (`{base}:active`) to it."""

    def __init__(self, redis: "Redis", base: str = PREFIX) -> None:
        self.redis = redis
        self.base = base
        self._stores: dict[str, RedisReportingStore] = {}
        self._writer: RedisReportingStore | None = None
        self._writer_read_at = 0.0

    @property
    def pointer_key(self) -> str:
        return f"{self.base}:active"

    def store(self, prefix: str) -> RedisReportingStore:
        if prefix not in self._stores:
            self._stores[prefix] = RedisReportingStore(self.redis, prefix)
        return self._stores[prefix]

    async def current(self) -> RedisReportingStore:
        prefix = await self.redis.get(self.pointer_key)
        return self.store(str(prefix) if prefix else self.base)

    async def writing_to(self) -> RedisReportingStore:
        """The keyspace events are applied to: the pointer, read at most once per
        `POINTER_REFRESH_SECONDS` (a rebuild waits that long after switching before its
        last catch-up, so no event is applied only to the old keyspace)."""
        now = time.monotonic()
        if self._writer is None or now - self._writer_read_at >= POINTER_REFRESH_SECONDS:
            self._writer, self._writer_read_at = await self.current(), now
        return self._writer

    async def switch(self, prefix: str) -> None:
        await self.redis.set(self.pointer_key, prefix)
