"""The audit's own reading of README's "Definitions", pure and independent of the read model:
each dossier's events are replayed in time order up to the period's end, with a small state
machine (running or paused, the due instant in force, late for good or not), and the
classification of a resolution is recomputed from that replay rather than taken from the
deadline service. It shares only the event contracts and the period's dates with the service,
and, for the tables by unit, the map (UNITS_FILE) and the catalogue's agency units (ByUnit).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.domain.admin_units import MapReading, Tier, UnitMap
from shared.events import deadline as deadline_events
from shared.events import dossier as dossier_events
from shared.events.envelope import Event
from shared.events.survey import RatingAccepted
from shared.events.vocabulary import RatingLevel

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
ENDINGS = {
    dossier_events.DossierResolved: "resolved",
    dossier_events.DossierWithdrawn: "withdrawn",
    dossier_events.DossierStopped: "stopped",
    dossier_events.DossierReceiptRefused: "refused_at_receipt",
}
PAUSING = (dossier_events.SupplementRequested, dossier_events.PaymentRequested)
RESUMING = (dossier_events.SupplementReceived, dossier_events.PaymentReceived)
NEW_BY_CHANNEL = {"online": "new_online", "postal": "new_postal"}
Table = dict[str, dict[str, int]]  # group -> column -> count


@dataclass
class DossierLog:
    receipt: dossier_events.DossierReceived | None = None
    events: dict[str, Event] = field(default_factory=dict)  # by id: a redelivery is one event


@dataclass
class Replayed:
    """A dossier's state after replaying its events up to an instant."""

    ending: str | None = None
    ended_at: datetime | None = None
    paused: bool = False
    due: datetime | None = None
    late_due: datetime | None = None  # the due instant it passed while running
    apology: bool = False
    classification: str | None = None


@dataclass
class AuditHistory:
    dossiers: dict[str, DossierLog] = field(default_factory=lambda: defaultdict(DossierLog))
    ratings: dict[str, RatingAccepted] = field(default_factory=dict)

    def add(self, event: Event) -> None:
        if isinstance(event, RatingAccepted):
            current = self.ratings.get(event.body.dossier_code)
            if current is None or current.occurred_at <= event.occurred_at:
                self.ratings[event.body.dossier_code] = event
            return
        code = getattr(getattr(event, "body", None), "dossier_code", None)
        if code is None:
            return
        log = self.dossiers[code]
        if isinstance(event, dossier_events.DossierReceived):
            log.receipt = event
        else:
            log.events[event.event_id] = event


def replay(log: DossierLog, until: datetime) -> Replayed:
    """Apply the events that occurred before `until`, instant by instant; between two
    instants a running dossier whose due instant comes before the next one becomes late."""
    state = Replayed()
    timed = sorted(
        (event for event in log.events.values() if event.occurred_at < until),
        key=lambda event: (event.occurred_at, type(event).__name__),
    )
    instants = sorted({event.occurred_at for event in timed})
    for index, instant in enumerate(instants):
        for event in (event for event in timed if event.occurred_at == instant):
            _apply(state, event)
        following = instants[index + 1] if index + 1 < len(instants) else until
        if state.ending is None:
            _check_lateness(state, following)
    return state


def _apply(state: Replayed, event: Event) -> None:
    if state.ending is not None:
        return
    if type(event) in ENDINGS:
        state.ending, state.ended_at = ENDINGS[type(event)], event.occurred_at
        if state.ending == "resolved":
            judged = state.late_due or state.due
            state.classification = None if judged is None else _by_date(event.occurred_at, judged)
    elif isinstance(event, PAUSING):
        state.paused = True
    elif isinstance(event, RESUMING):
        state.paused = False
    elif isinstance(event, deadline_events.DeadlineSet):
        state.due = event.body.due_at
    elif isinstance(event, dossier_events.DossierDelayed):
        state.apology = True


def _check_lateness(state: Replayed, following: datetime) -> None:
    running = state.late_due is None and not state.paused
    if running and state.due is not None and state.due < following:
        state.late_due = state.due


def _by_date(resolved_at: datetime, due: datetime) -> str:
    resolved_day, due_day = resolved_at.astimezone(VIETNAM).date(), due.astimezone(VIETNAM).date()
    if resolved_day < due_day:
        return "early"
    return "on_time" if resolved_day == due_day else "late"


@dataclass(frozen=True)
class ByUnit:
    """The grouping by administrative unit, read from the map itself: the receiving agency's
    unit (as the catalogue places it), carried to today's successor when read as the map is,
    then its ancestor at the tier."""

    units: UnitMap
    agency_units: Mapping[str, str]
    reading: MapReading
    tier: Tier
    today: date

    @property
    def query(self) -> dict[str, str]:
        return {"group_by": "unit", "map": self.reading.value, "tier": self.tier.value}

    def row(self, agency: str) -> str:
        unit = self.agency_units.get(agency)
        if unit is None or unit not in self.units.units:
            return "-"
        return self.units.at_tier(self.units.placed(unit, self.reading, self.today), self.tier)


def processing_cells(
    history: AuditHistory, start: datetime, end: datetime, grouping: str | ByUnit
) -> Table:
    table: Table = defaultdict(lambda: defaultdict(int))
    for log in history.dossiers.values():
        if log.receipt is None:
            continue
        group = _group_of(log.receipt, grouping)
        for column in _dossier_columns(log, start, end):
            table[group][column] += 1
            table["total"][column] += 1
    return table


