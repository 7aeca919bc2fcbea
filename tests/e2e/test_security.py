"""The trust boundary as a table of (caller, action, expected answer), tried on the real stack
(the launcher's four services, with API keys for the callers below) and on the real broker
(SASL/SCRAM principals, ACLs from shared/messaging/kafka_principals.py)."""

import asyncio
import csv
import io
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from shared.events.topics import (
    DEADLINE_EVENTS,
    DOSSIER_EVENTS,
    FEEDBACK_DEADLINES,
    FEEDBACK_EVENTS,
    INTAKE_ANSWERS,
    INTAKE_APPLICANTS,
    INTAKE_DOSSIERS,
    INTAKE_SUBMISSIONS,
    PORTAL_RECORDS,
    POSTAL_RETURNS,
    POSTAL_STATUS,
    SURVEY_EVENTS,
    dead_letter_topic,
)
from shared.web.api_keys import hash_key
from tests.support.kafka_clients import kafka_options
from tests.support.stack import Stack, launched_stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
A, B = "STP", "SKHDT"  # two agencies of the sample catalogue
KEYS = {  # caller -> (scopes, agencies); the key of each is "<caller>-key"
    "desk-a": (["frontend", "import"], [A]),
    "desk-b": (["frontend"], [B]),
    "kiosk-a": (["rating"], [A]),
    "kiosk-b": (["rating"], [B]),
    "reports-a": (["reports"], [A]),
    "reports-b": (["reports"], [B]),
    "province": (["reports"], ["*"]),
    "admin": (["admin"], []),
}
APPLICANT = {"name": "Trần Thị Bảo", "id_number": "079190000123", "phone": "0912345678",
             "address": {"province": "TP. Hồ Chí Minh", "district": "Quận 1",
                         "commune": "Bến Nghé", "street": "1 Lê Lợi"}}  # fmt: skip


def key_of(caller: str) -> dict[str, str]:
    return {} if caller == "anonymous" else {"X-API-Key": f"{caller}-key"}


@dataclass
class Desk:
    """The stack, and dossiers of agency A (with their receipts) and of agency B."""

    stack: Stack
    client: httpx.AsyncClient
    receipts: dict[str, dict[str, Any]]

    async def receipt(self, name: str, desk: str = "desk-a", agency: str = A) -> dict[str, Any]:
        filing = {
            "submission_id": uuid.uuid4().hex, "procedure_code": "1.001756" if agency == A
            else "2.001610", "agency_code": agency, "channel": "counter", "clerk_id": "GDV-01",
            "applicant": APPLICANT, "return_method": "counter",
        }  # fmt: skip
        answer = await self.client.post(f"{self.stack.url('intake')}/v1/dossiers", json=filing,
                                         headers=key_of(desk))  # fmt: skip
        assert answer.status_code == 201, answer.text
        self.receipts[name] = answer.json()
        return self.receipts[name]


@pytest.fixture(scope="module")
async def desk(kafka_topics: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Desk]:
    run_dir = tmp_path_factory.mktemp("security")
    lines = []
    for caller, (scopes, agencies) in KEYS.items():
        lines += [
            "[[client]]", f'id = "{caller}"', f'key_sha256 = "{hash_key(caller + "-key")}"',
            f"scopes = {json.dumps(scopes)}", f"agencies = {json.dumps(agencies)}", "",
        ]  # fmt: skip
    keys = run_dir / "api_keys.toml"
    keys.write_text("\n".join(lines))
    namespace = f"sec{os.getpid()}"
    async for stack in launched_stack(kafka_topics, namespace, Path(run_dir), base_port=18600,
                                      env={"API_KEYS_FILE": str(keys)}):  # fmt: skip
        async with httpx.AsyncClient(timeout=30) as client:
            desk = Desk(stack, client, {})
            for name in ("token", "kiosk", "import", "clerk"):
                await desk.receipt(name)
            await desk.receipt("other-agency", desk="desk-b", agency=B)
            yield desk


def rating(desk: Desk, dossier: str, **fields: Any) -> dict[str, Any]:
    return {"submission_id": uuid.uuid4().hex, "dossier_code": desk.receipts[dossier]["code"],
            "level": "satisfied", "channel": "online"} | fields  # fmt: skip


