"""What reporting keeps of a dossier, by event time, and its state at any instant. Pure.

Each event contributes facts keyed by what set them (a due instant under the time it took
effect, a pause under its time, an ending under its kind), so applying events in any order,
or twice, leaves the same facts; and the state at a period's end is computed only from the
facts that took effect by then (README, "Definitions")."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator

from shared.events import deadline as deadline_events
from shared.events import dossier as dossier_events
from shared.events import feedback as feedback_events
from shared.events.envelope import Event
from shared.events.survey import RatingAccepted, SurveyAnswered
from shared.events.vocabulary import (
    Channel,
    Classification,
    RatingLevel,
    SurveyAspect,
    SurveyLevel,
)


class Ending(StrEnum):
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    REFUSED_AT_RECEIPT = "refused_at_receipt"


class OpenState(StrEnum):
    WITHIN = "within"
    OVERDUE = "overdue"
    PAUSED = "paused"


class DossierFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    agency: str
    level: str
    field: str
    procedure: str
    channel: Channel
    received_at: AwareDatetime
    endings: tuple[tuple[AwareDatetime, Ending], ...] = ()
    dues: tuple[tuple[AwareDatetime, AwareDatetime], ...] = ()  # (took effect, due instant)
    pauses: tuple[tuple[AwareDatetime, bool], ...] = ()  # (when, paused?)
    classification: Classification | None = None
    apology_sent: bool = False
    # interconnected steps closed (deadline's StepClosed), by step index
    steps: tuple[deadline_events.StepOutcome, ...] = ()
    # a late dossier's lateness, attributed by deadline's classification (empty: not named)
    late_held_by: tuple[str, ...] = ()
    # facts for the service index (None: the event did not record it)
    fully_online: bool | None = None
    papers_digitised: bool | None = None
    payments: tuple[tuple[AwareDatetime, str], ...] = ()  # (when, method) of each recorded
    electronic_result: bool | None = None

    def group(self, grouping: str) -> str:
        return str(getattr(self, grouping))

    @property
    def ending(self) -> tuple[datetime, Ending] | None:
        """The first ending (intake allows one; the earliest wins if a log says otherwise)."""
        return self.endings[0] if self.endings else None

    @field_validator("endings", "dues", "pauses")
    @classmethod
    def _in_time_order(cls, timed: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(sorted(timed))

    def paused_at(self, moment: datetime, *, including_moment: bool = False) -> bool:
        """Paused just before `moment` (or just after it, changes at `moment` included)."""
        state = False
        for at, paused in self.pauses:
            if at < moment or (including_moment and at == moment):
                state = paused
        return state

    def due_at(self, moment: datetime) -> datetime | None:
        """The due instant in force at `moment` (set by the last change that took effect)."""
        due = None
        for took_effect, due_at in self.dues:
            if took_effect <= moment:
                due = due_at
        return due

    def late_since(self) -> datetime | None:
        """The first instant the dossier was past its due instant while running: from then on
        it is late, whatever comes after (a restart, a resume, a pause)."""
        changes = sorted({at for at, _ in self.dues} | {at for at, _ in self.pauses})
        for index, start in enumerate(changes):
            due = self.due_at(start)
            if due is None or self.paused_at(start, including_moment=True):
                continue
            crossed = max(start, due)
            if index + 1 == len(changes) or crossed < changes[index + 1]:
                return crossed
        return None

    def open_state_at(self, end: datetime) -> OpenState:
        """An open dossier's state at `end`: overdue once past a due instant (even if paused
        since), else paused, else within its deadline."""
        late = self.late_since()
        if late is not None and late < end:
            return OpenState.OVERDUE
        if self.paused_at(end):
            return OpenState.PAUSED
        return OpenState.WITHIN


class SurveyFacts(BaseModel):
    """One periodic survey's answers (five levels over five aspects), keyed by its event id:
    a redelivery is the same survey."""

    model_config = ConfigDict(frozen=True)

    survey_id: str
    agency: str
    answered_at: AwareDatetime
    period: str | None = None  # the period the survey is about, as the surveyor named it
    answers: dict[SurveyAspect, SurveyLevel]


class FeedbackFacts(BaseModel):
    """One feedback, as survey filed it and deadline judged it."""

    model_config = ConfigDict(frozen=True)

    code: str
    agency: str
    category: str
    received_at: AwareDatetime
    time_limit_days: int
    due_at: AwareDatetime | None = None  # deadline's, once its FeedbackDeadlineSet is read
    overdue_at: AwareDatetime | None = None  # when deadline fired its overdue (once)
    answered_at: AwareDatetime | None = None
    on_time: bool | None = None  # deadline's judgement of the answer
    rating: RatingLevel | None = None  # the filer's rating of the answer

    def judged_on_time(self) -> bool | None:
        """Deadline's judgement; before it is read, the same rule on its due instant; None
        while neither is known (the feedback then waits out of the answered columns)."""
        if self.on_time is not None:
            return self.on_time
        if self.answered_at is None or self.due_at is None:
            return None
        return self.answered_at <= self.due_at


def feedback_from(code: str, row: dict[str, str]) -> FeedbackFacts | None:
    """A stored hash back into facts; None until the filing is known."""
    if "received_at" not in row:
        return None
    on_time = row.get("on_time")
    return FeedbackFacts(
        code=code, agency=row["agency"], category=row["category"],
        received_at=row["received_at"], time_limit_days=int(row["time_limit_days"]),
        due_at=row.get("due_at") or None, overdue_at=row.get("overdue_at") or None,
        answered_at=row.get("answered_at") or None,
        on_time=None if on_time is None else on_time == "1", rating=row.get("rating") or None,
    )  # fmt: skip


@dataclass(frozen=True)
class FactsUpdate:
    """What one event sets. Every part is an order-free merge: `fields` are keyed by what set
    them; the earliest closing instant wins; the latest rating wins."""

    code: str
    fields: dict[str, str] = field(default_factory=dict)
    opened: bool = False
    closed_at: datetime | None = None
    rating: dict[str, str] | None = None
    rated_at: datetime | None = None
    survey: SurveyFacts | None = None  # `code` is then the survey's event id
    feedback: bool = False  # `code`, `fields`, `opened`, `closed_at` are a feedback's


def update_of(event: Event) -> FactsUpdate | None:
    """What one event changes in the facts (None: nothing reporting keeps)."""
    for read in (_of_dossier, _of_deadline, _of_feedback, _of_rating_or_survey):
        update = read(event)
        if update is not None:
            return update
    return None


def _of_dossier(event: Event) -> FactsUpdate | None:
    """A lifecycle event: the dossier received, paused, resumed, delayed or ended."""
    at = event.occurred_at
    match event:
        case dossier_events.DossierReceived(body=body):
            fields = {"agency": body.agency_code, "level": body.level.value, "field": body.field,
                      "procedure": body.procedure_code, "channel": body.channel.value,
                      "received_at": at.isoformat()}  # fmt: skip
            if body.fully_online is not None:
                fields["fully_online"] = _flag(body.fully_online)
            if body.papers_digitised is not None:
                fields["digitised"] = _flag(body.papers_digitised)
            return FactsUpdate(body.dossier_code, fields, opened=True)
        case dossier_events.DossierResolved(body=body):
            resolved = _ended(body.dossier_code, Ending.RESOLVED, at)
            if body.electronic_result is not None:
                resolved.fields["electronic_result"] = _flag(body.electronic_result)
            return resolved
        case dossier_events.DossierWithdrawn(body=body):
            return _ended(body.dossier_code, Ending.WITHDRAWN, at)
        case dossier_events.DossierStopped(body=body):
            return _ended(body.dossier_code, Ending.STOPPED, at)
        case dossier_events.DossierReceiptRefused(body=body):
            return _ended(body.dossier_code, Ending.REFUSED_AT_RECEIPT, at)
        case dossier_events.SupplementRequested() | dossier_events.PaymentRequested():
            return FactsUpdate(event.body.dossier_code, {f"pause:{at.timestamp()}": "p"})
        case dossier_events.PaymentReceived(body=body):
            paid = {f"pause:{at.timestamp()}": "r"}
            if body.method is not None:
                paid[f"paid:{at.timestamp()}"] = body.method.value
            return FactsUpdate(body.dossier_code, paid)
        case dossier_events.SupplementReceived():
            return FactsUpdate(event.body.dossier_code, {f"pause:{at.timestamp()}": "r"})
        case dossier_events.DossierDelayed(body=body):
            return FactsUpdate(body.dossier_code, {"apology": "1"})
    return None


def _of_deadline(event: Event) -> FactsUpdate | None:
    """deadline's judgements: the due instant, the classification, a step closed."""
    at = event.occurred_at
    match event:
        case deadline_events.DeadlineSet(body=body):
            return FactsUpdate(
                body.dossier_code, {f"due:{at.timestamp()}": body.due_at.isoformat()}
            )
        case deadline_events.DossierClassified(body=body):
            fields = {"classification": body.classification.value}
            if body.apology_sent:
                fields["apology"] = "1"
            if body.late_held_by:
                fields["held_by"] = ",".join(body.late_held_by)
            return FactsUpdate(body.dossier_code, fields)
        case deadline_events.StepClosed(body=body):
            step = body.step
            return FactsUpdate(
                body.dossier_code, {f"step:{step.step_index}": step.model_dump_json()}
            )
    return None


