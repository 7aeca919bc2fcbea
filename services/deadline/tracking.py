"""The deadline domain, pure: a dossier's deadline state as a fold over its lifecycle events,
the deadline events each step publishes, and the timers each state needs.

No I/O, no clock: `now` and the calendar are passed in.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.business_calendar import BusinessCalendar, DeadlineState
from shared.dossier_clock import DossierClock
from shared.events import dossier as de
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
)
from shared.events.envelope import derived_event_id
from shared.events.vocabulary import Classification, SupplementPolicy

SOURCE = "deadline"
Ending = Literal["resolved", "stopped", "withdrawn", "refused_at_receipt"]


class OutOfOrderError(Exception):
    """An event arrived for a dossier whose receipt this service has not seen."""


class TimerKind(StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    APOLOGY_REMINDER = "apology_reminder"


@dataclass(frozen=True)
class Windows:
    """How early the warnings come, in working time."""

    due_soon: timedelta = timedelta(hours=8)
    apology_reminder: timedelta = timedelta(hours=8)


class TrackedDossier(BaseModel):
    """Everything the deadline service keeps about one dossier."""

    model_config = ConfigDict(frozen=True)

    code: str
    agency_code: str
    received_at: AwareDatetime
    time_limit: de.TimeLimit
    supplement_policy: SupplementPolicy
    steps: tuple[de.ProcessingStep, ...] = ()
    step_index: int = 0
    step_due_at: AwareDatetime | None = None
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

    @property
    def member(self) -> str:
        return f"{self.kind}|{self.code}|{self.instant.isoformat()}"

    @staticmethod
    def parse(member: str, fire_at: datetime) -> "Timer":
        kind, code, instant = member.split("|", 2)
        return Timer(TimerKind(kind), code, datetime.fromisoformat(instant), fire_at)


def decide(
    dossier: TrackedDossier | None, event: de.DossierEvent, calendar: BusinessCalendar
) -> Decision | None:
    """Fold one lifecycle event in; None when it changes nothing for deadlines."""
    if isinstance(event, de.DossierReceived):
        if dossier is not None and event.event_id in dossier.applied:
            return None  # a redelivered receipt: starting over would re-arm fired timers
        return _received(event, calendar)
    if dossier is None:
        if isinstance(event, de.DossierReceiptRefused):
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
    dossier: TrackedDossier, event: de.DossierEvent, calendar: BusinessCalendar
) -> tuple[TrackedDossier, tuple[DeadlineEvent, ...]] | None:
    at = event.occurred_at
    match event:
        case de.SupplementRequested() | de.PaymentRequested():
            return dossier.model_copy(update={"clock": dossier.clock.pause(at, calendar)}), ()
        case de.SupplementReceived(body=body):
            restart = body.policy is SupplementPolicy.RESTART
            return _resumed(dossier, event, calendar, restart=restart)
        case de.PaymentReceived():
            return _resumed(dossier, event, calendar, restart=False)
        case de.DossierDelayed(body=body):
            moved = dossier.model_copy(
                update={"clock": dossier.clock.delay(body.new_appointment_at), "apology_sent": True}
            )
            return moved, (_deadline_set(moved, event, "apology"),)
        case de.DossierTransferred(body=body):
            return _transferred(dossier, body, at, calendar), ()
        case de.DossierResolved():
            return _resolved(dossier, event, calendar)
        case de.DossierStopped():
            return dossier.model_copy(update={"ended": "stopped"}), ()
        case de.DossierWithdrawn():
            return dossier.model_copy(update={"ended": "withdrawn"}), ()
        case de.DossierReceiptRefused():
            return dossier.model_copy(update={"ended": "refused_at_receipt"}), ()
    return None  # returns and postal updates come after resolution: no deadline effect


def _received(event: de.DossierReceived, calendar: BusinessCalendar) -> Decision:
    body = event.body
    first_step = body.steps[0].time_limit if body.steps else None
    dossier = TrackedDossier(
        code=body.dossier_code,
        agency_code=body.agency_code,
        received_at=event.occurred_at,
        time_limit=body.time_limit,
        supplement_policy=body.supplement_policy,
        steps=body.steps,
        step_due_at=_step_due(event.occurred_at, first_step, calendar),
        clock=DossierClock.start(event.occurred_at, body.time_limit, calendar),
        applied=(event.event_id,),
    )
    return Decision(dossier, (_deadline_set(dossier, event, "received"),))


def _step_due(
    start: datetime, limit: de.TimeLimit | None, calendar: BusinessCalendar
) -> datetime | None:
    return None if limit is None else calendar.due_at(start, limit.amount, limit.unit)


def _resumed(
    dossier: TrackedDossier, event: de.DossierEvent, calendar: BusinessCalendar, *, restart: bool
) -> tuple[TrackedDossier, tuple[DeadlineEvent, ...]] | None:
    if not dossier.paused:
        return None
    clock = dossier.clock.resume(event.occurred_at, calendar, restart=restart)
    resumed = dossier.model_copy(update={"clock": clock})
    reason: Literal["supplement_restart", "resumed"] = (
        "supplement_restart" if restart else "resumed"
    )
    return resumed, (_deadline_set(resumed, event, reason),)


def _transferred(
    dossier: TrackedDossier,
    body: de.DossierTransferredBody,
    at: datetime,
    calendar: BusinessCalendar,
) -> TrackedDossier:
    step = dossier.steps[body.step_index] if body.step_index < len(dossier.steps) else None
    return dossier.model_copy(
        update={
            "agency_code": body.agency_code,
            "step_index": body.step_index,
            "step_due_at": _step_due(at, step.time_limit if step else None, calendar),
        }
    )


def _resolved(
    dossier: TrackedDossier, event: de.DossierResolved, calendar: BusinessCalendar
) -> tuple[TrackedDossier, tuple[DeadlineEvent, ...]]:
    classification = dossier.clock.classify(event.occurred_at, calendar)
    resolved = dossier.model_copy(
        update={
            "ended": "resolved",
            "classification": classification,
            "resolved_at": event.occurred_at,
        }
    )
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
        ),
    )
    return resolved, (classified,)


def _deadline_set(
    dossier: TrackedDossier,
    cause: de.DossierEvent,
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
    "Windows",
    "decide",
    "fire",
    "state_of",
    "timers_for",
]