BACKDATED = {"occurred_at": "2019-06-01T09:00:00+07:00"}
# (caller, what it does, expected HTTP status)
HTTP_TABLE: list[tuple[str, str, int]] = [
    ("anonymous", "rate a dossier, back-dated to 2019, without its token", 401),
    ("kiosk-a", "rate a dossier of its agency, back-dated (no import scope)", 422),
    ("anonymous", "rate a dossier with a wrong rating token", 403),
    ("anonymous", "rate a dossier with its rating token", 201),
    ("kiosk-b", "rate a dossier of agency A", 403),
    ("kiosk-a", "rate a dossier of its agency at the kiosk", 201),
    ("desk-a", "rate a dossier (a desk key without the rating scope)", 403),
    ("anonymous", "read the satisfaction report by agency", 200),
    ("anonymous", "read the clerk report", 401),
    ("reports-b", "read agency A's clerk report", 403),
    ("reports-b", "read all agencies' clerk report", 403),
    ("reports-a", "read agency A's clerk report", 200),
    ("province", "read all agencies' clerk report", 200),
    ("anonymous", "list the ratings behind the report by clerk", 401),
    ("anonymous", "look up a dossier's status (no rating token in it)", 200),
    ("anonymous", "read a procedure's recorded changes", 401),
    ("desk-a", "read a procedure's recorded changes", 403),
    ("admin", "read a procedure's recorded changes", 200),
    ("desk-b", "fetch the receipt of desk A's submission", 404),
    ("anonymous", "file feedback about agency A", 201),
    ("anonymous", "file feedback back-dated to 2019", 422),
    ("anonymous", "answer feedback to agency A", 401),
    ("desk-b", "answer feedback to agency A", 403),
    ("desk-a", "answer feedback to agency A", 201),
    ("anonymous", "read a feedback's answer with another feedback's token", 403),
    ("anonymous", "rate a feedback's answer with its token", 201),
]


