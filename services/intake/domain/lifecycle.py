"""A dossier's life at the desk, pure: which step is legal in which state, and the events each
step publishes. No I/O, no clock: `now`, the catalogue and the calendar are passed in.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.domain.business_calendar import BusinessCalendar
from shared.domain.catalogue import Agency, Catalogue, Procedure, UnknownInCatalogueError
from shared.domain.dossier_clock import DossierClock, step_clock
from shared.errors import ConflictingError, RejectedError
from shared.events import dossier as dossier_events
from shared.events import intake_requests
from shared.events.envelope import derived_event_id
from shared.events.postal import ReportDeliveryStatus
from shared.events.vocabulary import (
    Channel,
    DeliveryStatus,
    Level,
    Outcome,
    ReturnMethod,
    SupplementPolicy,
)

SOURCE = "intake"
# A new dossier's code until the store allocates the real one, atomically with storing it.
CODE_PLACEHOLDER = "X.PENDING-000000-0000"
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST_YEAR = 2000  # the calendar's holiday data and dossier codes (yyMMdd) start there


class Status(StrEnum):
    PROCESSING = "processing"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    AWAITING_PAYMENT = "awaiting_payment"
    RESOLVED = "resolved"  # result ready at the desk, not yet returned
    RETURNING_BY_POST = "returning_by_post"
    RETURNED = "returned"
    REFUSED_AT_RECEIPT = "refused_at_receipt"
    STOPPED = "stopped"
    WITHDRAWN = "withdrawn"


class RequestRejectedError(RejectedError, ValueError):
    """A request that can never be accepted as it is (HTTP 422, or a dead letter)."""


class IllegalStepError(ConflictingError, ValueError):
    """A step the dossier's state does not allow (HTTP 409, or a dead letter)."""

    def __init__(self, action: str, status: Status, allowed: list[str]) -> None:
        self.action, self.status, self.allowed = action, status, allowed
        super().__init__(
            f"'{action}' is not allowed while the dossier is {status.value}; "
            f"allowed: {', '.join(allowed) or 'none'}"
        )


class LogEntry(BaseModel):
    """One line of the processing log (phiếu kiểm soát quá trình giải quyết): no personal data.
    A hand-off (receipt, transfer, resolution) also says who handed the dossier on, against
    which due instant that holder was judged and whether it was on time, and when the next
    holder's part is due."""

    model_config = ConfigDict(frozen=True)

    step: str
    agency_code: str  # the agency holding the dossier after this step
    at: AwareDatetime
    from_agency_code: str | None = None
    officer_id: str | None = None  # internal staff id; shown only to keys of `agency_code`
    due_at: AwareDatetime | None = None  # the part that ended here: its due instant
    on_time: bool | None = None  # ... and whether it ended by it
    next_due_at: AwareDatetime | None = None  # the part that starts here: its due instant
    # what the desk's forms print (services/intake/domain/forms.py): the reason given (missing
    # papers, refusal, apology), and the appointment given here with the one it replaced
    reason: str | None = None
    appointment_at: AwareDatetime | None = None
    previous_appointment_at: AwareDatetime | None = None


class DossierRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    status: Status
    procedure_code: str
    procedure_version: str
    procedure_name: str
    field: str
    level: Level
    receiving_agency_code: str
    agency_code: str  # the agency handling it now
    channel: Channel
    clerk_id: str | None
    return_method: ReturnMethod
    received_at: AwareDatetime
    clock: DossierClock  # due instant and appointment: the same rule deadline follows
    rating_token_sha256: str | None = None  # the receipt's rating token, hashed
    supplement_policy: SupplementPolicy
    steps: tuple[dossier_events.ProcessingStep, ...] = ()
    step_index: int = 0
    step_clock: DossierClock | None = None  # the current interconnected step's own clock
    outcome: Outcome | None = None
    log: tuple[LogEntry, ...] = ()

    @property
    def appointment_at(self) -> datetime:
        return self.clock.appointment_at


