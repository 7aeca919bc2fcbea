"""The exchange service's delivery on the real Redis, against the portal stand-in's app
in-process, with a clock moved by hand: a dossier's records go in order; a failing dossier is
retried with a growing backoff and then dead-lettered with the portal's answer, holding only
itself; a refusal is dead-lettered at once; a redrive releases it and it completes."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from demo.portal_standin import create_app
from services.exchange.domain.portal_mapping import PortalMapping
from services.exchange.metrics import PortalMetrics
from services.exchange.service.portal_client import PortalClient
from services.exchange.service.portal_sync import PortalSync
from services.exchange.settings import ExchangeSettings
from services.exchange.store import RedisExchangeStore
from shared.domain.clock import ManualClock
from shared.events.portal import PortalRecord
from shared.events.topics import PORTAL_RECORDS, dead_letter_topic
from shared.messaging.publishing import InMemoryPublisher
from shared.persistence.redis_factory import build_redis
from tests.support import dossier_events as ev

pytestmark = pytest.mark.integration
MAPPING = PortalMapping.from_file()
START = datetime(2026, 3, 2, 1, tzinfo=UTC)


class Rig:
    def __init__(self, sync: PortalSync, clock: ManualClock, portal: httpx.AsyncClient,
                 published: InMemoryPublisher) -> None:  # fmt: skip
        self.sync, self.clock, self.portal, self.published = sync, clock, portal, published

    async def file(self, code: str) -> None:
        for event in (ev.received(code, START), ev.resolved(code, START + timedelta(days=1))):
            await self.sync.on_event(event)

    async def drain(self, rounds: int = 30, step: timedelta = timedelta(seconds=5)) -> None:
        """Send whatever is due, moving the clock on, until nothing is due for `rounds`."""
        for _ in range(rounds):
            for code in await self.sync.store.due(self.clock.now(), 100):
                await self.sync.courier.send_head(code)
            self.clock.advance(step)

    async def received(self, code: str) -> list[dict[str, Any]]:
        return list((await self.portal.get("/received", params={"code": code})).json())


@pytest.fixture
async def rig(redis_url: str, unique: str, tmp_path: Path) -> AsyncIterator[Rig]:
    app = create_app(tmp_path / "portal.jsonl", MAPPING)
    transport = httpx.ASGITransport(app=app)
    settings = ExchangeSettings.model_validate({
        "PORTAL_URL": "http://standin/lgsp", "PORTAL_MAX_ATTEMPTS": 3,
        "PORTAL_BACKOFF_SECONDS": 1, "PORTAL_BACKOFF_CAP_SECONDS": 8,
        "APPLICANT_WAIT_SECONDS": 0, "PORTAL_RATE_PER_SECOND": 1000,
    })  # fmt: skip
    redis = build_redis(redis_url)
    clock = ManualClock(START)
    published = InMemoryPublisher()
    sync = PortalSync(
        RedisExchangeStore(redis, f"delivery-{unique}"), MAPPING,
        PortalClient(settings, MAPPING, transport), published, clock, settings,
        PortalMetrics.register(CollectorRegistry()), group="exchange-test", owner="t/0",
    )  # fmt: skip
    async with httpx.AsyncClient(transport=transport, base_url="http://standin") as portal:
        yield Rig(sync, clock, portal, published)
    await sync.client.close()
    await redis.aclose()


async def test_records_go_in_order_and_a_failing_dossier_holds_only_itself(
    rig: Rig, unique: str
) -> None:
    good, bad = f"G{unique[:8].upper()}-260302-0001", f"B{unique[:8].upper()}-260302-0001"
    await rig.portal.post("/control", json={"fail_dossiers": {bad: 500}})
    await rig.file(good)
    await rig.file(bad)
    await rig.drain()
    statuses = [e["data"].get("TrangThaiHoSo", e["data"].get("TrangThai"))
                for e in await rig.received(good)]  # fmt: skip
    assert statuses == [2, 2, 9, 9]  # dossier and progress records, receipt before resolution
    assert await rig.received(bad) == []
    state = await rig.sync.store.state(bad)
    assert (state.held, state.attempts, state.queued) == (True, 3, 4)
    [letter] = rig.published.on(dead_letter_topic(PORTAL_RECORDS))
    _, key, value, headers = letter
    assert key == bad.encode()
    assert headers["x-dlq-reason"].startswith(f"{bad} DongBoHoSoMC: failed after 3 attempt(s)")
    assert "HTTP 500" in headers["x-dlq-reason"]
    record = PortalRecord.model_validate_json(value or b"")
    assert "ChuHoSo" not in record.payload  # no personal data in a dead letter
    # the redrive: the record comes back on portal.records.v1; the dossier completes, in order
    await rig.portal.delete("/control")
    await rig.sync.on_redrive(record)
    await rig.drain()
    first, *_ = await rig.received(bad)
    assert first["key"] == record.key
    assert len(await rig.received(bad)) == 4
    await rig.sync.on_redrive(record)  # a second redrive of an acknowledged record: nothing
    await rig.drain()
    assert len(await rig.received(bad)) == 4


async def test_backoff_grows_and_a_refusal_is_dead_lettered_at_once(rig: Rig, unique: str) -> None:
    code = f"R{unique[:8].upper()}-260302-0001"
    await rig.portal.post("/control", json={"fail_dossiers": {code: 502}})
    await rig.file(code)
    waits = []
    for _ in range(2):
        await rig.sync.courier.send_head(code)
        due = await rig.sync.store.due_at(code)
        assert due is not None
        waits.append((due - rig.clock.now()).total_seconds())
        rig.clock.advance(timedelta(seconds=waits[-1]))
    assert 0.5 <= waits[0] <= 1.0 <= waits[1] <= 2.0  # 1 s, then 2 s, half-jittered
    # a record the portal refuses (a rule broken): no retry can mend it
    await rig.portal.delete("/control")
    refused = PortalRecord(code=code, call="DongBoHoSoMC", key="k-refused", cause="DossierReceived",
                           made_at=START, payload={"MaHoSo": code, "KenhThucHien": 9})  # fmt: skip
    other = f"S{unique[:8].upper()}-260302-0001"
    await rig.sync.on_redrive(refused.model_copy(update={"code": other}))
    await rig.drain(rounds=3)
    [letter] = rig.published.on(dead_letter_topic(PORTAL_RECORDS))
    assert "refused after 1 attempt(s)" in letter[3]["x-dlq-reason"]
    assert "MaTTHC is required" in letter[3]["x-dlq-reason"]
    assert json.loads(letter[2] or b"{}")["code"] == other