async def http_action(desk: Desk, caller: str, action: str) -> httpx.Response:
    survey, reporting = desk.stack.url("survey"), desk.stack.url("reporting")
    intake = desk.stack.url("intake")
    month = {"period": (desk.receipts["token"]["received_at"][:7]).replace("-", "-M")}
    headers = key_of(caller)
    get, post = desk.client.get, desk.client.post
    token = desk.receipts["token"]["rating_token"]
    match action:
        case "rate a dossier, back-dated to 2019, without its token":
            body = rating(desk, "token", **BACKDATED)
        case "rate a dossier of its agency, back-dated (no import scope)":
            body = rating(desk, "import", channel="kiosk", **BACKDATED)
        case "rate a dossier with a wrong rating token":
            body = rating(desk, "token", rating_token="not-" + token)
        case "rate a dossier with its rating token":
            body = rating(desk, "token", rating_token=token)
        case "rate a dossier of agency A" | "rate a dossier (a desk key without the rating scope)":
            body = rating(desk, "kiosk", channel="kiosk")
        case "rate a dossier of its agency at the kiosk":
            body = rating(desk, "clerk", channel="kiosk", level="dissatisfied",
                          reason="chờ quá lâu", reason_category="waiting_time")  # fmt: skip
        case "read the satisfaction report by agency":
            return await get(f"{reporting}/v1/reports/satisfaction", params=month, headers=headers)
        case "read the clerk report" | "read all agencies' clerk report":
            params = month | {"group_by": "clerk"}
            return await get(f"{reporting}/v1/reports/satisfaction", params=params, headers=headers)
        case "read agency A's clerk report":
            params = month | {"group_by": "clerk", "agency": A}
            return await get(f"{reporting}/v1/reports/satisfaction", params=params, headers=headers)
        case "list the ratings behind the report by clerk":
            params = month | {"group_by": "clerk", "group": "GDV-01", "column": "ratings_total"}
            url = f"{reporting}/v1/reports/satisfaction/ratings"
            return await get(url, params=params, headers=headers)
        case "look up a dossier's status (no rating token in it)":
            answer = await get(f"{intake}/v1/dossiers/{desk.receipts['token']['code']}")
            assert token not in answer.text
            return answer
        case "read a procedure's recorded changes":
            return await get(f"{intake}/v1/admin/catalogue/procedures/1.001193", headers=headers)
        case "fetch the receipt of desk A's submission":
            # desk A's receipts are its own: another client's key does not find them
            filing = {
                "submission_id": "sec-receipt", "procedure_code": "1.001756", "agency_code": A,
                "channel": "online", "applicant": APPLICANT, "return_method": "online",
            }  # fmt: skip
            answer = await post(f"{intake}/v1/dossiers", headers=key_of("desk-a"), json=filing)
            assert answer.status_code == 201, answer.text
            mine = await get(f"{intake}/v1/submissions/sec-receipt", headers=key_of("desk-a"))
            assert mine.json()["rating_token"] == answer.json()["rating_token"]
            return await get(f"{intake}/v1/submissions/sec-receipt", headers=headers)
        case "file feedback about agency A" | "file feedback back-dated to 2019":
            dated = BACKDATED if "2019" in action else {}
            return await post(f"{survey}/v1/feedback", headers=headers, json=feedback(**dated))
        case "answer feedback to agency A":
            filed = await feedback_filed(desk)
            return await post(f"{survey}/v1/feedback/{filed['feedback_code']}/answer",
                              json={"answer": "Đã xử lý"}, headers=headers)  # fmt: skip
        case "read a feedback's answer with another feedback's token":
            first, other = await feedback_filed(desk), await feedback_filed(desk)
            return await get(f"{survey}/v1/feedback/{first['feedback_code']}",
                             headers={"Feedback-Token": other["feedback_token"]})  # fmt: skip
        case "rate a feedback's answer with its token":
            filed = await feedback_filed(desk)
            url = f"{survey}/v1/feedback/{filed['feedback_code']}"
            answered = await post(f"{url}/answer", json={"answer": "Đã xử lý"},
                                  headers=key_of("desk-a"))  # fmt: skip
            assert answered.status_code == 201, answered.text
            return await post(f"{survey}/v1/feedback/{filed['feedback_code']}/rating",
                              json={"feedback_token": filed["feedback_token"],
                                    "level": "satisfied"})  # fmt: skip
        case _:
            raise AssertionError(f"no such action: {action}")
    return await post(f"{survey}/v1/ratings", json=body, headers=headers)


def feedback(**fields: Any) -> dict[str, Any]:
    return {"submission_id": uuid.uuid4().hex, "category": "conduct", "agency_code": A,
            "content": "Cán bộ hướng dẫn chưa rõ"} | fields  # fmt: skip


async def feedback_filed(desk: Desk) -> dict[str, Any]:
    filed = await desk.client.post(f"{desk.stack.url('survey')}/v1/feedback", json=feedback())
    assert filed.status_code == 201, filed.text
    return dict(filed.json())


@pytest.mark.parametrize(("caller", "action", "expected"), HTTP_TABLE)
async def test_http_security_table(desk: Desk, caller: str, action: str, expected: int) -> None:
    answer = await http_action(desk, caller, action)
    assert answer.status_code == expected, f"{caller}: {action}: {answer.text[:400]}"
    if expected >= 400:
        assert answer.json()["detail"], "a refusal says what is wrong"


async def test_a_dissatisfied_ratings_reason_category_is_in_the_satisfaction_report(
    desk: Desk,
) -> None:
    answer = await http_action(desk, "kiosk-a", "rate a dossier of its agency at the kiosk")
    assert answer.status_code in (201, 409), answer.text  # 409: the table rated it already
    url = f"{desk.stack.url('reporting')}/v1/reports/satisfaction"
    period = desk.receipts["clerk"]["received_at"][:7].replace("-", "-M")

    async def counted() -> dict[str, Any] | None:
        body = (await desk.client.get(url, params={"period": period, "agency": A})).json()
        return body if body["total"]["dissatisfied_by_reason"].get("waiting_time") else None

    report = await wait_for(counted, within=60, what="the reason category in the report")
    assert report["reason_categories"]["waiting_time"].startswith("Thời gian chờ")
    listed = await desk.client.get(f"{url}/ratings", params={
        "period": period, "agency": A, "column": "reason:waiting_time"})  # fmt: skip
    assert listed.json()["count"] == report["total"]["dissatisfied_by_reason"]["waiting_time"]
    assert {line["clerk"] for line in listed.json()["ratings"]} == {None}  # no key: no names
    exported = await desk.client.get(url, params={"period": period, "agency": A, "format": "csv"})
    [heading, *_, total] = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    column = heading.index("Không hài lòng: " + report["reason_categories"]["waiting_time"])
    assert int(total[column]) == report["total"]["dissatisfied_by_reason"]["waiting_time"]


