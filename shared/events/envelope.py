"""The envelope every event carries, and the base of untrusted requests.

Events are facts (past-tense names, `DossierReceived`); requests are asks (imperative names,
`ReceiveDossier`). A version evolves by adding optional fields only; a breaking change gets a
new `.v2` topic. Events ignore unknown fields so that older consumers read newer producers.
"""

import hashlib
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

DossierCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z0-9.]{2,20}-\d{6}-\d{4}$"),
    Field(description="{agency code}-{yyMMdd}-{4-digit daily sequence}, e.g. UBND.Q1-260315-0042"),
]
AgencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9.]{2,20}$")]
ProcedureCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.\-_]{1,40}$")]
SubmissionId = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Event(BaseModel):
    """Envelope fields; subclasses add `type: Literal[...]` and a typed `body`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: str = Field(
        description="Unique; derived from the cause where a retry could repeat it"
    )
    occurred_at: AwareDatetime = Field(description="When it happened in the world")
    recorded_at: AwareDatetime = Field(description="When the system recorded it")
    source: str = Field(description="The service or client that wrote it")
    schema_version: int = 1


class Request(BaseModel):
    """Base of untrusted requests: strict, so a typo in a field name is an error, not a no-op."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    submission_id: SubmissionId = Field(description="The client's idempotency key")


def derived_event_id(*parts: str) -> str:
    """A deterministic event id: the same cause always yields the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return digest[:32]