# The actions of `POST /v1/dossiers/{code}/{action}` and the states that allow each.
_OPEN = (Status.PROCESSING, Status.AWAITING_SUPPLEMENT, Status.AWAITING_PAYMENT)
ALLOWED_FROM: dict[str, tuple[Status, ...]] = {
    "transfer": (Status.PROCESSING,),
    "request-supplement": (Status.PROCESSING,),
    "receive-supplement": (Status.AWAITING_SUPPLEMENT,),
    "request-payment": (Status.PROCESSING,),
    "receive-payment": (Status.AWAITING_PAYMENT,),
    "delay": _OPEN,
    "resolve": (Status.PROCESSING,),
    "refuse-receipt": (Status.PROCESSING,),
    "stop": _OPEN,
    "withdraw": _OPEN,
    "return": (Status.RESOLVED,),
}
ACTION_OF: dict[type[intake_requests.DossierStep], str] = {
    intake_requests.TransferDossier: "transfer",
    intake_requests.RequestSupplement: "request-supplement",
    intake_requests.ReceiveSupplement: "receive-supplement",
    intake_requests.RequestPayment: "request-payment",
    intake_requests.ReceivePayment: "receive-payment",
    intake_requests.DelayDossier: "delay",
    intake_requests.ResolveDossier: "resolve",
    intake_requests.RefuseReceipt: "refuse-receipt",
    intake_requests.StopDossier: "stop",
    intake_requests.WithdrawDossier: "withdraw",
    intake_requests.ReturnResult: "return",
}


def allowed_actions(status: Status) -> list[str]:
    return [action for action, states in ALLOWED_FROM.items() if status in states]


def effective_time(requested: datetime | None, now: datetime, *, may_backdate: bool) -> datetime:
    """When a step happened: now by default; a given time within 5 minutes of now, or any past
    time for a client migrating history (the `import` scope)."""
    if requested is None:
        return now
    if requested.year < EARLIEST_YEAR:
        raise RequestRejectedError(f"times before {EARLIEST_YEAR} are not accepted")
    if requested > now + CLOCK_SKEW:
        raise RequestRejectedError("occurred_at/received_at is in the future")
    if requested < now - CLOCK_SKEW and not may_backdate:
        raise RequestRejectedError(
            "occurred_at/received_at more than 5 minutes in the past needs the 'import' scope"
        )
    return requested


def _envelope(submission_id: str, at: datetime, now: datetime) -> dict[str, object]:
    return {
        "event_id": derived_event_id(SOURCE, submission_id),
        "occurred_at": at,
        "recorded_at": now,
        "source": SOURCE,
    }


def receive(
    request: intake_requests.ReceiveDossier,
    catalogue: Catalogue,
    calendar: BusinessCalendar,
    now: datetime,
    *,
    may_backdate: bool,
    rating_token_sha256: str,
) -> tuple[DossierRecord, dossier_events.DossierReceived]:
    """A new dossier, its code still `CODE_PLACEHOLDER` (the store allocates it)."""
    at = effective_time(request.received_at, now, may_backdate=may_backdate)
    agency, procedure = _receivable(request, catalogue, calendar.local(at).date())
    limit = procedure.time_limit
    if request.channel is Channel.ONLINE and procedure.online_time_limit is not None:
        limit = procedure.online_time_limit
    clock = DossierClock.start(at, limit, calendar)
    steps = procedure.processing_steps()
    held = step_clock(steps, 0, at, calendar)
    record = DossierRecord(
        code=CODE_PLACEHOLDER,
        status=Status.PROCESSING,
        procedure_code=procedure.code,
        procedure_version=procedure.version,
        procedure_name=procedure.name,
        field=procedure.field,
        level=procedure.level,
        receiving_agency_code=agency.code,
        agency_code=agency.code,
        channel=request.channel,
        clerk_id=request.clerk_id,
        return_method=request.return_method,
        received_at=at,
        clock=clock,
        rating_token_sha256=rating_token_sha256,
        supplement_policy=procedure.supplement_policy,
        steps=steps,
        step_clock=held,
        log=(
            LogEntry(
                step="receive",
                agency_code=agency.code,
                at=at,
                officer_id=request.clerk_id,
                next_due_at=(held or clock).due_at,
                appointment_at=clock.appointment_at,
            ),
        ),
    )
    return record, _received(request, record, procedure, limit, now)


