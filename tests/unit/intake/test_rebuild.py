"""intake's rebuild loop on the in-memory store (the changelogs' reading is stubbed)."""

import asyncio
from datetime import timedelta

import pytest

from services.intake.service.changelog import SnapshotBuilder, record_entry
from services.intake.service.rebuild import IntakeRebuild
from services.intake.store import InMemoryIntakeStore
from shared.domain.clock import ManualClock
from shared.messaging.kafka_access import KafkaAccess
from tests.support.intake_store_samples import NOW, sample_record


class StubbedRebuild(IntakeRebuild):
    async def read_changelogs(self) -> SnapshotBuilder:
        builder = SnapshotBuilder(timedelta(days=7))
        record = record_entry(sample_record("UBND.Q1-260302-0041"), 1)
        builder.add(record.topic, record.key.encode(), record.event.encode(), NOW)
        builder.add(record.topic, b"x", b'{"type": "SecurityProbe"}', NOW)  # skipped
        return builder


def rebuild(store: InMemoryIntakeStore) -> StubbedRebuild:
    return StubbedRebuild(
        store, KafkaAccess.resolve("127.0.0.1:9092", "intake"),
        ManualClock(NOW), replay_from=None,
        answer_window=timedelta(days=7), grace_seconds=18, interval=0.01,
    )  # fmt: skip


async def test_a_store_lost_while_running_waits_out_the_publishes_in_flight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = InMemoryIntakeStore(ready=False)
    loop = rebuild(store)
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", recorded)
    task = asyncio.create_task(loop.run())
    while loop.rebuilds < 1:
        await real_sleep(0.001)
    assert 18 not in slept  # at start-up nothing of this process can be in flight
    store.ready = False  # Redis lost its data, even before the loop's next look
    while loop.rebuilds < 2:
        await real_sleep(0.001)
    task.cancel()
    assert 18 in slept
    assert store.sequences == {("UBND.Q1", "260302"): 41}
    assert await store.is_ready()
