"""The processing and satisfaction reports computed from facts, and the dossiers behind each
count. Pure. The definitions are README's "Definitions"; `columns_of` is the only place a
dossier is put into a column, so a drill-down list always has its count's length."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from services.reporting.domain.dossier_facts import DossierFacts, Ending, OpenState, RatingFacts
from services.reporting.domain.periods import Period
from shared.domain.rating_reasons import OTHER
from shared.events.vocabulary import Channel, Classification, RatingLevel

Listed = TypeVar("Listed", DossierFacts, RatingFacts)
GROUPINGS = ("agency", "level", "field", "procedure")
RATING_GROUPINGS = ("agency", "clerk", "procedure")

_NEW = {Channel.ONLINE: "new_online", Channel.POSTAL: "new_postal"}
_RESOLVED = {
    Classification.EARLY: "resolved_early",
    Classification.ON_TIME: "resolved_on_time",
    Classification.LATE: "resolved_late",
}
_PENDING = {
    OpenState.WITHIN: "pending_within",
    OpenState.OVERDUE: "pending_overdue",
    OpenState.PAUSED: "paused",
}


def columns_of(facts: DossierFacts, period: Period) -> list[str]:
    """The count columns of a period's table this dossier is in (none if it is not in it)."""
    start, end = period.start, period.end
    ending = facts.ending
    if ending is not None and ending[1] is Ending.REFUSED_AT_RECEIPT:
        # never received: counted apart, in the period of the refusal (the receipt's day)
        return ["refused_at_receipt"] if start <= ending[0] < end else []
    if facts.received_at >= end or (ending is not None and ending[0] < start):
        return []
    columns = ["received_total"]
    if facts.received_at < start:
        columns.append("carried_over")
    else:
        columns += ["new_total", _NEW.get(facts.channel, "new_counter")]
    if ending is not None and ending[0] < end:
        return columns + _ended_columns(facts, ending[1])
    return [*columns, "pending_total", _PENDING[facts.open_state_at(end)]]


def _ended_columns(facts: DossierFacts, ending: Ending) -> list[str]:
    if ending is not Ending.RESOLVED:
        return [ending.value]
    columns = ["resolved_total"]
    if facts.classification is not None:
        columns.append(_RESOLVED[facts.classification])
        if facts.classification is Classification.LATE and facts.apology_sent:
            columns.append("late_with_apology")
    return columns


@dataclass
class ProcessingRow:
    group: str
    group_name: str | None = None
    received_total: int = 0
    carried_over: int = 0
    new_total: int = 0
    new_online: int = 0
    new_counter: int = 0
    new_postal: int = 0
    refused_at_receipt: int = 0
    resolved_total: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    late_with_apology: int = 0
    withdrawn: int = 0
    stopped: int = 0
    pending_total: int = 0
    pending_within: int = 0
    pending_overdue: int = 0
    paused: int = 0
    on_time_rate: float | None = None
    online_rate: float | None = None

    def count(self, columns: Iterable[str]) -> None:
        for name in columns:
            setattr(self, name, getattr(self, name) + 1)

    def finish(self) -> "ProcessingRow":
        if self.resolved_total:
            done_in_time = self.resolved_early + self.resolved_on_time
            self.on_time_rate = round(done_in_time / self.resolved_total, 4)
        if self.new_total:
            self.online_rate = round(self.new_online / self.new_total, 4)
        return self

    def add(self, other: "ProcessingRow") -> None:
        for name in COUNT_COLUMNS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def balances(self) -> bool:
        """carried over + new = resolved + withdrawn + stopped + pending at the end."""
        came_in = self.carried_over + self.new_total
        went = self.resolved_total + self.withdrawn + self.stopped + self.pending_total
        return came_in == self.received_total == went


COUNT_COLUMNS = tuple(
    name
    for name in ProcessingRow.__dataclass_fields__
    if name not in {"group", "group_name", "on_time_rate", "online_rate"}
)


DossierGrouping = str | Callable[[DossierFacts], str]  # a fact's name, or a function


def _group_of(item: Any, grouping: str | Callable[[Any], str]) -> str:
    return grouping(item) if callable(grouping) else str(item.group(grouping))


def processing_report(
    dossiers: Iterable[DossierFacts], period: Period, grouping: DossierGrouping
) -> tuple[list[ProcessingRow], ProcessingRow]:
    rows: dict[str, ProcessingRow] = {}
    for facts in dossiers:
        columns = columns_of(facts, period)
        if columns:
            key = _group_of(facts, grouping)
            rows.setdefault(key, ProcessingRow(key)).count(columns)
    total = ProcessingRow("total")
    for row in rows.values():
        total.add(row)
    return [row.finish() for _, row in sorted(rows.items())], total.finish()


