"""The survey service layer: ratings and surveys from HTTP and Kafka through the same rules."""

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel

from services.survey.domain.rating_rules import (
    DossierFacts,
    RatingConflictError,
    UnknownDossierError,
    Windows,
    accept_rating,
    answer_survey,
    authorize_rating,
    check_rating,
    check_survey_time,
    kiosk_dossier,
    masked_comment,
)
from services.survey.store import SurveyStore
from shared.domain.clock import Clock
from shared.domain.rating_reasons import ReasonCategories
from shared.events.dossier import DossierEvent, DossierReceived, ResultReturned
from shared.events.survey import SURVEY_SUBMISSION, SubmitRating, SubmitSurvey
from shared.events.topics import SURVEY_EVENTS, SURVEY_SUBMISSIONS
from shared.messaging.publishing import DLQ_KEY_HASH_HEADER, EventPublisher, dead_letter
from shared.persistence.outbox import Committed, ConflictError, OutboxEntry, OutboxPublisher
from shared.web.api_keys import ApiKeys, Client, UnauthenticatedError


class HeldRating(BaseModel):
    caller: str | None  # the id of the API client that sent it, if any
    request: str  # the submission as it came

    @classmethod
    def parse(cls, parked: str) -> "HeldRating":
        held = json.loads(parked)
        if "request" not in held:  # parked before callers were kept: the raw submission
            return cls(caller=None, request=parked)
        return cls.model_validate(held)


@dataclass(frozen=True)
class Answer:
    event_json: str  # the accepted event, as stored for replays
    replayed: bool


