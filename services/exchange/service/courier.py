"""Delivering queued records to an outside system, for every exchange (the national portal,
the notification channels): each dossier's queue in order, one record at a time, the next
only once the one before was acknowledged.

- Retries: a failed attempt waits a backoff with jitter, doubling to a cap; only that dossier
  waits. An unreachable system is an outage: the dossier waits a backoff that grows with the
  outage, and the attempt is not counted against its record.
- A refusal, or the last of `max_attempts` failures, dead-letters the record with the other
  side's answer and holds the dossier until an operator redrives it.
- A record that needs its recipient (the portal's owner, a message's contact) waits up to
  `recipient_wait_seconds` for it, then goes without (the portal) or is dropped (a message).
- Two instances never send one dossier at once (a lease per dossier).
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from services.exchange.service.answers import ACKNOWLEDGED, UNREACHABLE, Answer
from services.exchange.store import ExchangeStore, Queued
from shared.domain.clock import Clock
from shared.events.portal import PortalRecord
from shared.events.topics import dead_letter_topic
from shared.messaging.publishing import EventPublisher, dead_letter_headers

log = logging.getLogger(__name__)
LEASE_SECONDS = 60.0


class Sender(Protocol):
    async def send(self, record: PortalRecord, recipient: dict[str, Any] | None) -> Answer: ...


class DeliveryMetrics(Protocol):
    def sent(self, record: PortalRecord) -> None: ...

    def failed(self, record: PortalRecord, outcome: str) -> None: ...

    def retried(self, record: PortalRecord) -> None: ...

    def dead_lettered(self, record: PortalRecord) -> None: ...

    def oldest_unsent(self, seconds: float) -> None: ...


@dataclass(frozen=True)
class Rules:
    redrive_topic: str  # its .dlq takes the records given up on
    max_attempts: int
    backoff_seconds: float
    backoff_cap_seconds: float
    recipient_wait_seconds: float
    concurrency: int
    needs_recipient: Callable[[PortalRecord], bool]
    # no recipient after the wait: send without one (False) or drop the record (True)
    drop_without_recipient: bool = False
    journal: bool = False  # keep what became of each record (store.journal)
    # a dead-lettered record holds its dossier's later records (the portal's order), or is
    # only taken out of the queue (messages: one channel failing never silences another)
    hold_on_dead_letter: bool = True


# A hook that takes the head record over (e.g. a notice becoming one message per channel):
# True when it did, and the courier sends nothing this round.
Hook = Callable[[Queued], Awaitable[bool]]


class Courier:
    def __init__(self, store: ExchangeStore, sender: Sender, publisher: EventPublisher,
                 clock: Clock, rules: Rules, metrics: DeliveryMetrics, *, group: str,
                 owner: str, before_send: Hook | None = None) -> None:  # fmt: skip
        self.store, self.sender, self.publisher = store, sender, publisher
        self.clock, self.rules, self.metrics = clock, rules, metrics
        self.group = group  # named in the dead letters
        self.owner = owner  # this instance, for the per-dossier lease
        self.before_send = before_send
        self.unreachable_streak = 0  # attempts in a row that found no one at all

    async def deliver(self, interval: float = 0.2, batch: int = 200) -> None:
        """Send every due dossier's head record, forever."""
        gate = asyncio.Semaphore(self.rules.concurrency)

        async def one(code: str) -> None:
            async with gate:
                await self.send_head(code)

        while True:
            codes = await self.store.due(self.clock.now(), batch)
            if codes:
                await asyncio.gather(*(one(code) for code in codes))
            await self.refresh_gauges()
            if len(codes) < batch:
                await asyncio.sleep(interval)

    async def send_head(self, code: str) -> None:
        if not await self.store.lease(code, self.owner, LEASE_SECONDS):
            return  # another instance is sending it
        try:
            queued = await self.store.head(code)
            if queued is not None and not (self.before_send and await self.before_send(queued)):
                await self._send(queued)
        finally:
            await self.store.free(code)

    async def _send(self, queued: Queued) -> None:
        record, now = queued.record, self.clock.now()
        wants = self.rules.needs_recipient(record)
        recipient = await self.store.applicant(record.code) if wants else None
        if wants and recipient is None:
            if now.timestamp() - queued.queued_at < self.rules.recipient_wait_seconds:
                await self.store.retry_at(record.code, now + timedelta(seconds=1))
                return
            if self.rules.drop_without_recipient:
                await self.store.acknowledge(record, "not sent: no recipient", now)
                await self._journal(record, "not_sent", "no recipient")
                return
        if (await self.store.state(record.code)).attempts > 0:
            self.metrics.retried(record)
        answer = await self.sender.send(record, recipient)
        await self._answered(record, answer)

    async def _answered(self, record: PortalRecord, answer: Answer) -> None:
        now = self.clock.now()
        if answer.outcome == ACKNOWLEDGED:
            self.unreachable_streak = 0
            await self.store.acknowledge(record, answer.text, now)
            self.metrics.sent(record)
            await self._journal(record, "sent", "")
            return
        self.metrics.failed(record, answer.outcome)
        await self._journal(record, "failed", answer.outcome)
        if answer.outcome == UNREACHABLE:
            await self.store.failed(record, answer.text, now, counted=False)
            self.unreachable_streak += 1
            await self.store.retry_at(record.code, now + self.backoff(self.unreachable_streak))
            return
        self.unreachable_streak = 0
        attempts = await self.store.failed(record, answer.text, now)
        if answer.retriable and attempts < self.rules.max_attempts:
            await self.store.retry_at(record.code, now + self.backoff(attempts))
            return
        await self._dead_letter(record, answer, attempts)

    def backoff(self, attempts: int) -> timedelta:
        """Half jitter: a random wait between half and all of base * 2^(attempts-1), capped."""
        exponent = min(attempts, 16) - 1
        ceiling = min(self.rules.backoff_cap_seconds, self.rules.backoff_seconds * 2**exponent)
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311

    async def _dead_letter(self, record: PortalRecord, answer: Answer, attempts: int) -> None:
        reason = f"{record.code} {record.call}: {answer.outcome} after {attempts} attempt(s): "
        reason += answer.text
        topic = self.rules.redrive_topic
        headers = dead_letter_headers(
            reason, topic, consumer_group=self.group, failed_at=self.clock.now(),
            partition=None, offset=None,
        )  # fmt: skip
        headers |= {"x-record-key": record.key, "x-record-call": record.call}
        await self.publisher.publish_raw(
            dead_letter_topic(topic), record.code.encode(), record.model_dump_json().encode(),
            headers,
        )  # fmt: skip
        if self.rules.hold_on_dead_letter:
            await self.store.hold(record.code)
        else:
            await self.store.replace_head(record.code, record.key, [], self.clock.now())
        self.metrics.dead_lettered(record)
        await self._journal(record, "dead_lettered", answer.outcome)
        where = {"dossier_code": record.code, "key": record.key, "call": record.call}
        log.error("record dead-lettered; it waits for a redrive",
                  extra=where | {"attempts": attempts, "outcome": answer.outcome})  # fmt: skip

    async def _journal(self, record: PortalRecord, status: str, detail: str) -> None:
        if self.rules.journal:
            entry = {"channel": record.call, "template": record.cause, "status": status,
                     "detail": detail, "at": self.clock.now().isoformat(),
                     "notice": str(record.payload.get("notice", ""))}  # fmt: skip
            await self.store.journal(record.code, record.key, entry)

    async def redriven(self, record: PortalRecord) -> bool:
        """A record an operator redrove: back at the head of its dossier's queue (unless it
        was acknowledged), the dossier released and sent again now."""
        return await self.store.release(record, self.clock.now())

    async def refresh_gauges(self) -> None:
        oldest = await self.store.oldest_unsent()
        age = 0.0 if oldest is None else (self.clock.now() - oldest).total_seconds()
        self.metrics.oldest_unsent(max(0.0, age))
