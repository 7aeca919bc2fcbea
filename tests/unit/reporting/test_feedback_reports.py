"""The feedback report from deadline's and survey's events: each column by its definition,
the list behind each count, and the same figures in any order, delivered any number of times."""

import random
from datetime import datetime

from services.deadline.feedback_tracking import decide_feedback, feedback_timers, fire_feedback
from services.deadline.tracking import TimerKind, Windows
from services.reporting.audit_extra import feedback_cells, fold_feedback_history
from services.reporting.dossier_facts import fold_feedback, update_of
from services.reporting.feedback_reports import FEEDBACK_COLUMNS, feedback_in, feedback_report
from services.reporting.periods import period_from
from services.reporting.store import InMemoryReportingStore
from shared.business_calendar import VIETNAM, BusinessCalendar
from shared.events.envelope import Event
from shared.events.feedback import (
    FeedbackAnswered,
    FeedbackAnsweredBody,
    FeedbackAnswerRated,
    FeedbackAnswerRatedBody,
    FeedbackClassified,
    FeedbackReceived,
    FeedbackReceivedBody,
)

CALENDAR = BusinessCalendar()
MARCH = period_from(None, None, "2026-M03", regime=False)
WARD = "UBND.P.SG"


def vn(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=VIETNAM)


def life(code: str, filed: datetime, answered: datetime | None, rating: str | None = None,
         category: str = "conduct") -> list[Event]:  # fmt: skip
    """A feedback's events as survey and deadline publish them, overdue fired if it passed."""
    received = FeedbackReceived(
        event_id=f"{code}-r", occurred_at=filed, recorded_at=filed, source="survey",
        body=FeedbackReceivedBody(
            feedback_code=code, agency_code=WARD, category=category, about="agency",
            submitter="person", channel="hotline", time_limit_days=10, limit_source="test",
            content="...", token_sha256="0" * 64,
        ),
    )  # fmt: skip
    events: list[Event] = [received]
    decision = decide_feedback(None, received, CALENDAR)
    assert decision is not None
    tracked = decision.feedback
    events += decision.events
    overdue = next(t for t in feedback_timers(tracked, CALENDAR, Windows())
                   if t.kind is TimerKind.OVERDUE)  # fmt: skip
    if answered is None or answered > overdue.fire_at:
        fired = fire_feedback(tracked, overdue, overdue.fire_at)
        assert fired is not None
        events.append(fired)
    if answered is not None:
        answer = FeedbackAnswered(
            event_id=f"{code}-a", occurred_at=answered, recorded_at=answered, source="survey",
            body=FeedbackAnsweredBody(feedback_code=code, agency_code=WARD, category=category,
                                      answered_by="desk", answer="ok"),
        )  # fmt: skip
        events.append(answer)
        judged = decide_feedback(tracked, answer, CALENDAR)
        assert judged is not None
        events += judged.events
        if rating:
            events.append(FeedbackAnswerRated(
                event_id=f"{code}-s", occurred_at=answered, recorded_at=answered,
                source="survey",
                body=FeedbackAnswerRatedBody(feedback_code=code, agency_code=WARD,
                                             category=category, level=rating),
            ))  # fmt: skip
    return events


EVENTS = [
    *life("PA-260302-000000000A", vn(2), vn(5), "very_satisfied"),  # on time
    *life("PA-260302-000000000B", vn(2), vn(25), "dissatisfied"),  # late (due 16 March)
    *life("PA-260220-000000000C", vn(20, 2), vn(3)),  # filed in February, answered on time
    *life("PA-260323-000000000D", vn(23), None),  # pending, due 6 April: within at the end
    *life("PA-260303-000000000E", vn(3), None),  # pending, due 17 March: overdue at the end
    *life("PA-260303-000000000F", vn(3), vn(2, 4)),  # answered in April: pending overdue
    *life("PA-260302-0000000010", vn(2), vn(4), category="regulation"),
]


def test_each_column_counts_by_its_definition_and_lists_what_it_counts() -> None:
    rows, total = feedback_report(fold_feedback(EVENTS), MARCH)
    [conduct, regulation] = rows
    assert (conduct.group, regulation.group) == (f"{WARD}/conduct", f"{WARD}/regulation")
    assert conduct.received == 5  # A, B, D, E, F
    assert (conduct.answered_on_time, conduct.answered_late) == (2, 1)  # A, C; B
    assert (conduct.pending_within, conduct.pending_overdue) == (1, 2)  # D; E, F
    assert (conduct.rated, conduct.rated_satisfied, conduct.satisfied_rate) == (2, 1, 0.5)
    assert conduct.on_time_rate == round(2 / 3, 4)
    assert (total.received, total.answered_total, total.pending_total) == (6, 4, 3)
    facts = fold_feedback(EVENTS)
    for row in [*rows, total]:
        for column in FEEDBACK_COLUMNS:
            assert len(feedback_in(facts, MARCH, row.group, column)) == getattr(row, column)
    late = feedback_in(facts, MARCH, f"{WARD}/conduct", "answered_late")
    assert [f.code for f in late] == ["PA-260302-000000000B"]
    assert late[0].overdue_at is not None


async def test_the_store_gives_the_same_report_in_any_order_and_repeated() -> None:
    expected = feedback_report(fold_feedback(EVENTS), MARCH)
    shuffled = EVENTS * 2
    random.Random(16).shuffle(shuffled)
    store = InMemoryReportingStore()
    await store.apply([update for event in shuffled if (update := update_of(event))])
    found = await store.feedback_relevant_to(MARCH.start)
    assert feedback_report(found, MARCH) == expected
    # a closed period: answers after it never change it, only what is pending at its end
    february = period_from(None, None, "2026-M02", regime=False)
    as_at_february_end = life("PA-260220-000000000C", vn(20, 2), None)  # not answered yet
    before = feedback_report(fold_feedback(as_at_february_end), february)
    assert (before[1].received, before[1].pending_within) == (1, 1)
    assert feedback_report(await store.feedback_relevant_to(february.start), february) == before


def test_no_dossier_fact_is_made_of_feedback() -> None:
    from services.reporting.dossier_facts import fold_facts

    dossiers, ratings = fold_facts(EVENTS)
    assert (dossiers, ratings) == ([], [])


def test_the_audit_reads_the_same_table_and_judges_each_answer_itself() -> None:
    rows, total = feedback_report(fold_feedback(EVENTS), MARCH)
    audited = feedback_cells(fold_feedback_history(EVENTS), MARCH.start, MARCH.end)
    for row in [*rows, total]:
        for column in FEEDBACK_COLUMNS:
            assert audited[row.group][column] == getattr(row, column), (row.group, column)
    # deadline's verdict on B forged to "on time": the read model follows it, the audit not
    forged = [
        event.model_copy(update={"body": event.body.model_copy(update={"on_time": True})})
        if isinstance(event, FeedbackClassified) and event.body.feedback_code.endswith("B")
        else event
        for event in EVENTS
    ]
    _, believed = feedback_report(fold_feedback(forged), MARCH)
    audit = feedback_cells(fold_feedback_history(forged), MARCH.start, MARCH.end)
    assert (believed.answered_late, audit["total"]["answered_late"]) == (0, 1)
