"""The outbox's publisher: whoever holds an aggregate's lock publishes everything committed
while it held it, in order, and then releases the lock."""

from collections.abc import Sequence

from shared.messaging.publishing import InMemoryPublisher, RawRecord
from shared.persistence.outbox import InMemoryOutbox, OutboxEntry, OutboxPublisher


class CommitsWhilePublishing(InMemoryPublisher):
    """A publisher during whose first publish another caller commits `late` (it finds the
    lock held, so its entries wait in the outbox)."""

    def __init__(self, outbox: InMemoryOutbox, key: str, late: list[OutboxEntry]) -> None:
        super().__init__()
        self.outbox, self.key, self.late = outbox, key, late

    async def publish_raw_many(self, records: Sequence[RawRecord]) -> None:
        await super().publish_raw_many(records)
        self.outbox.lists[self.key] += self.late
        self.late = []


def entry(n: int) -> OutboxEntry:
    return OutboxEntry("t", "k", f'{{"n": {n}}}')


async def test_entries_committed_while_publishing_are_published_next_by_the_holder() -> None:
    outbox = InMemoryOutbox()
    publisher = CommitsWhilePublishing(outbox, "k", [entry(2), entry(3)])
    outbox.lists["k"] = [entry(1)]
    assert await outbox.lock("k")
    await OutboxPublisher(outbox, publisher).publish_locked("k", [entry(1)])
    assert [value for _, _, value, _ in publisher.records] == [
        b'{"n": 1}', b'{"n": 2}', b'{"n": 3}'
    ]  # fmt: skip
    assert await outbox.pending() == []
    assert await outbox.lock("k")  # released once nothing was left


async def test_a_relay_that_finds_the_outbox_emptied_releases_the_lock() -> None:
    outbox = InMemoryOutbox()  # its key was pending, and another publisher emptied it since
    publisher = InMemoryPublisher()
    await OutboxPublisher(outbox, publisher).flush("k")
    assert publisher.records == []
    assert await outbox.lock("k")  # a later commit takes the lock and publishes at once
