"""What intake's store contract suite commits: sample records and the builder of a new
dossier's commit (its record, applicant, answer and outbox entries)."""

import json
from datetime import UTC, datetime

from services.intake.domain.lifecycle import DossierRecord
from services.intake.service.changelog import answer_entry, record_entry
from services.intake.store import NewDossier
from shared.events.personal_data import PersonApplicant
from shared.events.topics import DOSSIER_EVENTS
from shared.persistence.outbox import OutboxEntry
from tests.support.intake_fixtures import APPLICANT
from tests.support.intake_samples import new_dossier

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
APPLICANT_JSON = PersonApplicant.model_validate(APPLICANT).model_dump_json()


def sample_record(code: str) -> DossierRecord:
    return new_dossier().model_copy(update={"code": code})


def builder(client: str, submission: str, seen: list[str]) -> "NewDossierBuilder":
    return NewDossierBuilder(client, submission, seen)


class NewDossierBuilder:
    def __init__(self, client: str, submission: str, seen: list[str]) -> None:
        self.client, self.submission, self.seen = client, submission, seen

    def __call__(self, code: str) -> NewDossier:
        self.seen.append(code)
        record = sample_record(code)
        answer = json.dumps({"code": code})
        entries = [
            OutboxEntry(DOSSIER_EVENTS, code, json.dumps({"received": code})),
            record_entry(record, 1),
            answer_entry(self.client, self.submission, answer),
        ]
        return NewDossier(record, APPLICANT_JSON, answer, entries)
