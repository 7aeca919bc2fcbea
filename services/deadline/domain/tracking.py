"""The deadline domain, pure: a dossier's deadline state as a fold over its lifecycle events,
the deadline events each step publishes, and the timers each state needs.

No I/O, no clock: `now` and the calendar are passed in.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.domain.business_calendar import BusinessCalendar, DeadlineState
from shared.domain.dossier_clock import DossierClock, step_clock
from shared.errors import RejectedError
from shared.events import dossier as dossier_events
from shared.events.deadline import (
    ApologyReminder,
    ApologyReminderBody,
    DeadlineEvent,
    DeadlineSet,
    DeadlineSetBody,
    DossierClassified,
    DossierClassifiedBody,
    DossierDueSoon,
    DossierOverdue,
    DueBody,
    StepClosed,
    StepClosedBody,
    StepDueBody,
    StepDueSoon,
    StepOutcome,
    StepOverdue,
)
from shared.events.envelope import derived_event_id
from shared.events.vocabulary import Classification, SupplementPolicy

SOURCE = "deadline"
Ending = Literal["resolved", "stopped", "withdrawn", "refused_at_receipt"]


class OutOfOrderError(RejectedError):
    """An event arrived for a dossier whose receipt this service has not seen."""


class TimerKind(StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    APOLOGY_REMINDER = "apology_reminder"
    STEP_DUE_SOON = "step_due_soon"
    STEP_OVERDUE = "step_overdue"


STEP_TIMERS = (TimerKind.STEP_DUE_SOON, TimerKind.STEP_OVERDUE)


@dataclass(frozen=True)
class Windows:
    """How early the warnings come, in working time."""

    due_soon: timedelta = timedelta(hours=8)
    apology_reminder: timedelta = timedelta(hours=8)


class TrackedState(BaseModel):
    """What the store keeps per tracked item (a dossier, a feedback): keyed by its code."""

    model_config = ConfigDict(frozen=True)

    code: str


class TrackedDossier(TrackedState):
    """Everything the deadline service keeps about one dossier."""

    agency_code: str
    received_at: AwareDatetime
    time_limit: dossier_events.TimeLimit
    supplement_policy: SupplementPolicy
    steps: tuple[dossier_events.ProcessingStep, ...] = ()
    step_index: int = 0
    step_started_at: AwareDatetime | None = None
    step_clock: DossierClock | None = None  # the current step's own limit, paused with the dossier
    closed_steps: tuple[StepOutcome, ...] = ()
    clock: DossierClock
    apology_sent: bool = False
    ended: Ending | None = None
    classification: Classification | None = None
    resolved_at: AwareDatetime | None = None
    applied: tuple[str, ...] = ()  # ids of the dossier events already folded in

    @property
    def paused(self) -> bool:
        return self.clock.paused

    @property
    def due_at(self) -> datetime:
        return self.clock.due_at

    @property
    def appointment_at(self) -> datetime:
        return self.clock.appointment_at

    @property
    def open(self) -> bool:
        return self.ended is None

    @property
    def step_due_at(self) -> datetime | None:
        return None if self.step_clock is None else self.step_clock.due_at


@dataclass(frozen=True)
class Decision:
    dossier: TrackedDossier
    events: tuple[DeadlineEvent, ...] = ()


@dataclass(frozen=True)
class Timer:
    kind: TimerKind
    code: str
    instant: datetime  # the due instant or appointment the timer warns about
    fire_at: datetime
    step: int | None = None  # the interconnected step a step timer is for

    @property
    def member(self) -> str:
        member = f"{self.kind}|{self.code}|{self.instant.isoformat()}"
        return member if self.step is None else f"{member}|{self.step}"

    @staticmethod
    def parse(member: str, fire_at: datetime) -> "Timer":
        kind, code, instant, *step = member.split("|", 3)
        index = int(step[0]) if step else None
        return Timer(TimerKind(kind), code, datetime.fromisoformat(instant), fire_at, index)


def decide(
    dossier: TrackedDossier | None, event: dossier_events.DossierEvent, calendar: BusinessCalendar
) -> Decision | None:
    """Fold one lifecycle event in; None when it changes nothing for deadlines."""
    if isinstance(event, dossier_events.DossierReceived):
        if dossier is not None and event.event_id in dossier.applied:
            return None  # a redelivered receipt: starting over would re-arm fired timers
        return _received(event, calendar)
    if dossier is None:
        if isinstance(event, dossier_events.DossierReceiptRefused):
            return None  # refused before any deadline started: nothing to track
        raise OutOfOrderError(f"{event.type} for {event.body.dossier_code} before its receipt")
    if event.event_id in dossier.applied or not dossier.open:
        return None
    after = _apply(dossier, event, calendar)
    if after is None:
        return None
    changed, events = after
    return Decision(
        changed.model_copy(update={"applied": (*dossier.applied, event.event_id)}), events
    )


def _apply(
    dossier: TrackedDossier, event: dossier_events.DossierEvent, calendar: BusinessCalendar
) -> tuple[TrackedDossier, tuple[DeadlineEvent, ...]] | None:
    at = event.occurred_at
    match event:
        case dossier_events.SupplementRequested() | dossier_events.PaymentRequested():
            held = dossier.step_clock and dossier.step_clock.pause(at, calendar)
            paused = {"clock": dossier.clock.pause(at, calendar), "step_clock": held}
            return dossier.model_copy(update=paused), ()
        case dossier_events.SupplementReceived(body=body):
            restart = body.policy is SupplementPolicy.RESTART
            return _resumed(dossier, event, calendar, restart=restart)
        case dossier_events.PaymentReceived():
            return _resumed(dossier, event, calendar, restart=False)
        case dossier_events.DossierDelayed(body=body):
            moved = dossier.model_copy(
                update={"clock": dossier.clock.delay(body.new_appointment_at), "apology_sent": True}
            )
            return moved, (_deadline_set(moved, event, "apology"),)
        case dossier_events.DossierTransferred(body=body):
            return _transferred(dossier, event, body, calendar)
        case dossier_events.DossierResolved():
            return _resolved(dossier, event, calendar)
        case dossier_events.DossierStopped():
            return dossier.model_copy(update={"ended": "stopped"}), ()
        case dossier_events.DossierWithdrawn():
            return dossier.model_copy(update={"ended": "withdrawn"}), ()
        case dossier_events.DossierReceiptRefused():
            return dossier.model_copy(update={"ended": "refused_at_receipt"}), ()
    return None  # returns and postal updates come after resolution: no deadline effect


def _received(event: dossier_events.DossierReceived, calendar: BusinessCalendar) -> Decision:
    body = event.body
    at = event.occurred_at
    dossier = TrackedDossier(
        code=body.dossier_code,
        agency_code=body.agency_code,
        received_at=at,
        time_limit=body.time_limit,
        supplement_policy=body.supplement_policy,
        steps=body.steps,
        step_started_at=at if body.steps else None,
        step_clock=step_clock(body.steps, 0, at, calendar),
        clock=DossierClock.start(at, body.time_limit, calendar),
        applied=(event.event_id,),
    )
    return Decision(dossier, (_deadline_set(dossier, event, "received"),))


def _close_step(
    dossier: TrackedDossier, ended_at: datetime, calendar: BusinessCalendar
) -> StepOutcome | None:
    clock, started = dossier.step_clock, dossier.step_started_at
    if clock is None or started is None:
        return None
    on_time = not clock.late_at(ended_at)
    overrun = (
        timedelta() if on_time else calendar.working_time_between(clock.judged_due_at, ended_at)
    )
    return StepOutcome(
        step_index=dossier.step_index,
        agency_code=dossier.agency_code,
        started_at=started,
        due_at=clock.judged_due_at,
        ended_at=ended_at,
        on_time=on_time,
        overrun_minutes=max(int(overrun.total_seconds() // 60), 0),
    )


def _step_closed(
    dossier: TrackedDossier, step: StepOutcome, cause: dossier_events.DossierEvent
) -> StepClosed:
    return StepClosed(
        event_id=derived_event_id(SOURCE, "StepClosed", cause.event_id),
        occurred_at=cause.occurred_at,
        recorded_at=cause.recorded_at,
        source=SOURCE,
        body=StepClosedBody(dossier_code=dossier.code, agency_code=step.agency_code, step=step),
    )


def _resumed(
    dossier: TrackedDossier,
    event: dossier_events.DossierEvent,
    calendar: BusinessCalendar,
    *,
    restart: bool,
) -> tuple[TrackedDossier, tuple[DeadlineEvent, ...]] | None:
    if not dossier.paused:
        return None
    clock = dossier.clock.resume(event.occurred_at, calendar, restart=restart)
    held = dossier.step_clock and dossier.step_clock.resume(
        event.occurred_at, calendar, restart=restart
    )
    resumed = dossier.model_copy(update={"clock": clock, "step_clock": held})
    reason: Literal["supplement_restart", "resumed"] = (
        "supplement_restart" if restart else "resumed"
    )
    return resumed, (_deadline_set(resumed, event, reason),)


def _transferred(
    dossier: TrackedDossier,
    event: dossier_events.DossierTransferred,
    body: dossier_events.DossierTransferredBody,
    calendar: BusinessCalendar,
) -> tuple[TrackedDossier, tuple[DeadlineEvent, ...]]:
    at = event.occurred_at
    closed = _close_step(dossier, at, calendar)
    moved = dossier.model_copy(
        update={
            "agency_code": body.agency_code,
            "step_index": body.step_index,
            "step_started_at": at,
            "step_clock": step_clock(dossier.steps, body.step_index, at, calendar),
            "closed_steps": (*dossier.closed_steps, *([closed] if closed else [])),
        }
    )
    return moved, (_step_closed(dossier, closed, event),) if closed else ()


def _resolved(
    dossier: TrackedDossier, event: dossier_events.DossierResolved, calendar: BusinessCalendar
) -> tuple[TrackedDossier, tuple[DeadlineEvent, ...]]:
    classification = dossier.clock.classify(event.occurred_at, calendar)
    last = _close_step(dossier, event.occurred_at, calendar)
    steps = (*dossier.closed_steps, *([last] if last else []))
    overran = tuple(step for step in steps if not step.on_time)
    resolved = dossier.model_copy(
        update={
            "ended": "resolved",
            "classification": classification,
            "resolved_at": event.occurred_at,
            "closed_steps": steps,
            "step_clock": None,
        }
    )
    late_held_by: tuple[str, ...] = ()
    if classification is Classification.LATE:
        late_held_by = _late_held_by(dossier, steps, overran)
    classified = DossierClassified(
        event_id=derived_event_id(SOURCE, "DossierClassified", event.event_id),
        occurred_at=event.occurred_at,
        recorded_at=event.recorded_at,
        source=SOURCE,
        body=DossierClassifiedBody(
            dossier_code=dossier.code,
            agency_code=dossier.agency_code,
            classification=classification,
            due_at=dossier.clock.judged_due_at,
            resolved_at=event.occurred_at,
            apology_sent=dossier.apology_sent,
            overran_steps=overran,
            late_held_by=late_held_by,
        ),
    )
    closing = (_step_closed(dossier, last, event),) if last else ()
    return resolved, (*closing, classified)


def _late_held_by(
    dossier: TrackedDossier, steps: tuple[StepOutcome, ...], overran: tuple[StepOutcome, ...]
) -> tuple[str, ...]:
    """Whom a late dossier's lateness is attributed to: the agencies whose steps overran (each
    once, in order); when none did, the agency that held it when its due instant passed."""
    if overran:
        return tuple(dict.fromkeys(step.agency_code for step in overran))
    due = dossier.clock.judged_due_at
    for step in steps:
        if step.started_at <= due < step.ended_at:
            return (step.agency_code,)
    return (dossier.agency_code,)


def _deadline_set(
    dossier: TrackedDossier,
    cause: dossier_events.DossierEvent,
    reason: Literal["received", "supplement_restart", "resumed", "apology", "transfer"],
) -> DeadlineSet:
    return DeadlineSet(
        event_id=derived_event_id(SOURCE, "DeadlineSet", cause.event_id),
        occurred_at=cause.occurred_at,
        recorded_at=cause.recorded_at,
        source=SOURCE,
        body=DeadlineSetBody(
            dossier_code=dossier.code,
            agency_code=dossier.agency_code,
            due_at=dossier.due_at,
            appointment_at=dossier.appointment_at,
            reason=reason,
            late_due_at=dossier.clock.late_due_at,
        ),
    )


# Timers ---------------------------------------------------------------------------------------


def timers_for(
    dossier: TrackedDossier, calendar: BusinessCalendar, windows: Windows
) -> list[Timer]:
    """The timers an open, running dossier needs; none when paused or ended, and no due
    warnings for one already late for good (its overdue fired at the due instant it passed)."""
    if not dossier.open or dossier.paused:
        return []
    timers: list[Timer] = []
    if dossier.clock.late_due_at is None:
        due_soon_at = calendar.subtract_working_time(dossier.due_at, windows.due_soon)
        timers += [
            Timer(TimerKind.DUE_SOON, dossier.code, dossier.due_at, due_soon_at),
            Timer(TimerKind.OVERDUE, dossier.code, dossier.due_at, dossier.due_at),
        ]
    if not dossier.apology_sent:
        remind_at = calendar.subtract_working_time(dossier.appointment_at, windows.apology_reminder)
        timers.append(
            Timer(TimerKind.APOLOGY_REMINDER, dossier.code, dossier.appointment_at, remind_at)
        )
    step = dossier.step_clock
    if step is not None and not step.paused and step.late_due_at is None:
        index = dossier.step_index
        soon_at = calendar.subtract_working_time(step.due_at, windows.due_soon)
        timers += [
            Timer(TimerKind.STEP_DUE_SOON, dossier.code, step.due_at, soon_at, index),
            Timer(TimerKind.STEP_OVERDUE, dossier.code, step.due_at, step.due_at, index),
        ]
    return timers


def fire(
    dossier: TrackedDossier | None, timer: Timer, recorded_at: datetime
) -> DeadlineEvent | None:
    """The event a due timer publishes, or None when the dossier moved on since it was set."""
    if dossier is None or not dossier.open or dossier.paused:
        return None
    if timer.kind is TimerKind.APOLOGY_REMINDER:
        if dossier.apology_sent or dossier.appointment_at != timer.instant:
            return None
    elif timer.kind in STEP_TIMERS:
        if dossier.step_index != timer.step or dossier.step_due_at != timer.instant:
            return None
    elif dossier.due_at != timer.instant:
        return None
    event_id = derived_event_id(SOURCE, timer.member)
    common = {"event_id": event_id, "occurred_at": timer.fire_at, "recorded_at": recorded_at}
    ids = {"dossier_code": dossier.code, "agency_code": dossier.agency_code}
    match timer.kind:
        case TimerKind.DUE_SOON:
            return DossierDueSoon(
                **common, source=SOURCE, body=DueBody(**ids, due_at=timer.instant)
            )
        case TimerKind.OVERDUE:
            return DossierOverdue(
                **common, source=SOURCE, body=DueBody(**ids, due_at=timer.instant)
            )
        case TimerKind.APOLOGY_REMINDER:
            body = ApologyReminderBody(**ids, appointment_at=timer.instant)
            return ApologyReminder(**common, source=SOURCE, body=body)
        case TimerKind.STEP_DUE_SOON | TimerKind.STEP_OVERDUE:
            step = StepDueBody(**ids, step_index=dossier.step_index, due_at=timer.instant)
            if timer.kind is TimerKind.STEP_DUE_SOON:
                return StepDueSoon(**common, source=SOURCE, body=step)
            return StepOverdue(**common, source=SOURCE, body=step)


def state_of(
    dossier: TrackedDossier, now: datetime, calendar: BusinessCalendar, windows: Windows
) -> DeadlineState | Literal["resolved"]:
    if not dossier.open:
        return "resolved"
    if dossier.clock.late_due_at is not None:
        return DeadlineState.OVERDUE  # lateness cannot be undone, paused or not
    return calendar.state_at(
        now, dossier.due_at, paused=dossier.paused, due_soon_window=windows.due_soon
    )


__all__ = [
    "Decision",
    "OutOfOrderError",
    "Timer",
    "TimerKind",
    "TrackedDossier",
    "TrackedState",
    "Windows",
    "decide",
    "fire",
    "state_of",
    "timers_for",
]
