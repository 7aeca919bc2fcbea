"""One contract, two stores: the exchange service's Redis store (scripts checked for undeclared
keys) and its in-memory twin must behave the same."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.exchange.domain.portal_facts import PortalFacts
from services.exchange.store import ExchangeStore, InMemoryExchangeStore, RedisExchangeStore
from shared.events.portal import PortalRecord
from tests.support.lua_key_check import KeyCheckingRedis

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CODE = "UBND.Q1-260302-0001"


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ExchangeStore]:
    if request.param == "memory":
        yield InMemoryExchangeStore()
        return
    request.applymarker(pytest.mark.integration)
    redis = KeyCheckingRedis(request.getfixturevalue("redis_url"))
    prefix = f"contract-{uuid.uuid4().hex[:10]}"
    yield RedisExchangeStore(redis, prefix)
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def record(n: int, code: str = CODE) -> PortalRecord:
    return PortalRecord(code=code, call="DongBoHoSoMC", key=f"key-{n}", cause="DossierReceived",
                        made_at=NOW, payload={"MaHoSo": code, "n": n})  # fmt: skip


async def queued(store: ExchangeStore, *numbers: int, at: datetime = NOW) -> None:
    version, facts = await store.facts(CODE)
    assert await store.commit(version, facts, [record(n) for n in numbers], at)


async def test_a_fold_commits_against_the_version_it_read(store: ExchangeStore) -> None:
    version, facts = await store.facts(CODE)
    assert (version, facts) == ("0", PortalFacts(code=CODE))
    folded = facts.model_copy(update={"agency_code": "UBND.Q1"})
    assert await store.commit(version, folded, [record(1)], NOW)
    assert not await store.commit(version, folded, [record(2)], NOW)  # another fold came first
    again, found = await store.facts(CODE)
    assert found == folded
    assert again != version
    assert (await store.state(CODE)).queued == 1


async def test_records_are_sent_in_order_and_acknowledged_once(store: ExchangeStore) -> None:
    await queued(store, 1, 2, 3)
    assert await store.due(NOW, 10) == [CODE]
    assert await store.oldest_unsent() == NOW
    head = await store.head(CODE)
    assert head is not None
    assert head.record.key == "key-1"
    assert not await store.acknowledge(record(2), "ok", NOW)  # not the head: refused
    later = NOW + timedelta(minutes=1)
    assert await store.acknowledge(record(1), "HTTP 200", later)
    peeked = await store.peek(CODE)
    assert peeked is not None
    assert peeked.record.key == "key-2"
    state = await store.state(CODE)
    assert (state.queued, state.acknowledged, state.last["last_answer"]) == (2, 1, "HTTP 200")
    assert await store.is_acknowledged(CODE, "key-1")
    assert await store.synchronised([CODE]) == [False]
    for n in (2, 3):
        assert await store.acknowledge(record(n), "ok", later)
    assert await store.head(CODE) is None
    assert await store.due(later, 10) == []
    assert await store.oldest_unsent() is None
    assert await store.synchronised([CODE]) == [True]


async def test_failures_count_an_outage_does_not_and_a_hold_waits_for_a_release(
    store: ExchangeStore,
) -> None:
    await queued(store, 1, 2)
    assert await store.failed(record(1), "HTTP 500", NOW) == 1
    assert await store.failed(record(1), "HTTP 500", NOW) == 2
    assert await store.failed(record(1), "ConnectError", NOW, counted=False) == 2
    assert (await store.state(CODE)).last["last_error"] == "ConnectError"
    await store.retry_at(CODE, NOW + timedelta(seconds=8))
    assert await store.due_at(CODE) == NOW + timedelta(seconds=8)
    assert await store.due(NOW, 10) == []
    await store.hold(CODE)
    await queued(store, 3)  # a held dossier's new records wait too
    assert await store.due(NOW + timedelta(days=1), 10) == []
    assert (await store.state(CODE)).held
    assert await store.release(record(1), NOW)
    state = await store.state(CODE)
    assert (state.held, state.attempts, state.queued) == (False, 0, 3)
    assert await store.due(NOW, 10) == [CODE]
    assert await store.acknowledge(record(1), "ok", NOW)
    assert not await store.release(record(1), NOW)  # acknowledged already: nothing to do


async def test_a_released_record_not_queued_goes_first(store: ExchangeStore) -> None:
    await queued(store, 2)
    assert await store.release(record(1), NOW)
    head = await store.head(CODE)
    assert head is not None
    assert head.record.key == "key-1"


async def test_the_applicant_is_kept_and_forgotten(store: ExchangeStore) -> None:
    await store.keep_applicant(CODE, {"ChuHoSo": "Nguyễn Văn A", "LoaiDoiTuong": 1})
    assert await store.applicant(CODE) == {"ChuHoSo": "Nguyễn Văn A", "LoaiDoiTuong": 1}
    await store.forget_applicant(CODE)
    assert await store.applicant(CODE) is None


async def test_one_sender_at_a_time(store: ExchangeStore) -> None:
    assert await store.lease(CODE, "a", 60)
    assert not await store.lease(CODE, "b", 60)
    await store.free(CODE)
    assert await store.lease(CODE, "b", 60)


async def test_receipts_are_indexed_by_agency_and_instant(store: ExchangeStore) -> None:
    march, april = NOW, NOW + timedelta(days=31)
    await store.index_receipt("A", "A-260302-0001", march)
    await store.index_receipt("A", "A-260402-0001", april)
    await store.index_receipt("B", "B-260302-0001", march)
    found = await store.received_between(march, april, None)
    assert found == {"A": ["A-260302-0001"], "B": ["B-260302-0001"]}  # `until` excluded
    assert await store.received_between(march, april + timedelta(1), "A") == {
        "A": ["A-260302-0001", "A-260402-0001"]
    }


async def test_a_head_record_is_replaced_by_others_or_dropped(store: ExchangeStore) -> None:
    await queued(store, 1, 2)
    assert not await store.replace_head(CODE, "key-2", [record(9)], NOW)  # not the head
    assert await store.replace_head(CODE, "key-1", [record(11), record(12)], NOW)
    keys = []
    while (head := await store.head(CODE)) is not None:
        keys.append(head.record.key)
        assert await store.acknowledge(head.record, "ok", NOW)
    assert keys == ["key-11", "key-12", "key-2"]
    await queued(store, 3)
    assert await store.replace_head(CODE, "key-3", [], NOW)  # dropped
    assert await store.due(NOW, 10) == []
    assert await store.oldest_unsent() is None


async def test_a_journal_keeps_what_became_of_each_record(store: ExchangeStore) -> None:
    await store.journal(CODE, "key-1", {"channel": "sms", "status": "queued"})
    await store.journal(CODE, "key-1", {"channel": "sms", "status": "sent"})
    await store.journal(CODE, "key-2", {"channel": "email", "status": "failed"})
    assert await store.journal_of(CODE) == {
        "key-1": {"channel": "sms", "status": "sent"},
        "key-2": {"channel": "email", "status": "failed"},
    }
    assert await store.journal_of("OTHER-260302-0001") == {}
