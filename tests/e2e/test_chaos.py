"""Chaos: Redis is flushed and restarted, and reporting's read model dropped from PostgreSQL,
while desks file and move dossiers. All four services recover from Kafka (intake from its
changelogs, answering 503 meanwhile); every dossier a desk was answered for is found in the
state it was answered with; no code is given to two dossiers; and the reports equal the
independent audit's."""

import asyncio
import json
from collections import defaultdict
from datetime import datetime

import httpx
import pytest

from shared.domain.business_calendar import VIETNAM
from shared.events.topics import DOSSIER_EVENTS
from tests.support.desk_traffic import DESKS, Traffic, at_least
from tests.support.kafka_probe import read_all
from tests.support.provable import assert_reports_provable
from tests.support.stack import Stack
from tests.support.store_faults import drop_read_model, restart_redis_empty
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


async def test_redis_flushed_and_restarted_under_traffic(
    stack: Stack, redis_url: str, postgres_url: str
) -> None:
    traffic = Traffic(stack)
    desks = [asyncio.create_task(traffic.desk(n)) for n in range(DESKS)]
    try:
        await wait_for(lambda: at_least(traffic, 30), within=120, what="traffic before")
        await drop_read_model(postgres_url, f"{stack.namespace}-reporting".lower())
        await restart_redis_empty(redis_url)
        before = len(traffic.answered)
        await wait_for(lambda: at_least(traffic, before + 30), within=300, what="traffic after")
    finally:
        traffic.stop.set()
        await asyncio.gather(*desks)
    assert traffic.unavailable > 0, "intake never answered 503: was its state really lost?"
    assert "rebuilt from Kafka" in stack.log_tail("intake", 500_000)
    assert "replaying its topics" in stack.log_tail("reporting", 500_000)

    async with httpx.AsyncClient(timeout=30) as client:
        for code, status in traffic.answered.items():
            found = await client.get(f"{stack.url('intake')}/v1/dossiers/{code}")
            assert found.status_code == 200, (code, found.text)
            assert found.json()["status"] == status, code

    assert await _codes_given_twice(stack) == {}
    today = datetime.now(VIETNAM)
    period = f"{today.year}-M{today.month:02d}"
    await _wait_for_reports(stack, len(traffic.answered), period)
    await assert_reports_provable(stack, redis_url, period)


async def _codes_given_twice(stack: Stack) -> dict[str, set[str]]:
    """Codes that more than one receipt (distinct event ids) carries on dossier.events.v1,
    in this stack's history."""
    since = datetime.fromisoformat(stack.env["REPLAY_FROM"]).timestamp() * 1000
    receipts: dict[str, set[str]] = defaultdict(set)
    for record in await read_all(stack.bootstrap, DOSSIER_EVENTS):
        if record.timestamp < since:
            continue
        event = json.loads(record.value or b"{}")
        if event.get("type") == "DossierReceived":
            receipts[event["body"]["dossier_code"]].add(event["event_id"])
    return {code: ids for code, ids in receipts.items() if len(ids) > 1}


async def _wait_for_reports(stack: Stack, dossiers: int, period: str) -> None:
    url = f"{stack.url('reporting')}/v1/reports/processing"
    async with httpx.AsyncClient(timeout=30) as client:

        async def counted() -> bool:
            try:
                answer = await client.get(url, params={"period": period})
            except httpx.HTTPError:
                return False
            assert answer.status_code in (200, 503), answer.text
            return answer.status_code == 200 and answer.json()["total"]["new_total"] >= dossiers

        await wait_for(counted, within=240, what="the reports to count every dossier")
