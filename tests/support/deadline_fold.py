"""The deadline domain as a fold over lifecycle events, for the tests of its rules."""

from datetime import datetime

from services.deadline.domain.tracking import TrackedDossier, Windows, decide
from shared.domain.business_calendar import VIETNAM, BusinessCalendar
from shared.events import dossier as dossier_events

CALENDAR = BusinessCalendar()
WINDOWS = Windows()
CODE = "UBND.Q1-260302-0001"


def vn(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


def fold(*events: dossier_events.DossierEvent) -> tuple[TrackedDossier, list[object]]:
    dossier: TrackedDossier | None = None
    published: list[object] = []
    for event in events:
        decision = decide(dossier, event, CALENDAR)
        if decision is not None:
            dossier = decision.dossier
            published.extend(decision.events)
    assert dossier is not None
    return dossier, published
