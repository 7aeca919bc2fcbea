"""A hand-computed month: the events of ten dossiers and the table they must give for
March 2026 (agency UBND.Q1). Used by the unit and the integration tests of reporting."""

from datetime import datetime
from typing import Any

from shared.domain.business_calendar import VIETNAM
from shared.events import deadline as deadline_events
from shared.events import dossier as lifecycle
from shared.events.envelope import Event
from shared.events.survey import RatingAccepted, RatingAcceptedBody
from shared.events.topics import DEADLINE_EVENTS, DOSSIER_EVENTS, SURVEY_EVENTS
from shared.events.vocabulary import Channel, Classification, Level, RatingChannel, RatingLevel
from tests.support import dossier_events as ev

AGENCY = ev.AGENCY


def vn(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=VIETNAM)


def _with_channel(event: lifecycle.DossierReceived, channel: Channel) -> lifecycle.DossierReceived:
    return event.model_copy(update={"body": event.body.model_copy(update={"channel": channel})})


def topic_of(event: Event) -> str:
    """The topic an event of these scenarios is published on."""
    if isinstance(event, RatingAccepted):
        return SURVEY_EVENTS
    if isinstance(event, deadline_events.DeadlineSet | deadline_events.DossierClassified):
        return DEADLINE_EVENTS
    return DOSSIER_EVENTS


def deadline_set(code: str, due: datetime, at: datetime) -> deadline_events.DeadlineSet:
    return deadline_events.DeadlineSet(
        event_id=f"{code}/due/{at.isoformat()}", occurred_at=at, recorded_at=at, source="test",
        body=deadline_events.DeadlineSetBody(dossier_code=code, agency_code=AGENCY, due_at=due,
                                appointment_at=due, reason="received"),
    )  # fmt: skip


def classified(code: str, at: datetime, kind: Classification, apology: bool = False) -> Event:
    return deadline_events.DossierClassified(
        event_id=f"{code}/classified", occurred_at=at, recorded_at=at, source="test",
        body=deadline_events.DossierClassifiedBody(
            dossier_code=code, agency_code=AGENCY, classification=kind,
            due_at=at, resolved_at=at, apology_sent=apology,
        ),
    )  # fmt: skip


def rating(code: str, level: RatingLevel, at: datetime, n: int = 0) -> RatingAccepted:
    return RatingAccepted(
        event_id=f"{code}/rating/{n}", occurred_at=at, recorded_at=at, source="test",
        body=RatingAcceptedBody(dossier_code=code, agency_code=AGENCY, clerk_id="clerk-7",
                                procedure_code="1.001", level=Level.DISTRICT, rating=level,
                                channel=RatingChannel.KIOSK),
    )  # fmt: skip


def march_events(prefix: str) -> tuple[list[Event], dict[str, str]]:
    """Events in an order a real system could deliver them (topics interleave)."""
    c = {name: f"{prefix}-26030{n % 10}-{n:04d}" for n, name in enumerate("ABCDEFGHIJ", start=1)}
    online, postal = Channel.ONLINE, Channel.POSTAL
    events: list[Event] = [
        ev.received(c["A"], vn(2, 20)), ev.resolved(c["A"], vn(3, 5)),
        classified(c["A"], vn(3, 5), Classification.EARLY),
        ev.received(c["B"], vn(2, 25)), ev.resolved(c["B"], vn(2, 27)),
        classified(c["B"], vn(2, 27), Classification.EARLY),
        ev.received(c["C"], vn(3, 2)), ev.resolved(c["C"], vn(3, 10)),
        classified(c["C"], vn(3, 10), Classification.ON_TIME),
        _with_channel(ev.received(c["D"], vn(3, 3)), online),
        ev.delayed(c["D"], vn(3, 9), previous=vn(3, 10), new=vn(3, 20)),
        ev.resolved(c["D"], vn(3, 20)), classified(c["D"], vn(3, 20), Classification.LATE, True),
        _with_channel(ev.received(c["E"], vn(3, 4)), postal),
        deadline_set(c["E"], vn(3, 20), vn(3, 4)),
        _with_channel(ev.received(c["F"], vn(3, 30)), online),
        deadline_set(c["F"], vn(4, 10), vn(3, 30)),
        ev.received(c["G"], vn(3, 10)), deadline_set(c["G"], vn(3, 16), vn(3, 10)),
        ev.supplement_requested(c["G"], vn(3, 15)),
        ev.received(c["H"], vn(3, 12)), ev.withdrawn(c["H"], vn(3, 14)),
        ev.received(c["I"], vn(4, 2)),
        ev.received(c["J"], vn(2, 10)), deadline_set(c["J"], vn(2, 20), vn(2, 10)),
        rating(c["A"], RatingLevel.SATISFIED, vn(3, 5)),
        rating(c["C"], RatingLevel.DISSATISFIED, vn(3, 10)),
        rating(c["C"], RatingLevel.VERY_SATISFIED, vn(3, 11), n=1),  # replaces the first
        rating(c["D"], RatingLevel.SATISFIED, vn(3, 21)),
        rating(c["B"], RatingLevel.SATISFIED, vn(2, 28)),  # February: not in March
    ]  # fmt: skip
    return events, c


MARCH_TOTAL: dict[str, Any] = {
    "group": "total", "group_name": None, "received_total": 8, "carried_over": 2,
    "new_total": 6, "new_online": 2, "new_counter": 3, "new_postal": 1, "refused_at_receipt": 0,
    "resolved_total": 3, "resolved_early": 1, "resolved_on_time": 1, "resolved_late": 1,
    "late_with_apology": 1, "withdrawn": 1, "stopped": 0, "pending_total": 4,
    "pending_within": 1, "pending_overdue": 2, "paused": 1, "on_time_rate": 0.6667,
    "online_rate": 0.3333,
}  # fmt: skip

# J is resolved late on 31 March, and the event arrives after the report was first read.
MARCH_TOTAL_AFTER_LATE_EVENT = MARCH_TOTAL | {
    "resolved_total": 4, "resolved_late": 2, "pending_total": 3, "pending_overdue": 1,
    "on_time_rate": 0.5,
}  # fmt: skip

MARCH_SATISFACTION_TOTAL: dict[str, object] = {
    "group": "total", "group_name": None, "ratings_total": 3, "very_satisfied": 1,
    "satisfied": 2, "dissatisfied": 0, "satisfied_rate": 1.0, "rank": None,
    "dissatisfied_by_reason": {},
}  # fmt: skip


def late_events(codes: dict[str, str]) -> list[Event]:
    return [
        ev.resolved(codes["J"], vn(3, 31)),
        classified(codes["J"], vn(3, 31), Classification.LATE),
    ]