def _receivable(
    request: intake_requests.ReceiveDossier, catalogue: Catalogue, local_day: date
) -> tuple[Agency, Procedure]:
    """The agency and the procedure version the filing names, once it may be received."""
    try:
        agency = catalogue.agency(request.agency_code)
        procedure = catalogue.procedure(request.procedure_code, local_day)
    except UnknownInCatalogueError as error:
        raise RequestRejectedError(str(error)) from error
    if not agency.in_being_on(local_day):
        raise RequestRejectedError(agency.not_in_being(local_day))
    if not catalogue.receivable_by(procedure, agency):
        raise RequestRejectedError(f"agency {agency.code} does not receive {procedure.code}")
    postal = request.channel is Channel.POSTAL or request.return_method is ReturnMethod.POSTAL
    if postal and not procedure.postal_allowed:
        raise RequestRejectedError(
            f"procedure {procedure.code} cannot be filed or returned by post"
        )
    if request.channel is Channel.COUNTER and not request.clerk_id:
        raise RequestRejectedError("clerk_id is required for a counter filing")
    if request.fully_online and request.channel is not Channel.ONLINE:
        raise RequestRejectedError("fully_online is for a filing on the online channel")
    return agency, procedure


def _received(
    request: intake_requests.ReceiveDossier,
    record: DossierRecord,
    procedure: Procedure,
    limit: dossier_events.TimeLimit,
    now: datetime,
) -> dossier_events.DossierReceived:
    return dossier_events.DossierReceived(
        **_envelope(request.submission_id, record.received_at, now),
        body=dossier_events.DossierReceivedBody(
            dossier_code=CODE_PLACEHOLDER,
            agency_code=record.agency_code,
            procedure_code=procedure.code,
            procedure_version=procedure.version,
            level=procedure.level,
            field=procedure.field,
            channel=request.channel,
            clerk_id=request.clerk_id,
            return_method=request.return_method,
            time_limit=limit,
            supplement_policy=procedure.supplement_policy,
            steps=record.steps,
            appointment_at=record.clock.appointment_at,
            rating_token_sha256=record.rating_token_sha256,
            fully_online=request.fully_online,
            papers_digitised=request.papers_digitised,
        ),
    )


def step(
    record: DossierRecord,
    request: intake_requests.DossierStep,
    now: datetime,
    calendar: BusinessCalendar,
    *,
    may_backdate: bool,
) -> tuple[DossierRecord, list[dossier_events.DossierEvent]]:
    """Apply one lifecycle step; raises IllegalStepError or RequestRejectedError."""
    action = ACTION_OF[type(request)]
    if record.status not in ALLOWED_FROM[action]:
        raise IllegalStepError(action, record.status, allowed_actions(record.status))
    at = effective_time(request.occurred_at, now, may_backdate=may_backdate)
    if at < record.log[-1].at:
        raise RequestRejectedError("occurred_at is before the dossier's previous step")
    envelope = _envelope(request.submission_id, at, now)
    effect = _effect_of(record, request, at, calendar, envelope)
    changes, handed_on, events = effect.changes, effect.handed_on, effect.events
    entry = LogEntry.model_validate(
        {"step": action, "agency_code": changes.get("agency_code", record.agency_code), "at": at}
        | handed_on
        | _printed(request, record)
    )
    changes["log"] = (*record.log, entry)
    return record.model_copy(update=changes), events


