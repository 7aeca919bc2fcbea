"""The survey service layer on the in-memory store and publisher: no Redis, no Kafka."""

import json
from datetime import datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from services.survey.domain.rating_rules import RatingRejectedError, Windows
from services.survey.service.satisfaction import Satisfaction
from services.survey.store import InMemorySurveyStore
from shared.domain.business_calendar import VIETNAM
from shared.domain.clock import ManualClock
from shared.domain.rating_reasons import ReasonCategories
from shared.domain.rating_tokens import new_token, token_hash
from shared.events.dossier import DossierReceived
from shared.events.survey import SubmitRating, SubmitSurvey
from shared.events.topics import SURVEY_EVENTS, SURVEY_SUBMISSIONS, dead_letter_topic
from shared.events.vocabulary import SurveyAspect, SurveyLevel
from shared.messaging.publishing import InMemoryPublisher
from shared.web.api_keys import ApiKeys, Client, Scope
from tests.support import dossier_events as ev

NOW = datetime(2026, 3, 2, 9, tzinfo=VIETNAM)
CODE = "UBND.Q1-260302-0001"
KIOSK = Client(id="kiosk", key_sha256="1" * 64, scopes=frozenset({Scope.RATING}),
               agencies=frozenset({"UBND.Q1"}))  # fmt: skip
ELSEWHERE = Client(id="elsewhere", key_sha256="2" * 64, scopes=frozenset({Scope.RATING}),
                   agencies=frozenset({"UBND.Q3"}))  # fmt: skip


def satisfaction() -> tuple[Satisfaction, InMemorySurveyStore, InMemoryPublisher]:
    store, kafka = InMemorySurveyStore(), InMemoryPublisher()
    service = Satisfaction(
        store, ManualClock(NOW), kafka, CollectorRegistry(), Windows(), timedelta(minutes=5),
        "survey", ApiKeys([KIOSK, ELSEWHERE]), ReasonCategories.from_file(),
    )  # fmt: skip
    return service, store, kafka


def receipt(token: str) -> DossierReceived:
    event = ev.received(CODE, NOW - timedelta(days=1))
    body = event.body.model_copy(update={"rating_token_sha256": token_hash(token)})
    return event.model_copy(update={"body": body})


def rating(submission: str, **fields: object) -> SubmitRating:
    return SubmitRating.model_validate(
        {
            "submission_id": submission,
            "dossier_code": CODE,
            "level": "satisfied",
            "channel": "online",
        }
        | fields
    )


async def test_the_token_holder_rates_once_per_submission() -> None:
    service, store, kafka = satisfaction()
    token = new_token()
    await service.on_dossier_event(receipt(token))
    first = await service.rate(rating("s1", rating_token=token), None)
    again = await service.rate(rating("s1", rating_token=token), None)
    assert not first.replayed
    assert again.replayed
    assert again.event_json == first.event_json
    [(_, key, value, _)] = kafka.on(SURVEY_EVENTS)
    assert key == CODE.encode()
    assert json.loads(value or b"{}")["body"]["rating"] == "satisfied"
    assert (await store.rating(CODE)) is not None


async def test_a_wrong_token_or_another_agencys_kiosk_may_not_rate() -> None:
    service, _, kafka = satisfaction()
    await service.on_dossier_event(receipt(new_token()))
    with pytest.raises(PermissionError):
        await service.rate(rating("s1", rating_token=new_token()), None)
    with pytest.raises(PermissionError):
        await service.rate(rating("s2", channel="kiosk"), ELSEWHERE)
    assert kafka.on(SURVEY_EVENTS) == []
    await service.rate(rating("s3", channel="kiosk"), KIOSK)
    assert len(kafka.on(SURVEY_EVENTS)) == 1


async def test_a_rating_held_for_its_receipt_is_rated_when_it_arrives() -> None:
    service, store, kafka = satisfaction()
    early = rating("s1", channel="kiosk")
    await service.hold(early, early.model_dump_json(), KIOSK)
    assert kafka.on(SURVEY_EVENTS) == []
    await service.on_dossier_event(receipt(new_token()))
    assert len(kafka.on(SURVEY_EVENTS)) == 1
    assert await store.held.waiting(CODE) == []


async def test_a_rating_parked_just_after_its_receipt_was_stored_is_rated_not_left_held() -> None:
    """The race the end-to-end benchmark found: the rating looked its dossier up before the
    receipt was stored, and was parked after the receipt's release had found nothing."""
    service, store, kafka = satisfaction()
    early = rating("s1", channel="kiosk")
    await service.on_dossier_event(receipt(new_token()))  # stored (and released) first
    await service.hold(early, early.model_dump_json(), KIOSK)  # then parked
    assert len(kafka.on(SURVEY_EVENTS)) == 1
    assert await store.held.waiting(CODE) == []


async def test_a_held_rating_its_client_may_not_send_is_dead_lettered_with_why() -> None:
    service, _, kafka = satisfaction()
    early = rating("s1", channel="kiosk")
    await service.hold(early, early.model_dump_json(), ELSEWHERE)
    await service.on_dossier_event(receipt(new_token()))
    assert kafka.on(SURVEY_EVENTS) == []
    [(_, _, _, headers)] = kafka.on(dead_letter_topic(SURVEY_SUBMISSIONS))
    assert "elsewhere" in headers["x-dlq-reason"]


async def test_only_a_key_with_the_import_scope_may_date_a_survey() -> None:
    """Else anyone could file answers into a closed period and change its published figures."""
    service, _, kafka = satisfaction()
    past = NOW - timedelta(days=60)
    backdated = SubmitSurvey(submission_id="survey-old", agency_code="UBND.Q1",
                             answers={SurveyAspect.RESULT: SurveyLevel.SATISFIED},
                             occurred_at=past)  # fmt: skip
    for caller in (None, KIOSK):
        with pytest.raises(RatingRejectedError, match="only with the import scope"):
            await service.survey(backdated, caller)
    importer = Client(id="importer", key_sha256="3" * 64, scopes=frozenset({Scope.IMPORT}),
                      agencies=frozenset({"*"}))  # fmt: skip
    answer = await service.survey(backdated, importer)
    assert json.loads(answer.event_json)["occurred_at"].startswith(past.date().isoformat())
    now = await service.survey(backdated.model_copy(update={"submission_id": "survey-now",
                                                             "occurred_at": None}))  # fmt: skip
    assert json.loads(now.event_json)["occurred_at"].startswith(NOW.date().isoformat())
    assert len(kafka.on(SURVEY_EVENTS)) == 2
