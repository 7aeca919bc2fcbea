"""A dossier's full life through all four services, on each channel, on the stack the launcher
started: a counter desk over HTTP, the online portal over Kafka, a postal filing with the
return delivered by the postal partner over Kafka; a kiosk rating; the reports."""

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from demo.postal_partner import PostalPartner
from demo.traffic import applicant
from shared.events.topics import INTAKE_SUBMISSIONS, POSTAL_RETURNS
from shared.messaging.kafka_access import KafkaAccess
from tests.support.kafka_clients import kafka_options
from tests.support.kafka_probe import start_group_at_end
from tests.support.stack import Stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
APPLICANT = applicant(random.Random(0))  # made up


def filing(channel: str, return_method: str, clerk: str | None = None) -> dict[str, Any]:
    return {
        "submission_id": uuid.uuid4().hex, "procedure_code": "1.001756", "agency_code": "STP",
        "channel": channel, "clerk_id": clerk, "applicant": APPLICANT,
        "return_method": return_method,
    }  # fmt: skip


@contextlib.asynccontextmanager
async def postal_partner(stack: Stack) -> AsyncIterator[PostalPartner]:
    group = f"postal-vnpost-{stack.namespace}"  # the partner's principal owns "postal-vnpost*"
    await start_group_at_end(stack.bootstrap, group, POSTAL_RETURNS)
    kafka = KafkaAccess.resolve(stack.bootstrap, "postal-vnpost")
    partner = PostalPartner(kafka, stack.key, group=group, failure_rate=0.0)
    stop = asyncio.Event()
    task = asyncio.create_task(partner.run(stop))
    try:
        yield partner
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def send(stack: Stack, request: dict[str, Any]) -> None:
    # as the portal does: its own principal, which may write intake.submissions.v1
    producer = AIOKafkaProducer(**kafka_options(stack.bootstrap, "portal"), enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(
            INTAKE_SUBMISSIONS, json.dumps(request).encode(),
            key=str(request.get("dossier_code") or request["submission_id"]).encode(),
            headers=[("x-api-key", stack.key.encode())],
        )  # fmt: skip
    finally:
        await producer.stop()


async def status_becomes(client: httpx.AsyncClient, stack: Stack, code: str, wanted: str) -> None:
    async def reached() -> bool:
        answer = await client.get(f"{stack.url('intake')}/v1/dossiers/{code}", headers=auth(stack))
        return answer.status_code == 200 and answer.json()["status"] == wanted

    await wait_for(reached, within=60, what=f"{code} to be {wanted}")


def auth(stack: Stack) -> dict[str, str]:
    return {"X-API-Key": stack.key}


async def test_a_dossier_lives_through_all_four_services_on_each_channel(stack: Stack) -> None:
    intake, deadline = stack.url("intake"), stack.url("deadline")
    async with httpx.AsyncClient(timeout=30) as client, postal_partner(stack) as partner:
        # The counter desk, over HTTP.
        answer = await client.post(
            f"{intake}/v1/dossiers", json=filing("counter", "counter", "GDV-07"),
            headers=auth(stack),
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
        counter = answer.json()["code"]
        # The online portal, over Kafka as its own principal: its receipt (code, rating token)
        # is the answer to its submission, which it fetches from intake with its key.
        online_filing = filing("online", "online")
        await send(stack, {"type": "ReceiveDossier", **online_filing})
        submission = f"{intake}/v1/submissions/{online_filing['submission_id']}"

        async def online_receipt() -> dict[str, Any] | None:
            answer = await client.get(submission, headers=auth(stack))
            return answer.json() if answer.status_code == 200 else None

        receipt = await wait_for(online_receipt, within=60, what="the portal's receipt")
        online = receipt["code"]
        lookup = (await client.get(f"{intake}/v1/dossiers/{online}")).json()
        assert receipt["rating_token"] not in json.dumps(lookup)  # never in the public lookup
        # A postal filing, its result returned by post.
        answer = await client.post(
            f"{intake}/v1/dossiers", json=filing("postal", "postal"), headers=auth(stack)
        )
        postal = answer.json()["code"]

        for code in (counter, postal):
            step = await client.post(
                f"{intake}/v1/dossiers/{code}/resolve", headers=auth(stack),
                json={"submission_id": uuid.uuid4().hex, "outcome": "approved"},
            )  # fmt: skip
            assert step.status_code == 200, step.text
            step = await client.post(
                f"{intake}/v1/dossiers/{code}/return", headers=auth(stack),
                json={"submission_id": uuid.uuid4().hex},
            )  # fmt: skip
            assert step.status_code == 200, step.text
        for kind in ("ResolveDossier", "ReturnResult"):
            body = {"type": kind, "submission_id": uuid.uuid4().hex, "dossier_code": online}
            await status_becomes(client, stack, online, "processing" if kind == "ResolveDossier"
                                 else "resolved")  # fmt: skip
            await send(stack, body | ({"outcome": "approved"} if kind == "ResolveDossier" else {}))

        for code in (counter, online, postal):
            await status_becomes(client, stack, code, "returned")
        assert partner.delivered == 1  # the postal return went through the partner

        # Deadline tracked each one and classified it.
        for code in (counter, online, postal):

            async def classified(code: str = code) -> dict[str, Any] | None:
                answer = await client.get(f"{deadline}/v1/deadlines/{code}")
                view = answer.json() if answer.status_code == 200 else {}
                return view if view.get("classification") else None

            view = await wait_for(classified, within=60, what=f"{code} classified")
            assert view["classification"] == "early"

        # A kiosk rating of the counter dossier (the kiosk's key), an online one of the portal's
        # dossier (the applicant's rating token).
        rating = await client.post(f"{stack.url('survey')}/v1/ratings", json={
            "submission_id": uuid.uuid4().hex, "dossier_code": counter,
            "level": "very_satisfied", "channel": "kiosk",
        }, headers=auth(stack))  # fmt: skip
        assert rating.status_code == 201, rating.text
        rating = await client.post(f"{stack.url('survey')}/v1/ratings", json={
            "submission_id": uuid.uuid4().hex, "dossier_code": online, "level": "dissatisfied",
            "reason": "chờ lâu", "reason_category": "waiting_time", "channel": "online",
            "rating_token": receipt["rating_token"],
        })  # fmt: skip
        assert rating.status_code == 201, rating.text

        # The reports of this month count the three lives and the rating.
        month = time.strftime("%Y-M%m")
        reporting = stack.url("reporting")
        expected = {"received_total": 3, "new_counter": 1, "new_online": 1, "new_postal": 1,
                    "resolved_total": 3, "resolved_early": 3, "pending_total": 0}  # fmt: skip

        async def processing() -> dict[str, Any] | None:
            url = f"{reporting}/v1/reports/processing?period={month}&group_by=agency"
            total = (await client.get(url)).json()["total"]
            return total if {k: total[k] for k in expected} == expected else None

        total = await wait_for(processing, within=60, what="the processing report")
        assert total["on_time_rate"] == 1.0

        async def satisfaction() -> dict[str, Any] | None:
            url = f"{reporting}/v1/reports/satisfaction?period={month}&group_by=clerk"
            body = (await client.get(url, headers=auth(stack))).json()
            return body if body["total"]["ratings_total"] == 2 else None

        report = await wait_for(satisfaction, within=60, what="the satisfaction report")
        by_clerk = {row["group"]: row for row in report["rows"]}
        assert by_clerk["GDV-07"]["very_satisfied"] == 1
        assert report["total"]["dissatisfied_by_reason"] == {"waiting_time": 1}
        page = await client.get(f"{reporting}/v1/reports/page?period={month}")
        assert page.status_code == 200
        assert "STP" in page.text


async def test_the_demo_traffic_flows_through_the_stack(stack: Stack) -> None:
    """`python -m demo.traffic` (what `make run` starts) against the launcher's stack: every
    kind of user shows up in its progress, and the month's report grows."""
    month = time.strftime("%Y-M%m")
    url = f"{stack.url('reporting')}/v1/reports/processing?period={month}"
    async with httpx.AsyncClient(timeout=30) as client:
        before = (await client.get(url)).json()["total"]["received_total"]
        env = stack.env | {
            "INTAKE_URL": stack.url("intake"), "SURVEY_URL": stack.url("survey"),
            "REPORTING_URL": stack.url("reporting"), "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap,
        }  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            stack.env["PYTHON"], "-m", "demo.traffic", "--rate", "4", "--duration", "12",
            "--key", stack.key, "--postal", "0.3", "--online", "0.3", "--interconnected", "0.3",
            "--feedback", "0.5", "--paid", "0.5",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        async with asyncio.timeout(240):
            output = (await process.communicate())[0].decode()
        assert process.returncode == 0, output[-3000:]
        last = output.strip().splitlines()[-1]
        for kind in ("received counter", "received online", "received postal", "resolve",
                     "rated", "received interconnected", "transfer", "receive-payment",
                     "feedback answered"):  # fmt: skip
            assert kind in last, last

        async def grown() -> int | None:
            received = int((await client.get(url)).json()["total"]["received_total"])
            return received if received >= before + 20 else None

        await wait_for(grown, within=60, what="the month's report to count the demo's dossiers")
