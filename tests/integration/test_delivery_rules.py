"""The delivery rules on the real broker: every reader of dossier.events.v1 consumes and commits a
good event; a malformed message is dead-lettered with its reason and does not block the next."""

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from services.deadline.app import create_app as create_deadline
from services.deadline.settings import DeadlineSettings
from services.reporting.app import create_app as create_reporting
from services.reporting.settings import ReportingSettings
from services.survey.app import create_app as create_survey
from services.survey.settings import SurveySettings
from shared.events.dossier import DossierReceived, DossierReceivedBody, TimeLimit
from shared.events.topics import DOSSIER_EVENTS, dead_letter_topic
from shared.events.vocabulary import Channel, Level, ReturnMethod, SupplementPolicy, TimeUnit
from tests.support.kafka_clients import kafka_options
from tests.support.kafka_probe import committed_offset, read_all, start_group_at_end
from tests.support.running_service import running
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def dossier_received(code: str) -> DossierReceived:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    return DossierReceived(
        event_id=f"evt-{code}",
        occurred_at=now,
        recorded_at=now,
        source="test",
        body=DossierReceivedBody(
            dossier_code=code,
            agency_code="UBND.Q1",
            procedure_code="1.001",
            procedure_version="2026-01-01",
            level=Level.DISTRICT,
            field="civil_status",
            channel=Channel.COUNTER,
            clerk_id="clerk-7",
            return_method=ReturnMethod.COUNTER,
            time_limit=TimeLimit(amount=3, unit=TimeUnit.WORKING_DAYS),
            supplement_policy=SupplementPolicy.RESTART,
            appointment_at=now,
        ),
    )


@pytest.fixture
async def dossier_readers(
    kafka_topics: str, redis_url: str, unique: str
) -> AsyncIterator[dict[str, str]]:
    """deadline, survey and reporting running in-process, each in a fresh consumer group, with
    Redis keys of its own and a history that starts now (so a replay, should its state guard
    find its marker gone, reads this test's events, not the whole run's)."""
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka_topics, "REDIS_URL": redis_url,
           "REPLAY_FROM": datetime.now(UTC).isoformat()}  # fmt: skip
    groups = {name: f"{name}-test-{unique}" for name in ("deadline", "survey", "reporting")}
    for group in groups.values():
        await start_group_at_end(kafka_topics, group, DOSSIER_EVENTS)

    def own(name: str) -> dict[str, str]:
        return env | {"CONSUMER_GROUP": groups[name], "REDIS_KEY_PREFIX": groups[name]}

    apps: list[FastAPI] = [
        create_deadline(DeadlineSettings.model_validate(own("deadline"))),
        create_survey(SurveySettings.model_validate(own("survey"))),
        create_reporting(ReportingSettings.model_validate(own("reporting"))),
    ]
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(running(app))
        yield groups


async def produce(bootstrap: str, key: str, values: list[bytes]) -> list[tuple[int, int]]:
    producer = AIOKafkaProducer(**kafka_options(bootstrap), enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send_and_wait(DOSSIER_EVENTS, v, key=key.encode()) for v in values]
    finally:
        await producer.stop()
    return [(meta.partition, meta.offset) for meta in sent]


async def wait_committed(bootstrap: str, group: str, partition: int, past_offset: int) -> None:
    async def committed() -> bool:
        offset = await committed_offset(bootstrap, group, DOSSIER_EVENTS, partition)
        return offset > past_offset

    await wait_for(committed, within=60, what=f"group {group} to commit past {past_offset}")


async def test_every_reader_consumes_and_commits_a_good_event(
    kafka_topics: str, dossier_readers: dict[str, str], unique: str
) -> None:
    code = f"UBND.Q1-260302-{int(unique, 16) % 10000:04d}"
    event = dossier_received(code)
    [(partition, offset)] = await produce(kafka_topics, code, [event.model_dump_json().encode()])
    for group in dossier_readers.values():
        await wait_committed(kafka_topics, group, partition, offset)


async def test_malformed_messages_are_dead_lettered_and_the_next_good_one_consumed(
    kafka_topics: str, dossier_readers: dict[str, str], unique: str
) -> None:
    code = f"UBND.Q1-260302-{int(unique, 16) % 10000:04d}"
    key = f"poison-{unique}"
    missing_body_field = dossier_received(code).model_dump(mode="json")
    del missing_body_field["body"]["procedure_code"]
    sent = await produce(
        kafka_topics,
        key,
        [
            b"{this is not json",
            json.dumps(missing_body_field).encode(),
            dossier_received(code).model_dump_json().encode(),
        ],
    )
    partition, good_offset = sent[-1]
    for group in dossier_readers.values():
        await wait_committed(kafka_topics, group, partition, good_offset)

    letters = [
        record
        for record in await read_all(kafka_topics, dead_letter_topic(DOSSIER_EVENTS))
        if record.key == key.encode()
    ]
    by_group: dict[str, list[str]] = {}
    for record in letters:
        headers = {name: value.decode() for name, value in record.headers}
        assert headers["x-dlq-source-topic"] == DOSSIER_EVENTS
        assert int(headers["x-dlq-source-partition"]) == partition
        by_group.setdefault(headers["x-dlq-consumer-group"], []).append(headers["x-dlq-reason"])
    # Other consumer groups (a running stack, say) may dead-letter the same records too.
    for group in dossier_readers.values():
        reasons = by_group.get(group, [])
        assert len(reasons) == 2, f"group {group} dead-lettered {reasons}"
        assert reasons[0].startswith("invalid JSON")
        assert reasons[1].startswith("schema violation")
        assert "DossierReceived.body.procedure_code: Field required" in reasons[1]
