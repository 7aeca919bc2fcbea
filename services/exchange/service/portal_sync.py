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

import logging
from datetime import datetime
from typing import Any

from services.exchange.domain.portal_facts import apply_event
from services.exchange.domain.portal_mapping import PortalMapping
from services.exchange.metrics import PortalMetrics
from services.exchange.service.courier import Courier, Rules
from services.exchange.service.portal_client import PortalClient
from services.exchange.settings import ExchangeSettings
from services.exchange.store import ExchangeStore
from shared.domain.clock import Clock
from shared.events.deadline import DeadlineEvent
from shared.events.dossier import DossierEvent, DossierReceived
from shared.events.personal_data import OrganisationApplicant, PersonApplicant
from shared.events.portal import PortalRecord
from shared.events.topics import PORTAL_RECORDS
from shared.messaging.publishing import EventPublisher

log = logging.getLogger(__name__)


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
        self.clock = clock
        rules = Rules(
            PORTAL_RECORDS, settings.portal_max_attempts, settings.portal_backoff_seconds,
            settings.portal_backoff_cap_seconds, settings.applicant_wait_seconds,
            settings.portal_concurrency, needs_recipient=lambda record: record.wants_owner,
        )  # fmt: skip
        self.courier = Courier(store, client, publisher, clock, rules, metrics, group=group,
                               owner=owner)  # fmt: skip

    # folding what happened
    def concerns(self, event: DossierEvent | DeadlineEvent) -> bool:
        return event.type in self.mapping.events or event.type == "DeadlineSet"

    async def on_event(self, event: DossierEvent | DeadlineEvent) -> None:
        if self.concerns(event):
            await fold_event(self.store, self.mapping, event, self.clock.now())

    async def on_applicant(
        self, code: str, applicant: PersonApplicant | OrganisationApplicant | None
    ) -> None:
        """The owner the portal requires (name, identity number, kind), kept while intake
        keeps the applicant; None (a tombstone) forgets it."""
        if applicant is None:
            await self.store.forget_applicant(code)
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
        released = await self.courier.redriven(record)
        log.info("redriven portal record", extra={"dossier_code": record.code,
                 "key": record.key, "released": released})  # fmt: skip

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
