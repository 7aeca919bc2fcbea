"""Feedback and complaints (phản ánh, kiến nghị) handled on time, and the feedback behind each
count. Pure.

One row per agency and category, and a total, for a period:
- `received`: filed in the period;
- `answered_on_time`, `answered_late`: answered in the period, judged by deadline against the
  due instant (the category's working days from the filing); `answered_total` is their sum;
- `pending_within`, `pending_overdue`: filed before the period's end and not answered by then,
  by whether the due instant had passed at the end (as the processing table counts open
  dossiers); `pending_total` is their sum;
- `on_time_rate` = answered_on_time / answered_total;
- `rated`, `rated_satisfied`: answers given in the period that their filer rated, and those
  rated satisfied or very satisfied; `satisfied_rate` = rated_satisfied / rated.
An answer deadline has not judged yet, with no due instant known, waits out of the answered
columns until it is (it is listed under `awaiting_judgement`)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from services.reporting.domain.dossier_facts import FeedbackFacts
from services.reporting.domain.periods import Period
from shared.events.vocabulary import RatingLevel

FEEDBACK_COLUMNS = (
    "received", "answered_total", "answered_on_time", "answered_late", "pending_total",
    "pending_within", "pending_overdue", "rated", "rated_satisfied", "awaiting_judgement",
)  # fmt: skip
SATISFIED = (RatingLevel.VERY_SATISFIED, RatingLevel.SATISFIED)


def _received(facts: FeedbackFacts, period: Period) -> bool:
    return period.start <= facts.received_at < period.end


def _answered(facts: FeedbackFacts, period: Period) -> bool:
    return facts.answered_at is not None and period.start <= facts.answered_at < period.end


def _pending(facts: FeedbackFacts, period: Period) -> bool:
    return facts.received_at < period.end and (
        facts.answered_at is None or facts.answered_at >= period.end
    )


def _overdue_at_end(facts: FeedbackFacts, period: Period) -> bool:
    return facts.due_at is not None and facts.due_at < period.end


COUNTED: dict[str, Callable[[FeedbackFacts, Period], bool]] = {
    "received": _received,
    "answered_total": lambda f, p: _answered(f, p) and f.judged_on_time() is not None,
    "answered_on_time": lambda f, p: _answered(f, p) and f.judged_on_time() is True,
    "answered_late": lambda f, p: _answered(f, p) and f.judged_on_time() is False,
    "awaiting_judgement": lambda f, p: _answered(f, p) and f.judged_on_time() is None,
    "pending_total": _pending,
    "pending_within": lambda f, p: _pending(f, p) and not _overdue_at_end(f, p),
    "pending_overdue": lambda f, p: _pending(f, p) and _overdue_at_end(f, p),
    "rated": lambda f, p: _answered(f, p) and f.rating is not None,
    "rated_satisfied": lambda f, p: _answered(f, p) and f.rating in SATISFIED,
}


@dataclass
class FeedbackRow:
    group: str  # agency/category, or total
    agency: str | None
    category: str | None
    agency_name: str | None = None
    category_name: str | None = None
    received: int = 0
    answered_total: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    awaiting_judgement: int = 0
    pending_total: int = 0
    pending_within: int = 0
    pending_overdue: int = 0
    rated: int = 0
    rated_satisfied: int = 0
    on_time_rate: float | None = None
    satisfied_rate: float | None = None

    def count(self, facts: FeedbackFacts, period: Period) -> None:
        for column, counted in COUNTED.items():
            if counted(facts, period):
                setattr(self, column, getattr(self, column) + 1)

    def finish(self) -> "FeedbackRow":
        if self.answered_total:
            self.on_time_rate = round(self.answered_on_time / self.answered_total, 4)
        if self.rated:
            self.satisfied_rate = round(self.rated_satisfied / self.rated, 4)
        return self

    @property
    def counted(self) -> bool:
        return any(getattr(self, column) for column in FEEDBACK_COLUMNS)


def feedback_report(
    feedback: Iterable[FeedbackFacts], period: Period
) -> tuple[list[FeedbackRow], FeedbackRow]:
    """The rows by agency and category that count anything in the period, and the total."""
    rows: dict[tuple[str, str], FeedbackRow] = {}
    total = FeedbackRow("total", None, None)
    for facts in feedback:
        key = (facts.agency, facts.category)
        row = rows.setdefault(key, FeedbackRow(f"{key[0]}/{key[1]}", key[0], key[1]))
        row.count(facts, period)
        total.count(facts, period)
    kept = [rows[key].finish() for key in sorted(rows) if rows[key].counted]
    return kept, total.finish()


def feedback_in(
    feedback: Iterable[FeedbackFacts], period: Period, group: str, column: str
) -> list[FeedbackFacts]:
    """The feedback behind one count: `group` a row's agency/category (or total)."""
    counted = COUNTED[column]
    agency, _, category = group.partition("/")
    found = [
        facts
        for facts in feedback
        if (group == "total" or (facts.agency, facts.category) == (agency, category))
        and counted(facts, period)
    ]
    return sorted(found, key=lambda facts: (facts.received_at, facts.code))
