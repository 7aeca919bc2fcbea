"""The portal's mapping, as data (config/portal_mapping.toml): the calls' names, the status
code after each lifecycle event, the progress texts, the codes of channels, applicant kinds
and payments, the date format. A province following a newer specification edits the file."""

import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from shared.events.vocabulary import Channel, PaymentMethod

MAPPING_FILE = Path(__file__).resolve().parents[3] / "config" / "portal_mapping.toml"


class Calls(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    dossier: str = Field(min_length=1)
    progress: str = Field(min_length=1)
    success_codes: tuple[str, ...] = Field(min_length=1)
    date_format: str = Field(min_length=2)
    time_zone: str = "Asia/Ho_Chi_Minh"


class EventRule(BaseModel):
    """What one lifecycle event sends: a dossier record with `status` (None: the status stays),
    and a progress record with `progress` as what was done (None: none)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: int | None = Field(None, ge=1, le=10)
    progress: str | None = Field(None, min_length=1)


class PortalMapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    calls: Calls
    statuses: dict[int, str]
    channel: dict[Channel, int]
    applicant_kind: dict[str, int]
    paid_online: dict[PaymentMethod, int]
    events: dict[str, EventRule]

    @classmethod
    def from_file(cls, path: Path = MAPPING_FILE) -> "PortalMapping":
        return cls.model_validate(tomllib.loads(path.read_text("utf-8")))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.calls.time_zone)