@dataclass
class Effect:
    """What a step changes in the record, its part of the log line, and its events."""

    changes: dict[str, object] = field(default_factory=dict)
    handed_on: dict[str, object] = field(default_factory=dict)  # a hand-off's log line part
    events: list[dossier_events.DossierEvent] = field(default_factory=list)


MOVES = (intake_requests.TransferDossier, intake_requests.DelayDossier)
PAUSES = (
    intake_requests.RequestSupplement,
    intake_requests.ReceiveSupplement,
    intake_requests.RequestPayment,
    intake_requests.ReceivePayment,
)


def _effect_of(
    record: DossierRecord,
    request: intake_requests.DossierStep,
    at: datetime,
    calendar: BusinessCalendar,
    envelope: dict[str, Any],
) -> Effect:
    if isinstance(request, MOVES):
        return _moved(record, request, at, calendar, envelope)
    if isinstance(request, PAUSES):
        return _paused_or_resumed(record, request, at, calendar, envelope)
    return _ended(record, request, at, calendar, envelope)


def _moved(
    record: DossierRecord,
    request: intake_requests.DossierStep,
    at: datetime,
    calendar: BusinessCalendar,
    envelope: dict[str, Any],
) -> Effect:
    """A transfer to the next agency, or a delay with its new appointment."""
    effect = Effect()
    changes, events = effect.changes, effect.events
    match request:
        case intake_requests.TransferDossier(to_agency_code=to_agency, officer_id=officer):
            moved, event = _transfer(record, to_agency, envelope)
            changes.update(moved)
            held = step_clock(record.steps, record.step_index + 1, at, calendar)
            changes["step_clock"] = held
            effect.handed_on = _handed_on(record, at, officer) | {
                "next_due_at": held and held.due_at
            }
            events.append(event)
        case intake_requests.DelayDossier(reason=reason, new_appointment_at=new_appointment):
            moved, event = _delay(record, reason, new_appointment, at, envelope)
            changes.update(moved)
            events.append(event)
    return effect


def _paused_or_resumed(
    record: DossierRecord,
    request: intake_requests.DossierStep,
    at: datetime,
    calendar: BusinessCalendar,
    envelope: dict[str, Any],
) -> Effect:
    """A supplement or a payment asked (the clocks pause) or received (they resume)."""
    ids = {"dossier_code": record.code, "agency_code": record.agency_code}
    effect = Effect()
    changes, events = effect.changes, effect.events
    body: dossier_events.Body
    match request:
        case intake_requests.RequestSupplement(reason=reason):
            changes.update(
                {
                    "status": Status.AWAITING_SUPPLEMENT,
                    "clock": record.clock.pause(at, calendar),
                    "step_clock": record.step_clock and record.step_clock.pause(at, calendar),
                }
            )
            events.append(
                dossier_events.SupplementRequested(
                    **envelope, body=dossier_events.ReasonBody(**ids, reason=reason)
                )
            )
        case intake_requests.ReceiveSupplement():
            restart = record.supplement_policy is SupplementPolicy.RESTART
            clock = record.clock.resume(at, calendar, restart=restart)
            held = record.step_clock and record.step_clock.resume(at, calendar, restart=restart)
            changes.update({"status": Status.PROCESSING, "clock": clock, "step_clock": held})
            body = dossier_events.SupplementReceivedBody(**ids, policy=record.supplement_policy)
            events.append(dossier_events.SupplementReceived(**envelope, body=body))
        case intake_requests.RequestPayment(amount_vnd=amount, reason=reason):
            changes.update(
                {
                    "status": Status.AWAITING_PAYMENT,
                    "clock": record.clock.pause(at, calendar),
                    "step_clock": record.step_clock and record.step_clock.pause(at, calendar),
                }
            )
            body = dossier_events.PaymentRequestedBody(**ids, amount_vnd=amount, reason=reason)
            events.append(dossier_events.PaymentRequested(**envelope, body=body))
        case intake_requests.ReceivePayment(method=method, amount_vnd=amount):
            clock = record.clock.resume(at, calendar, restart=False)
            held = record.step_clock and record.step_clock.resume(at, calendar, restart=False)
            changes.update({"status": Status.PROCESSING, "clock": clock, "step_clock": held})
            paid = dossier_events.PaymentReceivedBody(**ids, method=method, amount_vnd=amount)
            events.append(dossier_events.PaymentReceived(**envelope, body=paid))
    return effect


