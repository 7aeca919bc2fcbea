"""What the exchange service's stores offer (the Redis store and its in-memory twin follow it,
checked by one contract suite: tests/contracts/test_exchange_store.py), and the values they
hand back."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.exchange.domain.portal_facts import PortalFacts
from shared.events.portal import PortalRecord


@dataclass(frozen=True)
class Queued:
    record: PortalRecord
    queued_at: float  # epoch seconds

    def dump(self) -> str:
        return json.dumps(
            {"record": self.record.model_dump(mode="json"), "queued_at": self.queued_at}
        )

    @classmethod
    def load(cls, text: str | bytes) -> "Queued":
        data = json.loads(text)
        return cls(PortalRecord.model_validate(data["record"]), float(data["queued_at"]))


@dataclass(frozen=True)
class SyncState:
    code: str
    queued: int
    acknowledged: int
    attempts: int
    held: bool
    last: dict[str, str]


class ExchangeStore(Protocol):
    # folding: facts and the records they make move together (False: another fold came first)
    async def facts(self, code: str) -> tuple[str, PortalFacts]: ...

    async def commit(
        self, version: str, facts: PortalFacts, records: list[PortalRecord], now: datetime
    ) -> bool: ...

    # the applicant: personal data, forgotten on the applicants topic's tombstone
    async def keep_applicant(self, code: str, owner: dict[str, Any]) -> None: ...

    async def forget_applicant(self, code: str) -> None: ...

    async def applicant(self, code: str) -> dict[str, Any] | None: ...

    # sending: due dossiers, one sender at a time per dossier, its head record
    async def due(self, now: datetime, limit: int) -> list[str]: ...

    async def due_at(self, code: str) -> datetime | None: ...

    async def lease(self, code: str, owner: str, seconds: float) -> bool: ...

    async def free(self, code: str) -> None: ...

    async def peek(self, code: str) -> Queued | None: ...

    async def head(self, code: str) -> Queued | None: ...  # an empty queue leaves `due`

    async def acknowledge(self, record: PortalRecord, answer: str, now: datetime) -> bool: ...

    async def failed(
        self, record: PortalRecord, error: str, now: datetime, *, counted: bool = True
    ) -> int: ...

    async def retry_at(self, code: str, at: datetime) -> None: ...

    async def hold(self, code: str) -> None: ...

    async def release(self, record: PortalRecord, now: datetime) -> bool: ...

    async def replace_head(
        self, code: str, key: str, records: list[PortalRecord], now: datetime
    ) -> bool: ...  # the head `key` becomes `records` (none: dropped), sent from now

    # a journal per record: what became of it (no personal data, no message text)
    async def journal(self, code: str, key: str, entry: dict[str, str]) -> None: ...

    async def journal_of(self, code: str) -> dict[str, dict[str, str]]: ...

    # what operators and the 766 report see
    async def oldest_unsent(self) -> datetime | None: ...

    async def state(self, code: str) -> SyncState: ...

    async def is_acknowledged(self, code: str, key: str) -> bool: ...

    async def index_receipt(self, agency: str, code: str, received_at: datetime) -> None: ...

    async def received_between(
        self, since: datetime, until: datetime, agency: str | None
    ) -> dict[str, list[str]]: ...

    async def synchronised(self, codes: list[str]) -> list[bool]: ...
