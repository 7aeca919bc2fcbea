"""Intake's in-memory twin of the Redis store, for the service layer's unit tests."""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from services.intake.domain.lifecycle import DossierRecord
from services.intake.store.protocol import (
    LAST_SEQUENCE,
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
    Committed,
    InMemoryOutbox,
    NotReadyError,
    OutboxEntry,
    commit_in_memory,
)


class InMemoryIntakeStore:
    """The Redis store's rules in dictionaries: for service-layer unit tests. Production
    code, checked against the Redis store by the same contract suite."""

    def __init__(
        self, ready: bool = True, applicant_kept_for: timedelta = timedelta(days=90)
    ) -> None:
        self.applicant_kept_for = applicant_kept_for
        self.erasures: dict[str, datetime] = {}
        self.people: dict[str, set[str]] = {}
        self.outbox = InMemoryOutbox()
        self.answers: dict[str, str] = {}
        self.answer_expiry: dict[str, datetime] = {}
        self.records: dict[str, Stored] = {}
        self.applicants: dict[str, str] = {}
        self.sequences: dict[tuple[str, str], int] = {}
        self.ready = ready
        self.rebuilder: str | None = None

    def _check_ready(self) -> None:
        if not self.ready:
            raise NotReadyError("intake is rebuilding its state from Kafka; try again shortly")

    async def replay(self, client_id: str, submission_id: str) -> str | None:
        self._check_ready()
        return self.answers.get(f"{client_id}:{submission_id}")

    async def load(self, code: str) -> Stored | None:
        self._check_ready()
        return self.records.get(code)

    async def applicant(self, code: str) -> str | None:
        self._check_ready()
        return self.applicants.get(code)

    async def receive(
        self,
        *,
        client_id: str,
        submission_id: str,
        agency_code: str,
        day: str,
        build: Callable[[str], NewDossier],
    ) -> Committed:
        self._check_ready()
        submission = f"{client_id}:{submission_id}"
        if submission in self.answers:
            return Committed(self.answers[submission], replayed=True)
        last = self.sequences.get((agency_code, day), 0)
        while dossier_code(agency_code, day, last + 1) in self.records:
            last += 1  # as the Redis store: a taken code is skipped
        if last >= LAST_SEQUENCE:
            raise SequenceExhaustedError(
                f"agency {agency_code} has handed out all {LAST_SEQUENCE} codes of {day}"
            )
        code = dossier_code(agency_code, day, last + 1)
        new = build(code)

        async def store() -> None:
            self.sequences[(agency_code, day)] = last + 1
            self.records[code] = Stored(new.record, 1)
            self.applicants[code] = new.applicant_json
            self.people.setdefault(person_of(new.applicant_json), set()).add(code)

        commit = Commit(submission, code, new.answer, new.entries)
        return await commit_in_memory(self.answers, self.outbox, commit, store)

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
        self._check_ready()

        async def store() -> str | None:
            current = self.records.get(record.code)
            if current is None or current.version != stored.version:
                return "the dossier changed"
            self.records[record.code] = Stored(record, stored.version + 1)
            erase = erase_at(record, self.applicant_kept_for)
            if erase is not None:
                self.erasures.setdefault(record.code, erase)
            return None

        commit = Commit(f"{client_id}:{submission_id}", record.code, answer, entries)
        return await commit_in_memory(self.answers, self.outbox, commit, store)

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
        self._check_ready()

        async def store() -> str | None:
            if self.applicants.get(code) != read:
                return "the applicant changed"
            self.applicants[code] = applicant_json
            return None

        commit = Commit(f"{client_id}:{submission_id}", code, answer, entries)
        return await commit_in_memory(self.answers, self.outbox, commit, store)

    async def erasures_due(self, now: datetime, limit: int = 500) -> list[str]:
        due = sorted((at, code) for code, at in self.erasures.items() if at <= now)
        return [code for _, code in due[:limit]]

    async def person_codes(self, person: str) -> list[str]:
        self._check_ready()
        return sorted(self.people.get(person, set()))

    async def forget_person(self, person: str, codes: Sequence[str]) -> None:
        self.people.get(person, set()).difference_update(codes)

    async def erase_applicants(self, codes: Sequence[str]) -> None:
        for code in codes:
            applicant = self.applicants.pop(code, None)
            if applicant is not None:
                self.people.get(person_of(applicant), set()).discard(code)
            self.erasures.pop(code, None)

    async def is_ready(self) -> bool:
        return self.ready

    async def claim_rebuild(self, owner: str, seconds: int) -> bool:
        if self.rebuilder in (None, owner):
            self.rebuilder = owner
            return True
        return False

    async def restore(self, snapshot: Snapshot, now: datetime) -> None:
        for code, stored in snapshot.records.items():
            current = self.records.get(code)
            if current is None or stored.version > current.version:
                self.records[code] = stored
        for code, applicant in snapshot.applicants.items():
            self.applicants.setdefault(code, applicant)
            self.people.setdefault(person_of(applicant), set()).add(code)
            erase = erase_at(snapshot.records[code].record, self.applicant_kept_for) if (
                code in snapshot.records) else None  # fmt: skip
            if erase is not None:
                self.erasures.setdefault(code, erase)
        for answer in snapshot.answers:
            if answer.expires_at > now:
                key = f"{answer.client_id}:{answer.submission_id}"
                self.answers.setdefault(key, answer.answer)
        for day, number in snapshot.sequences.items():
            self.sequences[day] = max(number, self.sequences.get(day, 0))

    async def mark_ready(self) -> None:
        self.ready = True
        self.rebuilder = None
