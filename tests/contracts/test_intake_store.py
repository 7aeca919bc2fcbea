"""One contract, two stores: intake's Redis store (on a client whose scripts fail on a key not
given in KEYS) and its in-memory twin must behave the same."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from services.intake.domain.lifecycle import DossierRecord, LogEntry, Status
from services.intake.service.changelog import SnapshotBuilder, record_entry
from services.intake.store import (
    InMemoryIntakeStore,
    IntakeStore,
    RedisIntakeStore,
    Snapshot,
    Stored,
    StoredAnswer,
    person_of,
)
from shared.events.topics import DOSSIER_EVENTS, INTAKE_APPLICANTS, INTAKE_DOSSIERS
from shared.persistence.outbox import ConflictError, NotReadyError, OutboxEntry
from tests.support.intake_store_samples import APPLICANT_JSON, NOW, builder, sample_record
from tests.support.lua_key_check import KeyCheckingRedis


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[IntakeStore]:
    if request.param == "memory":
        yield InMemoryIntakeStore()
        return
    request.applymarker(pytest.mark.integration)
    redis = KeyCheckingRedis(request.getfixturevalue("redis_url"))
    redis_store = RedisIntakeStore(redis, f"contract-{uuid.uuid4().hex[:10]}")
    await redis_store.mark_ready()
    yield redis_store
    await redis.aclose()


async def receive(store: IntakeStore, submission: str, agency: str = "UBND.Q1") -> str:
    committed = await store.receive(
        client_id="desk", submission_id=submission, agency_code=agency, day="260302",
        build=builder("desk", submission, []),
    )  # fmt: skip
    return str(json.loads(committed.answer)["code"])


async def test_receipts_number_each_agency_and_day_from_0001(store: IntakeStore) -> None:
    assert await receive(store, "a") == "UBND.Q1-260302-0001"
    assert await receive(store, "b") == "UBND.Q1-260302-0002"
    assert await receive(store, "c", agency="UBND.P.BN") == "UBND.P.BN-260302-0001"
    stored = await store.load("UBND.Q1-260302-0002")
    assert stored is not None
    assert stored.version == 1
    assert stored.record.code == "UBND.Q1-260302-0002"
    assert await store.applicant("UBND.Q1-260302-0001") == APPLICANT_JSON
    assert await store.load("UBND.Q1-260302-0003") is None


async def test_a_replayed_receipt_gets_its_answer_and_takes_no_number(store: IntakeStore) -> None:
    first = await store.receive(
        client_id="desk", submission_id="same", agency_code="UBND.Q1", day="260302",
        build=builder("desk", "same", []),
    )  # fmt: skip
    seen: list[str] = []
    again = await store.receive(
        client_id="desk", submission_id="same", agency_code="UBND.Q1", day="260302",
        build=builder("desk", "same", seen),
    )  # fmt: skip
    assert (again.replayed, again.answer) == (True, first.answer)
    assert again.outbox == ()
    assert await receive(store, "next") == "UBND.Q1-260302-0002"
    # the same submission id from another client is another submission
    assert await receive_as(store, "kiosk", "same") == "UBND.Q1-260302-0003"


async def receive_as(store: IntakeStore, client: str, submission: str) -> str:
    committed = await store.receive(
        client_id=client, submission_id=submission, agency_code="UBND.Q1", day="260302",
        build=builder(client, submission, []),
    )  # fmt: skip
    return str(json.loads(committed.answer)["code"])


async def test_concurrent_receipts_get_distinct_consecutive_codes(store: IntakeStore) -> None:
    codes = await asyncio.gather(*(receive(store, f"s{n}") for n in range(20)))
    assert sorted(codes) == [f"UBND.Q1-260302-{n:04d}" for n in range(1, 21)]


async def test_the_commit_hands_back_the_outbox_with_its_lock_once(store: IntakeStore) -> None:
    first = await store.receive(
        client_id="desk", submission_id="o1", agency_code="UBND.Q1", day="260302",
        build=builder("desk", "o1", []),
    )  # fmt: skip
    code = first.aggregate
    assert first.outbox[0].topic == DOSSIER_EVENTS
    assert await store.outbox.pending() == [code]
    assert not await store.outbox.lock(code)  # the committer holds it
    stored = await store.load(code)
    assert stored is not None
    step = await store.commit_step(
        client_id="desk", submission_id="o2", stored=stored,
        record=stored.record.model_copy(update={"status": Status.RESOLVED}),
        answer='{"step": 1}', entries=[OutboxEntry(DOSSIER_EVENTS, code, '{"n": 2}')],
    )  # fmt: skip
    assert step.outbox == ()  # locked by the first committer: it publishes it next
    more = await store.outbox.acknowledge(code, len(first.outbox))
    assert [entry.event for entry in more] == ['{"n": 2}']
    assert not await store.outbox.lock(code)  # still the first committer's
    assert await store.outbox.acknowledge(code, 1) == []
    assert await store.outbox.pending() == []
    assert await store.outbox.lock(code)  # released once nothing is left


async def test_a_step_against_a_stale_version_conflicts(store: IntakeStore) -> None:
    code = await receive(store, "r")
    stored = await store.load(code)
    assert stored is not None
    changed = stored.record.model_copy(update={"status": Status.RESOLVED})
    committed = await store.commit_step(
        client_id="desk", submission_id="s1", stored=stored, record=changed,
        answer='{"a": 1}', entries=[],
    )  # fmt: skip
    assert not committed.replayed
    with pytest.raises(ConflictError):
        await store.commit_step(
            client_id="desk", submission_id="s2", stored=stored, record=changed,
            answer='{"a": 2}', entries=[],
        )  # fmt: skip
    replayed = await store.commit_step(
        client_id="desk", submission_id="s1", stored=stored, record=changed,
        answer='{"a": 3}', entries=[],
    )  # fmt: skip
    assert (replayed.replayed, replayed.answer) == (True, '{"a": 1}')
    assert await store.replay("desk", "s1") == '{"a": 1}'
    reloaded = await store.load(code)
    assert reloaded is not None
    assert reloaded.version == 2
    assert reloaded.record.status is Status.RESOLVED


async def unready(store: IntakeStore) -> IntakeStore:
    if isinstance(store, InMemoryIntakeStore):
        store.ready = False
    else:
        assert isinstance(store, RedisIntakeStore)
        await store.redis.delete(store.ready_key)
    return store


async def test_a_store_without_its_readiness_marker_refuses_everything(
    store: IntakeStore,
) -> None:
    code = await receive(store, "before")
    await unready(store)
    assert not await store.is_ready()
    with pytest.raises(NotReadyError):
        await store.load(code)
    with pytest.raises(NotReadyError):
        await store.replay("desk", "before")
    with pytest.raises(NotReadyError):
        await receive(store, "during")


async def test_restore_merges_what_kafka_holds_and_sequences_continue_after_it(
    store: IntakeStore,
) -> None:
    await unready(store)
    assert await store.claim_rebuild("me", 60)
    assert not await store.claim_rebuild("another instance", 60)
    builder_ = SnapshotBuilder(timedelta(days=7))
    old = sample_record("UBND.Q1-260302-0007")
    for version, status in ((1, Status.PROCESSING), (2, Status.RESOLVED)):
        change = record_entry(old.model_copy(update={"status": status}), version)
        builder_.add(INTAKE_DOSSIERS, change.key.encode(), change.event.encode(), NOW)
    builder_.add(INTAKE_APPLICANTS, old.code.encode(), APPLICANT_JSON.encode(), NOW)
    erased = "UBND.Q1-260302-0003"
    builder_.add(INTAKE_APPLICANTS, erased.encode(), APPLICANT_JSON.encode(), NOW)
    builder_.add(INTAKE_APPLICANTS, erased.encode(), None, NOW)  # a tombstone
    snapshot = builder_.done()
    snapshot.answers += [
        StoredAnswer("desk", "kept", '{"kept": true}', NOW + timedelta(days=1)),
        StoredAnswer("desk", "expired", '{"kept": false}', NOW - timedelta(seconds=1)),
    ]
    await store.restore(snapshot, NOW)
    await store.mark_ready()
    restored = await store.load(old.code)
    assert restored is not None
    assert (restored.version, restored.record.status) == (2, Status.RESOLVED)
    assert await store.applicant(old.code) == APPLICANT_JSON
    assert await store.applicant(erased) is None
    assert await store.replay("desk", "kept") == '{"kept": true}'
    assert await store.replay("desk", "expired") is None
    assert await receive(store, "after") == "UBND.Q1-260302-0008"
    # a restore never replaces a newer version, nor moves a sequence back
    stale = Snapshot(records={old.code: Stored(old, 1)}, sequences={("UBND.Q1", "260302"): 2})
    await store.restore(stale, NOW)
    again = await store.load(old.code)
    assert again is not None
    assert again.version == 2
    assert await receive(store, "later") == "UBND.Q1-260302-0009"


async def test_a_code_already_stored_is_never_given_again(store: IntakeStore) -> None:
    taken = sample_record("UBND.Q1-260302-0001")
    await store.restore(Snapshot(records={taken.code: Stored(taken, 3)}), NOW)
    assert await receive(store, "fresh") == "UBND.Q1-260302-0002"
    kept = await store.load(taken.code)
    assert kept is not None
    assert kept.version == 3


def test_records_in_the_changelog_round_trip() -> None:
    record: DossierRecord = sample_record("UBND.Q1-260302-0042")
    entry = record_entry(record, 5)
    builder_ = SnapshotBuilder(timedelta(days=7))
    builder_.add(entry.topic, entry.key.encode(), entry.event.encode(), NOW)
    snapshot = builder_.done()
    assert snapshot.records[record.code] == Stored(record, 5)
    assert snapshot.sequences == {("UBND.Q1", "260302"): 42}


def ended(record: DossierRecord, at: datetime) -> DossierRecord:
    log = (*record.log, LogEntry(step="return_result", agency_code=record.agency_code, at=at))
    return record.model_copy(update={"status": Status.RETURNED, "log": log})


async def test_an_ended_dossiers_applicant_is_erased_when_its_time_comes(
    store: IntakeStore,
) -> None:
    code = await receive(store, "e1")
    stored = await store.load(code)
    assert stored is not None
    end = NOW + timedelta(days=2)
    await store.commit_step(
        client_id="desk", submission_id="e2", stored=stored, record=ended(stored.record, end),
        answer="{}", entries=[],
    )  # fmt: skip
    erase_at = end + timedelta(days=90)  # the stores' default
    assert await store.erasures_due(erase_at - timedelta(seconds=1)) == []
    assert await store.erasures_due(erase_at) == [code]
    await store.erase_applicants([code])
    assert await store.applicant(code) is None
    assert await store.person_codes(person_of(APPLICANT_JSON)) == []  # the index forgets it
    assert await store.erasures_due(erase_at + timedelta(days=1)) == []
    assert await store.load(code) is not None  # the dossier itself is still looked up


async def test_a_rebuild_schedules_the_erasure_of_ended_dossiers_applicants(
    store: IntakeStore,
) -> None:
    end = NOW - timedelta(days=1)
    returned, still_open = (
        ended(sample_record("X-260301-0001"), end),
        sample_record("X-260301-0002"),
    )
    snapshot = Snapshot(
        records={r.code: Stored(r, 3) for r in (returned, still_open)},
        applicants={returned.code: APPLICANT_JSON, still_open.code: APPLICANT_JSON},
    )
    await store.restore(snapshot, NOW)
    assert await store.erasures_due(end + timedelta(days=90)) == [returned.code]


async def test_each_applicants_dossiers_are_found_by_their_id_number(store: IntakeStore) -> None:
    first, second = await receive(store, "p1"), await receive(store, "p2")
    person = person_of(APPLICANT_JSON)
    assert await store.person_codes(person) == sorted([first, second])
    assert await store.person_codes("0" * 64) == []
    await store.forget_person(person, [first])
    assert await store.person_codes(person) == [second]


async def test_an_applicant_is_replaced_only_as_it_was_read(store: IntakeStore) -> None:
    code = await receive(store, "consent-1")
    read = await store.applicant(code)
    assert read is not None
    changed = read.replace("}", ', "notify": ["sms"]}', 1) if read.endswith("}") else read
    committed = await store.commit_applicant(
        client_id="desk", submission_id="c1", code=code, read=read, applicant_json=changed,
        answer='{"ok": 1}', entries=[OutboxEntry(INTAKE_APPLICANTS, code, changed)],
    )  # fmt: skip
    assert not committed.replayed
    assert await store.applicant(code) == changed
    with pytest.raises(ConflictError):  # read before the change: refused
        await store.commit_applicant(
            client_id="desk", submission_id="c2", code=code, read=read, applicant_json=read,
            answer="{}", entries=[],
        )  # fmt: skip
    again = await store.commit_applicant(
        client_id="desk", submission_id="c1", code=code, read=read, applicant_json=read,
        answer="{}", entries=[],
    )  # fmt: skip
    assert again.replayed  # the same submission: its answer, nothing done twice
    assert await store.applicant(code) == changed
