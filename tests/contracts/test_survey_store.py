"""One contract, two stores: survey's Redis store (scripts checked for undeclared keys) and its
in-memory twin must behave the same."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.survey.domain.rating_rules import DossierFacts, StoredRating
from services.survey.store import InMemorySurveyStore, RedisSurveyStore, SurveyStore
from shared.events.topics import SURVEY_EVENTS
from shared.events.vocabulary import Level, RatingChannel, RatingLevel
from shared.persistence.outbox import ConflictError, OutboxEntry
from tests.support.lua_key_check import KeyCheckingRedis

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CODE = "UBND.Q1-260302-0001"


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[SurveyStore]:
    if request.param == "memory":
        yield InMemorySurveyStore()
        return
    request.applymarker(pytest.mark.integration)
    redis = KeyCheckingRedis(request.getfixturevalue("redis_url"))
    prefix = f"contract-{uuid.uuid4().hex[:10]}"
    yield RedisSurveyStore(redis, prefix, answer_window=timedelta(days=7))
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def facts(code: str = CODE, clerk: str | None = "clerk-7", at: datetime = NOW) -> DossierFacts:
    return DossierFacts(code=code, agency_code="UBND.Q1", procedure_code="1.001",
                        level=Level.DISTRICT, clerk_id=clerk, received_at=at)  # fmt: skip


def rating(event_id: str, level: RatingLevel = RatingLevel.SATISFIED) -> StoredRating:
    return StoredRating(event_id=event_id, channel=RatingChannel.ONLINE, first_rated_at=NOW,
                        rating=level)  # fmt: skip


def entry(event_id: str) -> OutboxEntry:
    return OutboxEntry(SURVEY_EVENTS, CODE, f'{{"event_id": "{event_id}"}}')


async def rate(
    store: SurveyStore, submission: str, stored: StoredRating, expected: StoredRating | None,
    comment: str | None = None,
) -> object:  # fmt: skip
    return await store.commit_rating(
        submission_id=submission, code=CODE, expected=expected, stored=stored,
        result=f'{{"answer": "{submission}"}}', comment=comment, entry=entry(stored.event_id),
    )  # fmt: skip


async def test_facts_are_kept_per_dossier_and_the_clerks_newest(store: SurveyStore) -> None:
    older, newer = facts("A-1", at=NOW), facts("A-2", at=NOW + timedelta(hours=1))
    await store.remember(newer)
    await store.remember(older)  # arrives late: the clerk's newest stays
    await store.remember(facts("A-3", clerk=None))
    assert await store.facts("A-1") == older
    assert await store.facts("missing") is None
    assert await store.clerk_latest("clerk-7") == newer
    assert await store.clerk_latest("nobody") is None
    returned = older.model_copy(update={"returned": True})
    await store.remember(returned)
    assert await store.facts("A-1") == returned


async def test_a_rating_commits_once_per_submission(store: SurveyStore) -> None:
    first = await store.commit_rating(
        submission_id="s1", code=CODE, expected=None, stored=rating("r1"),
        result='{"answer": 1}', comment="masked text", entry=entry("r1"),
    )  # fmt: skip
    assert not first.replayed
    assert [e.event for e in first.outbox] == ['{"event_id": "r1"}']
    assert await store.rating(CODE) == rating("r1")
    assert await store.comment("r1") == "masked text"
    assert await store.replay("s1") == '{"answer": 1}'
    again = await store.commit_rating(
        submission_id="s1", code=CODE, expected=None, stored=rating("r9"),
        result='{"answer": 9}', comment=None, entry=entry("r9"),
    )  # fmt: skip
    assert again.replayed
    assert again.answer == '{"answer": 1}'
    assert await store.rating(CODE) == rating("r1")


async def test_a_rating_decided_against_a_stale_rating_is_refused(store: SurveyStore) -> None:
    await rate(store, "s1", rating("r1"), expected=None)
    with pytest.raises(ConflictError):
        await rate(store, "s2", rating("r2"), expected=None)
    await rate(store, "s3", rating("r3", RatingLevel.DISSATISFIED), expected=rating("r1"))
    assert await store.rating(CODE) == rating("r3", RatingLevel.DISSATISFIED)
    assert await store.replay("s2") is None
    assert await store.comment("r3") is None


async def test_events_wait_in_the_outbox_until_acknowledged(store: SurveyStore) -> None:
    taken = await store.commit_survey(
        submission_id="v1", key="survey-1", event_id="e1", result="{}", comment="c",
        entry=entry("e1"),
    )  # fmt: skip
    assert len(taken.outbox) == 1  # this caller holds the lock and publishes
    queued = await store.commit_survey(
        submission_id="v2", key="survey-1", event_id="e2", result="{}", comment=None,
        entry=entry("e2"),
    )  # fmt: skip
    assert queued.outbox == ()  # the lock is held: the holder (or the relay) publishes it
    assert await store.outbox.pending() == ["survey-1"]
    assert len(await store.outbox.entries("survey-1")) == 2
    await store.outbox.acknowledge("survey-1", 2)
    assert await store.outbox.pending() == []
    assert await store.comment("e1") == "c"


async def test_held_ratings_wait_per_dossier_until_released(store: SurveyStore) -> None:
    await store.held.park(CODE, "one", NOW + timedelta(minutes=5))
    await store.held.park(CODE, "two", NOW + timedelta(minutes=9))
    assert await store.held.waiting(CODE) == ["one", "two"]
    assert await store.held.expired(NOW + timedelta(minutes=4)) == []
    assert await store.held.expired(NOW + timedelta(minutes=5)) == [CODE]
    await store.held.release(CODE)
    assert await store.held.waiting(CODE) == []
    assert await store.held.expired(NOW + timedelta(hours=1)) == []


@pytest.mark.integration
async def test_redis_keeps_answers_for_the_idempotency_window_only(redis_url: str) -> None:
    redis = KeyCheckingRedis(redis_url)
    store = RedisSurveyStore(redis, f"contract-{uuid.uuid4().hex[:10]}", timedelta(days=7))
    await rate(store, "s1", rating("r1"), expected=None)
    ttl_ms = await redis.pttl(store.submission_key("s1"))
    await redis.aclose()
    assert timedelta(days=7) - timedelta(minutes=1) < timedelta(milliseconds=ttl_ms)
    assert timedelta(milliseconds=ttl_ms) <= timedelta(days=7)


async def test_a_feedback_moves_one_stage_at_a_time_against_what_was_read(
    store: SurveyStore,
) -> None:
    from services.survey.domain.feedback_rules import FeedbackState, Stage

    filed = FeedbackState(code="PA-260302-00000000AB", agency_code="UBND.P.SG",
                          category="conduct", stage=Stage.RECEIVED, received_at=NOW,
                          time_limit_days=10, token_sha256="0" * 64)  # fmt: skip
    answered = filed.model_copy(update={"stage": Stage.ANSWERED, "answer": "ok",
                                        "answered_at": NOW + timedelta(days=1)})  # fmt: skip
    first = await store.commit_feedback(submission_id="f1", expected=None, state=filed,
                                        result='{"a": 1}', entry=entry("e1"))  # fmt: skip
    assert not first.replayed
    replay = await store.commit_feedback(submission_id="f1", expected=None, state=filed,
                                         result='{"a": 2}', entry=entry("e1"))  # fmt: skip
    assert (replay.replayed, replay.answer) == (True, '{"a": 1}')
    with pytest.raises(ConflictError):  # filed again under another submission: it exists
        await store.commit_feedback(submission_id="f2", expected=None, state=filed,
                                    result="{}", entry=entry("e2"))  # fmt: skip
    assert not await store.save_feedback(None, answered)  # read as absent: refused
    step = await store.commit_feedback_step(step="answer", expected=filed, state=answered,
                                            result='{"answer": 1}', entry=entry("e3"))  # fmt: skip
    assert (step.replayed, await store.step_replay(filed.code, "answer")) == (
        False,
        '{"answer": 1}',
    )
    assert await store.replay(f"{filed.code}:answer") is None  # apart from clients' submissions
    again = await store.commit_feedback_step(step="answer", expected=filed, state=answered,
                                             result='{"answer": 2}', entry=entry("e3"))  # fmt: skip
    assert (again.replayed, again.answer) == (True, '{"answer": 1}')
    assert await store.feedback(filed.code) == answered
    assert not await store.save_feedback(filed, answered)  # no longer at the stage read
    assert await store.feedback("PA-260302-0000000000") is None