def _ended(
    record: DossierRecord,
    request: intake_requests.DossierStep,
    at: datetime,
    calendar: BusinessCalendar,
    envelope: dict[str, Any],
) -> Effect:
    """A resolution, a refusal at receipt, a stop, a withdrawal or the result returned."""
    ids = {"dossier_code": record.code, "agency_code": record.agency_code}
    effect = Effect()
    changes, events = effect.changes, effect.events
    body: dossier_events.Body
    match request:
        case intake_requests.ResolveDossier(outcome=outcome, reason=reason, officer_id=officer):
            if outcome is Outcome.REFUSED and not reason:
                raise RequestRejectedError("a refusal needs a reason")
            changes.update({"status": Status.RESOLVED, "outcome": outcome, "step_clock": None})
            effect.handed_on = _handed_on(record, at, officer)
            electronic = request.electronic_result
            body = dossier_events.DossierResolvedBody(
                **ids, outcome=outcome, reason=reason, electronic_result=electronic
            )
            events.append(dossier_events.DossierResolved(**envelope, body=body))
        case intake_requests.RefuseReceipt(reason=reason):
            _check_refusal_at_receipt(record, at, calendar)
            changes.update({"status": Status.REFUSED_AT_RECEIPT})
            events.append(
                dossier_events.DossierReceiptRefused(
                    **envelope, body=dossier_events.ReasonBody(**ids, reason=reason)
                )
            )
        case intake_requests.StopDossier(reason=reason):
            changes.update({"status": Status.STOPPED})
            events.append(
                dossier_events.DossierStopped(
                    **envelope, body=dossier_events.ReasonBody(**ids, reason=reason)
                )
            )
        case intake_requests.WithdrawDossier(reason=reason):
            changes.update({"status": Status.WITHDRAWN})
            events.append(
                dossier_events.DossierWithdrawn(
                    **envelope, body=dossier_events.ReasonBody(**ids, reason=reason)
                )
            )
        case intake_requests.ReturnResult():
            if record.return_method is ReturnMethod.POSTAL:
                changes.update({"status": Status.RETURNING_BY_POST})  # the postal request goes out
            else:
                changes.update({"status": Status.RETURNED})
                body = dossier_events.ResultReturnedBody(**ids, method=record.return_method)
                events.append(dossier_events.ResultReturned(**envelope, body=body))
    return effect


def _printed(request: intake_requests.DossierStep, record: DossierRecord) -> dict[str, object]:
    """A step's part of its log line that the desk's forms print."""
    printed: dict[str, object] = {}
    reason = getattr(request, "reason", None)
    if reason:
        printed["reason"] = reason
    if isinstance(request, intake_requests.DelayDossier):
        printed |= {
            "appointment_at": request.new_appointment_at,
            "previous_appointment_at": record.appointment_at,
        }
    return printed


def _handed_on(record: DossierRecord, at: datetime, officer: str | None) -> dict[str, object]:
    """The holder's part ends here: judged by its step's clock (by the dossier's when the
    procedure has no interconnected steps)."""
    held = record.step_clock or record.clock
    return {
        "from_agency_code": record.agency_code,
        "officer_id": officer,
        "due_at": held.judged_due_at,
        "on_time": not held.late_at(at),
    }