def _of_feedback(event: Event) -> FactsUpdate | None:
    """A feedback's life: received, due, overdue, answered, judged, rated."""
    at = event.occurred_at
    match event:
        case feedback_events.FeedbackReceived(body=body):
            fields = {"agency": body.agency_code, "category": body.category,
                      "received_at": at.isoformat(),
                      "time_limit_days": str(body.time_limit_days)}  # fmt: skip
            return FactsUpdate(body.feedback_code, fields, opened=True, feedback=True)
        case feedback_events.FeedbackDeadlineSet(body=body):
            return FactsUpdate(
                body.feedback_code, {"due_at": body.due_at.isoformat()}, feedback=True
            )
        case feedback_events.FeedbackOverdue(body=body):
            return FactsUpdate(body.feedback_code, {"overdue_at": at.isoformat()}, feedback=True)
        case feedback_events.FeedbackAnswered(body=body):
            answered = {"answered_at": at.isoformat()}
            return FactsUpdate(body.feedback_code, answered, closed_at=at, feedback=True)
        case feedback_events.FeedbackClassified(body=body):
            judged = {"on_time": "1" if body.on_time else "0", "due_at": body.due_at.isoformat()}
            return FactsUpdate(body.feedback_code, judged, feedback=True)
        case feedback_events.FeedbackAnswerRated(body=body):
            rated = {"rating": body.level.value}
            return FactsUpdate(body.feedback_code, rated, feedback=True)
    return None