# Kafka ---------------------------------------------------------------------------------------

ANONYMOUS = "anonymous (no credentials)"
WRONG_PASSWORD = "portal, wrong password"
# (principal, action, topic, expected): read = fetch records from the topic's start, as a
# consumer of the principal's own group; write = produce one record.
KAFKA_TABLE: list[tuple[str, str, str, str]] = [
    (ANONYMOUS, "read", POSTAL_RETURNS, "unauthenticated"),
    (ANONYMOUS, "write", DOSSIER_EVENTS, "unauthenticated"),
    (WRONG_PASSWORD, "write", INTAKE_SUBMISSIONS, "unauthenticated"),
    ("postal-vnpost", "read", POSTAL_RETURNS, "allowed"),
    ("postal-vnpost", "write", POSTAL_STATUS, "allowed"),
    ("postal-vnpost", "read", DOSSIER_EVENTS, "denied"),
    ("postal-vnpost", "write", DOSSIER_EVENTS, "denied"),
    ("portal", "write", INTAKE_SUBMISSIONS, "allowed"),
    ("portal", "read", DEADLINE_EVENTS, "allowed"),
    ("portal", "write", DOSSIER_EVENTS, "denied"),
    ("portal", "read", POSTAL_RETURNS, "denied"),
    ("portal", "read", INTAKE_SUBMISSIONS, "denied"),
    ("intake", "write", DOSSIER_EVENTS, "allowed"),
    ("intake", "read", INTAKE_SUBMISSIONS, "allowed"),
    ("deadline", "write", DOSSIER_EVENTS, "denied"),
    ("reporting", "read", POSTAL_RETURNS, "denied"),
    ("reporting", "write", SURVEY_EVENTS, "denied"),
    ("survey", "read", DOSSIER_EVENTS, "allowed"),
    ("operator", "read", POSTAL_RETURNS, "allowed"),
    ("operator", "write", INTAKE_SUBMISSIONS, "denied"),
    # intake's changelogs (personal data, rating tokens): intake's alone
    ("intake", "read", INTAKE_APPLICANTS, "allowed"),
    ("intake", "write", INTAKE_ANSWERS, "allowed"),
    ("operator", "read", INTAKE_APPLICANTS, "denied"),
    ("operator", "read", INTAKE_ANSWERS, "denied"),
    ("reporting", "read", INTAKE_DOSSIERS, "denied"),
    ("portal", "read", INTAKE_APPLICANTS, "denied"),
    # feedback: survey writes its events, deadline its deadlines; nobody else
    ("survey", "write", FEEDBACK_EVENTS, "allowed"),
    ("deadline", "read", FEEDBACK_EVENTS, "allowed"),
    ("deadline", "write", FEEDBACK_DEADLINES, "allowed"),
    ("reporting", "write", FEEDBACK_DEADLINES, "denied"),
    ("portal", "write", FEEDBACK_EVENTS, "denied"),
    # the exchange service (national portal): reads the lifecycle, deadlines and applicants,
    # never the submissions; writes nothing but dead letters
    ("exchange", "read", DOSSIER_EVENTS, "allowed"),
    ("exchange", "read", DEADLINE_EVENTS, "allowed"),
    ("exchange", "read", INTAKE_APPLICANTS, "allowed"),
    ("exchange", "read", INTAKE_SUBMISSIONS, "denied"),
    ("exchange", "read", INTAKE_ANSWERS, "denied"),
    ("exchange", "write", dead_letter_topic(DEADLINE_EVENTS), "allowed"),
    ("exchange", "write", DOSSIER_EVENTS, "denied"),
    ("exchange", "write", DEADLINE_EVENTS, "denied"),
    ("exchange", "write", INTAKE_APPLICANTS, "denied"),
    ("exchange", "write", INTAKE_SUBMISSIONS, "denied"),
    ("exchange", "write", PORTAL_RECORDS, "denied"),
]


