"""The national portal kept in step, on the real stack (the launcher's five services and the
portal stand-in): every dossier of every channel and life reaches the stand-in, its records in
order with the national status codes and appointments, each key with one content; through an
outage of the portal, a dossier the portal keeps failing (retried, dead-lettered, redriven),
and the exchange service killed -9 mid-stream."""

import asyncio
import json
import signal
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.domain.business_calendar import VIETNAM
from shared.events.topics import PORTAL_RECORDS
from tests.support.dead_letter_tool import dead_letters
from tests.support.intake_fixtures import receipt
from tests.support.provable import assert_index_traces
from tests.support.stack import SERVICES, Stack, launched_stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
BUNDLE = "LT.KS-TT-BHYT"  # birth + residence + insurance, three agencies in turn
POLICE, INSURANCE = "CA.P.SG", "BHXH.HCM"
PORTAL_ENV = {
    "PORTAL_RATE_PER_SECOND": "500", "PORTAL_BACKOFF_SECONDS": "0.2",
    "PORTAL_BACKOFF_CAP_SECONDS": "2", "PORTAL_MAX_ATTEMPTS": "4", "APPLICANT_WAIT_SECONDS": "10",
}  # fmt: skip


@pytest.fixture(scope="module")
async def stack(
    kafka_topics: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    run_dir = tmp_path_factory.mktemp("portal")
    services = (*SERVICES, "portal", "exchange")
    async for launched in launched_stack(
        kafka_topics, f"portal-{uuid.uuid4().hex[:6]}", run_dir, env=PORTAL_ENV, services=services
    ):
        yield launched


class Desk:
    def __init__(self, client: httpx.AsyncClient, stack: Stack) -> None:
        self.client, self.stack = client, stack

    async def file(self, channel: str = "counter", **fields: Any) -> dict[str, Any]:
        returned = "postal" if channel == "postal" else "counter"
        body = receipt(submission_id=uuid.uuid4().hex, channel=channel, return_method=returned)
        body |= fields
        answer = await self.client.post(f"{self.stack.url('intake')}/v1/dossiers", json=body,
                                        headers={"X-API-Key": self.stack.key})  # fmt: skip
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def step(self, code: str, action: str, **fields: Any) -> dict[str, Any]:
        answer = await self.client.post(
            f"{self.stack.url('intake')}/v1/dossiers/{code}/{action}",
            json={"submission_id": uuid.uuid4().hex} | fields,
            headers={"X-API-Key": self.stack.key},
        )  # fmt: skip
        assert answer.status_code == 200, (action, answer.text)
        return dict(answer.json())


async def lives(desk: Desk) -> dict[str, list[int]]:
    """Dossiers on every channel through every kind of life; each code with the statuses its
    progress records must carry, in order."""
    expected: dict[str, list[int]] = {}
    supplement = (await desk.file("counter"))["code"]
    await desk.step(supplement, "request-supplement", reason="thiếu giấy khai sinh")
    await desk.step(supplement, "receive-supplement")
    await desk.step(supplement, "resolve", outcome="approved")
    await desk.step(supplement, "return")
    expected[supplement] = [2, 5, 4, 9, 10]
    paid = (await desk.file("online"))["code"]
    await desk.step(paid, "request-payment", amount_vnd=50_000, reason="lệ phí")
    await desk.step(paid, "receive-payment", method="online", amount_vnd=50_000)
    await desk.step(paid, "resolve", outcome="approved")
    await desk.step(paid, "return")
    expected[paid] = [2, 6, 4, 9, 10]
    delayed = await desk.file("postal")
    new = datetime.fromisoformat(delayed["appointment_at"]) + timedelta(days=2)
    await desk.step(
        delayed["code"], "delay", reason="cần xác minh", new_appointment_at=new.isoformat()
    )
    await desk.step(delayed["code"], "resolve", outcome="approved")
    expected[delayed["code"]] = [2, 2, 9]
    for action, status in (("withdraw", 7), ("refuse-receipt", 3), ("stop", 8)):
        code = (await desk.file("online"))["code"]
        await desk.step(code, action, reason="lý do")
        expected[code] = [2, status]
    bundle = (await desk.file("counter", procedure_code=BUNDLE))["code"]
    await desk.step(bundle, "transfer", to_agency_code=POLICE)
    await desk.step(bundle, "transfer", to_agency_code=INSURANCE)
    await desk.step(bundle, "resolve", outcome="approved")
    expected[bundle] = [2, 4, 4, 9]
    return expected


async def received(client: httpx.AsyncClient, stack: Stack, code: str) -> list[dict[str, Any]]:
    answer = await client.get(f"{stack.url('portal')}/received", params={"code": code})
    return list(answer.json())


def first_of_each_key(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for entry in entries:
        previous = seen.setdefault(entry["key"], entry)
        assert previous["data"] == entry["data"], f"key {entry['key']} sent with two contents"
    return list(seen.values())


def progress_statuses(entries: list[dict[str, Any]]) -> list[int]:
    return [e["data"]["TrangThai"] for e in entries if e["service"] == "CapNhatTienDoHoSoMC"]


async def all_arrive(client: httpx.AsyncClient, stack: Stack, expected: dict[str, list[int]],
                     within: float = 120) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    async def complete() -> dict[str, list[dict[str, Any]]] | None:
        found = {code: first_of_each_key(await received(client, stack, code)) for code in expected}
        done = all(progress_statuses(found[c]) == wanted for c, wanted in expected.items())
        return found if done else None

    return await wait_for(complete, within=within, what="every dossier's records at the portal")


async def test_every_dossier_reaches_the_portal_in_order_with_its_statuses(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        desk = Desk(client, stack)
        expected = await lives(desk)
        found = await all_arrive(client, stack, expected)
        for code, entries in found.items():
            records = [e["data"] for e in entries if e["service"] == "DongBoHoSoMC"]
            assert records[0]["TrangThaiHoSo"] == 2
            assert entries[0]["isUpdating"] is False
            assert records[0]["ChuHoSo"]  # the owner, from the applicants topic
            assert len(records[0]["SoGiayToChuHoSo"]) == 12
            assert records[-1]["TrangThaiHoSo"] == expected[code][-1]
        channels = {found[c][0]["data"]["KenhThucHien"] for c in expected}
        assert channels == {1, 2, 3}
        supplement = next(iter(expected))

        async def new_appointment() -> dict[str, Any] | None:
            entries = first_of_each_key(await received(client, stack, supplement))
            lists = [e["data"].get("DanhSachHoSoBoSung") for e in entries]
            settled = [x[0] for x in lists if x and "NgayHenTraMoi" in x[0]]
            return settled[-1] if settled else None

        entry = await wait_for(new_appointment, within=30, what="the supplement's new appointment")
        # the time limit restarted from the supplement (the same day when filed after hours)
        assert entry["NgayHenTraMoi"] >= entry["NgayHenTraTruoc"]

        async def settled() -> dict[str, Any] | None:
            sync = await client.get(f"{stack.url('exchange')}/v1/sync/{supplement}",
                                    headers={"X-API-Key": stack.key})  # fmt: skip
            assert sync.status_code == 200, sync.text
            view, at_portal = sync.json(), await received(client, stack, supplement)
            done = view["acknowledged_records"] == len(first_of_each_key(at_portal))
            return view if done and view["queued_records"] == 0 else None

        view = await wait_for(settled, within=30, what="the sync state to match the portal's")
        assert "ChuHoSo" not in json.dumps(view)  # no personal data in the sync state
        anonymous = await client.get(f"{stack.url('exchange')}/v1/sync/{supplement}")
        assert anonymous.status_code == 401


async def test_indicator_1_4_is_measured_in_the_766_answer_with_its_cells(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        desk = Desk(client, stack)
        code = (await desk.file("counter"))["code"]
        await all_arrive(client, stack, {code: [2]})
        period = datetime.now(VIETNAM).strftime("%Y-M%m")
        index = await assert_index_traces(stack, period)  # every cell is its table's
        [agency] = [a for a in index["agencies"] if a["agency"] == "UBND.P.SG"]
        subs = {s["code"]: s for g in agency["groups"] for s in g["sub_indicators"]}
        indicator = subs["dossiers_synchronised"]
        assert indicator["measured"], indicator
        cells = {c["column"]: c for c in indicator["cells"]}
        assert cells["synchronised"]["value"] <= cells["received"]["value"]
        assert cells["received"]["report"].startswith(stack.url("exchange"))
        now = datetime.now(VIETNAM)
        since = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        listed = await client.get(
            f"{stack.url('exchange')}/v1/reports/portal-sync/dossiers",
            params={"since": since.isoformat(), "until": (now + timedelta(days=1)).isoformat(),
                    "agency": "UBND.P.SG", "column": "synchronised", "limit": 10_000},
        )  # fmt: skip
        assert listed.status_code == 200, listed.text
        assert code in listed.json()["dossiers"]


async def test_an_outage_and_a_failing_dossier_hold_only_that_dossier_until_redriven(
    stack: Stack,
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        desk = Desk(client, stack)
        since = datetime.now(UTC).isoformat()  # this test's dead letters only
        await stack.kill("portal", signal.SIGTERM)  # the portal is down
        failing = (await desk.file("counter"))["code"]
        others = [(await desk.file(channel))["code"] for channel in ("online", "postal")]

        async def tried() -> bool:
            answer = await client.get(f"{stack.url('exchange')}/v1/sync/{failing}",
                                      headers={"X-API-Key": stack.key})  # fmt: skip
            last = (answer.json().get("last") or {}) if answer.status_code == 200 else {}
            return "ConnectError" in last.get("last_error", "")

        await wait_for(tried, within=30, what=f"{failing} tried against the portal that is down")
        await asyncio.sleep(30)  # the outage lasts 30 s (not a synchronisation: the scenario)
        # back, with what it had, answering 500 to that dossier alone
        stack.env["PORTAL_STANDIN_FAIL_DOSSIERS"] = f"{failing}:500"
        await stack.launcher("services-up")
        del stack.env["PORTAL_STANDIN_FAIL_DOSSIERS"]
        await all_arrive(client, stack, {code: [2] for code in others})

        async def held() -> dict[str, Any] | None:
            view = (await client.get(f"{stack.url('exchange')}/v1/sync/{failing}",
                                     headers={"X-API-Key": stack.key})).json()  # fmt: skip
            return view if view["held_for_redrive"] else None

        view = await wait_for(held, within=60, what=f"{failing} to be dead-lettered")
        assert "HTTP 500" in view["last"]["last_error"]
        assert await received(client, stack, failing) == []
        listed = await dead_letters(
            stack, PORTAL_RECORDS, "list", "--reason", failing, "--since", since
        )
        assert "1 of " in listed
        assert (await client.delete(f"{stack.url('portal')}/control")).status_code == 200
        redriven = await dead_letters(
            stack, PORTAL_RECORDS, "redrive", "--reason", failing, "--since", since
        )
        assert "redrove 1 of " in redriven
        await all_arrive(client, stack, {failing: [2]})


async def test_the_exchange_killed_mid_stream_loses_nothing(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        desk = Desk(client, stack)
        await client.post(f"{stack.url('portal')}/control", json={"delay_seconds": 0.05})
        expected: dict[str, list[int]] = {}
        for n in range(12):
            code = (await desk.file(("counter", "online", "postal")[n % 3]))["code"]
            await desk.step(code, "resolve", outcome="approved")
            expected[code] = [2, 9]

        async def some_arrived() -> bool:
            return any([await received(client, stack, code) for code in expected])

        await wait_for(some_arrived, within=60, what="the first records at the portal")
        await stack.kill("exchange")  # kill -9, mid-stream
        await stack.launcher("services-up")
        await client.delete(f"{stack.url('portal')}/control")
        await all_arrive(client, stack, expected)  # and each key with one content
