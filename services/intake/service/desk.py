"""The intake service layer: one place where requests from HTTP and from Kafka are checked,
decided, stored and published, so both doors give the same answers and the same reasons."""

import json
import logging
from dataclasses import dataclass

from pydantic import BaseModel

from services.intake.domain.control_sheet import ControlSheet, control_sheet, involved_agencies
from services.intake.domain.forms import Form, FormContext, render_form
from services.intake.domain.lifecycle import (
    DossierRecord,
    IllegalStepError,
    RequestRejectedError,
    delivery_reported,
    receive,
    step,
)
from services.intake.domain.views import DossierView, ReceiptView, view_of
from services.intake.service.changelog import answer_entry, applicant_entry, record_entry
from services.intake.store import IntakeStore, NewDossier, SequenceExhaustedError, Stored
from shared.domain.clock import Clock
from shared.domain.rating_tokens import new_token, token_hash
from shared.domain.reference_source import ReferenceSource
from shared.errors import NotFoundError
from shared.events import intake_requests
from shared.events.dossier import DossierEvent
from shared.events.envelope import derived_event_id
from shared.events.personal_data import parse_applicant
from shared.events.postal import (
    PostalReturnRequested,
    PostalReturnRequestedBody,
    ReportDeliveryStatus,
)
from shared.events.topics import DOSSIER_EVENTS, POSTAL_RETURNS
from shared.messaging.publishing import EventPublisher
from shared.persistence.outbox import Committed, ConflictError, OutboxEntry, OutboxPublisher
from shared.web.api_keys import Client, Scope

log = logging.getLogger(__name__)


class DossierNotFoundError(NotFoundError, LookupError):
    """No dossier has that code (HTTP 404, or a dead letter)."""


@dataclass(frozen=True)
class Outcome:
    view_json: str  # the public view, serialized once, as stored for replays
    replayed: bool  # the submission had been handled before: this is the stored answer

    @property
    def view(self) -> DossierView:
        return DossierView.model_validate_json(self.view_json)


