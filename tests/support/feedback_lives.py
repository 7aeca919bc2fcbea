"""Feedbacks' lives as survey and deadline publish them, and a month of them (March 2026)."""

from datetime import datetime

from services.deadline.domain.feedback_tracking import (
    decide_feedback,
    feedback_timers,
    fire_feedback,
)
from services.deadline.domain.tracking import TimerKind, Windows
from services.reporting.domain.periods import period_from
from shared.domain.business_calendar import VIETNAM, BusinessCalendar
from shared.events.envelope import Event
from shared.events.feedback import (
    FeedbackAnswered,
    FeedbackAnsweredBody,
    FeedbackAnswerRated,
    FeedbackAnswerRatedBody,
    FeedbackReceived,
    FeedbackReceivedBody,
)

CALENDAR = BusinessCalendar()
MARCH = period_from(None, None, "2026-M03", regime=False)
WARD = "UBND.P.SG"


def vn(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=VIETNAM)


def life(code: str, filed: datetime, answered: datetime | None, rating: str | None = None,
         category: str = "conduct") -> list[Event]:  # fmt: skip
    """A feedback's events as survey and deadline publish them, overdue fired if it passed."""
    received = FeedbackReceived(
        event_id=f"{code}-r", occurred_at=filed, recorded_at=filed, source="survey",
        body=FeedbackReceivedBody(
            feedback_code=code, agency_code=WARD, category=category, about="agency",
            submitter="person", channel="hotline", time_limit_days=10, limit_source="test",
            content="...", token_sha256="0" * 64,
        ),
    )  # fmt: skip
    events: list[Event] = [received]
    decision = decide_feedback(None, received, CALENDAR)
    assert decision is not None
    tracked = decision.feedback
    events += decision.events
    overdue = next(t for t in feedback_timers(tracked, CALENDAR, Windows())
                   if t.kind is TimerKind.OVERDUE)  # fmt: skip
    if answered is None or answered > overdue.fire_at:
        fired = fire_feedback(tracked, overdue, overdue.fire_at)
        assert fired is not None
        events.append(fired)
    if answered is not None:
        answer = FeedbackAnswered(
            event_id=f"{code}-a", occurred_at=answered, recorded_at=answered, source="survey",
            body=FeedbackAnsweredBody(feedback_code=code, agency_code=WARD, category=category,
                                      answered_by="desk", answer="ok"),
        )  # fmt: skip
        events.append(answer)
        judged = decide_feedback(tracked, answer, CALENDAR)
        assert judged is not None
        events += judged.events
        if rating:
            events.append(FeedbackAnswerRated(
                event_id=f"{code}-s", occurred_at=answered, recorded_at=answered,
                source="survey",
                body=FeedbackAnswerRatedBody(feedback_code=code, agency_code=WARD,
                                             category=category, level=rating),
            ))  # fmt: skip
    return events


EVENTS = [
    *life("PA-260302-000000000A", vn(2), vn(5), "very_satisfied"),  # on time
    *life("PA-260302-000000000B", vn(2), vn(25), "dissatisfied"),  # late (due 16 March)
    *life("PA-260220-000000000C", vn(20, 2), vn(3)),  # filed in February, answered on time
    *life("PA-260323-000000000D", vn(23), None),  # pending, due 6 April: within at the end
    *life("PA-260303-000000000E", vn(3), None),  # pending, due 17 March: overdue at the end
    *life("PA-260303-000000000F", vn(3), vn(2, 4)),  # answered in April: pending overdue
    *life("PA-260302-0000000010", vn(2), vn(4), category="regulation"),
]
