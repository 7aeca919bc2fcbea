"""Reporting's read model in Redis. All key formats live here, prefixed `reporting:`.

Every update is a merge that gives the same result in any order and any number of times
(set a field; set a field only if the event is newer; add to a sorted set), so redelivery,
late events and several instances leave exactly the facts one pass in order would.

  {p}:dossier:{code}   hash of a dossier's facts (see `projections.DossierFacts`)
  {p}:relevant         zset code -> when it closed (1e12 while open): a report for a period
                       starting at F reads only dossiers with score >= F
  {p}:rating:{code}    hash of the dossier's current rating;  {p}:rated  zset code -> rated at
"""

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from services.reporting.projections import DossierFacts, RatingFacts

PREFIX = "reporting"
POINTER_REFRESH_SECONDS = 1.0
OPEN = 1e12  # the "closed at" score of an open dossier

# KEYS: hash   ARGV: stamp field, stamp (epoch), field, value, ...
_SET_IF_NEWER = """
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if tonumber(ARGV[2]) < current then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], unpack(ARGV, 3))
return 1
"""

# KEYS: rating hash, rated zset   ARGV: code, stamp (epoch), field, value, ...
_RATED = """
local current = tonumber(redis.call('HGET', KEYS[1], 'rated_epoch') or '-1')
if tonumber(ARGV[2]) < current then return 0 end
redis.call('HSET', KEYS[1], 'rated_epoch', ARGV[2], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# KEYS: relevant   ARGV: code, open score: a receipt never reopens a dossier already closed
_OPENED = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) end
return 1
"""


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


class RedisReportingStore:
    def __init__(self, redis: "Redis", prefix: str = PREFIX) -> None:
        self.redis = redis
        self.prefix = prefix
        self._set_if_newer = redis.register_script(_SET_IF_NEWER)
        self._opened = redis.register_script(_OPENED)
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

    # updates: queued on a pipeline, so a batch of events costs one round trip ---------------

    async def set_facts(self, pipe: "Pipeline", code: str, **fields: str) -> None:
        flat: list[Any] = [item for pair in fields.items() for item in pair]
        pipe.hset(self.dossier_key(code), items=flat)

    async def set_if_newer(
        self, pipe: "Pipeline", code: str, stamp_field: str, at: datetime, **fields: str
    ) -> None:
        flat: list[Any] = [stamp_field, _epoch(at)]
        for name, value in fields.items():
            flat += [name, value]
        await self._set_if_newer(keys=[self.dossier_key(code)], args=flat, client=pipe)

    async def opened(self, pipe: "Pipeline", code: str) -> None:
        await self._opened(keys=[self.relevant_key], args=[code, OPEN], client=pipe)

    async def closed(self, pipe: "Pipeline", code: str, at: datetime) -> None:
        """The earliest closing instant wins (a resolution, a stop, a withdrawal)."""
        pipe.zadd(self.relevant_key, {code: _epoch(at)}, lt=True)
        pipe.hset(self.dossier_key(code), "closed_at", at.isoformat())

    async def rated(self, pipe: "Pipeline", code: str, at: datetime, **fields: str) -> None:
        """The latest rating of a dossier wins."""
        flat: list[Any] = [code, _epoch(at), "rated_at", at.isoformat()]
        for name, value in fields.items():
            flat += [name, value]
        await self._rated(keys=[self.rating_key(code), self.rated_key], args=flat, client=pipe)

    # reads -----------------------------------------------------------------------------------

    async def dossiers_relevant_to(self, start: datetime) -> list[DossierFacts]:
        found = await self.redis.zrangebyscore(self.relevant_key, _epoch(start), "+inf")
        codes = [str(code) for code in found]
        return [facts for facts in await self._load(codes) if facts is not None]

    async def _load(self, codes: Sequence[str]) -> list[DossierFacts | None]:
        loaded: list[DossierFacts | None] = []
        for first in range(0, len(codes), 500):
            async with self.redis.pipeline(transaction=False) as pipe:
                for code in codes[first : first + 500]:
                    pipe.hgetall(self.dossier_key(code))
                rows = await pipe.execute()
            loaded += [
                _dossier(code, row)
                for code, row in zip(codes[first : first + 500], rows, strict=True)
            ]
        return loaded

    async def ratings_between(self, start: datetime, end: datetime) -> list[RatingFacts]:
        found = await self.redis.zrangebyscore(self.rated_key, _epoch(start), f"({_epoch(end)}")
        codes = [str(code) for code in found]
        ratings: list[RatingFacts] = []
        for first in range(0, len(codes), 500):
            async with self.redis.pipeline(transaction=False) as pipe:
                for code in codes[first : first + 500]:
                    pipe.hgetall(self.rating_key(code))
                rows = await pipe.execute()
            for code, row in zip(codes[first : first + 500], rows, strict=True):
                if row:
                    ratings.append(
                        RatingFacts(
                            code=code, agency=row["agency"], clerk=row.get("clerk") or None,
                            procedure=row["procedure"], rating=row["rating"],
                            rated_at=row["rated_at"],
                        )
                    )  # fmt: skip
        return ratings


def _dossier(code: str, row: dict[str, str]) -> DossierFacts | None:
    if "received_at" not in row:
        return None  # its receipt has not been projected yet
    pauses = tuple(
        sorted(
            (datetime.fromtimestamp(float(name.split(":", 1)[1]), _tz(row)), value == "p")
            for name, value in row.items()
            if name.startswith("pause:")
        )
    )
    return DossierFacts(
        code=code,
        agency=row["agency"],
        level=row["level"],
        field=row["field"],
        procedure=row["procedure"],
        channel=row["channel"],
        received_at=row["received_at"],
        due_at=row.get("due_at") or None,
        resolved_at=row.get("resolved_at") or None,
        classification=row.get("classification") or None,
        apology_sent=row.get("apology") == "1",
        closed_at=row.get("closed_at") or None,
        pauses=pauses,
    )


def _tz(row: dict[str, str]) -> Any:
    return datetime.fromisoformat(row["received_at"]).tzinfo


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
