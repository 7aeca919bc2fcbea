"""The survey service layer: ratings and surveys from HTTP and Kafka through the same rules."""

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter

from services.survey.rating_rules import (
    DossierFacts,
    RatingConflictError,
    UnknownDossierError,
    Windows,
    accept_rating,
    answer_survey,
    check_rating,
    kiosk_dossier,
    masked_comment,
)
from services.survey.store import Committed, RatingRaceError, RedisSurveyStore
from shared.clock import Clock
from shared.events.dossier import DossierEvent, DossierReceived, ResultReturned
from shared.events.survey import SURVEY_SUBMISSION, SubmitRating, SubmitSurvey
from shared.outbox import OutboxEntry, OutboxPublisher
from shared.publishing import EventPublisher, dead_letter
from shared.topics import SURVEY_EVENTS, SURVEY_SUBMISSIONS


@dataclass(frozen=True)
class Answer:
    event_json: str  # the accepted event, as stored for replays
    replayed: bool


class Satisfaction:
    def __init__(
        self,
        store: RedisSurveyStore,
        clock: Clock,
        publisher: EventPublisher,
        registry: CollectorRegistry,
        windows: Windows,
        hold_for: timedelta,
        consumer_group: str,
    ) -> None:
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
                )
            )
            await self._release_held(code)
        elif isinstance(event, ResultReturned):
            facts = await self.store.facts(code)
            if facts is not None and not facts.returned:
                await self.store.remember(facts.model_copy(update={"returned": True}))

    # Ratings -----------------------------------------------------------------------------------

    async def rate(self, request: SubmitRating, *, wait_for_dossier: float = 0.0) -> Answer:
        check_rating(request)
        replay = await self.store.replay(request.submission_id)
        if replay is not None:
            return Answer(replay, replayed=True)
        facts = await self._dossier_of(request, wait_for_dossier)
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
            except RatingRaceError:
                continue  # decide again against the rating that won
            if not committed.replayed:
                self.ratings.labels(
                    request.level.value, request.channel.value, facts.agency_code
                ).inc()
            await self._publish(facts.code, committed)
            return Answer(committed.result, committed.replayed)

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

    async def hold(self, request: SubmitRating, raw: str) -> None:
        """A Kafka rating whose dossier is not known yet waits for its receipt."""
        assert request.dossier_code is not None
        await self.store.held.park(request.dossier_code, raw, self.clock.now() + self.hold_for)

    async def _release_held(self, code: str) -> None:
        waiting = await self.store.held.waiting(code)
        for raw in waiting:
            request = SURVEY_SUBMISSION.validate_json(raw)
            if isinstance(request, SubmitRating):
                try:
                    await self.rate(request)
                except (RatingConflictError, ValueError) as error:
                    await self._dead_letter(code, raw, str(error))
        if waiting:
            await self.store.held.release(code)

    async def expire_held(self, interval_seconds: float) -> None:
        while True:
            now = self.clock.now()
            for code in await self.store.held.expired(now):
                for raw in await self.store.held.waiting(code):
                    seconds = self.hold_for.total_seconds()
                    reason = f"unknown dossier: no dossier {code} arrived within {seconds:.0f}s"
                    await self._dead_letter(code, raw, reason)
                await self.store.held.release(code)
            await asyncio.sleep(interval_seconds)

    async def _dead_letter(self, code: str, raw: str, reason: str) -> None:
        await dead_letter(
            self.publisher, SURVEY_SUBMISSIONS, code.encode(), raw.encode(), reason,
            consumer_group=self.consumer_group, failed_at=self.clock.now(),
        )  # fmt: skip

    # Surveys -----------------------------------------------------------------------------------

    async def survey(self, request: SubmitSurvey) -> Answer:
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
        return Answer(committed.result, committed.replayed)

    async def _publish(self, key: str, committed: Committed) -> None:
        if committed.outbox:
            await self.outbox.publish_locked(key, list(committed.outbox))
