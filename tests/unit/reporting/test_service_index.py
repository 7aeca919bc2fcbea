"""The 766 index from report rows: points are the maximum times the ratio of the cells it
names; what the system holds no data for is not measured (never 0) and says what it needs."""

from datetime import datetime
from typing import Any

from services.reporting.domain.digital_reports import digital_in, digital_report
from services.reporting.domain.dossier_facts import fold_facts
from services.reporting.domain.feedback_reports import FeedbackRow
from services.reporting.domain.periods import period_from
from services.reporting.domain.projections import ProcessingRow, SatisfactionRow
from services.reporting.domain.service_index import AgencyFigures, agency_index, index_lines
from services.reporting.domain.sync_figures import SyncCounts, SyncFigures
from shared.domain.business_calendar import VIETNAM
from shared.events import dossier as lifecycle
from shared.events.vocabulary import Channel, PaymentMethod
from tests.support import dossier_events as ev

MARCH = period_from(None, None, "2026-M03", regime=False)


def subs(index: dict[str, Any]) -> dict[str, dict[str, Any]]:
    groups = index["groups"]
    return {s["code"]: s for g in groups for s in g["sub_indicators"]}


def test_measured_sub_indicators_score_their_cells_and_the_rest_say_what_they_need() -> None:
    processing = ProcessingRow("UBND.P.SG", resolved_total=8, resolved_early=5,
                               resolved_on_time=1, resolved_late=2, pending_total=2,
                               pending_within=1, paused=1)  # fmt: skip
    rated = SatisfactionRow("UBND.P.SG", ratings_total=4, very_satisfied=2, satisfied=1,
                            dissatisfied=1)  # fmt: skip
    feedback = FeedbackRow("total", None, None, answered_total=2, answered_on_time=1)
    index = agency_index(AgencyFigures("UBND.P.SG", processing, rated, feedback, None))
    found = subs(index)
    # (5 + 1 + 1 + 1) / (8 + 2) of 20
    assert (found["on_time_handling"]["points"], found["on_time_handling"]["value"]) == (16.0, 0.8)
    assert found["procedure_satisfaction"]["points"] == 4.5  # 6 x 3/4
    assert found["feedback_on_time"]["points"] == 3.0  # 6 x 1/2
    for missing in ("feedback_satisfaction", "fully_online_filing", "online_payment",
                    "papers_digitised", "electronic_results", "procedures_published_on_time",
                    "other_publicity", "dossiers_synchronised"):  # fmt: skip
        assert (found[missing]["measured"], found[missing]["points"]) == (False, None)
        assert found[missing]["needs"]
    assert index["points"] == 23.5
    assert index["not_measured_points"] == 18 + 22 + 22 + 6
    assert index["max_points"] == 100
    cells = {(c["column"], c["value"]) for c in found["on_time_handling"]["cells"]}
    assert cells == {("resolved_early", 5), ("resolved_on_time", 1), ("pending_within", 1),
                     ("paused", 1), ("resolved_total", 8), ("pending_total", 2)}  # fmt: skip
    lines = index_lines(index)
    assert len(lines) == 11  # a line per sub-indicator
    assert {line["group"] for line in lines} == {
        "publicity", "progress", "online", "satisfaction", "digitisation"
    }  # fmt: skip


def test_the_digital_facts_count_only_where_their_events_recorded_them() -> None:
    at = datetime(2026, 3, 2, 9, tzinfo=VIETNAM)
    online = ev.received("UBND.P.SG-260302-0001", at, agency="UBND.P.SG")
    facts = {"fully_online": True, "papers_digitised": True, "channel": Channel.ONLINE}
    online = online.model_copy(update={"body": online.body.model_copy(update=facts)})
    unrecorded = ev.received("UBND.P.SG-260302-0002", at, agency="UBND.P.SG")
    paid = lifecycle.PaymentReceived(
        event_id="p", occurred_at=at, recorded_at=at, source="intake",
        body=lifecycle.PaymentReceivedBody(dossier_code="UBND.P.SG-260302-0001",
                                    agency_code="UBND.P.SG", method=PaymentMethod.ONLINE,
                                    amount_vnd=100_000),
    )  # fmt: skip
    dossiers, _ = fold_facts([online, unrecorded, paid])
    [row], total = digital_report(dossiers, MARCH)
    assert (row.received, row.online_recorded, row.fully_online) == (2, 1, 1)
    assert (row.paid_recorded, row.paid_online, row.paid_online_rate) == (1, 1, 1.0)
    assert (row.resolved_recorded, row.electronic_result_rate) == (0, None)  # never 0%
    assert total.fully_online_rate == 1.0  # over the one that recorded it, not the two
    listed = digital_in(dossiers, MARCH, "UBND.P.SG", "fully_online")
    assert [f.code for f in listed] == ["UBND.P.SG-260302-0001"]


def test_indicator_1_4_scores_the_dossiers_the_portal_has_with_their_cells() -> None:
    feedback = FeedbackRow("total", None, None)
    source = "http://exchange:8005/v1/reports/portal-sync?since=...&until=..."
    synced = SyncFigures({"UBND.P.SG": SyncCounts(received=10, synchronised=9)}, source)
    index = agency_index(AgencyFigures("UBND.P.SG", None, None, feedback, None, synced))
    indicator = subs(index)["dossiers_synchronised"]
    assert (indicator["measured"], indicator["value"], indicator["points"]) == (True, 0.9, 5.4)
    cells = {(c["report"], c["group"], c["column"], c["value"]) for c in indicator["cells"]}
    assert cells == {(source, "UBND.P.SG", "synchronised", 9),
                     (source, "UBND.P.SG", "received", 10)}  # fmt: skip
    publicity = next(g for g in index["groups"] if g["code"] == "publicity")
    assert sum(s["max_points"] for s in publicity["sub_indicators"]) == 18
    elsewhere = SyncFigures({"STP": SyncCounts(3, 3)}, source)
    other = agency_index(AgencyFigures("UBND.P.SG", None, None, feedback, None, elsewhere))
    assert subs(other)["dossiers_synchronised"]["measured"] is False  # nothing received here
    down = SyncFigures({}, source, "the exchange service's sync table (ConnectError at ...)")
    unmeasured = agency_index(AgencyFigures("UBND.P.SG", None, None, feedback, None, down))
    assert subs(unmeasured)["dossiers_synchronised"]["needs"].startswith("the exchange")
