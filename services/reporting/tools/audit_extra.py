"""The audit's own reading of the feedback table and the digital table, pure and independent of
the read model: feedback is judged on time from its answer and deadline's due instant (never
from deadline's verdict), and each digital fact is counted from the event that records it.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from services.reporting.tools.audit_fold import AuditHistory, Table
from shared.events import dossier as dossier_events
from shared.events import feedback as feedback_events
from shared.events.envelope import Event
from shared.events.vocabulary import PaymentMethod, RatingLevel

SATISFIED = (RatingLevel.VERY_SATISFIED, RatingLevel.SATISFIED)


@dataclass
class FeedbackLog:
    received: feedback_events.FeedbackReceived | None = None
    due_at: datetime | None = None
    answered_at: datetime | None = None
    rating: RatingLevel | None = None


@dataclass
class FeedbackHistory:
    feedback: dict[str, FeedbackLog] = field(default_factory=lambda: defaultdict(FeedbackLog))

    def add(self, event: Event) -> None:
        match event:
            case feedback_events.FeedbackReceived(body=body):
                self.feedback[body.feedback_code].received = event
            case feedback_events.FeedbackDeadlineSet(body=body):
                self.feedback[body.feedback_code].due_at = body.due_at
            case feedback_events.FeedbackAnswered(body=body):
                self.feedback[body.feedback_code].answered_at = event.occurred_at
            case feedback_events.FeedbackAnswerRated(body=body):
                self.feedback[body.feedback_code].rating = body.level


def fold_feedback_history(events: Iterable[Event]) -> FeedbackHistory:
    history = FeedbackHistory()
    for event in events:
        history.add(event)
    return history


def feedback_cells(history: FeedbackHistory, start: datetime, end: datetime) -> Table:
    table: Table = defaultdict(lambda: defaultdict(int))
    for log in history.feedback.values():
        if log.received is None:
            continue
        body, received_at = log.received.body, log.received.occurred_at
        columns = []
        if start <= received_at < end:
            columns.append("received")
        answered = log.answered_at
        if answered is not None and start <= answered < end:
            if log.due_at is None:
                columns.append("awaiting_judgement")
            else:
                on_time = answered <= log.due_at
                columns += ["answered_total", "answered_on_time" if on_time else "answered_late"]
                if log.rating is not None:
                    columns.append("rated")
                    if log.rating in SATISFIED:
                        columns.append("rated_satisfied")
        if received_at < end and (answered is None or answered >= end):
            overdue = log.due_at is not None and log.due_at < end
            columns += ["pending_total", "pending_overdue" if overdue else "pending_within"]
        for column in columns:
            for group in (f"{body.agency_code}/{body.category}", "total"):
                table[group][column] += 1
    return table


def digital_cells(history: AuditHistory, start: datetime, end: datetime) -> Table:
    table: Table = defaultdict(lambda: defaultdict(int))
    for log in history.dossiers.values():
        if log.receipt is None:
            continue
        receipt = log.receipt.body
        columns = []
        if start <= log.receipt.occurred_at < end:
            columns.append("received")
            if receipt.fully_online is not None:
                columns += ["online_recorded"] + (["fully_online"] if receipt.fully_online else [])
            if receipt.papers_digitised is not None:
                digitised = ["papers_digitised"] if receipt.papers_digitised else []
                columns += ["digitised_recorded", *digitised]
        in_period = [e for e in log.events.values() if start <= e.occurred_at < end]
        methods = {
            e.body.method
            for e in in_period
            if isinstance(e, dossier_events.PaymentReceived) and e.body.method is not None
        }
        if methods:
            columns += ["paid_recorded"] + (
                ["paid_online"] if PaymentMethod.ONLINE in methods else []
            )
        for event in in_period:
            if isinstance(event, dossier_events.DossierResolved):
                electronic = event.body.electronic_result
                if electronic is not None:
                    columns += ["resolved_recorded"] + (
                        ["electronic_results"] if electronic else []
                    )
        for column in columns:
            for group in (receipt.agency_code, "total"):
                table[group][column] += 1
    return table
