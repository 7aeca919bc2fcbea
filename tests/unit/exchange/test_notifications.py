"""Notifications on the in-memory store with the channels faked: a notice becomes one message
per channel chosen and offered, a missing contact holds it a while and then drops it, and the
report counts messages and the apologies that reached the applicant, by receiving agency."""

from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry

from services.exchange.domain.notices import KINDS
from services.exchange.metrics import NotificationMetrics
from services.exchange.service.answers import ACKNOWLEDGED, FAILED, Answer
from services.exchange.service.notice_report import notice_list, notice_table
from services.exchange.service.notifications import NoticeSender, Notifications
from services.exchange.settings import ExchangeSettings
from services.exchange.store import InMemoryExchangeStore
from shared.domain.business_calendar import VIETNAM
from shared.domain.clock import ManualClock
from shared.events.personal_data import parse_applicant
from shared.messaging.publishing import InMemoryPublisher
from tests.support import dossier_events as ev
from tests.support.intake_fixtures import APPLICANT

AT = datetime(2026, 3, 2, 9, tzinfo=VIETNAM)
CODE = "UBND.Q1-260302-0001"


class FakeChannel:
    def __init__(self, answer: str = ACKNOWLEDGED) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.answer = answer

    async def deliver(
        self, kind: str, context: dict[str, Any], contact: dict[str, Any], key: str
    ) -> Answer:
        self.sent.append((kind, context))
        return Answer(self.answer, "fake")


def notifications(sms: FakeChannel, email: FakeChannel) -> tuple[Notifications, ManualClock]:
    settings = ExchangeSettings.model_validate(
        {"CONTACT_WAIT_SECONDS": 10, "NOTIFY_MAX_ATTEMPTS": 1}
    )
    clock = ManualClock(AT.astimezone(UTC))
    channels = {"sms": sms, "email": email}
    sender = NoticeSender(channels, "https://x/{code}", "https://x/rate?c={code}&t={token}")  # type: ignore[arg-type]
    metrics = NotificationMetrics(CollectorRegistry(), list(channels), list(KINDS))
    service = Notifications(InMemoryExchangeStore(), sender, InMemoryPublisher(), clock,
                            settings, metrics, group="g", owner="g/0")  # fmt: skip
    return service, clock


async def drain(service: Notifications, clock: ManualClock) -> None:
    for _ in range(10):
        for code in await service.store.due(clock.now(), 100):
            await service.courier.send_head(code)
        clock.advance(timedelta(seconds=2))


async def test_a_notice_goes_to_each_channel_chosen_and_the_report_counts_it() -> None:
    sms, email = FakeChannel(), FakeChannel(FAILED)
    service, clock = notifications(sms, email)
    person = APPLICANT | {
        "email": "a@b.vn",
        "notify": ["sms", "email", "zalo"],
    }  # zalo: not offered
    await service.on_applicant(CODE, parse_applicant(__import__("json").dumps(person)))
    received = ev.received(CODE, AT, agency="UBND.Q1")
    await service.on_event(received)
    await service.on_event(received)  # redelivered: nothing new
    delayed = ev.delayed(
        CODE, AT + timedelta(days=1), AT + timedelta(days=3), AT + timedelta(days=5)
    )
    await service.on_event(delayed)
    await drain(service, clock)
    assert [kind for kind, _ in sms.sent] == ["received", "delayed"]  # e-mail failing: SMS goes
    assert sms.sent[0][1]["lookup_url"] == f"https://x/{CODE}"
    month = (AT.replace(day=1), AT.replace(month=4, day=1))
    table = await notice_table(service.store, *month, None)
    [row] = table["rows"]
    assert (row["agency"], row["dossiers"], row["sent"]) == ("UBND.Q1", 1, 2)
    assert row["failed"] == 2  # e-mail failed, once for each notice (one attempt allowed)
    assert (row["apologies"], row["apologies_reached"], row["apologies_reached_share"]) == (
        1,
        1,
        1.0,
    )
    assert await notice_list(service.store, *month, "UBND.Q1", "apologies_reached") == [CODE]


async def test_no_contact_holds_a_notice_a_while_then_drops_it() -> None:
    sms, email = FakeChannel(), FakeChannel()
    service, clock = notifications(sms, email)
    await service.on_event(ev.received(CODE, AT, agency="UBND.Q1"))
    await drain(service, clock)  # 20 s: past the wait
    assert sms.sent == []
    journal = await service.messages(CODE)
    assert [(j["channel"], j["status"]) for j in journal] == [("notice", "no_channel")]
