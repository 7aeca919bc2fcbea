"""The deadline service's in-memory twin of the Redis store, for the service layer's unit tests."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic

from services.deadline.domain.tracking import Timer
from services.deadline.store.parked import ParkedEvents
from services.deadline.store.protocol import S, _epoch
from shared.persistence.parking import InMemoryParkingLot


@dataclass
class _Claim:
    fire_at: float
    lease_until: float


@dataclass
class InMemoryDeadlineStore(ParkedEvents, Generic[S]):
    """The Redis store's rules in dictionaries: for the tracker's unit tests."""

    model: type[S]
    states: dict[str, str] = field(default_factory=dict)
    outboxes: dict[str, list[str]] = field(default_factory=dict)
    schedule: dict[str, float] = field(default_factory=dict)
    claimed: dict[str, _Claim] = field(default_factory=dict)
    fired: set[str] = field(default_factory=set)
    buckets: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    ended: dict[str, float] = field(default_factory=dict)
    parking: InMemoryParkingLot = field(default_factory=InMemoryParkingLot)

    async def load(self, code: str) -> S | None:
        raw = self.states.get(code)
        return None if raw is None else self.model.model_validate_json(raw)

    async def load_many(self, codes: list[str]) -> dict[str, S]:
        return {
            code: self.model.model_validate_json(self.states[code])
            for code in codes
            if code in self.states
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
        self.states[dossier.code] = dossier.model_dump_json()
        if forget_at is not None:
            self.ended.setdefault(dossier.code, _epoch(forget_at))
        for member in remove_timers:
            self.schedule.pop(member, None)
        for timer in add_timers:
            if timer.member not in self.fired and timer.member not in self.claimed:
                self.schedule[timer.member] = _epoch(timer.fire_at)
        if outbox:
            self.outboxes.setdefault(dossier.code, []).extend(outbox)
        self._move_bucket(dossier.code, bucket)
        return list(self.outboxes.get(dossier.code, []))

    def _move_bucket(self, code: str, new: str) -> None:
        old = self.buckets.get(code)
        if old == new:
            return
        if old is not None:
            self.counts[old] -= 1
        if new == "":
            self.buckets.pop(code, None)
        else:
            self.buckets[code] = new
            self.counts[new] = self.counts.get(new, 0) + 1

    async def outbox(self, code: str) -> list[str]:
        return list(self.outboxes.get(code, []))

    async def clear_outbox(self, code: str, published: int) -> None:
        remaining = self.outboxes.get(code, [])[published:]
        if remaining:
            self.outboxes[code] = remaining
        else:
            self.outboxes.pop(code, None)

    async def claim_due(self, now: datetime, limit: int, lease_until: datetime) -> list[Timer]:
        due = sorted((at, member) for member, at in self.schedule.items() if at <= _epoch(now))
        claimed = []
        for at, member in due[:limit]:
            del self.schedule[member]
            self.claimed[member] = _Claim(at, _epoch(lease_until))
            claimed.append(Timer.parse(member, datetime.fromtimestamp(at, UTC)))
        return claimed

    async def reclaim_expired(self, now: datetime) -> int:
        expired = [m for m, claim in self.claimed.items() if claim.lease_until <= _epoch(now)]
        for member in expired:
            self.schedule[member] = self.claimed.pop(member).fire_at
        return len(expired)

    async def confirm_fired(self, fired: list[tuple[Timer, str]]) -> None:
        for timer, bucket in fired:
            self.claimed.pop(timer.member, None)
            self.fired.add(timer.member)
            if bucket:
                self._move_bucket(timer.code, bucket)

    async def forget_fired(self, members: list[str]) -> None:
        self.fired.difference_update(members)

    async def forget_ended(self, now: datetime, limit: int = 500) -> int:
        due = sorted((at, code) for code, at in self.ended.items() if at <= _epoch(now))[:limit]
        for _, code in due:
            self.states.pop(code, None)
            del self.ended[code]
        return len(due)

    async def scheduled_count(self) -> int:
        return len(self.schedule)

    async def census(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for bucket, count in self.counts.items():
            agency, _, state = bucket.partition("|")
            counts[(agency, state)] = count
        return counts