def dossiers_in(
    dossiers: Iterable[DossierFacts], period: Period, grouping: DossierGrouping, group: str | None,
    column: str,
) -> list[DossierFacts]:  # fmt: skip
    """The dossiers behind one cell (`group` None: the total row), by code."""
    return _in_cell(dossiers, columns_of, period, grouping, group, column)


def _in_cell(
    items: Iterable[Listed], columns: Callable[[Listed, Period], list[str]], period: Period,
    grouping: str | Callable[[Any], str], group: str | None, column: str,
) -> list[Listed]:  # fmt: skip
    found = [
        item
        for item in items
        if (group is None or _group_of(item, grouping) == group) and column in columns(item, period)
    ]
    return sorted(found, key=lambda item: item.code)


def due_for_listing(facts: DossierFacts, end: datetime) -> datetime | None:
    """The due instant an auditor checks the dossier against: the one it passed, if it did
    by `end`, else the one in force at its ending or at `end`."""
    late = facts.late_since()
    if late is not None and late < end:
        return facts.due_at(late)
    ending = facts.ending
    moment = min(ending[0], end) if ending else end
    return facts.due_at(moment)


# Satisfaction ---------------------------------------------------------------------------------


@dataclass
class SatisfactionRow:
    group: str
    group_name: str | None = None
    ratings_total: int = 0
    very_satisfied: int = 0
    satisfied: int = 0
    dissatisfied: int = 0
    satisfied_rate: float | None = None
    rank: int | None = None
    # dissatisfied ratings by reason category (config/rating_reasons.toml); sums to dissatisfied
    dissatisfied_by_reason: dict[str, int] = field(default_factory=dict)

    def finish(self) -> "SatisfactionRow":
        if self.ratings_total:
            happy = self.very_satisfied + self.satisfied
            self.satisfied_rate = round(happy / self.ratings_total, 4)
        return self


RATING_COLUMNS = ("ratings_total", "very_satisfied", "satisfied", "dissatisfied")


@dataclass
class SatisfactionReport:
    rows: list[SatisfactionRow]
    total: SatisfactionRow
    minimum_for_ranking: int
    unranked: list[str] = field(default_factory=list)


REASON_COLUMN = "reason:"  # "reason:waiting_time": dissatisfied for that reason


def rating_columns_of(facts: RatingFacts, period: Period) -> list[str]:
    if not period.start <= facts.rated_at < period.end:
        return []
    columns = ["ratings_total", facts.rating.value]
    if facts.rating is RatingLevel.DISSATISFIED:
        columns.append(REASON_COLUMN + (facts.reason_category or OTHER))
    return columns


def satisfaction_counts(
    ratings: Iterable[RatingFacts], period: Period, grouping: str
) -> tuple[list[SatisfactionRow], SatisfactionRow]:
    """The counts of each group with a rating in the period (by group), and the total."""
    rows: dict[str, SatisfactionRow] = {}
    total = SatisfactionRow("total")
    for facts in ratings:
        columns = rating_columns_of(facts, period)
        if not columns:
            continue
        row = rows.setdefault(facts.group(grouping), SatisfactionRow(facts.group(grouping)))
        for target in (row, total):
            for name in columns:
                if name.startswith(REASON_COLUMN):
                    reason = name.removeprefix(REASON_COLUMN)
                    target.dissatisfied_by_reason[reason] = (
                        target.dissatisfied_by_reason.get(reason, 0) + 1
                    )
                else:
                    setattr(target, name, getattr(target, name) + 1)
    return [rows[key].finish() for key in sorted(rows)], total.finish()


def satisfaction_report(
    ratings: Iterable[RatingFacts], period: Period, grouping: str, minimum: int
) -> SatisfactionReport:
    return ranked(*satisfaction_counts(ratings, period, grouping), minimum)


def ranked(rows: list[SatisfactionRow], total: SatisfactionRow, minimum: int) -> SatisfactionReport:
    """Groups with at least `minimum` ratings ranked by satisfied rate, then count, then name;
    the others listed after them, unranked."""
    finished = [row.finish() for row in rows]
    ranked = sorted(
        (row for row in finished if row.ratings_total >= minimum),
        key=lambda row: (-(row.satisfied_rate or 0.0), -row.ratings_total, row.group),
    )
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    unranked = sorted(row.group for row in finished if row.ratings_total < minimum)
    ordered = ranked + sorted((r for r in finished if r.rank is None), key=lambda r: r.group)
    return SatisfactionReport(ordered, total.finish(), minimum, unranked)


def ratings_in(
    ratings: Iterable[RatingFacts], period: Period, grouping: str, group: str | None,
    column: str,
) -> list[RatingFacts]:  # fmt: skip
    return _in_cell(ratings, rating_columns_of, period, grouping, group, column)
