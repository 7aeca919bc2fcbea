"""The rules of satisfaction ratings and surveys, pure: what a dossier needs to be rated,
which ratings are accepted, replaced or refused, and the events they publish."""

from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.domain.rating_reasons import OTHER, ReasonCategories
from shared.domain.rating_tokens import token_matches
from shared.errors import ConflictingError, NotFoundError, RejectedError
from shared.events.envelope import derived_event_id
from shared.events.survey import (
    RatingAccepted,
    RatingAcceptedBody,
    SubmitRating,
    SubmitSurvey,
    SurveyAnswered,
    SurveyAnsweredBody,
)
from shared.events.vocabulary import Level, RatingChannel, RatingLevel
from shared.runtime.log_setup import mask_personal_data
from shared.web.api_keys import AccessDeniedError, Client, Scope, UnauthenticatedError

SOURCE = "survey"


class RatingRejectedError(RejectedError, ValueError):
    """A rating or survey that can never be accepted as it is (HTTP 422, or a dead letter)."""


class RatingConflictError(ConflictingError, ValueError):
    """A second rating the rules do not let replace the first (HTTP 409, or a dead letter)."""


class UnknownDossierError(NotFoundError, LookupError):
    """The dossier is not known (yet): its receipt may still be in flight."""


class DossierFacts(BaseModel):
    """What survey keeps of a dossier to attach ratings to it (no personal data)."""

    model_config = ConfigDict(frozen=True)

    code: str
    agency_code: str
    procedure_code: str
    level: Level
    clerk_id: str | None
    received_at: AwareDatetime
    returned: bool = False
    rating_token_sha256: str | None = None  # None for dossiers received before tokens


class StoredRating(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: str
    channel: RatingChannel
    first_rated_at: AwareDatetime
    rating: RatingLevel


class Windows(BaseModel):
    model_config = ConfigDict(frozen=True)

    kiosk: timedelta = timedelta(minutes=10)
    replacement: timedelta = timedelta(hours=24)


def check_rating(request: SubmitRating, caller: Client | None, reasons: ReasonCategories) -> None:
    """Rules that need no state: checked before anything is looked up or held. Who may rate:
    the holder of the receipt's rating token (online, SMS), or a kiosk or counter frontend
    with an API key with the `rating` scope; only a key with `import` may set the time."""
    if caller is None and (request.rating_token is None or request.dossier_code is None):
        raise UnauthenticatedError(
            "a rating needs the dossier_code and the rating_token printed on its receipt, or "
            "a frontend's API key with the rating scope (X-API-Key)"
        )
    if request.occurred_at is not None and (caller is None or not caller.may_backdate):
        raise RatingRejectedError(
            "occurred_at may be given only with the import scope; a rating is timed by the server"
        )
    if request.level is RatingLevel.DISSATISFIED:
        if not request.reason:
            raise RatingRejectedError("a reason is required when dissatisfied")
        try:
            reasons.category_of(request.reason_category)
        except ValueError as error:
            raise RatingRejectedError(str(error)) from error
    elif request.reason_category is not None:
        raise RatingRejectedError("reason_category is for dissatisfied ratings only")
    if request.dossier_code is None:
        if request.clerk_id is None:
            raise RatingRejectedError("a rating needs a dossier_code (or, at a kiosk, a clerk_id)")
        if request.channel is not RatingChannel.KIOSK:
            raise RatingRejectedError("only a kiosk rating may name a clerk instead of a dossier")


def authorize_rating(request: SubmitRating, caller: Client | None, facts: DossierFacts) -> None:
    """The token must be the dossier's; without one, the key must act for its agency."""
    if request.rating_token is not None:
        expected = facts.rating_token_sha256
        if expected is None or not token_matches(request.rating_token, expected):
            raise AccessDeniedError(f"the rating token is not the one of dossier {facts.code}")
        return
    if caller is None:  # check_rating let no such request through
        raise UnauthenticatedError("a rating needs a rating token or an API key")
    caller.require_agency(facts.agency_code, scope=Scope.RATING)


def kiosk_dossier(
    clerk_id: str, latest: DossierFacts | None, now: datetime, windows: Windows
) -> DossierFacts:
    """The dossier a kiosk rating names by its clerk: the clerk's latest, if recent enough."""
    if latest is None or now - latest.received_at > windows.kiosk:
        minutes = int(windows.kiosk.total_seconds() // 60)
        raise RatingRejectedError(
            f"clerk {clerk_id} has received no dossier in the last {minutes} minutes"
        )
    return latest


def accept_rating(
    request: SubmitRating,
    facts: DossierFacts,
    existing: StoredRating | None,
    now: datetime,
    windows: Windows,
) -> tuple[RatingAccepted, StoredRating]:
    """One rating per dossier: a second one replaces the first only from the same channel and
    within the replacement window of the first."""
    at = request.occurred_at or now
    first_rated_at = at
    if existing is not None:
        if existing.channel is not request.channel:
            raise RatingConflictError(
                f"dossier {facts.code} was already rated from {existing.channel.value}"
            )
        if at - existing.first_rated_at > windows.replacement:
            raise RatingConflictError(
                f"dossier {facts.code} was rated more than 24 hours ago; it cannot be changed"
            )
        first_rated_at = existing.first_rated_at
    event = RatingAccepted(
        event_id=derived_event_id(SOURCE, "rating", request.submission_id),
        occurred_at=at,
        recorded_at=now,
        source=SOURCE,
        body=RatingAcceptedBody(
            dossier_code=facts.code,
            agency_code=facts.agency_code,
            clerk_id=facts.clerk_id,
            procedure_code=facts.procedure_code,
            level=facts.level,
            rating=request.level,
            channel=request.channel,
            replaces_event_id=existing.event_id if existing else None,
            reason_category=_category(request),
            reason=masked_comment(request.reason) if _category(request) else None,
        ),
    )
    stored = StoredRating(
        event_id=event.event_id,
        channel=request.channel,
        first_rated_at=first_rated_at,
        rating=request.level,
    )
    return event, stored


def _category(request: SubmitRating) -> str | None:
    if request.level is not RatingLevel.DISSATISFIED:
        return None
    return request.reason_category or OTHER


def masked_comment(comment: str | None) -> str | None:
    """Comments are kept for the agency, with phone and ID numbers masked."""
    return None if comment is None else mask_personal_data(comment)


def check_survey_time(request: SubmitSurvey, caller: Client | None) -> None:
    """A survey is timed by the server: only a key with `import` may date it (else anyone could
    file answers into a closed period, whose published figures would then change)."""
    if request.occurred_at is not None and (caller is None or not caller.may_backdate):
        raise RatingRejectedError(
            "occurred_at may be given only with the import scope; a survey is timed by the server"
        )


def answer_survey(
    request: SubmitSurvey, facts: DossierFacts | None, now: datetime
) -> SurveyAnswered:
    agency = facts.agency_code if facts is not None else request.agency_code
    if agency is None:
        raise RatingRejectedError("a survey needs a dossier_code or an agency_code")
    if not request.answers:
        raise RatingRejectedError("a survey needs at least one answer")
    return SurveyAnswered(
        event_id=derived_event_id(SOURCE, "survey", request.submission_id),
        occurred_at=request.occurred_at or now,
        recorded_at=now,
        source=SOURCE,
        body=SurveyAnsweredBody(
            dossier_code=facts.code if facts else None,
            agency_code=agency,
            period=request.period,
            answers=request.answers,
        ),
    )