def _of_rating_or_survey(event: Event) -> FactsUpdate | None:
    """A rating accepted, or a periodic survey answered."""
    at = event.occurred_at
    match event:
        case RatingAccepted(body=body):
            rating = {"agency": body.agency_code, "clerk": body.clerk_id or "",
                      "procedure": body.procedure_code, "rating": body.rating.value,
                      "reason_category": body.reason_category or "",
                      "rated_at": at.isoformat()}  # fmt: skip
            return FactsUpdate(body.dossier_code, rating=rating, rated_at=at)
        case SurveyAnswered(body=body):
            survey = SurveyFacts(
                survey_id=event.event_id, agency=body.agency_code, answered_at=at,
                period=body.period, answers=body.answers,
            )  # fmt: skip
            return FactsUpdate(event.event_id, survey=survey)
    return None


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _unflag(value: str | None) -> bool | None:
    return None if value is None else value == "1"


def _ended(code: str, ending: Ending, at: datetime) -> FactsUpdate:
    return FactsUpdate(code, {f"ended:{ending.value}": at.isoformat()}, closed_at=at)


def facts_from(code: str, row: dict[str, str]) -> DossierFacts | None:
    """A stored hash back into facts; None until the receipt is known."""
    if "received_at" not in row:
        return None
    zone = datetime.fromisoformat(row["received_at"]).tzinfo
    timed: dict[str, list[tuple[Any, ...]]] = {"pause": [], "due": [], "ended": [], "paid": []}
    steps: list[deadline_events.StepOutcome] = []
    for name, value in row.items():
        kind, _, key = name.partition(":")
        if kind == "pause":
            timed[kind].append((datetime.fromtimestamp(float(key), zone), value == "p"))
        elif kind == "due":
            took_effect = datetime.fromtimestamp(float(key), zone)
            timed[kind].append((took_effect, datetime.fromisoformat(value)))
        elif kind == "ended":
            timed[kind].append((datetime.fromisoformat(value), Ending(key)))
        elif kind == "paid":
            timed[kind].append((datetime.fromtimestamp(float(key), zone), value))
        elif kind == "step":
            steps.append(deadline_events.StepOutcome.model_validate_json(value))
    return DossierFacts(
        code=code, agency=row["agency"], level=row["level"], field=row["field"],
        procedure=row["procedure"], channel=row["channel"], received_at=row["received_at"],
        endings=tuple(timed["ended"]), dues=tuple(timed["due"]), pauses=tuple(timed["pause"]),
        classification=row.get("classification") or None,
        apology_sent=row.get("apology") == "1",
        steps=tuple(sorted(steps, key=lambda step: step.step_index)),
        late_held_by=tuple(filter(None, row.get("held_by", "").split(","))),
        fully_online=_unflag(row.get("fully_online")),
        papers_digitised=_unflag(row.get("digitised")),
        payments=tuple(sorted(timed["paid"])),
        electronic_result=_unflag(row.get("electronic_result")),
    )  # fmt: skip


class RatingFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    agency: str
    clerk: str | None
    procedure: str
    rating: RatingLevel
    rated_at: AwareDatetime
    reason_category: str | None = None  # a dissatisfied rating's (none before categories)

    def group(self, grouping: str) -> str:
        return str(getattr(self, grouping) or "-")


def rating_from(code: str, row: dict[str, str]) -> RatingFacts:
    return RatingFacts(
        code=code, agency=row["agency"], clerk=row.get("clerk") or None,
        procedure=row["procedure"], rating=row["rating"], rated_at=row["rated_at"],
        reason_category=row.get("reason_category") or None,
    )  # fmt: skip


def fold_feedback(events: Iterable[Event]) -> list[FeedbackFacts]:
    """Events straight to feedback facts, in memory (what the stores hold after them)."""
    rows: dict[str, dict[str, str]] = {}
    for event in events:
        update = update_of(event)
        if update is not None and update.feedback:
            rows.setdefault(update.code, {}).update(update.fields)
    found = (feedback_from(code, row) for code, row in sorted(rows.items()))
    return [facts for facts in found if facts is not None]


def fold_surveys(events: Iterable[Event]) -> list[SurveyFacts]:
    """Events straight to survey facts, in memory (a redelivered survey counts once)."""
    found: dict[str, SurveyFacts] = {}
    for event in events:
        update = update_of(event)
        if update is not None and update.survey is not None:
            found[update.survey.survey_id] = update.survey
    return list(found.values())


def fold_facts(events: Iterable[Event]) -> tuple[list[DossierFacts], list[RatingFacts]]:
    """Events straight to facts, in memory: what the stores hold after applying them."""
    rows: dict[str, dict[str, str]] = {}
    ratings: dict[str, tuple[datetime, dict[str, str]]] = {}
    for event in events:
        update = update_of(event)
        if update is None or update.feedback:
            continue
        rows.setdefault(update.code, {}).update(update.fields)
        if update.rating is not None and update.rated_at is not None:
            current = ratings.get(update.code)
            if current is None or current[0] <= update.rated_at:
                ratings[update.code] = (update.rated_at, update.rating)
    facts = [found for code, row in rows.items() if (found := facts_from(code, row)) is not None]
    return facts, [rating_from(code, row) for code, (_, row) in ratings.items()]
