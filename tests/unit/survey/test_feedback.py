"""The feedback desk on the in-memory store and publisher: filing, answering, rating, and the
state folded again from the events (a rebuild)."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.survey.domain.feedback_rules import Stage
from services.survey.domain.rating_rules import (
    DossierFacts,
    RatingConflictError,
    RatingRejectedError,
    UnknownDossierError,
)
from services.survey.service.feedback import FeedbackDesk, UnknownFeedbackError
from services.survey.store import InMemorySurveyStore
from shared.domain.business_calendar import VIETNAM
from shared.domain.clock import ManualClock
from shared.domain.feedback_categories import FeedbackCategories
from shared.events.feedback import (
    FEEDBACK_EVENT,
    AnswerFeedback,
    RateFeedbackAnswer,
    SubmitFeedback,
)
from shared.events.topics import FEEDBACK_EVENTS
from shared.events.vocabulary import Level
from shared.messaging.publishing import InMemoryPublisher
from shared.persistence.outbox import OutboxPublisher
from shared.web.api_keys import AccessDeniedError, Client, Scope

NOW = datetime(2026, 3, 2, 9, tzinfo=VIETNAM)
WARD, OTHER = "UBND.P.SG", "UBND.P.TD"
CODE = "UBND.P.SG-260227-0001"
DESK = Client(id="desk-sg", key_sha256="1" * 64, scopes=frozenset({Scope.FRONTEND}),
              agencies=frozenset({WARD}))  # fmt: skip
ELSEWHERE = Client(id="desk-td", key_sha256="2" * 64, scopes=frozenset({Scope.FRONTEND}),
                   agencies=frozenset({OTHER}))  # fmt: skip
IMPORTER = Client(id="import", key_sha256="3" * 64, scopes=frozenset({Scope.IMPORT}),
                  agencies=frozenset({"*"}))  # fmt: skip


def desk() -> tuple[FeedbackDesk, InMemorySurveyStore, InMemoryPublisher]:
    store, kafka = InMemorySurveyStore(), InMemoryPublisher()
    service = FeedbackDesk(
        store,
        ManualClock(NOW),
        OutboxPublisher(store.outbox, kafka),
        FeedbackCategories.from_file(),
    )
    return service, store, kafka


def filing(submission: str = "f1", **fields: Any) -> SubmitFeedback:
    body = {"submission_id": submission, "category": "dossier_handling", "agency_code": WARD,
            "content": "Chờ lâu quá, số tôi 0912345678"} | fields  # fmt: skip
    return SubmitFeedback.model_validate(body)


def published(kafka: InMemoryPublisher) -> list[dict[str, Any]]:
    return [json.loads(value or b"{}") for _, _, value, _ in kafka.on(FEEDBACK_EVENTS)]


async def test_a_filing_gets_a_code_and_token_and_publishes_its_limit_and_source() -> None:
    service, _, kafka = desk()
    answer = json.loads(await service.file(filing(), None))
    assert answer["feedback_code"].startswith("PA-260302-")
    assert (answer["agency_code"], answer["time_limit_days"]) == (WARD, 10)
    assert "20/2008" in answer["limit_source"]
    [event] = published(kafka)
    assert event["type"] == "FeedbackReceived"
    assert event["body"]["time_limit_days"] == 10
    assert "0912345678" not in event["body"]["content"]  # masked on the event
    assert answer["feedback_token"] not in json.dumps(event)  # only its hash travels
    again = json.loads(await service.file(filing(), None))
    assert again == answer  # the same submission: the same code and token, nothing new
    assert len(published(kafka)) == 1


async def test_a_bad_filing_is_refused_with_its_reason() -> None:
    service, store, _ = desk()
    with pytest.raises(RatingRejectedError, match="unknown category 'noise'"):
        await service.file(filing(category="noise"), None)
    with pytest.raises(RatingRejectedError, match="agency_code"):
        await service.file(filing(agency_code=None), None)
    with pytest.raises(RatingRejectedError, match="import scope"):
        await service.file(filing(occurred_at=(NOW - timedelta(days=3)).isoformat()), DESK)
    with pytest.raises(UnknownDossierError):
        await service.file(filing(dossier_code=CODE, agency_code=None), None)
    await store.remember(DossierFacts(code=CODE, agency_code=WARD, procedure_code="1.000894",
                                      level=Level.COMMUNE, clerk_id=None,
                                      received_at=NOW - timedelta(days=2)))  # fmt: skip
    with pytest.raises(RatingRejectedError, match=f"received by {WARD}, not {OTHER}"):
        await service.file(filing(dossier_code=CODE, agency_code=OTHER), None)
    about = json.loads(await service.file(filing("f2", dossier_code=CODE, agency_code=None), None))
    assert about["agency_code"] == WARD  # the dossier's agency by default


async def test_only_the_agency_addressed_answers_once_and_only_the_filer_rates() -> None:
    service, store, kafka = desk()
    filed = json.loads(await service.file(filing(), None))
    code, token = filed["feedback_code"], filed["feedback_token"]
    with pytest.raises(RatingConflictError, match="no answer to rate yet"):
        await service.rate(code, RateFeedbackAnswer(feedback_token=token, level="satisfied"))
    with pytest.raises(AccessDeniedError):
        await service.answer(
            code, AnswerFeedback(answer="Không phải việc của chúng tôi"), ELSEWHERE
        )
    first = await service.answer(code, AnswerFeedback(answer="Đã xử lý"), DESK)
    again = await service.answer(code, AnswerFeedback(answer="Một câu trả lời khác"), DESK)
    assert again == first  # one answer: a second call returns the one recorded
    with pytest.raises(AccessDeniedError, match="token does not match"):
        await service.rate(code, RateFeedbackAnswer(feedback_token="forged", level="satisfied"))
    await service.rate(code, RateFeedbackAnswer(feedback_token=token, level="dissatisfied"))
    state = await store.feedback(code)
    assert state is not None
    assert (state.stage, state.answer, state.rating) == (Stage.RATED, "Đã xử lý", "dissatisfied")
    assert [event["type"] for event in published(kafka)] == [
        "FeedbackReceived", "FeedbackAnswered", "FeedbackAnswerRated",
    ]  # fmt: skip
    with pytest.raises(UnknownFeedbackError):
        await service.answer("PA-260302-0000000000", AnswerFeedback(answer="?"), DESK)


async def test_an_import_dates_the_filing_and_the_answer_but_never_before_the_filing() -> None:
    service, _, _ = desk()
    past = NOW - timedelta(days=30)
    filed = json.loads(await service.file(filing(occurred_at=past.isoformat()), IMPORTER))
    assert datetime.fromisoformat(filed["received_at"]) == past
    before = AnswerFeedback(answer="sớm", occurred_at=past - timedelta(hours=1))
    importer = IMPORTER.model_copy(update={"scopes": frozenset({Scope.IMPORT, Scope.FRONTEND})})
    with pytest.raises(RatingRejectedError, match="before the feedback was filed"):
        await service.answer(filed["feedback_code"], before, importer)


async def test_the_events_fold_back_into_the_same_state_on_an_empty_store() -> None:
    service, store, kafka = desk()
    filed = json.loads(await service.file(filing(), None))
    code = filed["feedback_code"]
    await service.answer(code, AnswerFeedback(answer="Đã xử lý"), DESK)
    rebuilt_service, rebuilt, _ = desk()
    for event in published(kafka) * 2:  # every event, delivered twice
        await rebuilt_service.on_event(FEEDBACK_EVENT.validate_python(event))
    assert await rebuilt.feedback(code) == await store.feedback(code)
    looked_up = await rebuilt_service.lookup(code, filed["feedback_token"])
    assert looked_up.answer == "Đã xử lý"


async def test_no_client_submission_can_pre_empt_the_agencys_answer() -> None:
    service, store, _ = desk()
    filed = json.loads(await service.file(filing(), None))
    code = filed["feedback_code"]
    # someone files a survey or a rating under the submission id an answer might use
    store.answers[f"feedback-answer:{code}"] = '{"forged": true}'
    store.answers[f"{code}:answer"] = '{"forged": true}'
    with pytest.raises(AccessDeniedError):  # an outsider gets no replay of the answer either
        await service.answer(code, AnswerFeedback(answer="?"), ELSEWHERE)
    answered = json.loads(await service.answer(code, AnswerFeedback(answer="Đã xử lý"), DESK))
    assert answered["type"] == "FeedbackAnswered"
    assert answered["body"]["answer"] == "Đã xử lý"
