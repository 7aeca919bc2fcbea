"""The reports computed from facts, against the hand-computed month (no Redis, no Kafka)."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.reporting.periods import named_period
from services.reporting.projections import DossierFacts, processing_report
from shared.events import deadline as dl
from shared.events import dossier as de
from tests.report_scenario import (
    MARCH_TOTAL,
    MARCH_TOTAL_AFTER_LATE_EVENT,
    late_events,
    march_events,
)


def fold(events: list[Any]) -> list[DossierFacts]:
    """A plain in-memory fold with the projector's rules, as a cross-check of the arithmetic."""
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        facts = rows.setdefault(event.body.dossier_code, {"code": event.body.dossier_code})
        at: datetime = event.occurred_at
        if isinstance(event, de.DossierReceived):
            facts.update(agency=event.body.agency_code, level=event.body.level.value,
                         field=event.body.field, procedure=event.body.procedure_code,
                         channel=event.body.channel, received_at=at)  # fmt: skip
        elif isinstance(event, de.DossierResolved):
            facts.update(resolved_at=at, closed_at=min(at, facts.get("closed_at", at)))
        elif isinstance(event, de.DossierWithdrawn):
            facts.update(closed_at=min(at, facts.get("closed_at", at)))
        elif isinstance(event, de.SupplementRequested):
            facts["pauses"] = (*facts.get("pauses", ()), (at, True))
        elif isinstance(event, dl.DeadlineSet):
            facts["due_at"] = event.body.due_at
        elif isinstance(event, dl.DossierClassified):
            facts["classification"] = event.body.classification
            facts["apology_sent"] = event.body.apology_sent
    return [DossierFacts(**facts) for facts in rows.values() if "received_at" in facts]


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