class Satisfaction:
    def __init__(
        self,
        store: SurveyStore,
        clock: Clock,
        publisher: EventPublisher,
        registry: CollectorRegistry,
        windows: Windows,
        hold_for: timedelta,
        consumer_group: str,
        keys: ApiKeys,
        reasons: ReasonCategories,
    ) -> None:
        self.keys = keys
        self.reasons = reasons
        self.store = store
        self.clock = clock
        self.publisher = publisher
        self.outbox = OutboxPublisher(store.outbox, publisher)
        self.windows = windows
        self.hold_for = hold_for
        self.consumer_group = consumer_group
        self.ratings = Counter(
            "survey_ratings",
            "Ratings accepted, by level, channel and agency",
            ["level", "channel", "agency"],
            registry=registry,
        )

    # Dossiers ----------------------------------------------------------------------------------

    async def on_dossier_event(self, event: DossierEvent) -> None:
        code = event.body.dossier_code
        if isinstance(event, DossierReceived):
            body = event.body
            await self.store.remember(
                DossierFacts(
                    code=code,
                    agency_code=body.agency_code,
                    procedure_code=body.procedure_code,
                    level=body.level,
                    clerk_id=body.clerk_id,
                    received_at=event.occurred_at,
                    rating_token_sha256=body.rating_token_sha256,
                )
            )
            await self._release_held(code)
        elif isinstance(event, ResultReturned):
            facts = await self.store.facts(code)
            if facts is not None and not facts.returned:
                await self.store.remember(facts.model_copy(update={"returned": True}))

    # Ratings -----------------------------------------------------------------------------------

    async def rate(
        self, request: SubmitRating, caller: Client | None, *, wait_for_dossier: float = 0.0
    ) -> Answer:
        """A rating from the holder of the receipt's token, or from a frontend (`caller`)."""
        check_rating(request, caller, self.reasons)
        replay = await self.store.replay(request.submission_id)
        if replay is not None:
            return Answer(replay, replayed=True)
        facts = await self._dossier_of(request, wait_for_dossier)
        authorize_rating(request, caller, facts)
        while True:
            existing = await self.store.rating(facts.code)
            event, stored = accept_rating(request, facts, existing, self.clock.now(), self.windows)
            try:
                committed = await self.store.commit_rating(
                    submission_id=request.submission_id,
                    code=facts.code,
                    expected=existing,
                    stored=stored,
                    result=event.model_dump_json(),
                    comment=masked_comment(request.comment),
                    entry=OutboxEntry(SURVEY_EVENTS, facts.code, event.model_dump_json()),
                )
            except ConflictError:
                continue  # decide again against the rating that won
            if not committed.replayed:
                self.ratings.labels(
                    request.level.value, request.channel.value, facts.agency_code
                ).inc()
            await self._publish(facts.code, committed)
            return Answer(committed.answer, committed.replayed)

    async def _dossier_of(self, request: SubmitRating, wait: float) -> DossierFacts:
        if request.dossier_code is None:
            assert request.clerk_id is not None  # check_rating made sure
            latest = await self.store.clerk_latest(request.clerk_id)
            return kiosk_dossier(request.clerk_id, latest, self.clock.now(), self.windows)
        deadline = time.monotonic() + wait
        while True:
            facts = await self.store.facts(request.dossier_code)
            if facts is not None:
                return facts
            if time.monotonic() >= deadline:
                raise UnknownDossierError(f"no dossier {request.dossier_code} is known")
            await asyncio.sleep(0.1)

    async def hold(self, request: SubmitRating, raw: str, caller: Client | None) -> None:
        """A Kafka rating whose dossier is not known yet waits for its receipt, with the id of
        the client that sent it (its key was checked; its agency can be checked only later)."""
        assert request.dossier_code is not None
        held = HeldRating(caller=caller.id if caller else None, request=raw)
        until = self.clock.now() + self.hold_for
        await self.store.held.park(request.dossier_code, held.model_dump_json(), until)
        # The receipt may have been stored between this rating's look-up and its parking (the
        # dossier events are consumed beside the ratings): its release then found nothing
        # parked, so this one releases it. (Both may release: a rating is idempotent.)
        if await self.store.facts(request.dossier_code) is not None:
            await self._release_held(request.dossier_code)

    async def _release_held(self, code: str) -> None:
        waiting = await self.store.held.waiting(code)
        for parked in waiting:
            held = HeldRating.parse(parked)
            request = SURVEY_SUBMISSION.validate_json(held.request)
            if isinstance(request, SubmitRating):
                try:
                    caller = self.keys.client(held.caller) if held.caller else None
                    if held.caller and caller is None:
                        raise UnauthenticatedError(f"client {held.caller} has no key any more")
                    await self.rate(request, caller)
                except (RatingConflictError, ValueError, PermissionError) as error:
                    await self._dead_letter(code, held, str(error))
        if waiting:
            await self.store.held.release(code)

    async def expire_held(self, interval_seconds: float) -> None:
        while True:
            now = self.clock.now()
            for code in await self.store.held.expired(now):
                for parked in await self.store.held.waiting(code):
                    seconds = self.hold_for.total_seconds()
                    reason = f"unknown dossier: no dossier {code} arrived within {seconds:.0f}s"
                    await self._dead_letter(code, HeldRating.parse(parked), reason)
                await self.store.held.release(code)
            await asyncio.sleep(interval_seconds)

    async def _dead_letter(self, code: str, held: HeldRating, reason: str) -> None:
        """A held rating's dead letter names its client by key hash, so it can be redriven."""
        client = self.keys.client(held.caller) if held.caller else None
        carried = {DLQ_KEY_HASH_HEADER: client.key_sha256} if client else {}
        await dead_letter(
            self.publisher, SURVEY_SUBMISSIONS, code.encode(), held.request.encode(), reason,
            consumer_group=self.consumer_group, failed_at=self.clock.now(),
            original_headers=carried,
        )  # fmt: skip

    # Surveys -----------------------------------------------------------------------------------

    async def survey(self, request: SubmitSurvey, caller: Client | None = None) -> Answer:
        """A periodic survey, anonymous; `occurred_at` only from a key with the import scope."""
        check_survey_time(request, caller)
        replay = await self.store.replay(request.submission_id)
        if replay is not None:
            return Answer(replay, replayed=True)
        facts = None
        if request.dossier_code is not None:
            facts = await self.store.facts(request.dossier_code)
            if facts is None:
                raise UnknownDossierError(f"no dossier {request.dossier_code} is known")
        event = answer_survey(request, facts, self.clock.now())
        key = request.dossier_code or f"agency-{event.body.agency_code}"
        committed = await self.store.commit_survey(
            submission_id=request.submission_id,
            key=key,
            event_id=event.event_id,
            result=event.model_dump_json(),
            comment=masked_comment(request.comment),
            entry=OutboxEntry(SURVEY_EVENTS, key, event.model_dump_json()),
        )
        await self._publish(key, committed)
        return Answer(committed.answer, committed.replayed)

    async def _publish(self, key: str, committed: Committed) -> None:
        await self.outbox.publish(committed)
