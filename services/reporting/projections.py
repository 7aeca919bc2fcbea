"""What reporting keeps per dossier (by event time), and the reports computed from it. Pure.

Every fact is set from an event's `occurred_at`, so replaying the topics gives the same facts,
a redelivered event sets the same values again, and a late event corrects its period."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.reporting.periods import Period
from shared.events.vocabulary import Channel, Classification, RatingLevel

GROUPINGS = ("agency", "level", "field", "procedure")
RATING_GROUPINGS = ("agency", "clerk", "procedure")


class DossierFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    agency: str
    level: str
    field: str
    procedure: str
    channel: Channel
    received_at: AwareDatetime
    due_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    classification: Classification | None = None
    apology_sent: bool = False
    closed_at: AwareDatetime | None = None  # resolved, stopped, withdrawn or refused
    pauses: tuple[tuple[AwareDatetime, bool], ...] = ()  # (when, paused?) in time order

    def group(self, grouping: str) -> str:
        return str(getattr(self, grouping))

    def paused_at(self, moment: datetime) -> bool:
        state = False
        for at, paused in sorted(self.pauses):
            if at < moment:
                state = paused
        return state


@dataclass
class ProcessingRow:
    group: str
    received_total: int = 0
    carried_over: int = 0
    new_online: int = 0
    new_counter: int = 0
    new_postal: int = 0
    resolved_total: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    late_with_apology: int = 0
    pending_total: int = 0
    pending_within: int = 0
    pending_overdue: int = 0
    paused: int = 0
    on_time_rate: float | None = None
    online_rate: float | None = None

    def count(self, facts: DossierFacts, period: Period) -> None:
        start, end = period.start, period.end
        if facts.received_at >= end or (facts.closed_at is not None and facts.closed_at < start):
            return
        if facts.received_at < start:
            self.carried_over += 1
        else:
            self._count_new(facts.channel)
        if facts.resolved_at is not None and start <= facts.resolved_at < end:
            self._count_resolved(facts)
        if facts.closed_at is None or facts.closed_at >= end:
            self._count_pending(facts, end)

    def _count_new(self, channel: Channel) -> None:
        if channel is Channel.ONLINE:
            self.new_online += 1
        elif channel is Channel.POSTAL:
            self.new_postal += 1
        else:
            self.new_counter += 1

    def _count_resolved(self, facts: DossierFacts) -> None:
        self.resolved_total += 1
        if facts.classification is Classification.EARLY:
            self.resolved_early += 1
        elif facts.classification is Classification.ON_TIME:
            self.resolved_on_time += 1
        elif facts.classification is Classification.LATE:
            self.resolved_late += 1
            self.late_with_apology += int(facts.apology_sent)

    def _count_pending(self, facts: DossierFacts, end: datetime) -> None:
        self.pending_total += 1
        if facts.paused_at(end):
            self.paused += 1
        elif facts.due_at is not None and facts.due_at < end:
            self.pending_overdue += 1
        else:
            self.pending_within += 1

    def finish(self) -> "ProcessingRow":
        new = self.new_online + self.new_counter + self.new_postal
        self.received_total = self.carried_over + new
        if self.resolved_total:
            done_in_time = self.resolved_early + self.resolved_on_time
            self.on_time_rate = round(done_in_time / self.resolved_total, 4)
        if new:
            self.online_rate = round(self.new_online / new, 4)
        return self

    def add(self, other: "ProcessingRow") -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_COUNTS = [
    name
    for name in ProcessingRow.__dataclass_fields__
    if name not in {"group", "received_total", "on_time_rate", "online_rate"}
]


def processing_report(
    dossiers: Iterable[DossierFacts], period: Period, grouping: str
) -> tuple[list[ProcessingRow], ProcessingRow]:
    rows: dict[str, ProcessingRow] = {}
    for facts in dossiers:
        key = facts.group(grouping)
        rows.setdefault(key, ProcessingRow(key)).count(facts, period)
    total = ProcessingRow("total")
    for row in rows.values():
        total.add(row)
    finished = [row.finish() for _, row in sorted(rows.items())]
    kept = [row for row in finished if row.received_total or row.resolved_total]
    return kept, total.finish()


class RatingFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    agency: str
    clerk: str | None
    procedure: str
    rating: RatingLevel
    rated_at: AwareDatetime

    def group(self, grouping: str) -> str:
        return str(getattr(self, grouping) or "-")


@dataclass
class SatisfactionRow:
    group: str
    ratings_total: int = 0
    very_satisfied: int = 0
    satisfied: int = 0
    dissatisfied: int = 0
    satisfied_rate: float | None = None
    rank: int | None = None

    def finish(self) -> "SatisfactionRow":
        if self.ratings_total:
            happy = self.very_satisfied + self.satisfied
            self.satisfied_rate = round(happy / self.ratings_total, 4)
        return self


@dataclass
class SatisfactionReport:
    rows: list[SatisfactionRow]
    total: SatisfactionRow
    minimum_for_ranking: int
    unranked: list[str] = field(default_factory=list)


def satisfaction_report(
    ratings: Iterable[RatingFacts], period: Period, grouping: str, minimum: int
) -> SatisfactionReport:
    rows: dict[str, SatisfactionRow] = {}
    total = SatisfactionRow("total")
    for facts in ratings:
        if not period.start <= facts.rated_at < period.end:
            continue
        row = rows.setdefault(facts.group(grouping), SatisfactionRow(facts.group(grouping)))
        for target in (row, total):
            target.ratings_total += 1
            setattr(target, facts.rating.value, getattr(target, facts.rating.value) + 1)
    finished = [row.finish() for row in rows.values()]
    ranked = sorted(
        (row for row in finished if row.ratings_total >= minimum),
        key=lambda row: (-(row.satisfied_rate or 0.0), -row.ratings_total, row.group),
    )
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    unranked = sorted(row.group for row in finished if row.ratings_total < minimum)
    ordered = ranked + sorted((r for r in finished if r.rank is None), key=lambda r: r.group)
    return SatisfactionReport(ordered, total.finish(), minimum, unranked)
