"""A person's export and erasure, by ID number (in-memory store, no Redis, no Kafka)."""

import pytest

from services.intake.service.personal_data import DataSubjectRequests, ErasureRefusedError
from services.intake.store import InMemoryIntakeStore
from shared.events import intake_requests
from shared.events.topics import INTAKE_APPLICANTS
from shared.messaging.publishing import InMemoryPublisher
from tests.support.intake_desk import DESK, RecordingPublisher, desk, filing
from tests.support.intake_fixtures import APPLICANT

ID = APPLICANT["id_number"]


async def test_export_lists_the_persons_dossiers_and_erasure_waits_for_them_to_end() -> None:
    store, kafka = InMemoryIntakeStore(), InMemoryPublisher()
    counter = desk(store, RecordingPublisher())
    codes = [(await counter.receive(filing(s), DESK)).view.code for s in ("a", "b")]
    subjects = DataSubjectRequests(store, kafka)

    exported = await subjects.export(ID, "ops")
    assert [d["code"] for d in exported["dossiers"]] == codes
    assert exported["dossiers"][0]["applicant"]["id_number"] == ID
    assert (await subjects.export("0" * 12, "ops")) == {"dossiers": []}

    with pytest.raises(ErasureRefusedError, match="2 of the person's dossiers are open"):
        await subjects.erase(ID, "ops")
    assert kafka.records == []
    for code in codes:
        await counter.act(intake_requests.WithdrawDossier.model_validate(
            {"type": "WithdrawDossier", "submission_id": f"w-{code}", "dossier_code": code,
             "reason": "citizen request"}), DESK, retry_conflicts=False)  # fmt: skip

    assert await subjects.erase(ID, "ops") == {"erased": codes}
    assert [(r[1], r[2]) for r in kafka.on(INTAKE_APPLICANTS)] == [
        (c.encode(), None) for c in codes
    ]
    assert all([await store.applicant(code) is None for code in codes])
    assert (await subjects.export(ID, "ops")) == {"dossiers": []}
    assert (await counter.lookup(codes[0])).status == "withdrawn"  # the record stays
