"""Telling citizens what happens to their dossier: each event that concerns the applicant is a
notice (services/exchange/domain/notices.py), queued per dossier; when it is sent it becomes
one message per channel the applicant chose (none: nothing), each with its key (dossier,
event, channel), delivered by the courier: retried, dead-lettered to notifications.v1.dlq,
redriven. The contact (phone, e-mail, the choice) is kept while intake keeps the applicant,
and forgotten on its tombstone: a later event then sends nothing. The text is rendered when
sent and kept nowhere; the journal keeps channel, template and status."""

import logging
from datetime import timedelta
from typing import Any

from services.exchange.domain.notices import NOTICE, message_records, notice_records
from services.exchange.service.answers import REFUSED, Answer
from services.exchange.service.channels import NoticeChannel
from services.exchange.service.courier import Courier, DeliveryMetrics, Rules
from services.exchange.settings import ExchangeSettings
from services.exchange.store import ExchangeStore, Queued
from shared.domain.clock import Clock
from shared.events.dossier import DossierEvent, DossierReceived
from shared.events.personal_data import OrganisationApplicant, PersonApplicant
from shared.events.portal import PortalRecord
from shared.events.topics import NOTIFICATIONS
from shared.messaging.publishing import EventPublisher

log = logging.getLogger(__name__)


class NoticeSender:
    """The courier's sender for messages: the channel a message names, its template filled."""

    def __init__(
        self, channels: dict[str, NoticeChannel], lookup_url: str, rating_url: str
    ) -> None:
        self.channels = channels
        self.lookup_url = lookup_url  # {code}
        self.rating_url = rating_url  # {code} and {token}

    async def send(self, record: PortalRecord, recipient: dict[str, Any] | None) -> Answer:
        channel = self.channels.get(record.call)
        if channel is None or recipient is None:
            return Answer(REFUSED, f"channel {record.call} not offered")
        token = recipient.get("rating_token")
        rating = self.rating_url.format(code=record.code, token=token) if token else None
        context = {"rating_url": rating, "lookup_url": self.lookup_url.format(code=record.code)}
        context |= dict(record.payload["facts"])
        return await channel.deliver(str(record.payload["kind"]), context, recipient, record.key)


class Notifications:
    def __init__(self, store: ExchangeStore, sender: NoticeSender, publisher: EventPublisher,
                 clock: Clock, settings: ExchangeSettings, metrics: DeliveryMetrics, *,
                 group: str, owner: str) -> None:  # fmt: skip
        self.store, self.sender, self.clock = store, sender, clock
        self.contact_wait = timedelta(seconds=settings.contact_wait_seconds)
        rules = Rules(
            NOTIFICATIONS, settings.notify_max_attempts, settings.notify_backoff_seconds,
            settings.notify_backoff_cap_seconds, settings.contact_wait_seconds,
            settings.portal_concurrency, needs_recipient=lambda _: True,
            drop_without_recipient=True, journal=True, hold_on_dead_letter=False,
        )  # fmt: skip
        self.courier = Courier(store, sender, publisher, clock, rules, metrics, group=group,
                               owner=owner, before_send=self.expand)  # fmt: skip

    async def on_event(self, event: DossierEvent) -> None:
        code = event.body.dossier_code
        while True:
            version, facts = await self.store.facts(code)
            folded, records = notice_records(facts, event)
            if folded is facts:
                return
            if await self.store.commit(version, folded, records, self.clock.now()):
                if isinstance(event, DossierReceived):  # the report counts by receiving agency
                    await self.store.index_receipt(event.body.agency_code, code, event.occurred_at)
                return

    async def on_applicant(
        self, code: str, applicant: PersonApplicant | OrganisationApplicant | None
    ) -> None:
        """Only what sending needs: the phone, the e-mail address and the choice."""
        if applicant is None:
            await self.store.forget_applicant(code)
            return
        contact = {"phone": applicant.phone, "email": applicant.email,
                   "notify": [str(channel) for channel in applicant.notify],
                   "rating_token": applicant.rating_token}  # fmt: skip
        await self.store.keep_applicant(code, contact)

    async def expand(self, queued: Queued) -> bool:
        """A notice becomes its messages, one per channel chosen and offered (none: dropped);
        it waits for the contact a while first."""
        notice, now = queued.record, self.clock.now()
        if notice.call != NOTICE:
            return False
        contact = await self.store.applicant(notice.code)
        if (
            contact is None
            and now.timestamp() - queued.queued_at < self.contact_wait.total_seconds()
        ):
            await self.store.retry_at(notice.code, now + timedelta(seconds=1))
            return True
        chosen = [c for c in (contact or {}).get("notify", []) if c in self.sender.channels]
        messages = message_records(notice, chosen)
        if not await self.store.replace_head(notice.code, notice.key, messages, now):
            return True  # taken over meanwhile
        told = {"channel": NOTICE, "template": notice.cause, "notice": notice.key,
                "status": "told" if messages else "no_channel", "detail": str(len(messages)),
                "at": now.isoformat()}  # fmt: skip
        await self.store.journal(notice.code, notice.key, told)
        for message in messages:
            entry = told | {"channel": message.call, "status": "queued", "detail": ""}
            await self.store.journal(message.code, message.key, entry)
        return True

    async def on_redrive(self, record: PortalRecord) -> None:
        released = await self.courier.redriven(record)
        log.info("redriven message", extra={"dossier_code": record.code, "key": record.key,
                 "channel": record.call, "released": released})  # fmt: skip

    async def messages(self, code: str) -> list[dict[str, str]]:
        return [{"key": key} | entry for key, entry in (await self.store.journal_of(code)).items()]
