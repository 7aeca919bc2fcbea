"""Feedback and complaints (phản ánh, kiến nghị): the untrusted request on
`survey.submissions.v1`, survey's facts on `feedback.events.v1`, and deadline's on
`feedback.deadlines.v1`.

A feedback is addressed to one agency, about one of its dossiers, one of its procedures or the
agency itself, under a category whose time limit (working days, config/feedback_categories.toml)
is stamped on its receipt. The agency answers; deadline warns before the due instant and once
when it passes, and judges the answer on time or late; the filer may rate the answer.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from shared.events.envelope import AgencyCode, DossierCode, Event, ProcedureCode, Request
from shared.events.vocabulary import RatingLevel

FeedbackCode = Annotated[
    str,
    StringConstraints(pattern=r"^PA-\d{6}-[0-9A-F]{10}$"),
    Field(description="PA-{yyMMdd of filing}-{10 hex digits}, e.g. PA-260315-3F2A9C01B7"),
]
CategoryCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class FeedbackAbout(StrEnum):
    DOSSIER = "dossier"
    PROCEDURE = "procedure"
    AGENCY = "agency"


class Submitter(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class FeedbackChannel(StrEnum):
    PORTAL = "portal"  # the public service portal or the desk's website
    HOTLINE = "hotline"
    MAILBOX = "mailbox"  # the feedback box at the desk, or a letter
    COUNTER = "counter"


# Requests ------------------------------------------------------------------------------------


class SubmitFeedback(Request):
    """Feedback from a citizen or an organisation. No name, phone or ID is asked: the answer
    is read, and rated, with the `feedback_token` the filing returns."""

    type: Literal["SubmitFeedback"] = "SubmitFeedback"
    category: CategoryCode = Field(description="A code of config/feedback_categories.toml")
    dossier_code: DossierCode | None = Field(None, description="About this dossier")
    procedure_code: ProcedureCode | None = Field(None, description="About this procedure")
    agency_code: AgencyCode | None = Field(
        None, description="The agency addressed (default: the dossier's receiving agency)"
    )
    submitter: Submitter = Submitter.PERSON
    channel: FeedbackChannel = FeedbackChannel.PORTAL
    content: str = Field(min_length=1, max_length=4000)
    occurred_at: AwareDatetime | None = Field(
        None, description="Only with the import scope; otherwise the server's time"
    )


class AnswerFeedback(BaseModel):
    """The agency's answer (HTTP, a frontend key of the agency addressed)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    answer: str = Field(min_length=1, max_length=4000)
    occurred_at: AwareDatetime | None = Field(
        None, description="Only with the import scope; otherwise the server's time"
    )


class RateFeedbackAnswer(BaseModel):
    """The filer's rating of the answer, with the token the filing returned."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    feedback_token: str = Field(min_length=1, max_length=64)
    level: RatingLevel


# survey's events: feedback.events.v1 ---------------------------------------------------------


class FeedbackBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    feedback_code: FeedbackCode
    agency_code: AgencyCode
    category: CategoryCode


class FeedbackReceivedBody(FeedbackBody):
    about: FeedbackAbout
    dossier_code: DossierCode | None = None
    procedure_code: ProcedureCode | None = None
    submitter: Submitter
    channel: FeedbackChannel
    time_limit_days: int = Field(
        ge=1, description="Working days to answer, the category's limit when it was filed"
    )
    limit_source: str = Field(description="What the limit rests on (law or local choice)")
    content: str = Field(description="As filed, phone and ID numbers masked")
    token_sha256: str = Field(description="SHA-256 of the filer's feedback token")


class FeedbackReceived(Event):
    type: Literal["FeedbackReceived"] = "FeedbackReceived"
    body: FeedbackReceivedBody


class FeedbackAnsweredBody(FeedbackBody):
    answered_by: str = Field(description="The API client that answered (no personal data)")
    answer: str = Field(description="The agency's answer, phone and ID numbers masked")


class FeedbackAnswered(Event):
    type: Literal["FeedbackAnswered"] = "FeedbackAnswered"
    body: FeedbackAnsweredBody


class FeedbackAnswerRatedBody(FeedbackBody):
    level: RatingLevel


class FeedbackAnswerRated(Event):
    type: Literal["FeedbackAnswerRated"] = "FeedbackAnswerRated"
    body: FeedbackAnswerRatedBody


FeedbackEvent = Annotated[
    FeedbackReceived | FeedbackAnswered | FeedbackAnswerRated, Field(discriminator="type")
]
FEEDBACK_EVENT: TypeAdapter[FeedbackEvent] = TypeAdapter(FeedbackEvent)


# deadline's events: feedback.deadlines.v1 ----------------------------------------------------


class FeedbackDueBody(FeedbackBody):
    due_at: AwareDatetime = Field(description="The instant the answer is due")


class FeedbackDeadlineSet(Event):
    type: Literal["FeedbackDeadlineSet"] = "FeedbackDeadlineSet"
    body: FeedbackDueBody


class FeedbackDueSoon(Event):
    type: Literal["FeedbackDueSoon"] = "FeedbackDueSoon"
    body: FeedbackDueBody


class FeedbackOverdue(Event):
    """The feedback passed its due instant unanswered: published once."""

    type: Literal["FeedbackOverdue"] = "FeedbackOverdue"
    body: FeedbackDueBody


class FeedbackClassifiedBody(FeedbackDueBody):
    answered_at: AwareDatetime
    on_time: bool = Field(description="Answered at or before the due instant")


class FeedbackClassified(Event):
    type: Literal["FeedbackClassified"] = "FeedbackClassified"
    body: FeedbackClassifiedBody


FeedbackDeadlineEvent = Annotated[
    FeedbackDeadlineSet | FeedbackDueSoon | FeedbackOverdue | FeedbackClassified,
    Field(discriminator="type"),
]
FEEDBACK_DEADLINE_EVENT: TypeAdapter[FeedbackDeadlineEvent] = TypeAdapter(FeedbackDeadlineEvent)
