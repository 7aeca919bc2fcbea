"""The reports computed from facts, against the hand-computed month (no Redis, no Kafka)."""

from dataclasses import asdict
from typing import Any

from services.reporting.domain.dossier_facts import DossierFacts, fold_facts
from services.reporting.domain.periods import named_period
from services.reporting.domain.projections import processing_report
from tests.support.report_scenario import (
    MARCH_TOTAL,
    MARCH_TOTAL_AFTER_LATE_EVENT,
    late_events,
    march_events,
)


def fold(events: list[Any]) -> list[DossierFacts]:
    return fold_facts(events)[0]


def test_march_table_matches_the_hand_computed_figures() -> None:
    events, _ = march_events("UBND.Q1")
    rows, total = processing_report(fold(events), named_period("2026-M03"), "agency")
    assert asdict(total) == MARCH_TOTAL
    assert [row.group for row in rows] == ["UBND.Q1"]


def test_a_late_event_corrects_its_past_period() -> None:
    events, codes = march_events("UBND.Q1")
    _, total = processing_report(
        fold(events + late_events(codes)), named_period("2026-M03"), "agency"
    )
    assert asdict(total) == MARCH_TOTAL_AFTER_LATE_EVENT


def test_february_sees_its_own_figures() -> None:
    events, _ = march_events("UBND.Q1")
    _, total = processing_report(fold(events), named_period("2026-M02"), "agency")
    # A, B, J received in February; B resolved early; A and J still open at the end.
    assert (total.received_total, total.resolved_early, total.pending_total) == (3, 1, 2)
