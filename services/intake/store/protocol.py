"""What intake's stores offer (the `IntakeStore` Protocol), and the values they hand back."""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from services.intake.domain.lifecycle import DossierRecord, Status
from shared.errors import RejectedError
from shared.events.personal_data import parse_applicant
from shared.persistence.outbox import (
    Committed,
    Outbox,
    OutboxEntry,
)

PREFIX = "intake"


LAST_SEQUENCE = 9999  # four digits a day per agency


ENDED = frozenset({Status.RETURNED, Status.REFUSED_AT_RECEIPT, Status.STOPPED, Status.WITHDRAWN})


class SequenceExhaustedError(RejectedError, ValueError):
    """An agency handed out all of a day's numbers."""


@dataclass(frozen=True)
class Stored:
    """A dossier as read, with the version a write must match."""

    record: DossierRecord
    version: int


@dataclass(frozen=True)
class NewDossier:
    """What a receipt stores, built once its code is known."""

    record: DossierRecord
    applicant_json: str
    answer: str
    entries: Sequence[OutboxEntry]


@dataclass(frozen=True)
class StoredAnswer:
    client_id: str
    submission_id: str
    answer: str
    expires_at: datetime


@dataclass
class Snapshot:
    """What a rebuild restores: the latest of each, as Kafka holds it."""

    records: dict[str, Stored] = field(default_factory=dict)
    applicants: dict[str, str] = field(default_factory=dict)
    answers: list[StoredAnswer] = field(default_factory=list)
    sequences: dict[tuple[str, str], int] = field(default_factory=dict)  # (agency, yymmdd)


def erase_at(record: DossierRecord, keep_for: timedelta) -> datetime | None:
    """When an ended dossier's applicant data is to be erased: `keep_for` after its last
    step (the result returned, or the dossier stopped, withdrawn or refused); None while open."""
    if record.status not in ENDED:
        return None
    ended_at = record.log[-1].at if record.log else record.received_at
    return ended_at + keep_for


def person_hash(identity: str) -> str:
    """The key of a person's dossier index: the SHA-256 of their identity (the citizen ID
    number, or `passport:{nationality}:{number}`; `organisation:{tax code}` for a business)."""
    return hashlib.sha256(identity.encode()).hexdigest()


def person_of(applicant_json: str) -> str:
    return person_hash(parse_applicant(applicant_json).identity)


def parse_code(code: str) -> tuple[str, str, int]:
    """`AGENCY-yymmdd-NNNN` -> (agency, yymmdd, number)."""
    agency, day, number = code.rsplit("-", 2)
    return agency, day, int(number)


def dossier_code(agency_code: str, day: str, number: int) -> str:
    return f"{agency_code}-{day}-{number:04d}"


class IntakeStore(Protocol):
    @property
    def outbox(self) -> Outbox: ...

    async def replay(self, client_id: str, submission_id: str) -> str | None: ...

    async def receive(
        self,
        *,
        client_id: str,
        submission_id: str,
        agency_code: str,
        day: str,
        build: Callable[[str], NewDossier],
    ) -> Committed: ...

    async def load(self, code: str) -> Stored | None: ...

    async def applicant(self, code: str) -> str | None: ...

    async def commit_step(
        self,
        *,
        client_id: str,
        submission_id: str,
        stored: Stored,
        record: DossierRecord,
        answer: str,
        entries: Sequence[OutboxEntry],
    ) -> Committed: ...

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
    ) -> Committed: ...  # the applicant as `read` becomes `applicant_json` (else a conflict)

    async def erasures_due(self, now: datetime, limit: int = 500) -> list[str]: ...

    async def person_codes(self, person: str) -> list[str]: ...

    async def forget_person(self, person: str, codes: Sequence[str]) -> None: ...

    async def erase_applicants(self, codes: Sequence[str]) -> None: ...

    async def is_ready(self) -> bool: ...

    async def claim_rebuild(self, owner: str, seconds: int) -> bool: ...

    async def restore(self, snapshot: Snapshot, now: datetime) -> None: ...

    async def mark_ready(self) -> None: ...
