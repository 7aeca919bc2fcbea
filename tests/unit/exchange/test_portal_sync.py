"""The service layer on the in-memory store, with the portal faked at the HTTP transport and
a clock moved by hand: the owner joins a dossier record (and waits for it a while), a
tombstone forgets it, a redelivered event sends nothing."""

import json
import random
from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client import CollectorRegistry

from demo.traffic import applicant
from services.exchange.domain.portal_mapping import PortalMapping
from services.exchange.handlers import read_applicant
from services.exchange.metrics import PortalMetrics
from services.exchange.service.portal_client import PortalClient
from services.exchange.service.portal_sync import PortalSync
from services.exchange.settings import ExchangeSettings
from services.exchange.store import InMemoryExchangeStore
from shared.domain.clock import ManualClock
from shared.events.personal_data import parse_applicant
from shared.messaging.publishing import InMemoryPublisher
from tests.support import dossier_events as ev

MAPPING = PortalMapping.from_file()
START = datetime(2026, 3, 2, 1, tzinfo=UTC)
CODE = "UBND.Q1-260302-0001"


def portal_sync(sent: list[dict[str, object]]) -> tuple[PortalSync, ManualClock]:
    def portal(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content)["data"][0])
        return httpx.Response(200, json={"error_code": "00"})

    settings = ExchangeSettings.model_validate({"APPLICANT_WAIT_SECONDS": 30})
    clock = ManualClock(START)
    sync = PortalSync(
        InMemoryExchangeStore(), MAPPING,
        PortalClient(settings, MAPPING, httpx.MockTransport(portal)), InMemoryPublisher(),
        clock, settings, PortalMetrics.register(CollectorRegistry()), group="g", owner="g/0",
    )  # fmt: skip
    return sync, clock


async def test_a_dossier_record_carries_its_owner_and_waits_a_while_for_it() -> None:
    sent: list[dict[str, object]] = []
    sync, clock = portal_sync(sent)
    received = ev.received(CODE, START)
    await sync.on_event(received)
    await sync.on_event(received)  # redelivered: nothing more
    await sync.courier.send_head(CODE)
    assert sent == []  # the owner is not known yet: the record waits
    person = applicant(random.Random(3))  # a citizen
    await sync.on_applicant(CODE, parse_applicant(json.dumps(person)))
    clock.advance(timedelta(seconds=1))
    await sync.courier.send_head(CODE)
    assert sent[0]["ChuHoSo"] == person["name"]
    assert sent[0]["SoGiayToChuHoSo"] == person["id_number"]
    assert sent[0]["LoaiDoiTuong"] == 1
    await sync.courier.send_head(CODE)  # the progress record names no owner
    assert "ChuHoSo" not in sent[1]
    assert (await sync.store.state(CODE)).queued == 0


async def test_an_erased_applicant_is_sent_absent_after_the_wait() -> None:
    sent: list[dict[str, object]] = []
    sync, clock = portal_sync(sent)
    assert read_applicant(CODE, b'{"kind": "person", "name": "x"}') is False  # skipped
    await sync.on_event(ev.received(CODE, START))
    await sync.on_applicant(CODE, None)  # the tombstone
    assert await sync.store.applicant(CODE) is None
    clock.advance(timedelta(seconds=31))
    await sync.courier.send_head(CODE)
    assert [record.get("ChuHoSo") for record in sent] == [None]
    assert sent[0]["MaHoSo"] == CODE
