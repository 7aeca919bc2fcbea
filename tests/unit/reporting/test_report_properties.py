"""Properties of the reports over random legal lifecycles (hypothesis): every row of every
grouping and period balances; a closed period does not change when only later events are
added; the order and repetition of delivery change nothing."""

import asyncio
import random
from dataclasses import asdict
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting.domain.dossier_facts import fold_facts, update_of
from services.reporting.domain.periods import Period
from services.reporting.domain.projections import (
    COUNT_COLUMNS,
    GROUPINGS,
    ProcessingRow,
    dossiers_in,
    processing_report,
)
from services.reporting.domain.units import UnitView
from services.reporting.store import InMemoryReportingStore
from services.reporting.tools import audit_fold
from services.reporting.tools.audit import UNIT_READINGS
from shared.domain.admin_units import UNITS_FILE, MapReading, Tier, UnitMap
from shared.events.envelope import Event
from tests.support.lifecycles import history

periods = st.builds(
    lambda first, length: Period(first, first + timedelta(days=length)),
    st.dates(min_value=date(2025, 12, 20), max_value=date(2026, 6, 30)),
    st.sampled_from([0, 6, 13, 29, 30, 90, 181]),
)
histories = st.builds(history, st.integers(0, 10**6), st.integers(1, 30))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(events=histories, period=periods, grouping=st.sampled_from(GROUPINGS))
def test_every_row_balances(events: list[Event], period: Period, grouping: str) -> None:
    rows, total = processing_report(fold_facts(events)[0], period, grouping)
    for row in [*rows, total]:
        assert row.balances(), asdict(row)
        assert row.new_total == row.new_online + row.new_counter + row.new_postal
        assert row.pending_total == row.pending_within + row.pending_overdue + row.paused
        assert row.resolved_total >= row.resolved_early + row.resolved_on_time + row.resolved_late


@SETTINGS
@given(events=histories, period=periods)
def test_a_closed_period_does_not_change_when_only_later_events_are_added(
    events: list[Event], period: Period
) -> None:
    by_then = [event for event in events if event.occurred_at < period.end]
    for grouping in GROUPINGS:
        before = processing_report(fold_facts(by_then)[0], period, grouping)
        after = processing_report(fold_facts(events)[0], period, grouping)
        assert [asdict(row) for row in after[0]] == [asdict(row) for row in before[0]]
        assert asdict(after[1]) == asdict(before[1])


@SETTINGS
@given(events=histories, period=periods, seed=st.integers(0, 1000))
def test_late_repeated_and_reordered_delivery_gives_the_same_report(
    events: list[Event], period: Period, seed: int
) -> None:
    delivered = events + random.Random(seed).sample(events, len(events) // 3)
    random.Random(seed).shuffle(delivered)
    store = InMemoryReportingStore()
    asyncio.run(store.apply([update for e in delivered if (update := update_of(e))]))
    facts = asyncio.run(store.dossiers_relevant_to(period.start))
    _, in_order = processing_report(fold_facts(events)[0], period, "agency")
    _, shuffled = processing_report(facts, period, "agency")
    assert asdict(shuffled) == asdict(in_order)


@SETTINGS
@given(events=histories, period=periods)
def test_every_count_lists_exactly_its_dossiers(events: list[Event], period: Period) -> None:
    facts = fold_facts(events)[0]
    rows, total = processing_report(facts, period, "agency")
    for column in COUNT_COLUMNS:
        assert len(dossiers_in(facts, period, "agency", None, column)) == getattr(total, column)
        for row in rows:
            listed = dossiers_in(facts, period, "agency", row.group, column)
            assert len(listed) == getattr(row, column)


@SETTINGS
@given(events=histories, period=periods, grouping=st.sampled_from(GROUPINGS))
def test_the_independent_audit_agrees_with_the_read_model(
    events: list[Event], period: Period, grouping: str
) -> None:
    """Two implementations of the definitions (a replay per dossier, with its own
    classification; and the read model's facts with deadline's) give the same cells."""
    rows, total = processing_report(fold_facts(events)[0], period, grouping)
    audited = audit_fold.processing_cells(audit_fold.fold(events), period.start, period.end,
                                          grouping)  # fmt: skip
    assert_same_cells(rows, total, audited)


UNITS = UnitMap.from_file(UNITS_FILE)
AGENCY_UNITS = {"UBND.Q1": "HCM.Q1", "STP": "HCM", "UBND.P.BN": "HCM.Q1.BEN-NGHE"}


@SETTINGS
@given(events=histories, period=periods, reading=st.sampled_from(UNIT_READINGS))
def test_the_independent_audit_agrees_with_the_read_model_by_unit(
    events: list[Event], period: Period, reading: tuple[MapReading, Tier]
) -> None:
    """By unit: the audit places each dossier on the map itself (ByUnit), the service through
    its UnitView; both give the same cells, as the map was and as it is, at every tier."""
    today = date(2026, 11, 1)
    view = UnitView(UNITS, AGENCY_UNITS, *reading, today)
    rows, total = processing_report(fold_facts(events)[0], period, view.row)
    by_unit = audit_fold.ByUnit(UNITS, AGENCY_UNITS, *reading, today)
    audited = audit_fold.processing_cells(audit_fold.fold(events), period.start, period.end,
                                          by_unit)  # fmt: skip
    assert_same_cells(rows, total, audited)


def assert_same_cells(
    rows: list[ProcessingRow], total: ProcessingRow, audited: audit_fold.Table
) -> None:
    for row in [*rows, total]:
        for column in COUNT_COLUMNS:
            assert getattr(row, column) == audited.get(row.group, {}).get(column, 0), (
                row.group, column)  # fmt: skip
    assert set(audited) <= {row.group for row in rows} | {"total"}
