"""Keeping the national portal in step: every lifecycle and deadline event folded into the
dossier's portal facts (services/exchange/domain/portal_facts.py), the records it makes queued
per dossier, and each dossier's queue sent in order, one record at a time.

- In order: a dossier's next record goes only once the portal acknowledged the one before.
- Idempotent: a record's key derives from its event; a redelivered event sends nothing new,
  and a retry sends the same key and content.
- Retries: a failed attempt (a timeout, 5xx, 429) waits a backoff with jitter, doubling to a
  cap; only that dossier waits. A portal that cannot be reached at all is down for everyone:
  the dossier waits a backoff that grows with the outage, and the attempt is not counted
  against its record. A refusal (4xx, an error code), or the last of
  PORTAL_MAX_ATTEMPTS failures, dead-letters the record with the portal's answer to
  portal.records.v1.dlq and holds the dossier until an operator redrives it
  (`python -m shared.messaging.dead_letters redrive --topic portal.records.v1`).
"""

import asyncio
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from services.exchange.domain.portal_facts import apply_event
from services.exchange.domain.portal_mapping import PortalMapping
from services.exchange.metrics import PortalMetrics
from services.exchange.service.portal_client import (
    ACKNOWLEDGED,
    UNREACHABLE,
    PortalAnswer,
    PortalClient,
)
from services.exchange.settings import ExchangeSettings
from services.exchange.store import ExchangeStore, Queued
from shared.domain.clock import Clock
from shared.events.deadline import DeadlineEvent
from shared.events.dossier import DossierEvent, DossierReceived
from shared.events.personal_data import OrganisationApplicant, parse_applicant
from shared.events.portal import PortalRecord
from shared.events.topics import PORTAL_RECORDS, dead_letter_topic
from shared.messaging.publishing import EventPublisher, dead_letter_headers

log = logging.getLogger(__name__)
LEASE_SECONDS = 60.0