def _transfer(
    record: DossierRecord, to_agency: str, envelope: dict[str, object]
) -> tuple[dict[str, object], dossier_events.DossierEvent]:
    next_index = record.step_index + 1
    if next_index >= len(record.steps):
        raise RequestRejectedError("this dossier has no further interconnected step")
    expected = record.steps[next_index].agency_code
    if to_agency != expected:
        raise RequestRejectedError(f"the next step is at {expected}, not {to_agency}")
    body = dossier_events.DossierTransferredBody(
        dossier_code=record.code,
        agency_code=to_agency,
        from_agency_code=record.agency_code,
        step_index=next_index,
    )
    changes: dict[str, object] = {"agency_code": to_agency, "step_index": next_index}
    return changes, dossier_events.DossierTransferred(**envelope, body=body)


def _delay(
    record: DossierRecord,
    reason: str,
    new_appointment: datetime,
    at: datetime,
    envelope: dict[str, object],
) -> tuple[dict[str, object], dossier_events.DossierEvent]:
    if at >= record.appointment_at:
        raise RequestRejectedError("an apology must be sent before the current appointment passes")
    if new_appointment <= record.appointment_at:
        raise RequestRejectedError("new_appointment_at must be after the current appointment")
    body = dossier_events.DossierDelayedBody(
        dossier_code=record.code,
        agency_code=record.agency_code,
        reason=reason,
        previous_appointment_at=record.appointment_at,
        new_appointment_at=new_appointment,
    )
    changes: dict[str, object] = {"clock": record.clock.delay(new_appointment)}
    return changes, dossier_events.DossierDelayed(**envelope, body=body)


def _check_refusal_at_receipt(
    record: DossierRecord, at: datetime, calendar: BusinessCalendar
) -> None:
    """A filing refused at receipt was never received, so the refusal must come before any
    other step and on the day of the receipt: it then falls in the receipt's period, whatever
    the period, and no closed period changes afterwards. Later, the dossier is stopped."""
    if len(record.log) > 1:
        raise RequestRejectedError("receipt can be refused only before any other step")
    if calendar.local(at).date() != calendar.local(record.received_at).date():
        raise RequestRejectedError(
            "receipt can be refused only on the day of the receipt; "
            "stop the dossier instead (POST .../stop with the reason)"
        )


def delivery_reported(
    record: DossierRecord, report: ReportDeliveryStatus, now: datetime
) -> tuple[DossierRecord, list[dossier_events.DossierEvent]]:
    """A postal partner's report: delivered counts as returned; failed sends the result back
    to the desk, to be returned again."""
    if record.status is not Status.RETURNING_BY_POST:
        raise IllegalStepError(
            f"postal {report.status.value}", record.status, allowed_actions(record.status)
        )
    if report.occurred_at > now + CLOCK_SKEW:
        raise RequestRejectedError("occurred_at is in the future")
    envelope = _envelope(report.submission_id, report.occurred_at, now)
    ids = {"dossier_code": record.code, "agency_code": record.agency_code}
    update = dossier_events.PostalDeliveryUpdatedBody(
        **ids, status=report.status, reason=report.reason
    )
    events: list[dossier_events.DossierEvent] = [
        dossier_events.PostalDeliveryUpdated(**envelope, body=update)
    ]
    status: Status = record.status
    if report.status is DeliveryStatus.DELIVERED:
        status = Status.RETURNED
        returned_envelope = envelope | {
            "event_id": derived_event_id(SOURCE, report.submission_id, "returned")
        }
        body = dossier_events.ResultReturnedBody(**ids, method=ReturnMethod.POSTAL)
        events.append(dossier_events.ResultReturned(**returned_envelope, body=body))
    elif report.status is DeliveryStatus.FAILED:
        status = Status.RESOLVED
    entry = LogEntry(
        step=f"postal-{report.status.value}", agency_code=record.agency_code, at=report.occurred_at
    )
    return record.model_copy(update={"status": status, "log": (*record.log, entry)}), events
