"""`survey.submissions.v1` (untrusted ratings, surveys and feedback) and `survey.events.v1`
(accepted ratings and surveys; accepted feedback goes to `feedback.events.v1`)."""

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from shared.events.envelope import AgencyCode, DossierCode, Event, ProcedureCode, Request
from shared.events.feedback import SubmitFeedback
from shared.events.vocabulary import Level, RatingChannel, RatingLevel, SurveyAspect, SurveyLevel


class SubmitRating(Request):
    type: Literal["SubmitRating"] = "SubmitRating"
    dossier_code: DossierCode | None = None
    clerk_id: str | None = Field(None, max_length=50, description="Kiosk: the clerk at the desk")
    level: RatingLevel
    reason: str | None = Field(None, max_length=1000, description="Required when dissatisfied")
    reason_category: str | None = Field(
        None,
        max_length=40,
        description="When dissatisfied: a code of config/rating_reasons.toml (none: other)",
    )
    channel: RatingChannel
    comment: str | None = Field(None, max_length=2000)
    rating_token: str | None = Field(
        None,
        max_length=64,
        description="The rating token on the receipt: how an applicant rates online or by SMS "
        "(kiosks and counters send an API key with the rating scope instead)",
    )
    occurred_at: AwareDatetime | None = Field(
        None, description="Only with the import scope; otherwise the server's time"
    )


class SubmitSurvey(Request):
    type: Literal["SubmitSurvey"] = "SubmitSurvey"
    dossier_code: DossierCode | None = None
    agency_code: AgencyCode | None = None
    period: str | None = Field(None, max_length=20, description="e.g. 2026-Q1")
    answers: dict[SurveyAspect, SurveyLevel]
    comment: str | None = Field(None, max_length=2000)
    occurred_at: AwareDatetime | None = None


SurveySubmission = Annotated[
    SubmitRating | SubmitSurvey | SubmitFeedback, Field(discriminator="type")
]
SURVEY_SUBMISSION: TypeAdapter[SurveySubmission] = TypeAdapter(SurveySubmission)


class RatingAcceptedBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    dossier_code: DossierCode
    agency_code: AgencyCode
    clerk_id: str | None
    procedure_code: ProcedureCode
    level: Level
    rating: RatingLevel
    channel: RatingChannel
    replaces_event_id: str | None = None
    reason_category: str | None = Field(None, description="When dissatisfied: why, by category")
    reason: str | None = Field(
        None, max_length=1000, description="When dissatisfied: the reason, personal data masked"
    )


class RatingAccepted(Event):
    type: Literal["RatingAccepted"] = "RatingAccepted"
    body: RatingAcceptedBody


class SurveyAnsweredBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    dossier_code: DossierCode | None
    agency_code: AgencyCode
    period: str | None
    answers: dict[SurveyAspect, SurveyLevel]


class SurveyAnswered(Event):
    type: Literal["SurveyAnswered"] = "SurveyAnswered"
    body: SurveyAnsweredBody


SurveyEvent = Annotated[RatingAccepted | SurveyAnswered, Field(discriminator="type")]
SURVEY_EVENT: TypeAdapter[SurveyEvent] = TypeAdapter(SurveyEvent)
