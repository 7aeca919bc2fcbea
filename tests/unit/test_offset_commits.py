import asyncio
import logging

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError

from shared.messaging.offset_commits import OffsetCommitter
from tests.support.waiting import wait_for


class RecordingConsumer:
    def __init__(self, assigned: set[TopicPartition]) -> None:
        self.assigned = assigned
        self.commits: list[dict[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))


async def test_commits_the_next_offset_after_a_batch_of_processed_messages() -> None:
    consumer = RecordingConsumer({TopicPartition("t", 0), TopicPartition("t", 1)})
    committer = OffsetCommitter(max_pending=3, max_delay=60)
    await committer.processed(consumer, "t", 0, 10)
    await committer.processed(consumer, "t", 1, 4)
    assert consumer.commits == []
    await committer.processed(consumer, "t", 0, 11)
    assert consumer.commits == [{TopicPartition("t", 0): 12, TopicPartition("t", 1): 5}]
    await committer.flush_all()


async def test_a_quiet_partition_is_committed_after_the_delay() -> None:
    consumer = RecordingConsumer({TopicPartition("t", 0)})
    committer = OffsetCommitter(max_pending=100, max_delay=0.05)
    await committer.processed(consumer, "t", 0, 41)

    async def committed() -> bool:
        return consumer.commits == [{TopicPartition("t", 0): 42}]

    await wait_for(committed, within=5, what="the delayed commit")


async def test_partitions_lost_in_a_rebalance_are_not_committed() -> None:
    consumer = RecordingConsumer({TopicPartition("t", 0)})
    committer = OffsetCommitter(max_pending=100, max_delay=60)
    await committer.processed(consumer, "t", 0, 1)
    await committer.processed(consumer, "t", 5, 9)
    await committer.flush_all()
    assert consumer.commits == [{TopicPartition("t", 0): 2}]


class FailingOnceConsumer(RecordingConsumer):
    """Its first commit fails, as one does during a rebalance."""

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not self.commits and not getattr(self, "failed", False):
            self.failed = True
            raise CommitFailedError("rebalance in progress")
        await super().commit(offsets)


async def test_a_failed_commit_is_retried_without_new_messages() -> None:
    consumer = FailingOnceConsumer({TopicPartition("t", 0)})
    committer = OffsetCommitter(max_pending=1, max_delay=60)
    await committer.processed(consumer, "t", 0, 7)  # the commit fails: nothing else arrives

    async def committed() -> bool:
        return consumer.commits == [{TopicPartition("t", 0): 8}]

    await wait_for(committed, within=10, what="the failed commit retried")
    await committer.flush_all()


class SlowConsumer(RecordingConsumer):
    """Its commits take a while, as they do when the broker is busy."""

    def __init__(self, assigned: set[TopicPartition]) -> None:
        super().__init__(assigned)
        self.committing = asyncio.Event()
        self.release = asyncio.Event()

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committing.set()
        await self.release.wait()
        await super().commit(offsets)


async def test_offsets_handed_in_while_a_delayed_commit_runs_are_committed_too() -> None:
    """The stall seen in CI: a message processed while the delayed commit was under way found
    that commit's timer still running, started none, and was never committed (no message
    came after it), so the group stayed a few offsets behind the end for good."""
    consumer = SlowConsumer({TopicPartition("t", 0)})
    committer = OffsetCommitter(max_pending=100, max_delay=0.05)
    await committer.processed(consumer, "t", 0, 1)
    await asyncio.wait_for(consumer.committing.wait(), timeout=5)  # the timer is committing
    await committer.processed(consumer, "t", 0, 2)  # handed in meanwhile; nothing comes after
    consumer.release.set()

    async def committed() -> bool:
        return consumer.commits == [{TopicPartition("t", 0): 2}, {TopicPartition("t", 0): 3}]

    await wait_for(committed, within=5, what="the offset handed in during the commit")


