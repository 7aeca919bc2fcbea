"""Feedback deadlines, pure: a feedback's due instant (its category's working days, stamped on
the receipt, counted on the working-time calendar from the filing), the warning before it, the
overdue once it passes unanswered, and the answer judged on time or late. No I/O, no clock.

Timers are the dossiers' kinds (`due_soon`, `overdue`), kept in a schedule of their own, so
each fires once for the due instant it was set for, as a dossier's does.
"""

from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime

from services.deadline.domain.tracking import (
    OutOfOrderError,
    Timer,
    TimerKind,
    TrackedState,
    Windows,
)
from shared.domain.business_calendar import BusinessCalendar, DeadlineState
from shared.events.envelope import derived_event_id
from shared.events.feedback import (
    FeedbackAnswered,
    FeedbackClassified,
    FeedbackClassifiedBody,
    FeedbackDeadlineEvent,
    FeedbackDeadlineSet,
    FeedbackDueBody,
    FeedbackDueSoon,
    FeedbackEvent,
    FeedbackOverdue,
    FeedbackReceived,
)
from shared.events.vocabulary import TimeUnit

SOURCE = "deadline"


class TrackedFeedback(TrackedState):
    """What deadline keeps of one feedback."""

    agency_code: str
    category: str
    received_at: AwareDatetime
    due_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    on_time: bool | None = None

    @property
    def open(self) -> bool:
        return self.answered_at is None


@dataclass(frozen=True)
class FeedbackDecision:
    feedback: TrackedFeedback
    events: tuple[FeedbackDeadlineEvent, ...]


def decide_feedback(
    tracked: TrackedFeedback | None, event: FeedbackEvent, calendar: BusinessCalendar
) -> FeedbackDecision | None:
    """Fold one feedback event in; None when it changes nothing (a redelivery, a rating)."""
    match event:
        case FeedbackReceived(body=body):
            if tracked is not None:
                return None
            due_at = calendar.due_at(event.occurred_at, body.time_limit_days, TimeUnit.WORKING_DAYS)
            feedback = TrackedFeedback(
                code=body.feedback_code,
                agency_code=body.agency_code,
                category=body.category,
                received_at=event.occurred_at,
                due_at=due_at,
            )
            deadline_set = FeedbackDeadlineSet(
                **_envelope("FeedbackDeadlineSet", event.event_id, event.occurred_at, event),
                body=_due_body(feedback),
            )
            return FeedbackDecision(feedback, (deadline_set,))
        case FeedbackAnswered():
            if tracked is None:
                raise OutOfOrderError(f"an answer to {event.body.feedback_code} before its filing")
            if not tracked.open:
                return None
            at = event.occurred_at
            answered = tracked.model_copy(
                update={"answered_at": at, "on_time": at <= tracked.due_at}
            )
            classified = FeedbackClassified(
                **_envelope("FeedbackClassified", event.event_id, at, event),
                body=FeedbackClassifiedBody(
                    **_due_body(tracked).model_dump(), answered_at=at, on_time=at <= tracked.due_at
                ),
            )
            return FeedbackDecision(answered, (classified,))
    return None


def _envelope(
    kind: str, cause_id: str, occurred_at: datetime, cause: FeedbackEvent
) -> dict[str, object]:
    return {
        "event_id": derived_event_id(SOURCE, kind, cause_id),
        "occurred_at": occurred_at,
        "recorded_at": cause.recorded_at,
        "source": SOURCE,
    }


def _due_body(feedback: TrackedFeedback) -> FeedbackDueBody:
    return FeedbackDueBody(
        feedback_code=feedback.code,
        agency_code=feedback.agency_code,
        category=feedback.category,
        due_at=feedback.due_at,
    )


def feedback_timers(
    feedback: TrackedFeedback, calendar: BusinessCalendar, windows: Windows
) -> list[Timer]:
    if not feedback.open:
        return []
    soon_at = calendar.subtract_working_time(feedback.due_at, windows.due_soon)
    return [
        Timer(TimerKind.DUE_SOON, feedback.code, feedback.due_at, soon_at),
        Timer(TimerKind.OVERDUE, feedback.code, feedback.due_at, feedback.due_at),
    ]


def fire_feedback(
    feedback: TrackedFeedback | None, timer: Timer, recorded_at: datetime
) -> FeedbackDeadlineEvent | None:
    """The event a due timer publishes; None when the feedback was answered meanwhile. Its id
    derives from the timer, so a timer fired again (a lost confirmation) repeats the id."""
    if feedback is None or not feedback.open or feedback.due_at != timer.instant:
        return None
    common = {
        "event_id": derived_event_id(SOURCE, "feedback", timer.member),
        "occurred_at": timer.fire_at,
        "recorded_at": recorded_at,
        "source": SOURCE,
        "body": _due_body(feedback),
    }
    if timer.kind is TimerKind.DUE_SOON:
        return FeedbackDueSoon.model_validate(common)
    if timer.kind is TimerKind.OVERDUE:
        return FeedbackOverdue.model_validate(common)
    return None


def feedback_state(
    feedback: TrackedFeedback, now: datetime, calendar: BusinessCalendar, windows: Windows
) -> DeadlineState | None:
    """An open feedback's state at `now` (within, due soon, overdue); None once answered."""
    if not feedback.open:
        return None
    return calendar.state_at(now, feedback.due_at, paused=False, due_soon_window=windows.due_soon)
