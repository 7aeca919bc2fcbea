"""intake's changelog topics: everything its Redis holds, also on Kafka, so a Redis that lost
its data is rebuilt from Kafka (services/intake/service/rebuild.py), as the other services' are.

- `intake.dossiers.v1` (compacted, key: code): each dossier's record and version after every
  change. The public facts are on `dossier.events.v1`; this is intake's own working record
  (procedure name, log, clock, step index), so a rebuild restores it exactly rather than
  re-deriving it with a second copy of the lifecycle rules.
- `intake.applicants.v1` (compacted, key: code): the applicant's personal data; a tombstone
  (no value) erases it, from Kafka too once compacted.
- `intake.answers.v1` (compacted and deleted after the idempotency window, key: client and
  submission): the answer to each submission, so a retry after a rebuild gets the same answer.

The entries go into the same commit's outbox as the events, and the answer is given only
once Kafka has all of them. Only intake (and the admin) may read these topics.
"""

import json
from datetime import datetime, timedelta

from pydantic import BaseModel, ValidationError

from services.intake.domain.lifecycle import DossierRecord
from services.intake.store import Snapshot, Stored, StoredAnswer, restored_sequences
from shared.events.personal_data import APPLICANT
from shared.events.topics import INTAKE_ANSWERS, INTAKE_APPLICANTS, INTAKE_DOSSIERS
from shared.persistence.outbox import OutboxEntry

CHANGELOGS = (INTAKE_DOSSIERS, INTAKE_APPLICANTS, INTAKE_ANSWERS)


class RecordChange(BaseModel):
    version: int
    record: DossierRecord


class AnswerChange(BaseModel):
    client_id: str
    submission_id: str
    answer: str


def record_entry(record: DossierRecord, version: int) -> OutboxEntry:
    change = RecordChange(version=version, record=record)
    return OutboxEntry(INTAKE_DOSSIERS, record.code, change.model_dump_json())


def applicant_entry(code: str, applicant_json: str) -> OutboxEntry:
    return OutboxEntry(INTAKE_APPLICANTS, code, applicant_json)


def applicant_tombstone(code: str) -> OutboxEntry:
    return OutboxEntry(INTAKE_APPLICANTS, code, "")


def answer_entry(client_id: str, submission_id: str, answer: str) -> OutboxEntry:
    change = AnswerChange(client_id=client_id, submission_id=submission_id, answer=answer)
    return OutboxEntry(INTAKE_ANSWERS, f"{client_id}:{submission_id}", change.model_dump_json())


class SnapshotBuilder:
    """Folds the changelogs' records, in log order, into what a rebuild restores."""

    def __init__(self, answer_window: timedelta) -> None:
        self.answer_window = answer_window
        self.snapshot = Snapshot()
        self.erased: set[str] = set()
        self.records_read = 0
        self.skipped = 0

    def add(self, topic: str, key: bytes | None, value: bytes | None, at: datetime) -> None:
        """One changelog record; one that is not a valid change (written by hand, say) is
        counted in `skipped` and left out."""
        self.records_read += 1
        try:
            self._add(topic, (key or b"").decode(), value, at)
        except (ValidationError, UnicodeDecodeError):
            self.skipped += 1

    def _add(self, topic: str, code: str, value: bytes | None, at: datetime) -> None:
        if topic == INTAKE_DOSSIERS and value:
            change = RecordChange.model_validate_json(value)
            current = self.snapshot.records.get(code)
            if current is None or change.version > current.version:
                self.snapshot.records[code] = Stored(change.record, change.version)
        elif topic == INTAKE_APPLICANTS:
            if value:
                self.snapshot.applicants[code] = APPLICANT.dump_json(
                    APPLICANT.validate_json(value)
                ).decode()
                self.erased.discard(code)
            else:
                self.snapshot.applicants.pop(code, None)
                self.erased.add(code)
        elif topic == INTAKE_ANSWERS and value:
            answer = AnswerChange.model_validate_json(value)
            self.snapshot.answers.append(
                StoredAnswer(
                    answer.client_id, answer.submission_id, answer.answer, at + self.answer_window
                )
            )

    def done(self) -> Snapshot:
        self.snapshot.sequences = restored_sequences(self.snapshot.records)
        return self.snapshot


def summary(builder: SnapshotBuilder) -> str:
    snapshot = builder.snapshot
    return json.dumps(
        {
            "records_read": builder.records_read,
            "skipped": builder.skipped,
            "dossiers": len(snapshot.records),
            "applicants": len(snapshot.applicants),
            "answers": len(snapshot.answers),
            "agency_days": len(snapshot.sequences),
        }
    )
