"""Citizens told of their dossier's steps, on the real stack (the launcher's services, the
gateways' stand-in, a real SMTP server with STARTTLS): once per channel chosen; nothing to an
applicant who chose none, or whose data was erased; through a gateway down for a minute,
a gateway that always fails (dead letters, redriven), the exchange service killed -9; and
no phone number or e-mail address in any log, metric or dead letter."""

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.exchange.service.notice_templates import vn_time
from shared.events.topics import INTAKE_APPLICANTS, NOTIFICATIONS, PORTAL_RECORDS, dead_letter_topic
from shared.messaging.history import partitions_of
from tests.support.dead_letter_tool import dead_letters
from tests.support.intake_fixtures import APPLICANT, receipt
from tests.support.kafka_clients import kafka_options
from tests.support.smtp_mailbox import Mailbox, smtp_mailbox
from tests.support.stack import SERVICES, Stack, launched_stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
PHONES: list[str] = []  # every test applicant's, for the leak check
EMAILS: list[str] = []


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailbox]:
    with smtp_mailbox(tmp_path_factory.mktemp("smtp")) as box:
        yield box


@pytest.fixture(scope="module")
async def stack(
    kafka_topics: str, mailbox: Mailbox, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    env = {
        "NOTIFICATION_CHANNELS": "sms,zalo,email", "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port), "SMTP_CA_FILE": str(mailbox.ca_file),
        "CONTACT_WAIT_SECONDS": "8", "NOTIFY_BACKOFF_SECONDS": "0.5",
        "NOTIFY_BACKOFF_CAP_SECONDS": "3", "NOTIFY_MAX_ATTEMPTS": "3",
    }  # fmt: skip
    services = (*SERVICES, "portal", "gateways", "exchange")
    namespace = f"notify-{uuid.uuid4().hex[:6]}"
    run_dir = tmp_path_factory.mktemp("notify")
    async for launched in launched_stack(kafka_topics, namespace, run_dir, env=env,
                                         services=services):  # fmt: skip
        yield launched


def applicant(*channels: str) -> dict[str, Any]:
    n = len(PHONES)
    phone, address = (
        f"09{uuid.uuid4().int % 10**8:08d}",
        f"citizen{n}-{uuid.uuid4().hex[:6]}@example.vn",
    )
    PHONES.append(phone)
    EMAILS.append(address)
    return APPLICANT | {"phone": phone, "email": address, "notify": list(channels)}


class Desk:
    def __init__(self, client: httpx.AsyncClient, stack: Stack) -> None:
        self.client, self.stack = client, stack
        self.headers = {"X-API-Key": stack.key}

    async def file(self, person: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = receipt(submission_id=uuid.uuid4().hex, applicant=person) | fields
        answer = await self.client.post(f"{self.stack.url('intake')}/v1/dossiers", json=body,
                                        headers=self.headers)  # fmt: skip
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def step(self, code: str, action: str, **fields: Any) -> None:
        answer = await self.client.post(
            f"{self.stack.url('intake')}/v1/dossiers/{code}/{action}",
            json={"submission_id": uuid.uuid4().hex} | fields, headers=self.headers,
        )  # fmt: skip
        assert answer.status_code == 200, (action, answer.text)

    async def choose(self, code: str, *channels: str) -> httpx.Response:
        return await self.client.put(
            f"{self.stack.url('intake')}/v1/dossiers/{code}/notifications", headers=self.headers,
            json={"submission_id": uuid.uuid4().hex, "notify": list(channels)},
        )  # fmt: skip

    async def sms(self, code: str) -> list[dict[str, Any]]:
        answer = await self.client.get(f"{self.stack.url('gateways')}/received",
                                       params={"code": code})  # fmt: skip
        return [m for m in answer.json() if m["channel"] == "sms"]

    async def journal(self, code: str) -> list[dict[str, str]]:
        answer = await self.client.get(f"{self.stack.url('exchange')}/v1/notifications/{code}",
                                       headers=self.headers)  # fmt: skip
        assert answer.status_code == 200, answer.text
        return list(answer.json()["messages"])

    async def nothing_waits(self) -> None:
        async def idle() -> bool:
            metrics = (await self.client.get(f"{self.stack.url('exchange')}/metrics")).text
            return "notifications_oldest_unsent_age_seconds 0.0" in metrics

        await wait_for(idle, within=60, what="no notice or message waiting")


@pytest.fixture
async def desk(stack: Stack) -> AsyncIterator[Desk]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield Desk(client, stack)


def once_each(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    keys = [m["key"] for m in messages]
    assert len(keys) == len(set(keys)), f"a message sent twice: {keys}"
    return {m["key"]: m for m in messages}


async def test_each_step_reaches_the_applicant_once_per_channel_chosen(
    desk: Desk, mailbox: Mailbox
) -> None:
    person = applicant("email", "sms")
    filed = await desk.file(person)
    code = filed["code"]
    await desk.step(code, "request-supplement", reason="thiếu bản sao giấy khai sinh")
    await desk.step(code, "receive-supplement")
    new = datetime.fromisoformat(filed["appointment_at"]) + timedelta(days=3)
    await desk.step(code, "delay", reason="cần xác minh", new_appointment_at=new.isoformat())
    await desk.step(code, "resolve", outcome="approved")

    async def four_each() -> list[dict[str, Any]] | None:
        sms = await desk.sms(code)
        return sms if len(sms) >= 4 and len(mailbox.to(person["email"])) >= 4 else None

    sms = await wait_for(four_each, within=90, what=f"four SMS and four mails for {code}")
    texts = [m["text"] for m in once_each(sms).values()]
    assert len(texts) == 4
    assert all(code in text for text in texts)
    assert {m["phone"] for m in sms} == {person["phone"]}
    assert any(vn_time(filed["appointment_at"]) in text for text in texts)  # the receipt
    assert any("thiếu bản sao giấy khai sinh" in text for text in texts)
    assert any(vn_time(new.isoformat()) in text for text in texts)  # the apology
    mails = mailbox.to(person["email"])
    assert len({mail["Message-ID"] for mail in mails}) == len(mails) == 4
    assert any(vn_time(new.isoformat()) in mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
               for mail in mails)  # fmt: skip
    # the receipt's rating link works with its token
    [link] = [word for text in texts for word in text.split() if "rating_token=" in word]
    query = parse_qs(urlsplit(link).query)
    assert query["dossier_code"] == [code]
    rated = await desk.client.post(f"{desk.stack.url('survey')}/v1/ratings", json={
        "submission_id": uuid.uuid4().hex, "dossier_code": code, "level": "satisfied",
        "channel": "sms", "rating_token": query["rating_token"][0]})  # fmt: skip
    assert rated.status_code == 201, rated.text
    journal = await desk.journal(code)
    messages = [j for j in journal if j["channel"] != "notice"]
    assert sorted((j["channel"], j["template"]) for j in messages) == sorted(
        (channel, kind) for channel in ("email", "sms")
        for kind in ("received", "supplement_requested", "delayed", "result_ready")
    )  # fmt: skip
    assert all(j["status"] == "sent" for j in messages)
    assert person["phone"] not in json.dumps(journal)
    # the report: the apology reached the applicant, and the count lists the dossier
    now = datetime.now(UTC)
    period = {"since": (now - timedelta(days=1)).isoformat(),
              "until": (now + timedelta(days=1)).isoformat()}  # fmt: skip
    reports = f"{desk.stack.url('exchange')}/v1/reports/notifications"
    table = (await desk.client.get(reports, params=period | {"agency": "UBND.P.SG"})).json()
    [row] = table["rows"]
    assert row["apologies_reached"] >= 1
    assert row["sent"] >= 8
    listed = await desk.client.get(f"{reports}/dossiers", params=period | {
        "agency": "UBND.P.SG", "column": "apologies_reached"})  # fmt: skip
    assert code in listed.json()["dossiers"]


async def test_no_channel_chosen_or_data_erased_sends_nothing(
    desk: Desk, stack: Stack, redis_url: str
) -> None:
    silent = (await desk.file(applicant()))["code"]
    await desk.step(silent, "resolve", outcome="approved")
    told = (await desk.file(applicant("sms")))["code"]

    async def receipt_told() -> bool:
        return len(await desk.sms(told)) == 1

    await wait_for(receipt_told, within=60, what=f"{told}'s receipt SMS")
    producer = AIOKafkaProducer(**kafka_options(stack.bootstrap))  # the erasure's tombstone
    await producer.start()
    try:
        await producer.send_and_wait(INTAKE_APPLICANTS, None, key=told.encode())
    finally:
        await producer.stop()
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    try:

        async def forgotten() -> bool:
            key = f"{stack.namespace}-exchange:notify:applicant:{told}"
            return not await redis.exists(key)

        await wait_for(forgotten, within=60, what=f"the exchange to forget {told}'s contact")
    finally:
        await redis.aclose()
    await desk.step(told, "request-supplement", reason="thiếu giấy tờ")
    await desk.nothing_waits()
    assert await desk.sms(silent) == []
    silently = {(j["channel"], j["status"]) for j in await desk.journal(silent)}
    assert silently == {("notice", "no_channel")}  # its notices, to no channel
    assert len(await desk.sms(told)) == 1  # the receipt only, before the erasure


async def test_a_later_request_changes_the_choice(desk: Desk) -> None:
    code = (await desk.file(applicant()))["code"]  # none chosen at filing

    async def receipt_folded() -> bool:  # the exchange folds the portal's record, then the notice
        found = await desk.client.get(f"{desk.stack.url('portal')}/received", params={"code": code})
        return bool(found.json())

    await wait_for(receipt_folded, within=60, what=f"the exchange to fold {code}'s receipt")
    await desk.nothing_waits()  # and the receipt's notice went to no channel
    assert (await desk.choose(code, "email")).status_code == 200  # the address given at filing
    assert (await desk.choose(code, "sms")).status_code == 200
    await desk.step(code, "request-supplement", reason="thiếu tờ khai")

    async def told() -> list[dict[str, Any]] | None:
        return await desk.sms(code) or None

    [message] = await wait_for(told, within=60, what=f"{code}'s SMS after the new choice")
    assert "thiếu tờ khai" in message["text"]  # the supplement, not the receipt before it
    assert (await desk.choose(code)).status_code == 200  # none any more
    await desk.step(code, "receive-supplement")
    await desk.step(code, "stop", reason="không đủ điều kiện")
    await desk.nothing_waits()
    assert len(await desk.sms(code)) == 1


async def test_a_gateway_down_a_minute_delays_and_one_always_failing_dead_letters(
    desk: Desk, stack: Stack
) -> None:
    gateway = f"{stack.url('gateways')}/control"
    await desk.client.post(gateway, json={"fail_status": 503, "fail_seconds": 60})
    late = (await desk.file(applicant("sms")))["code"]

    async def arrived() -> bool:
        return len(await desk.sms(late)) == 1

    await wait_for(arrived, within=150, what=f"{late}'s SMS after the gateway came back")
    since = datetime.now(UTC).isoformat()
    await desk.client.post(gateway, json={"fail_status": 500})
    lost = (await desk.file(applicant("sms")))["code"]

    async def dead_lettered() -> bool:
        return any(j["status"] == "dead_lettered" for j in await desk.journal(lost))

    await wait_for(dead_lettered, within=60, what=f"{lost}'s SMS to be dead-lettered")
    await desk.client.delete(gateway)
    listed = await dead_letters(stack, NOTIFICATIONS, "list", "--reason", lost, "--since", since)
    assert "1 of " in listed
    redriven = await dead_letters(
        stack, NOTIFICATIONS, "redrive", "--reason", lost, "--since", since
    )
    assert "redrove 1 of " in redriven

    async def delivered() -> bool:
        return len(await desk.sms(lost)) == 1

    await wait_for(delivered, within=60, what=f"{lost}'s SMS after its redrive")


async def test_the_exchange_killed_between_events_loses_and_repeats_nothing(
    desk: Desk, stack: Stack, mailbox: Mailbox
) -> None:
    person = applicant("sms", "email")
    code = (await desk.file(person))["code"]

    async def receipt_told() -> bool:
        return len(await desk.sms(code)) == 1 and len(mailbox.to(person["email"])) == 1

    await wait_for(receipt_told, within=60, what=f"{code}'s receipt")
    await stack.kill("exchange")
    await desk.step(code, "request-supplement", reason="thiếu ảnh")
    await desk.step(code, "receive-supplement")
    await desk.step(code, "stop", reason="công dân không bổ sung đúng hạn")
    await stack.launcher("services-up")

    async def all_told() -> bool:
        return len(await desk.sms(code)) >= 3 and len(mailbox.to(person["email"])) >= 3

    await wait_for(all_told, within=90, what=f"{code}'s three messages per channel")
    await desk.nothing_waits()
    assert len(once_each(await desk.sms(code))) == 3
    assert len({m["Message-ID"] for m in mailbox.to(person["email"])}) == 3


async def test_nothing_personal_reaches_a_log_a_metric_or_a_dead_letter(
    desk: Desk, stack: Stack
) -> None:
    assert PHONES  # the tests above ran and made applicants
    found: list[str] = []
    for log in sorted(Path(stack.run_dir).glob("*.log")):  # noqa: ASYNC240 (a test's files)
        if log.stem in ("gateways", "portal"):
            continue  # the outside systems' stand-ins hold what was sent to them
        text = log.read_text(errors="replace")
        found += [f"{log.name}: {p}" for p in PHONES + EMAILS if p in text]
    for service in ("intake", "deadline", "survey", "reporting", "exchange"):
        metrics = (await desk.client.get(f"{stack.url(service)}/metrics")).text
        found += [f"{service} /metrics: {p}" for p in PHONES + EMAILS if p in metrics]
    for topic in (dead_letter_topic(NOTIFICATIONS), dead_letter_topic(PORTAL_RECORDS)):
        text = await whole_topic(stack.bootstrap, topic)
        found += [f"{topic}: {p}" for p in PHONES + EMAILS if p in text]
    assert found == []


async def whole_topic(bootstrap: str, topic: str) -> str:
    consumer = AIOKafkaConsumer(**kafka_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in await partitions_of(consumer, topic)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        texts: list[str] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                texts += [(r.value or b"").decode() + json.dumps(r.headers, default=str)
                          for r in records]  # fmt: skip
        return "\n".join(texts)
    finally:
        await consumer.stop()
