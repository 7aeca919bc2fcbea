"""Intake's Redis state. All key formats live here, prefixed `intake:`."""

from typing import Protocol

from redis.asyncio import Redis

PREFIX = "intake"


class IntakeStore(Protocol):
    async def record_submission(self, submission_id: str, request_type: str) -> None: ...

    async def submission_type(self, submission_id: str) -> str | None: ...


class RedisIntakeStore:
    def __init__(self, redis: "Redis", prefix: str = PREFIX) -> None:
        self.redis = redis
        self.prefix = prefix

    def submission_key(self, submission_id: str) -> str:
        return f"{self.prefix}:submission:{submission_id}"

    async def record_submission(self, submission_id: str, request_type: str) -> None:
        await self.redis.set(self.submission_key(submission_id), request_type, nx=True)

    async def submission_type(self, submission_id: str) -> str | None:
        value = await self.redis.get(self.submission_key(submission_id))
        return None if value is None else str(value)


class InMemoryIntakeStore:
    def __init__(self) -> None:
        self.submissions: dict[str, str] = {}

    async def record_submission(self, submission_id: str, request_type: str) -> None:
        self.submissions.setdefault(submission_id, request_type)

    async def submission_type(self, submission_id: str) -> str | None:
        return self.submissions.get(submission_id)