def _dossier_columns(log: DossierLog, start: datetime, end: datetime) -> list[str]:
    assert log.receipt is not None
    received_at = log.receipt.occurred_at
    at_end = replay(log, end)
    if at_end.ending == "refused_at_receipt":
        assert at_end.ended_at is not None
        return ["refused_at_receipt"] if at_end.ended_at >= start else []
    if received_at >= end or (at_end.ended_at is not None and at_end.ended_at < start):
        return []
    columns = ["received_total"]
    if received_at < start:
        columns.append("carried_over")
    else:
        channel = log.receipt.body.channel.value
        columns += ["new_total", NEW_BY_CHANNEL.get(channel, "new_counter")]
    if at_end.ending == "resolved":
        columns.append("resolved_total")
        if at_end.classification is not None:
            columns.append(f"resolved_{at_end.classification}")
            if at_end.classification == "late" and at_end.apology:
                columns.append("late_with_apology")
    elif at_end.ending is not None:
        columns.append(at_end.ending)
    else:
        columns.append("pending_total")
        if at_end.late_due is not None:
            columns.append("pending_overdue")
        else:
            columns.append("paused" if at_end.paused else "pending_within")
    return columns


def _group_of(receipt: dossier_events.DossierReceived, grouping: str | ByUnit) -> str:
    body = receipt.body
    if isinstance(grouping, ByUnit):
        return grouping.row(body.agency_code)
    return {
        "agency": body.agency_code, "level": body.level.value, "field": body.field,
        "procedure": body.procedure_code,
    }[grouping]  # fmt: skip


def _hand_offs(log: DossierLog) -> dict[int, datetime]:
    """When each step ended, read from the dossier's own events: step i ends at the transfer
    that starts step i + 1, the last at the resolution."""
    ends: dict[int, datetime] = {}
    assert log.receipt is not None
    last = len(log.receipt.body.steps) - 1
    for event in log.events.values():
        if isinstance(event, dossier_events.DossierTransferred):
            ends.setdefault(event.body.step_index - 1, event.occurred_at)
        elif isinstance(event, dossier_events.DossierResolved) and last >= 0:
            ends.setdefault(last, event.occurred_at)
    return ends


@dataclass(frozen=True)
class AuditedStep:
    group: str  # procedure/step number/agency
    agency: str
    ended_at: datetime
    on_time: bool
    overrun_minutes: int


def audited_steps(log: DossierLog) -> list[AuditedStep]:
    """The dossier's closed steps: each step's due instant is deadline's (its working-time
    arithmetic), but when the step ended is read from the hand-off, and whether it was on
    time is judged here (ended by its due instant), so a verdict that disagrees with the
    dossier's own events shows as a difference."""
    assert log.receipt is not None
    receipt, ends = log.receipt, _hand_offs(log)
    closed: dict[int, deadline_events.StepOutcome] = {}
    for event in log.events.values():
        if isinstance(event, deadline_events.StepClosed):
            closed.setdefault(event.body.step.step_index, event.body.step)
    steps = []
    for index, step in sorted(closed.items()):
        ended_at = ends.get(index, step.ended_at)
        planned = receipt.body.steps[index].agency_code if index < len(receipt.body.steps) else ""
        on_time = ended_at <= step.due_at
        steps.append(AuditedStep(
            group=f"{receipt.body.procedure_code}/{index + 1}/{planned or step.agency_code}",
            agency=planned or step.agency_code, ended_at=ended_at, on_time=on_time,
            overrun_minutes=0 if on_time else step.overrun_minutes,
        ))  # fmt: skip
    return steps


def step_cells(history: AuditHistory, start: datetime, end: datetime) -> Table:
    table: Table = defaultdict(lambda: defaultdict(int))
    for log in history.dossiers.values():
        if log.receipt is None:
            continue
        for step in audited_steps(log):
            if not start <= step.ended_at < end:
                continue
            for target in (table[step.group], table["total"]):
                target["closed_total"] += 1
                target["closed_on_time" if step.on_time else "closed_late"] += 1
                target["overrun_minutes"] += step.overrun_minutes
    return table


def held_late_cells(history: AuditHistory, start: datetime, end: datetime) -> Table:
    """The dossiers the audit classifies resolved late in the period, under each agency the
    deadline's classification attributes the lateness to (the receiving agency when it names
    none); the total counts each dossier once."""
    table: Table = defaultdict(lambda: defaultdict(int))
    for log in history.dossiers.values():
        if log.receipt is None or "resolved_late" not in _dossier_columns(log, start, end):
            continue
        classified = [e for e in log.events.values()
                      if isinstance(e, deadline_events.DossierClassified)]  # fmt: skip
        named = classified[-1].body.late_held_by if classified else ()
        late_steps = [step for step in audited_steps(log) if not step.on_time]
        table["total"]["late_total"] += 1
        for agency in named or (log.receipt.body.agency_code,):
            table[agency]["late_total"] += 1
            for step in late_steps:
                if step.agency == agency:
                    for target in (table[agency], table["total"]):
                        target["overran_steps"] += 1
                        target["overrun_minutes"] += step.overrun_minutes
    return table


def satisfaction_cells(
    history: AuditHistory, start: datetime, end: datetime, grouping: str
) -> Table:
    table: Table = defaultdict(lambda: defaultdict(int))
    for rating in history.ratings.values():
        if not start <= rating.occurred_at < end:
            continue
        body = rating.body
        group = {"agency": body.agency_code, "clerk": body.clerk_id or "-",
                 "procedure": body.procedure_code}[grouping]  # fmt: skip
        for target in (table[group], table["total"]):
            target["ratings_total"] += 1
            target[body.rating.value] += 1
            if body.rating is RatingLevel.DISSATISFIED:
                target[f"reason:{body.reason_category or 'other'}"] += 1
    return table


def fold(events: Iterable[Event]) -> AuditHistory:
    history = AuditHistory()
    for event in events:
        history.add(event)
    return history