async def test_records_handled_again_after_a_rebalance_never_move_the_group_back() -> None:
    """The stall seen in CI (`reporting-test-…-live`, deadline.events.v1[1]): 2209, then 3817,
    then 3723 committed. The consumer had handled up to 3816 and committed 3817; a rebalance
    had reset it to the committed 2209 a moment before that commit landed, so it handled
    2209-3722 again; committing 3723 then moved the group back, and a later rebalance had
    already set the consumer at 3817: no message came to commit past 3723 again."""
    p1 = TopicPartition("deadline.events.v1", 1)
    consumer = RecordingConsumer({p1})
    committer = OffsetCommitter(max_pending=1, max_delay=60)
    await committer.processed(consumer, p1.topic, 1, 2208)
    await committer.processed(consumer, p1.topic, 1, 3816)
    await committer.processed(consumer, p1.topic, 1, 3722)  # handled again after a rebalance
    await committer.flush_all()
    assert consumer.commits == [{p1: 2209}, {p1: 3817}]


async def test_a_pending_offset_is_not_lowered_by_records_handled_again() -> None:
    """A commit that failed keeps its offsets for the retry; records handled again meanwhile
    (the rebalance reset the consumer to an older committed offset) do not lower them."""
    p0 = TopicPartition("t", 0)
    consumer = FailingOnceConsumer({p0})
    committer = OffsetCommitter(max_pending=1, max_delay=60)
    await committer.processed(consumer, "t", 0, 99)  # its commit fails: kept for the retry
    committer.max_pending = 100  # the next one waits for the retry
    await committer.processed(consumer, "t", 0, 40)  # handled again after the rebalance

    async def committed() -> bool:
        return consumer.commits == [{p0: 100}]

    await wait_for(committed, within=10, what="the failed commit retried at its own offset")
    await committer.flush_all()
    assert consumer.commits == [{p0: 100}]


async def test_an_offset_not_committed_is_logged_with_both_offsets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    p0 = TopicPartition("t", 0)
    consumer = RecordingConsumer({p0})
    committer = OffsetCommitter(max_pending=1, max_delay=60)
    await committer.processed(consumer, "t", 0, 99)
    with caplog.at_level(logging.WARNING, logger="shared.messaging.offset_commits"):
        await committer.processed(consumer, "t", 0, 40)  # handled again, below the mark
        await committer.processed(consumer, "t", 7, 3)  # a partition no longer assigned
    skipped = [r for r in caplog.records if r.getMessage().startswith("offset not committed")]
    assert [(r.topic, r.partition, r.offset, r.committed) for r in skipped] == [  # type: ignore[attr-defined]
        ("t", 0, 41, 100),
        ("t", 7, 4, -1),
    ]
    assert consumer.commits == [{p0: 100}]


class HangingOnceConsumer(RecordingConsumer):
    """Its first commit never answers, as when the group's coordinator is loading."""

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not getattr(self, "hung", False):
            self.hung = True
            await asyncio.Event().wait()
        await super().commit(offsets)


async def test_a_commit_that_does_not_answer_is_bounded_and_tried_again() -> None:
    p0 = TopicPartition("t", 0)
    consumer = HangingOnceConsumer({p0})
    committer = OffsetCommitter(max_pending=1, max_delay=60, commit_timeout=0.1)
    await committer.processed(consumer, "t", 0, 10)  # times out; kept for the retry

    async def committed() -> bool:
        return consumer.commits == [{p0: 11}]

    await wait_for(committed, within=10, what="the commit tried again after its timeout")


async def test_a_rebalance_forgets_the_mark_and_seeds_it_from_the_group() -> None:
    """The partition left and came back; the group is at 95 now (another member committed
    it): records read again from 95 are committed, not dropped against the old mark (100)."""
    p0 = TopicPartition("t", 0)

    class GroupConsumer(RecordingConsumer):
        async def committed(self, tp: TopicPartition) -> int:
            return 95

    consumer = GroupConsumer({p0})
    committer = OffsetCommitter(max_pending=1, max_delay=60)
    listener = committer.listener(lambda: consumer)
    await committer.processed(consumer, "t", 0, 99)
    await listener.on_partitions_revoked({p0})
    await listener.on_partitions_assigned({p0})
    assert committer.progress(consumer).handled == {p0: 95}
    await committer.processed(consumer, "t", 0, 99)
    assert consumer.commits == [{p0: 100}, {p0: 100}]
