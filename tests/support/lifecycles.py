"""Random but legal dossier lives for property tests: a walk over intake's steps, the
deadline events the real deadline domain derives from them, all with event times."""

import random
from datetime import datetime, timedelta

from services.deadline.domain.tracking import TrackedDossier, decide
from shared.domain.business_calendar import VIETNAM, BusinessCalendar
from shared.events import dossier as lifecycle
from shared.events.envelope import Event
from shared.events.vocabulary import Channel, SupplementPolicy
from tests.support import dossier_events as ev

CALENDAR = BusinessCalendar()
START = datetime(2026, 1, 5, 8, tzinfo=VIETNAM)
AGENCIES = ("UBND.Q1", "STP", "UBND.P.BN")


def life(code: str, rng: random.Random) -> list[Event]:
    """One dossier's events in time order: receipt, then steps its state allows."""
    at = START + timedelta(hours=rng.randrange(0, 24 * 120))
    receipt = ev.received(code, at, amount=rng.choice([1, 3, 5, 10]),
                          policy=rng.choice(list(SupplementPolicy)),
                          agency=rng.choice(AGENCIES))  # fmt: skip
    channel = rng.choice(list(Channel))
    events: list[lifecycle.DossierEvent] = [
        receipt.model_copy(update={"body": receipt.body.model_copy(update={"channel": channel})})
    ]
    if rng.random() < 0.1:
        return with_deadlines([*events, ev.receipt_refused(code, at + timedelta(minutes=30))])
    state, appointment = "processing", receipt.body.appointment_at
    for _ in range(rng.randrange(0, 6)):
        at += timedelta(hours=rng.choice([1, 5, 20, 50, 100, 300]))
        if state == "processing":
            choice = rng.choice(["supplement", "payment", "delay", "resolve", "stop", "withdraw"])
            if choice == "delay" and at >= appointment:
                choice = "resolve"  # an apology must come before the appointment passes
        else:
            choice = rng.choice(["resume", "resume", "stop", "withdraw"])
        step, state = _step(code, choice, state, at, appointment)
        if isinstance(step, lifecycle.DossierDelayed):
            appointment = step.body.new_appointment_at
        events.append(step)
        if state == "ended":
            break
    return with_deadlines(events)


def _step(
    code: str, choice: str, state: str, at: datetime, appointment: datetime
) -> tuple[lifecycle.DossierEvent, str]:
    match choice:
        case "supplement":
            return ev.supplement_requested(code, at), "supplement"
        case "payment":
            return ev.payment_requested(code, at), "payment"
        case "resume" if state == "supplement":
            return ev.supplement_received(code, at), "processing"
        case "resume":
            return ev.payment_received(code, at), "processing"
        case "delay":
            later = max(appointment, at) + timedelta(days=3)
            return ev.delayed(code, at, previous=appointment, new=later), "processing"
        case "resolve":
            return ev.resolved(code, at), "ended"
        case "stop":
            return ev.stopped(code, at), "ended"
    return ev.withdrawn(code, at), "ended"


def with_deadlines(events: list[lifecycle.DossierEvent]) -> list[Event]:
    """The dossier events and what the deadline domain publishes for them."""
    tracked: TrackedDossier | None = None
    out: list[Event] = []
    for event in events:
        out.append(event)
        decision = decide(tracked, event, CALENDAR)
        if decision is not None:
            tracked = decision.dossier
            out.extend(decision.events)
    return out


def history(seed: int, dossiers: int) -> list[Event]:
    rng = random.Random(seed)
    return [event for n in range(dossiers) for event in life(f"P{seed % 1000}-260101-{n:04d}", rng)]
