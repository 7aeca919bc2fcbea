"""The in-memory twin of the exchange service's Redis store: same behaviour (one contract
suite runs against both), for the fast unit tests of the service layer."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.exchange.domain.portal_facts import PortalFacts
from services.exchange.store.protocol import Queued, SyncState
from shared.events.portal import PortalRecord


@dataclass
class _Dossier:
    version: int = 0
    facts: PortalFacts | None = None
    queue: list[Queued] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)
    state: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    acknowledged: int = 0
    held: bool = False


class InMemoryExchangeStore:
    def __init__(self) -> None:
        self.dossiers: dict[str, _Dossier] = {}
        self.applicants: dict[str, dict[str, Any]] = {}
        self.due_times: dict[str, float] = {}
        self.pending: dict[str, float] = {}
        self.leases: set[str] = set()
        self.received: dict[str, dict[str, float]] = {}
        self.journals: dict[str, dict[str, dict[str, str]]] = {}

    def _dossier(self, code: str) -> _Dossier:
        return self.dossiers.setdefault(code, _Dossier())

    async def facts(self, code: str) -> tuple[str, PortalFacts]:
        found = self.dossiers.get(code)
        if found is None or found.facts is None:
            return "0", PortalFacts(code=code)
        return str(found.version), found.facts

    async def commit(
        self, version: str, facts: PortalFacts, records: list[PortalRecord], now: datetime
    ) -> bool:
        dossier = self._dossier(facts.code)
        if str(dossier.version) != version:
            return False
        dossier.version, dossier.facts = dossier.version + 1, facts
        if records:
            dossier.queue += [Queued(record, now.timestamp()) for record in records]
            if not dossier.held:
                self.due_times.setdefault(facts.code, now.timestamp())
            self.pending.setdefault(facts.code, now.timestamp())
        return True

    async def keep_applicant(self, code: str, owner: dict[str, Any]) -> None:
        self.applicants[code] = dict(owner)

    async def forget_applicant(self, code: str) -> None:
        self.applicants.pop(code, None)

    async def applicant(self, code: str) -> dict[str, Any] | None:
        found = self.applicants.get(code)
        return None if found is None else dict(found)

    async def due(self, now: datetime, limit: int) -> list[str]:
        ready = sorted((at, code) for code, at in self.due_times.items() if at <= now.timestamp())
        return [code for _, code in ready[:limit]]

    async def due_at(self, code: str) -> datetime | None:
        at = self.due_times.get(code)
        return None if at is None else datetime.fromtimestamp(at, UTC)

    async def lease(self, code: str, owner: str, seconds: float) -> bool:
        if code in self.leases:
            return False
        self.leases.add(code)
        return True

    async def free(self, code: str) -> None:
        self.leases.discard(code)

    async def peek(self, code: str) -> Queued | None:
        queue = self._dossier(code).queue
        return queue[0] if queue else None

    async def head(self, code: str) -> Queued | None:
        queued = await self.peek(code)
        if queued is None:
            self.due_times.pop(code, None)
            self.pending.pop(code, None)
        return queued

    async def acknowledge(self, record: PortalRecord, answer: str, now: datetime) -> bool:
        dossier = self._dossier(record.code)
        if not dossier.queue or dossier.queue[0].record.key != record.key:
            return False
        dossier.queue.pop(0)
        dossier.acked.add(record.key)
        dossier.state |= _last(record, now) | {"last_answer": answer[:2000], "last_error": ""}
        dossier.attempts, dossier.acknowledged = 0, dossier.acknowledged + 1
        if dossier.queue:
            self.due_times[record.code] = now.timestamp()
            self.pending[record.code] = dossier.queue[0].queued_at
        else:
            self.due_times.pop(record.code, None)
            self.pending.pop(record.code, None)
        return True

    async def failed(
        self, record: PortalRecord, error: str, now: datetime, *, counted: bool = True
    ) -> int:
        dossier = self._dossier(record.code)
        dossier.state |= _last(record, now) | {"last_error": error[:2000]}
        dossier.attempts += 1 if counted else 0
        return dossier.attempts

    async def retry_at(self, code: str, at: datetime) -> None:
        self.due_times[code] = at.timestamp()

    async def hold(self, code: str) -> None:
        self._dossier(code).held = True
        self.due_times.pop(code, None)

    async def release(self, record: PortalRecord, now: datetime) -> bool:
        dossier = self._dossier(record.code)
        if record.key in dossier.acked:
            return False
        if not dossier.queue or dossier.queue[0].record.key != record.key:
            dossier.queue.insert(0, Queued(record, now.timestamp()))
        dossier.held, dossier.attempts = False, 0
        self.due_times[record.code] = now.timestamp()
        self.pending.setdefault(record.code, now.timestamp())
        return True

    async def replace_head(
        self, code: str, key: str, records: list[PortalRecord], now: datetime
    ) -> bool:
        dossier = self._dossier(code)
        if not dossier.queue or dossier.queue[0].record.key != key:
            return False
        dossier.queue[:1] = [Queued(record, now.timestamp()) for record in records]
        if dossier.queue:
            self.due_times[code] = now.timestamp()
        else:
            self.due_times.pop(code, None)
            self.pending.pop(code, None)
        return True

    async def journal(self, code: str, key: str, entry: dict[str, str]) -> None:
        self.journals.setdefault(code, {})[key] = dict(entry)

    async def journal_of(self, code: str) -> dict[str, dict[str, str]]:
        return {key: dict(entry) for key, entry in self.journals.get(code, {}).items()}

    async def oldest_unsent(self) -> datetime | None:
        if not self.pending:
            return None
        return datetime.fromtimestamp(min(self.pending.values()), UTC)

    async def state(self, code: str) -> SyncState:
        dossier = self.dossiers.get(code) or _Dossier()
        return SyncState(code, len(dossier.queue), dossier.acknowledged, dossier.attempts,
                         dossier.held, dict(dossier.state))  # fmt: skip

    async def is_acknowledged(self, code: str, key: str) -> bool:
        return key in self._dossier(code).acked

    async def index_receipt(self, agency: str, code: str, received_at: datetime) -> None:
        self.received.setdefault(agency, {})[code] = received_at.timestamp()

    async def received_between(
        self, since: datetime, until: datetime, agency: str | None
    ) -> dict[str, list[str]]:
        agencies = [agency] if agency else sorted(self.received)
        found: dict[str, list[str]] = {}
        for name in agencies:
            codes = sorted(code for code, at in self.received.get(name, {}).items()
                           if since.timestamp() <= at < until.timestamp())  # fmt: skip
            if codes:
                found[name] = codes
        return found

    async def synchronised(self, codes: list[str]) -> list[bool]:
        return [not self._dossier(c).queue and self._dossier(c).acknowledged > 0 for c in codes]


def _last(record: PortalRecord, now: datetime) -> dict[str, str]:
    return {"last_key": record.key, "last_call": record.call, "last_cause": record.cause,
            "last_sent_at": now.isoformat()}  # fmt: skip
