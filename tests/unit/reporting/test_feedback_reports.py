"""The feedback report from deadline's and survey's events: each column by its definition,
the list behind each count, and the same figures in any order, delivered any number of times."""

import random

from services.reporting.domain.dossier_facts import fold_feedback, update_of
from services.reporting.domain.feedback_reports import (
    FEEDBACK_COLUMNS,
    feedback_in,
    feedback_report,
)
from services.reporting.domain.periods import period_from
from services.reporting.store import InMemoryReportingStore
from services.reporting.tools.audit_extra import feedback_cells, fold_feedback_history
from shared.events.feedback import (
    FeedbackClassified,
)
from tests.support.feedback_lives import EVENTS, MARCH, WARD, life, vn


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
    from services.reporting.domain.dossier_facts import fold_facts

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
