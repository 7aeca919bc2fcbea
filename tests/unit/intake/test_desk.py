"""The intake service layer on the in-memory store: no Redis, no Kafka."""

import json

import pytest

from services.intake.domain.lifecycle import Status
from services.intake.store import InMemoryIntakeStore
from shared.events import intake_requests
from shared.events.topics import DOSSIER_EVENTS, INTAKE_ANSWERS, INTAKE_APPLICANTS, INTAKE_DOSSIERS
from shared.persistence.outbox import NotReadyError
from tests.support.intake_desk import DESK, RecordingPublisher, desk, filing


async def test_a_receipt_is_published_with_its_changelog_before_it_is_answered() -> None:
    store, kafka = InMemoryIntakeStore(), RecordingPublisher()
    outcome = await desk(store, kafka).receive(filing(), DESK)
    answer = json.loads(outcome.view_json)
    assert answer["code"] == "UBND.P.SG-260302-0001"
    assert answer["rating_token"]
    assert kafka.topics() == [DOSSIER_EVENTS, INTAKE_APPLICANTS, INTAKE_DOSSIERS, INTAKE_ANSWERS]
    assert json.loads(kafka.records[3][2] or b"")["answer"] == outcome.view_json
    assert await store.outbox.pending() == []


async def test_a_retried_receipt_gets_the_same_answer_and_publishes_nothing_new() -> None:
    store, kafka = InMemoryIntakeStore(), RecordingPublisher()
    first = await desk(store, kafka).receive(filing(), DESK)
    again = await desk(store, kafka).receive(filing(), DESK)
    assert (again.replayed, again.view_json) == (True, first.view_json)
    assert len(kafka.records) == 4


async def test_a_step_bumps_the_records_version_in_the_changelog() -> None:
    store, kafka = InMemoryIntakeStore(), RecordingPublisher()
    code = (await desk(store, kafka).receive(filing(), DESK)).view.code
    request = intake_requests.ResolveDossier(
        type="ResolveDossier", submission_id="r1", dossier_code=code, outcome="approved"
    )
    outcome = await desk(store, kafka).act(request, DESK, retry_conflicts=False)
    assert outcome.view.status is Status.RESOLVED
    changes = [json.loads(r[2] or b"") for r in kafka.records if r[0] == INTAKE_DOSSIERS]
    assert [change["version"] for change in changes] == [1, 2]
    assert changes[-1]["record"]["status"] == "resolved"


async def test_an_unpublished_commit_stays_in_the_outbox_for_the_relay() -> None:
    store, kafka = InMemoryIntakeStore(), RecordingPublisher()
    kafka.down = True
    with pytest.raises(ConnectionError):
        await desk(store, kafka).receive(filing(), DESK)
    code = "UBND.P.SG-260302-0001"
    assert await store.outbox.pending() == [code]
    assert store.outbox.locks == {}  # the failed publisher gave its lock back
    kafka.down = False
    relay = desk(store, kafka).outbox
    await relay.flush(code)
    assert kafka.topics()[0] == DOSSIER_EVENTS
    assert len(kafka.records) == 4
    assert await store.outbox.pending() == []


async def test_nothing_is_answered_while_the_store_is_rebuilt() -> None:
    store = InMemoryIntakeStore(ready=False)
    with pytest.raises(NotReadyError):
        await desk(store, RecordingPublisher()).receive(filing(), DESK)
    with pytest.raises(NotReadyError):
        await desk(store, RecordingPublisher()).lookup("UBND.P.SG-260302-0001")