KNOWN_GROUP_OWNERS = {"postal-vnpost", "portal", "intake", "deadline", "survey", "reporting",
                      "operator", "exchange"}  # fmt: skip


def options(bootstrap: str, principal: str) -> dict[str, Any]:
    if principal == ANONYMOUS:
        return {"bootstrap_servers": bootstrap}
    if principal == WRONG_PASSWORD:
        return kafka_options(bootstrap, "portal") | {"sasl_plain_password": "guessed"}
    return kafka_options(bootstrap, principal)


PROBE = json.dumps({"type": "SecurityProbe", "note": "written by tests/e2e/test_security.py"})


async def write(settings: dict[str, Any], topic: str) -> str:
    producer = AIOKafkaProducer(**settings, request_timeout_ms=5000)
    try:
        async with asyncio.timeout(30):
            await producer.start()
            await producer.send_and_wait(topic, PROBE.encode(), key=b"security-probe")
        return "allowed"
    except KafkaError as error:
        return "denied" if "Authorization" in type(error).__name__ else "unauthenticated"
    finally:
        await producer.stop()


async def read(settings: dict[str, Any], topic: str, group: str | None) -> str:
    """`allowed` once a record is fetched; `denied` if the broker refuses to describe the
    topic or gives no record of it (it has records: the admin row and the probes see to it)."""
    admin = AIOKafkaAdminClient(**settings, request_timeout_ms=5000)
    try:
        async with asyncio.timeout(30):
            await admin.start()
            [described] = await admin.describe_topics([topic])
    except KafkaError:
        return "unauthenticated"
    finally:
        await admin.close()
    if described["error_code"] != 0:
        return "denied"
    consumer = AIOKafkaConsumer(**settings, group_id=group, enable_auto_commit=False,
                                request_timeout_ms=5000)  # fmt: skip
    try:
        await consumer.start()
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        consumer.assign(partitions)
        try:
            async with asyncio.timeout(15):
                await consumer.seek_to_beginning(*partitions)
                while not await consumer.getmany(timeout_ms=500):
                    pass
        except (TimeoutError, KafkaError):
            return "denied"
        if group is not None:
            await consumer.commit({partitions[0]: 0})  # its own group: may commit
        return "allowed"
    finally:
        await consumer.stop()


@pytest.fixture(scope="module")
async def probes(desk: Desk) -> str:
    """Every topic read holds a record, so that a read that fetches none was refused: the
    desk's dossiers are on dossier.events.v1 (and their due dates on deadline.events.v1); a
    probe record, which every consumer refuses or ignores, goes to the other two."""
    for topic in (POSTAL_RETURNS, INTAKE_SUBMISSIONS):
        assert await write(kafka_options(desk.stack.bootstrap), topic) == "allowed"
    return desk.stack.bootstrap


@pytest.mark.parametrize(("principal", "action", "topic", "expected"), KAFKA_TABLE)
async def test_kafka_security_table(
    probes: str, principal: str, action: str, topic: str, expected: str
) -> None:
    settings = options(probes, principal)
    group = f"{principal}-security" if principal in KNOWN_GROUP_OWNERS else None
    outcome = await (write(settings, topic) if action == "write" else read(settings, topic, group))
    assert outcome == expected, f"{principal} {action} {topic}"


async def test_a_principal_may_not_use_another_principals_consumer_group(probes: str) -> None:
    consumer = AIOKafkaConsumer(**options(probes, "postal-vnpost"), group_id="intake",
                                enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    try:
        partition = TopicPartition(POSTAL_RETURNS, 0)
        consumer.assign([partition])
        with pytest.raises(KafkaError, match="GroupAuthorizationFailed"):
            await consumer.commit({partition: 0})
    finally:
        await consumer.stop()
