"""What the deadline service's stores offer, and the values they hand back."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from services.deadline.domain.tracking import Timer, TrackedState

PREFIX = "deadline"


@dataclass(frozen=True)
class Parked:
    """A lifecycle event held until its dossier's receipt arrives."""

    raw: str
    partition: int | None
    offset: int | None


S = TypeVar("S", bound=TrackedState)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


class DeadlineStore(Protocol[S]):
    async def load(self, code: str) -> S | None: ...

    async def load_many(self, codes: list[str]) -> dict[str, S]: ...

    async def save(
        self,
        dossier: S,
        *,
        bucket: str,
        remove_timers: list[str],
        add_timers: list[Timer],
        outbox: list[str],
        forget_at: datetime | None = None,
    ) -> list[str]: ...

    async def outbox(self, code: str) -> list[str]: ...

    async def clear_outbox(self, code: str, published: int) -> None: ...

    async def claim_due(self, now: datetime, limit: int, lease_until: datetime) -> list[Timer]: ...

    async def reclaim_expired(self, now: datetime) -> int: ...

    async def confirm_fired(self, fired: list[tuple[Timer, str]]) -> None: ...

    async def forget_fired(self, members: list[str]) -> None: ...

    async def forget_ended(self, now: datetime, limit: int = 500) -> int: ...

    async def scheduled_count(self) -> int: ...

    async def park(self, code: str, parked: Parked, expires_at: datetime) -> None: ...

    async def parked(self, code: str) -> list[Parked]: ...

    async def drop_parked(self, code: str) -> None: ...

    async def expired_parked(self, now: datetime, limit: int = 100) -> list[str]: ...

    async def census(self) -> dict[tuple[str, str], int]: ...
