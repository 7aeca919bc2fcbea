"""Intake through Kafka: frontends' requests on intake.submissions.v1, and a postal partner
speaking Kafka (postal.returns.v1 in, postal.status.v1 out)."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest

from shared.events.envelope import derived_event_id
from shared.events.topics import (
    DOSSIER_EVENTS,
    INTAKE_SUBMISSIONS,
    POSTAL_RETURNS,
    POSTAL_STATUS,
    dead_letter_topic,
)
from tests.support.intake_fixtures import APPLICANT, Intake, api_key, intake, receipt
from tests.support.kafka_probe import TopicTail
from tests.support.kafka_requests import dead_letter_for, send
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
__all__ = ["intake"]


async def test_receipt_and_step_over_kafka_publish_their_events(
    kafka_topics: str, intake: Intake
) -> None:
    async with TopicTail(kafka_topics, DOSSIER_EVENTS) as tail:
        request = {"type": "ReceiveDossier", **receipt(submission_id="kafka-1")}
        await send(
            kafka_topics, INTAKE_SUBMISSIONS, "kafka-1", request, api_key("desk", intake.unique)
        )
        expected_id = derived_event_id("intake", "kafka-1")

        async def received() -> dict[str, Any] | None:
            await tail.poll()
            for record in tail.records:
                value = json.loads(record.value)
                if value["event_id"] == expected_id:
                    return dict(value)
            return None

        event = await wait_for(received, within=30, what="DossierReceived from Kafka")
        code = event["body"]["dossier_code"]
        step = {"type": "ResolveDossier", "submission_id": "kafka-2", "dossier_code": code,
                "outcome": "approved"}  # fmt: skip
        await send(kafka_topics, INTAKE_SUBMISSIONS, code, step, api_key("desk", intake.unique))

        async def resolved() -> bool:
            await tail.poll()
            return "DossierResolved" in [v["type"] for v in tail.values_for(code)]

        await wait_for(resolved, within=30, what="DossierResolved from Kafka")
    assert (await intake.client.get(f"/v1/dossiers/{code}")).json()["status"] == "resolved"


@pytest.mark.parametrize(
    ("fields", "with_key", "reason"),
    [
        ({"procedure_code": "9.999999"}, True, "unknown procedure '9.999999'"),
        ({}, False, "unauthenticated: missing API key"),
        ({"agency_code": "UBND.P.TD"}, True, "forbidden: client desk-"),
    ],
)
async def test_rejected_kafka_requests_are_dead_lettered_with_the_http_reason(
    kafka_topics: str, intake: Intake, unique: str, fields: dict[str, Any], with_key: bool,
    reason: str,
) -> None:  # fmt: skip
    submission = f"bad-{unique}-{len(fields)}-{with_key}"
    key = api_key("desk", intake.unique) if with_key else None
    async with TopicTail(kafka_topics, dead_letter_topic(INTAKE_SUBMISSIONS)) as letters:
        request = {"type": "ReceiveDossier", **receipt(submission_id=submission, **fields)}
        await send(kafka_topics, INTAKE_SUBMISSIONS, submission, request, key)
        headers = await dead_letter_for(letters, submission)
    assert headers["x-dlq-reason"].startswith(reason)
    for secret in ("079190001234", "0903123456", APPLICANT["name"]):
        assert secret not in headers["x-dlq-reason"]
    if "unknown procedure" in reason:
        http = await intake.receive(who="desk", submission_id="same", **fields)
        assert http.json()["detail"] == headers["x-dlq-reason"]


class FakePostalPartner:
    """Takes delivery orders from postal.returns.v1 and reports, per order, the next outcome
    of its script on postal.status.v1 (after a `picked_up`)."""

    def __init__(
        self, bootstrap: str, key: str, outcomes: list[str], now: Callable[[], datetime]
    ) -> None:
        self.bootstrap, self.key, self.outcomes, self.now = bootstrap, key, outcomes, now
        self.orders: list[dict[str, Any]] = []

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["FakePostalPartner"]:
        async with TopicTail(self.bootstrap, POSTAL_RETURNS) as orders:
            task = asyncio.create_task(self._serve(orders))
            try:
                yield self
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _serve(self, orders: TopicTail) -> None:
        handled = 0
        while True:
            records = await orders.poll()
            for record in records[handled:]:
                order = json.loads(record.value)
                self.orders.append(order)
                code = order["body"]["dossier_code"]
                outcome = self.outcomes.pop(0) if self.outcomes else "delivered"
                for n, status in enumerate(("picked_up", outcome)):
                    report = {
                        "type": "ReportDeliveryStatus", "submission_id": f"{order['event_id']}-{n}",
                        "dossier_code": code, "status": status,
                        "reason": "không có người nhận" if status == "failed" else None,
                        "occurred_at": self.now().isoformat(),
                    }  # fmt: skip
                    await send(self.bootstrap, POSTAL_STATUS, code, report, self.key)
            handled = len(records)


async def status_of(intake: Intake, code: str, wanted: str) -> bool:
    status: str = (await intake.client.get(f"/v1/dossiers/{code}")).json()["status"]
    return status == wanted


async def test_postal_return_delivered_and_failed_then_delivered(
    kafka_topics: str, intake: Intake
) -> None:
    postal_key = api_key("postal", intake.unique)
    partner = FakePostalPartner(kafka_topics, postal_key, ["failed"], intake.clock.now)
    async with partner.running(), TopicTail(kafka_topics, DOSSIER_EVENTS) as events:
        code = (await intake.receive(submission_id="by-post", return_method="postal")).json()[
            "code"
        ]
        await intake.act(code, "resolve", outcome="approved")
        sent = await intake.act(code, "return", cash_on_delivery_vnd=25000)
        assert sent.json()["status"] == "returning_by_post"
        await wait_for(lambda: status_of(intake, code, "resolved"), within=30, what="failed")
        again = await intake.act(code, "return")
        assert again.status_code == 200, again.text
        await wait_for(lambda: status_of(intake, code, "returned"), within=30, what="delivered")

        async def returned_event() -> list[str] | None:
            await events.poll()
            types = [v["type"] for v in events.values_for(code)]
            return types if "ResultReturned" in types else None

        types = await wait_for(returned_event, within=30, what="ResultReturned")
    assert types.count("PostalDeliveryUpdated") == 4  # picked up, failed, picked up, delivered
    first_order = partner.orders[0]["body"]
    assert first_order["recipient"]["name"] == APPLICANT["name"]
    assert first_order["recipient"]["address"]["street"] == "12 Nguyễn Huệ"
    assert first_order["cash_on_delivery_vnd"] == 25000
    for value in events.values_for(code):  # personal data never on the dossier topic
        assert APPLICANT["phone"] not in json.dumps(value, ensure_ascii=False)


async def test_invalid_postal_status_goes_to_its_dead_letter_topic(
    kafka_topics: str, intake: Intake, unique: str
) -> None:
    async with TopicTail(kafka_topics, dead_letter_topic(POSTAL_STATUS)) as letters:
        key = f"postal-bad-{unique}"
        await send(kafka_topics, POSTAL_STATUS, key, {"type": "ReportDeliveryStatus",
                   "status": "lost"}, api_key("postal", intake.unique))  # fmt: skip
        headers = await dead_letter_for(letters, key)
    assert headers["x-dlq-reason"].startswith("schema violation")
    assert "status" in headers["x-dlq-reason"]