class Desk:
    def __init__(
        self,
        store: IntakeStore,
        reference: ReferenceSource,
        clock: Clock,
        publisher: EventPublisher,
    ) -> None:
        self.store = store
        self.reference = reference  # the catalogue and the calendar, followed live
        self.clock = clock
        self.publisher = publisher
        self.outbox = OutboxPublisher(store.outbox, publisher)

    async def receive(self, request: intake_requests.ReceiveDossier, client: Client) -> Outcome:
        client.require_agency(request.agency_code)
        now = self.clock.now()
        token = new_token()
        reference = self.reference.current  # one reading for the whole decision
        try:
            record, event = receive(
                request,
                reference.catalogue,
                reference.calendar,
                now,
                may_backdate=client.may_backdate,
                rating_token_sha256=token_hash(token),
            )
        except RequestRejectedError as rejection:
            return await self._replayed_or_raise(client, request.submission_id, rejection)
        # the rating link in the applicant's messages needs the token; only if they chose any
        token_kept = token if request.applicant.notify else None
        applicant_json = request.applicant.model_copy(
            update={"rating_token": token_kept}
        ).model_dump_json()

        def build(code: str) -> NewDossier:
            numbered = record.model_copy(update={"code": code})
            body = event.body.model_copy(
                update={"dossier_code": code, "reference_revision": reference.revision}
            )
            answer = ReceiptView(**view_of(numbered).model_dump(), rating_token=token)
            answer_json = answer.model_dump_json()
            entries = [
                _entry(code, event.model_copy(update={"body": body})),
                applicant_entry(code, applicant_json),
                record_entry(numbered, 1),
                answer_entry(client.id, request.submission_id, answer_json),
            ]
            return NewDossier(numbered, applicant_json, answer_json, entries)

        try:
            committed = await self.store.receive(
                client_id=client.id,
                submission_id=request.submission_id,
                agency_code=record.receiving_agency_code,
                day=reference.calendar.local(record.received_at).strftime("%y%m%d"),
                build=build,
            )
        except SequenceExhaustedError as error:
            raise RequestRejectedError(str(error)) from error
        await self.outbox.publish(committed)
        return Outcome(committed.answer, committed.replayed)

    async def _replayed_or_raise(
        self, client: Client, submission_id: str, rejection: Exception
    ) -> Outcome:
        """A request the state no longer allows may be a retry of one that was handled: then
        its stored answer is the answer. Otherwise the rejection stands."""
        replayed = await self.store.replay(client.id, submission_id)
        if replayed is None:
            raise
        return Outcome(replayed, replayed=True)

    async def act(
        self, request: intake_requests.DossierStep, client: Client, *, retry_conflicts: bool
    ) -> Outcome:
        """A lifecycle step. Over HTTP a concurrent change is a conflict for the caller; from
        Kafka (one writer per dossier) it is retried against the fresh state."""
        while True:
            stored = await self._load(request.dossier_code)
            client.require_agency(stored.record.agency_code, stored.record.receiving_agency_code)
            try:
                return await self._act_once(stored, request, client)
            except ConflictError as conflict:
                if not retry_conflicts:
                    raise ConflictError(
                        f"dossier {request.dossier_code} was changed by another request"
                    ) from conflict

    async def _act_once(
        self, stored: Stored, request: intake_requests.DossierStep, client: Client
    ) -> Outcome:
        reference = self.reference.current
        try:
            record, events = step(
                stored.record,
                request,
                self.clock.now(),
                reference.calendar,
                may_backdate=client.may_backdate,
            )
        except (RequestRejectedError, IllegalStepError) as rejection:
            return await self._replayed_or_raise(client, request.submission_id, rejection)
        outbox = [_entry(record.code, _stamped(event, reference.revision)) for event in events]
        if isinstance(request, intake_requests.ReturnResult) and not events:
            outbox.append(await self._postal_return(record, request))
        committed = await self._commit(client, request.submission_id, stored, record, outbox)
        await self.outbox.publish(committed)
        return Outcome(committed.answer, replayed=committed.replayed)

    async def report_delivery(self, report: ReportDeliveryStatus, client: Client) -> Outcome:
        client.require(Scope.POSTAL)
        while True:
            stored = await self._load(report.dossier_code)
            replayed = await self.store.replay(client.id, report.submission_id)
            if replayed is not None:
                return Outcome(replayed, replayed=True)
            record, events = delivery_reported(stored.record, report, self.clock.now())
            revision = self.reference.current.revision
            outbox = [_entry(record.code, _stamped(event, revision)) for event in events]
            try:
                committed = await self._commit(client, report.submission_id, stored, record, outbox)
            except ConflictError:
                continue
            await self.outbox.publish(committed)
            return Outcome(committed.answer, replayed=committed.replayed)

    async def submission_answer(self, client: Client, submission_id: str) -> str:
        """The stored answer to one of the client's submissions (HTTP or Kafka): for a receipt,
        the receipt with its rating token. Another client's submissions are not found."""
        answer = await self.store.replay(client.id, submission_id)
        if answer is None:
            raise DossierNotFoundError(
                f"no answer to submission {submission_id} of client {client.id} (yet): it may "
                "still be in flight, or it was refused (see the topic's dead letters)"
            )
        return answer

    async def lookup(self, code: str) -> DossierView:
        return view_of((await self._load(code)).record)

    async def control_sheet(self, code: str, caller: Client) -> ControlSheet:
        """For a key with the frontend or reports scope of an agency the dossier passed
        through (403 otherwise)."""
        record = (await self._load(code)).record
        scope = Scope.REPORTS if Scope.REPORTS in caller.scopes else Scope.FRONTEND
        caller.require_agency(*sorted(involved_agencies(record)), scope=scope)
        return control_sheet(record, caller)

    async def form(
        self, code: str, form: Form, caller: Client, lookup_url: str,
        submission_id: str | None = None,
    ) -> str:  # fmt: skip
        """A desk's printable form (services/intake/domain/forms.py), for a frontend key of an
        agency the dossier passed through. The receipt slip carries the rating token only for the
        client that filed the receipt, given the receipt's `submission_id` (its stored answer
        is the one place the token is kept)."""
        record = (await self._load(code)).record
        caller.require_agency(*sorted(involved_agencies(record)), scope=Scope.FRONTEND)
        token = None
        if form is Form.RECEIPT and submission_id is not None:
            answer = json.loads(await self.submission_answer(caller, submission_id))
            if answer.get("code") != code:
                raise RequestRejectedError(
                    f"submission {submission_id} is not the receipt of dossier {code}"
                )
            token = answer.get("rating_token")
        stored_applicant = await self.store.applicant(code)
        name = parse_applicant(stored_applicant).name if stored_applicant else None
        reference = self.reference.current
        context = FormContext(applicant_name=name, rating_token=token, lookup_url=lookup_url)
        return render_form(form, record, context, reference.catalogue, reference.calendar)

    async def _load(self, code: str) -> Stored:
        stored = await self.store.load(code)
        if stored is None:
            raise DossierNotFoundError(f"no dossier {code}")
        return stored

    async def _commit(
        self,
        client: Client,
        submission_id: str,
        stored: Stored,
        record: DossierRecord,
        outbox: list[OutboxEntry],
    ) -> Committed:
        answer = view_of(record).model_dump_json()
        entries = [
            *outbox,
            record_entry(record, stored.version + 1),
            answer_entry(client.id, submission_id, answer),
        ]
        return await self.store.commit_step(
            client_id=client.id,
            submission_id=submission_id,
            stored=stored,
            record=record,
            answer=answer,
            entries=entries,
        )

    async def _postal_return(
        self, record: DossierRecord, request: intake_requests.ReturnResult
    ) -> OutboxEntry:
        """The partner's delivery order: the only event that carries the recipient."""
        applicant_json = await self.store.applicant(record.code)
        if applicant_json is None:
            raise RequestRejectedError("no recipient is on file for this dossier")
        applicant = parse_applicant(applicant_json)
        now = self.clock.now()
        event = PostalReturnRequested(
            event_id=derived_event_id("intake", request.submission_id, "postal-return"),
            occurred_at=request.occurred_at or now,
            recorded_at=now,
            source="intake",
            body=PostalReturnRequestedBody(
                dossier_code=record.code,
                agency_code=record.agency_code,
                recipient=applicant.recipient(),
                cash_on_delivery_vnd=request.cash_on_delivery_vnd,
            ),
        )
        return OutboxEntry(POSTAL_RETURNS, record.code, event.model_dump_json())


def _stamped(event: DossierEvent, revision: int) -> DossierEvent:
    """The event with the catalogue revision it was decided with (deadline reads that far)."""
    body = event.body.model_copy(update={"reference_revision": revision})
    return event.model_copy(update={"body": body})


def _entry(code: str, event: DossierEvent | BaseModel) -> OutboxEntry:
    return OutboxEntry(DOSSIER_EVENTS, code, event.model_dump_json())
