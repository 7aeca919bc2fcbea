"""One contract, two stores: reporting's PostgreSQL store and its in-memory twin hold the same
facts, whatever the order and however often events come."""

import random
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from services.reporting.domain.dossier_facts import (
    FactsUpdate,
    fold_facts,
    fold_feedback,
    update_of,
)
from services.reporting.domain.feedback_reports import feedback_report
from services.reporting.store import InMemoryReportingStore, ReportingStore
from services.reporting.store.postgres import PostgresReportingStore, connect, migrate
from shared.events.envelope import Event
from shared.events.survey import (
    RatingAccepted,
    RatingAcceptedBody,
    SurveyAnswered,
    SurveyAnsweredBody,
)
from shared.events.vocabulary import Level, RatingChannel, RatingLevel, SurveyAspect, SurveyLevel
from tests.support import dossier_events as ev
from tests.support.lifecycles import START, history

CODE = "UBND.Q1-260105-0001"


@pytest.fixture(params=["memory", "postgres"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ReportingStore]:
    if request.param == "memory":
        yield InMemoryReportingStore()
        return
    if request.param == "postgres":
        request.applymarker(pytest.mark.integration)
        pool = await connect(request.getfixturevalue("postgres_url"), max_size=2)
        schema = f"contract-{uuid.uuid4().hex[:10]}"
        await migrate(pool, schema)
        yield PostgresReportingStore(pool, schema)
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()
        return


def updates(events: list[Event]) -> list[FactsUpdate]:
    return [update for event in events if (update := update_of(event)) is not None]


def rated(code: str, minutes: int, level: RatingLevel) -> RatingAccepted:
    at = START + timedelta(minutes=minutes)
    return RatingAccepted(
        event_id=f"{code}/rating/{minutes}", occurred_at=at, recorded_at=at, source="test",
        body=RatingAcceptedBody(
            dossier_code=code, agency_code="UBND.Q1", procedure_code="1.001",
            level=Level.DISTRICT, clerk_id=None, rating=level, channel=RatingChannel.ONLINE,
        ),
    )  # fmt: skip


async def test_any_order_any_number_of_times_gives_the_facts_of_one_pass(
    store: ReportingStore,
) -> None:
    events = history(seed=7, dossiers=60)
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    for first in range(0, len(shuffled), 25):
        await store.apply(updates(shuffled[first : first + 25]))
    await store.apply(updates(events[: len(events) // 2]))  # redelivered
    expected, _ = fold_facts(events)
    held = await store.dossiers_relevant_to(START - timedelta(days=1))
    assert sorted(held, key=lambda f: f.code) == sorted(expected, key=lambda f: f.code)


async def test_a_period_reads_open_dossiers_and_those_closed_within_or_after_its_start(
    store: ReportingStore,
) -> None:
    closed_early, closed_late, still_open = "XA-260105-0001", "XA-260105-0002", "XA-260105-0003"
    for code in (closed_early, closed_late, still_open):
        await store.apply(updates([ev.received(code, START)]))
    await store.apply(updates([ev.resolved(closed_early, START + timedelta(days=1))]))
    await store.apply(updates([ev.resolved(closed_late, START + timedelta(days=9))]))
    await store.apply(updates([ev.received(closed_early, START)]))  # never reopens it
    later = await store.dossiers_relevant_to(START + timedelta(days=5))
    assert sorted(f.code for f in later) == [closed_late, still_open]
    every = await store.dossiers_relevant_to(START)
    assert sorted(f.code for f in every) == [closed_early, closed_late, still_open]


async def test_an_ending_without_its_receipt_is_not_a_dossier_yet(store: ReportingStore) -> None:
    await store.apply(updates([ev.resolved(CODE, START + timedelta(days=1))]))
    assert await store.dossiers_relevant_to(START) == []
    await store.apply(updates([ev.received(CODE, START)]))
    [facts] = await store.dossiers_relevant_to(START)
    assert facts.ending is not None


async def test_the_latest_rating_counts_in_its_half_open_period(store: ReportingStore) -> None:
    late, early = rated(CODE, 90, RatingLevel.DISSATISFIED), rated(CODE, 30, RatingLevel.SATISFIED)
    await store.apply(updates([late, early]))  # the later one wins, whatever the order
    await store.apply(updates([rated("XA-260105-0002", 120, RatingLevel.VERY_SATISFIED)]))
    [kept] = await store.ratings_between(START, START + timedelta(minutes=120))
    assert kept.code == CODE
    assert kept.rating is RatingLevel.DISSATISFIED
    both = await store.ratings_between(START, START + timedelta(minutes=121))
    assert sorted(r.code for r in both) == [CODE, "XA-260105-0002"]


def surveyed(survey_id: str, minutes: int, level: SurveyLevel) -> SurveyAnswered:
    at = START + timedelta(minutes=minutes)
    return SurveyAnswered(
        event_id=survey_id, occurred_at=at, recorded_at=at, source="test",
        body=SurveyAnsweredBody(dossier_code=None, agency_code="UBND.Q1", period="2026-Q1",
                                answers={SurveyAspect.RESULT: level}),
    )  # fmt: skip


async def test_a_survey_counts_once_in_its_half_open_period(store: ReportingStore) -> None:
    first = surveyed("survey-1", 30, SurveyLevel.SATISFIED)
    await store.apply(updates([first, surveyed("survey-2", 60, SurveyLevel.NEUTRAL), first]))
    [kept] = await store.surveys_between(START, START + timedelta(minutes=60))
    assert (kept.survey_id, kept.answers) == ("survey-1", {SurveyAspect.RESULT: "satisfied"})
    both = await store.surveys_between(START, START + timedelta(minutes=61))
    assert sorted(s.survey_id for s in both) == ["survey-1", "survey-2"]


async def test_feedback_in_any_order_twice_gives_the_report_of_one_pass(
    store: ReportingStore,
) -> None:
    from tests.support.feedback_lives import EVENTS, MARCH

    expected = feedback_report(fold_feedback(EVENTS), MARCH)
    shuffled = EVENTS * 2
    random.Random(17).shuffle(shuffled)
    for first in range(0, len(shuffled), 7):
        await store.apply(updates(shuffled[first : first + 7]))
    found = await store.feedback_relevant_to(MARCH.start)
    assert feedback_report(found, MARCH) == expected
    assert len(found) == 7


async def test_facts_in_vietnamese_come_back_as_written(store: ReportingStore) -> None:
    received = ev.received(CODE, START)
    received = received.model_copy(
        update={"body": received.body.model_copy(update={"field": "Hộ tịch"})}
    )
    await store.apply(updates([received]))
    [facts] = await store.dossiers_relevant_to(START)
    assert facts.field == "Hộ tịch"