class PortalSync:
    def __init__(
        self,
        store: ExchangeStore,
        mapping: PortalMapping,
        client: PortalClient,
        publisher: EventPublisher,
        clock: Clock,
        settings: ExchangeSettings,
        metrics: PortalMetrics,
        *,
        group: str,
        owner: str,
    ) -> None:
        self.store = store
        self.mapping = mapping
        self.client = client
        self.publisher = publisher
        self.clock = clock
        self.settings = settings
        self.metrics = metrics
        self.group = group  # named in the dead letters
        self.owner = owner  # this instance, for the per-dossier lease
        self.unreachable_streak = 0  # attempts in a row that found no portal at all

    # folding what happened
    def concerns(self, event: DossierEvent | DeadlineEvent) -> bool:
        return event.type in self.mapping.events or event.type == "DeadlineSet"

    async def on_event(self, event: DossierEvent | DeadlineEvent) -> None:
        if self.concerns(event):
            await fold_event(self.store, self.mapping, event, self.clock.now())

    async def on_applicant(self, code: str, value: bytes | None) -> None:
        """The owner the portal requires (name, identity number, kind), kept while intake
        keeps the applicant; a tombstone forgets it. An unreadable value is skipped and
        counted, never dead-lettered (it is personal data)."""
        if not value:
            await self.store.forget_applicant(code)
            return
        try:
            applicant = parse_applicant(value)
        except ValueError:
            log.warning("unreadable applicant record skipped", extra={"dossier_code": code})
            return
        if isinstance(applicant, OrganisationApplicant):
            identity, name = applicant.tax_code, applicant.name
        else:
            identity = applicant.id_number or applicant.passport_number or ""
            name = applicant.name
        owner = {"ChuHoSo": name, "SoGiayToChuHoSo": identity,
                 "LoaiDoiTuong": self.mapping.applicant_kind.get(applicant.kind)}  # fmt: skip
        await self.store.keep_applicant(code, {k: v for k, v in owner.items() if v is not None})

    async def on_redrive(self, record: PortalRecord) -> None:
        released = await self.store.release(record, self.clock.now())
        log.info("redriven portal record", extra={"dossier_code": record.code,
                 "key": record.key, "released": released})  # fmt: skip

    # sending
    async def deliver(self, interval: float = 0.2, batch: int = 200) -> None:
        """Send every due dossier's head record, forever."""
        gate = asyncio.Semaphore(self.settings.portal_concurrency)

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
            if queued is not None:
                await self._send(queued)
        finally:
            await self.store.free(code)

    async def _send(self, queued: Queued) -> None:
        record, now = queued.record, self.clock.now()
        owner = await self.store.applicant(record.code) if record.wants_owner else None
        waited = now.timestamp() - queued.queued_at
        if record.wants_owner and owner is None and waited < self.settings.applicant_wait_seconds:
            await self.store.retry_at(record.code, now + timedelta(seconds=1))
            return
        state = await self.store.state(record.code)
        if state.attempts > 0:
            self.metrics.retried.labels(record.call).inc()
        answer = await self.client.send(record, owner)
        if answer.outcome == ACKNOWLEDGED:
            self.unreachable_streak = 0
            await self.store.acknowledge(record, answer.text, self.clock.now())
            self.metrics.sent.labels(record.call).inc()
            return
        self.metrics.failed.labels(record.call, answer.outcome).inc()
        if answer.outcome == UNREACHABLE:
            await self.store.failed(record, answer.text, self.clock.now(), counted=False)
            self.unreachable_streak += 1
            wait = self.backoff(min(self.unreachable_streak, 16))
            await self.store.retry_at(record.code, self.clock.now() + wait)
            return
        self.unreachable_streak = 0
        attempts = await self.store.failed(record, answer.text, self.clock.now())
        if answer.retriable and attempts < self.settings.portal_max_attempts:
            await self.store.retry_at(record.code, self.clock.now() + self.backoff(attempts))
            return
        await self._dead_letter(record, answer, attempts)

    def backoff(self, attempts: int) -> timedelta:
        """Full jitter: a random wait up to base * 2^(attempts-1), capped."""
        ceiling = min(
            self.settings.portal_backoff_cap_seconds,
            self.settings.portal_backoff_seconds * 2 ** (attempts - 1),
        )
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311

    async def _dead_letter(self, record: PortalRecord, answer: PortalAnswer, attempts: int) -> None:
        reason = f"{record.code} {record.call}: {answer.outcome} after {attempts} attempt(s): "
        reason += answer.text
        headers = dead_letter_headers(
            reason, PORTAL_RECORDS, consumer_group=self.group, failed_at=self.clock.now(),
            partition=None, offset=None,
        )  # fmt: skip
        headers |= {"x-portal-record-key": record.key, "x-portal-call": record.call}
        await self.publisher.publish_raw(
            dead_letter_topic(PORTAL_RECORDS), record.code.encode(),
            record.model_dump_json().encode(), headers,
        )  # fmt: skip
        await self.store.hold(record.code)
        self.metrics.dead_lettered.labels(record.call).inc()
        log.error("portal record dead-lettered; its dossier waits for a redrive",
                  extra={"dossier_code": record.code, "key": record.key, "call": record.call,
                         "attempts": attempts, "outcome": answer.outcome})  # fmt: skip

    async def refresh_gauges(self) -> None:
        oldest = await self.store.oldest_unsent()
        age = 0.0 if oldest is None else (self.clock.now() - oldest).total_seconds()
        self.metrics.oldest_unsent.set(max(0.0, age))

    async def sync_view(self, code: str) -> dict[str, Any]:
        state = await self.store.state(code)
        head = await self.store.peek(code)
        return {
            "dossier_code": code, "acknowledged_records": state.acknowledged,
            "queued_records": state.queued, "attempts": state.attempts,
            "held_for_redrive": state.held, "last": state.last or None,
            "next": head.record.model_dump(mode="json") if head else None,
        }  # fmt: skip


async def fold_event(
    store: ExchangeStore,
    mapping: PortalMapping,
    event: DossierEvent | DeadlineEvent,
    now: datetime,
) -> int:
    """Fold one event into its dossier's facts and queue the records it makes, in one step
    (again if another fold of the dossier came first); return how many were queued (0 for an
    event folded before)."""
    code = event.body.dossier_code
    while True:
        version, facts = await store.facts(code)
        folded, records = apply_event(facts, event, mapping)
        if folded is facts:
            return 0
        if await store.commit(version, folded, records, now):
            if isinstance(event, DossierReceived):
                await store.index_receipt(event.body.agency_code, code, event.occurred_at)
            return len(records)
