"""The survey service on real Kafka and Redis, with a clock the tests move."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.survey.app import create_app
from services.survey.service.satisfaction import Satisfaction
from services.survey.settings import SurveySettings
from shared.domain.business_calendar import VIETNAM
from shared.domain.clock import ManualClock
from shared.events.dossier import DossierEvent
from shared.events.topics import (
    DOSSIER_EVENTS,
    FEEDBACK_EVENTS,
    SURVEY_EVENTS,
    SURVEY_SUBMISSIONS,
    dead_letter_topic,
)
from shared.web.api_keys import hash_key
from tests.support import dossier_events as ev
from tests.support.kafka_clients import kafka_options
from tests.support.kafka_probe import TopicTail, start_group_at_end
from tests.support.running_service import running
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=VIETNAM)
COUNTER = "counter-frontend-key"
DESK = "desk-frontend-key"


@dataclass
class Survey:
    client: httpx.AsyncClient
    satisfaction: Satisfaction
    clock: ManualClock
    bootstrap: str
    unique: str

    def code(self, n: int) -> str:
        return f"S{self.unique[:6].upper()}-260302-{n:04d}"

    async def rate(self, **fields: Any) -> httpx.Response:
        """A rating from the counter frontend (its key has the rating scope for every agency)."""
        body = {"submission_id": f"r-{fields.get('dossier_code')}-{len(fields)}", "level":
                "satisfied", "channel": "counter"} | fields  # fmt: skip
        return await self.client.post("/v1/ratings", json=body, headers={"X-API-Key": COUNTER})


async def publish(bootstrap: str, topic: str, key: str, payload: bytes) -> None:
    producer = AIOKafkaProducer(**kafka_options(bootstrap))
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, payload, key=key.encode(), headers=[("x-api-key", COUNTER.encode())]
        )
    finally:
        await producer.stop()


async def file(survey: Survey, *events: DossierEvent) -> None:
    for event in events:
        payload = event.model_dump_json().encode()
        await publish(survey.bootstrap, DOSSIER_EVENTS, event.body.dossier_code, payload)
    last = events[-1].body.dossier_code

    async def known() -> bool:
        return await survey.satisfaction.store.facts(last) is not None

    await wait_for(known, within=30, what=f"survey to know {last}")


@pytest.fixture
async def survey(
    kafka_topics: str, redis_url: str, unique: str, tmp_path: Path
) -> AsyncIterator[Survey]:
    keys = tmp_path / "api_keys.toml"
    keys.write_text(f'[[client]]\nid = "counter"\nkey_sha256 = "{hash_key(COUNTER)}"\n'
                    'scopes = ["rating"]\nagencies = ["*"]\n'
                    f'[[client]]\nid = "desk"\nkey_sha256 = "{hash_key(DESK)}"\n'
                    'scopes = ["frontend"]\nagencies = ["UBND.Q1"]\n')  # fmt: skip
    group = f"survey-test-{unique}"
    await start_group_at_end(kafka_topics, group, DOSSIER_EVENTS, SURVEY_SUBMISSIONS,
                             FEEDBACK_EVENTS)  # fmt: skip
    clock = ManualClock(NOW)
    settings = SurveySettings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_topics,
            "REDIS_URL": redis_url,
            "CONSUMER_GROUP": group,
            "REDIS_KEY_PREFIX": f"test-{unique}-survey",
            "RATING_HOLD_SECONDS": 30,
            "RATING_HTTP_WAIT_SECONDS": 3,
            "API_KEYS_FILE": str(keys),
        }
    )
    app = create_app(settings, clock)
    async with running(app) as client:
        yield Survey(client, app.state.runtime.state, clock, kafka_topics, unique)


async def events_for(tail: TopicTail, code: str, count: int = 1) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]] | None:
        await tail.poll()
        found = tail.values_for(code)
        return found if len(found) >= count else None

    return await wait_for(arrived, within=30, what=f"{count} survey events for {code}")


async def test_accepted_rating_is_published_with_its_dossiers_facts(
    kafka_topics: str, survey: Survey
) -> None:
    code = survey.code(1)
    await file(survey, ev.received(code, NOW - timedelta(hours=1)))
    async with TopicTail(kafka_topics, SURVEY_EVENTS) as tail:
        response = await survey.rate(dossier_code=code, submission_id="one", level="very_satisfied")
        assert response.status_code == 201, response.text
        again = await survey.rate(dossier_code=code, submission_id="one", level="very_satisfied")
        assert again.json() == response.json()
        [event] = await events_for(tail, code)
        await publish(kafka_topics, SURVEY_EVENTS, code, b"{}")  # a marker after our event
        await events_for(tail, code, 2)
    assert event["type"] == "RatingAccepted"
    assert (event["body"]["agency_code"], event["body"]["clerk_id"]) == ("UBND.Q1", "clerk-7")
    assert (event["body"]["procedure_code"], event["body"]["level"]) == ("1.001", "district")
    assert event["body"]["rating"] == "very_satisfied"
    metrics = (await survey.client.get("/metrics")).text
    line = 'survey_ratings_total{agency="UBND.Q1",channel="counter",level="very_satisfied"} 1.0'
    assert line in metrics


async def test_replacement_only_within_24_hours_and_from_the_same_channel(survey: Survey) -> None:
    code = survey.code(2)
    await file(survey, ev.received(code, NOW - timedelta(hours=1)))
    first = await survey.rate(dossier_code=code, submission_id="a", level="satisfied")
    assert first.status_code == 201
    other_channel = await survey.rate(dossier_code=code, submission_id="b", channel="online")
    assert other_channel.status_code == 409
    survey.clock.advance(timedelta(hours=23))
    replaced = await survey.rate(
        dossier_code=code, submission_id="c", level="dissatisfied", reason="chờ lâu"
    )
    assert replaced.status_code == 201
    assert replaced.json()["body"]["replaces_event_id"] == first.json()["event_id"]
    survey.clock.advance(timedelta(hours=2))  # 25 hours after the first rating
    too_late = await survey.rate(dossier_code=code, submission_id="d")
    assert too_late.status_code == 409
    assert "more than 24 hours" in too_late.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"level": "dissatisfied"}, "a reason is required when dissatisfied"),
        ({"level": "meh"}, "level"),
        ({"comment": "x" * 2001}, "comment"),
        ({"channel": "fax"}, "channel"),
    ],
)
async def test_bad_ratings_are_422_with_the_reason(
    survey: Survey, fields: dict[str, Any], where: str
) -> None:
    response = await survey.rate(dossier_code=survey.code(3), **fields)
    assert response.status_code == 422
    assert where in response.text


async def test_comments_are_stored_with_phone_and_id_numbers_masked(survey: Survey) -> None:
    code = survey.code(4)
    await file(survey, ev.received(code, NOW - timedelta(hours=1)))
    comment = "Gọi tôi 0912345678, CCCD 079203001234, cán bộ nhiệt tình"
    response = await survey.rate(dossier_code=code, comment=comment)
    assert response.status_code == 201
    stored = await survey.satisfaction.store.comment(response.json()["event_id"])
    assert stored == "Gọi tôi <phone>, CCCD <id-number>, cán bộ nhiệt tình"


async def test_http_rating_waits_for_a_dossier_in_flight_then_404s_if_still_unknown(
    survey: Survey,
) -> None:
    code = survey.code(5)
    rating = asyncio.create_task(survey.rate(dossier_code=code))
    await publish(
        survey.bootstrap, DOSSIER_EVENTS, code,
        ev.received(code, NOW - timedelta(minutes=5)).model_dump_json().encode(),
    )  # fmt: skip
    assert (await rating).status_code == 201
    unknown = await survey.rate(dossier_code=survey.code(6))
    assert unknown.status_code == 404


async def test_kafka_rating_before_its_dossier_is_held_then_accepted_or_dead_lettered(
    kafka_topics: str, survey: Survey
) -> None:
    early, never = survey.code(7), survey.code(8)
    async with (
        TopicTail(kafka_topics, SURVEY_EVENTS) as tail,
        TopicTail(kafka_topics, dead_letter_topic(SURVEY_SUBMISSIONS)) as letters,
    ):
        for code in (early, never):
            rating = {"type": "SubmitRating", "submission_id": f"k-{code}", "dossier_code": code,
                      "level": "satisfied", "channel": "kiosk"}  # fmt: skip
            await publish(kafka_topics, SURVEY_SUBMISSIONS, code, json.dumps(rating).encode())

        async def both_held() -> bool:
            held = survey.satisfaction.store.held
            return all([await held.waiting(early), await held.waiting(never)])

        await wait_for(both_held, within=30, what="both ratings held")
        await file(survey, ev.received(early, NOW - timedelta(minutes=3)))
        [accepted] = await events_for(tail, early)
        assert accepted["body"]["dossier_code"] == early
        survey.clock.advance(timedelta(seconds=31))

        async def dead_lettered() -> dict[str, str] | None:
            await letters.poll()
            for record in letters.records:
                if record.key == never.encode():
                    return {k: v.decode() for k, v in record.headers}
            return None

        headers = await wait_for(dead_lettered, within=30, what="dead letter of the held rating")
    assert headers["x-dlq-reason"].startswith(f"unknown dossier: no dossier {never} arrived")


async def test_kiosk_rating_by_clerk_attaches_to_their_latest_dossier_within_10_minutes(
    survey: Survey,
) -> None:
    older, latest = survey.code(9), survey.code(10)
    await file(
        survey,
        ev.received(older, NOW - timedelta(minutes=30)),
        ev.received(latest, NOW - timedelta(minutes=4)),
    )
    inside = await survey.rate(submission_id="kiosk-1", clerk_id="clerk-7", channel="kiosk")
    assert inside.status_code == 201, inside.text
    assert inside.json()["body"]["dossier_code"] == latest
    survey.clock.advance(timedelta(minutes=7))  # 11 minutes after the latest receipt
    outside = await survey.rate(submission_id="kiosk-2", clerk_id="clerk-7", channel="kiosk")
    assert outside.status_code == 422
    assert "no dossier in the last 10 minutes" in outside.json()["detail"]
    not_kiosk = await survey.rate(submission_id="kiosk-3", clerk_id="clerk-7", channel="online")
    assert not_kiosk.status_code == 422


async def test_periodic_survey_for_an_agency_and_period(survey: Survey) -> None:
    answers = {"access": "satisfied", "procedure": "neutral", "civil_servants": "very_satisfied",
               "result": "satisfied", "feedback_handling": "dissatisfied"}  # fmt: skip
    body = {"submission_id": "sipas-1", "agency_code": "UBND.Q1", "period": "2026-Q1",
            "answers": answers}  # fmt: skip
    response = await survey.client.post("/v1/surveys", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["body"]["answers"]["procedure"] == "neutral"
    missing = await survey.client.post("/v1/surveys", json=body | {"submission_id": "s2",
                                       "agency_code": None})  # fmt: skip
    assert missing.status_code == 422


async def test_feedback_filed_on_kafka_is_published_answered_and_an_unknown_dossier_dead_lettered(
    kafka_topics: str, survey: Survey
) -> None:
    code, unknown = survey.code(40), survey.code(41)
    await file(survey, ev.received(code, NOW - timedelta(days=1)))
    filing = {"type": "SubmitFeedback", "category": "dossier_handling", "dossier_code": code,
              "channel": "hotline", "content": "Gọi 0912345678 không ai nghe"}  # fmt: skip
    async with (
        TopicTail(kafka_topics, FEEDBACK_EVENTS) as published,
        TopicTail(kafka_topics, dead_letter_topic(SURVEY_SUBMISSIONS)) as letters,
    ):
        await publish(kafka_topics, SURVEY_SUBMISSIONS, code,
                      json.dumps(filing | {"submission_id": f"fb-{code}"}).encode())  # fmt: skip
        stray = filing | {"submission_id": f"fb-{unknown}", "dossier_code": unknown}
        await publish(kafka_topics, SURVEY_SUBMISSIONS, unknown, json.dumps(stray).encode())

        async def received() -> dict[str, Any] | None:
            await published.poll()
            found = [json.loads(r.value) for r in published.records]
            mine = [e for e in found if e["body"].get("dossier_code") == code]
            return mine[0] if mine else None

        event = await wait_for(received, within=30, what="FeedbackReceived on feedback.events.v1")
        assert (event["type"], event["body"]["agency_code"]) == ("FeedbackReceived", "UBND.Q1")
        assert "0912345678" not in event["body"]["content"]
        feedback = event["body"]["feedback_code"]
        answered = await survey.client.post(f"/v1/feedback/{feedback}/answer",
                                            json={"answer": "Đã xử lý"},
                                            headers={"X-API-Key": DESK})  # fmt: skip
        assert answered.status_code == 201, answered.text

        async def dead_lettered() -> list[Any] | None:
            await letters.poll()
            return letters.values_for(unknown) or None

        [letter] = await wait_for(dead_lettered, within=30, what="the unknown dossier's letter")
        reasons = [dict(r.headers).get("x-dlq-reason", b"").decode() for r in letters.records
                   if r.key == unknown.encode()]  # fmt: skip
        assert any(f"no dossier {unknown} is known" in reason for reason in reasons), reasons
        assert letter["type"] == "SubmitFeedback"
