"""What the exchange service sends the portal: one record, of one call, for one dossier, with
a deterministic idempotency key (the same event always yields the same key and content)."""

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.events.envelope import derived_event_id

# Personal fields: added at sending time from the applicant the service keeps (and forgets on
# erasure), never stored in a record, a dead letter or the sync state.
OWNER_FIELDS = ("ChuHoSo", "SoGiayToChuHoSo", "LoaiDoiTuong")


class PortalRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    call: str
    key: str
    cause: str  # the event type that made it
    made_at: AwareDatetime  # when the event happened in the world
    payload: dict[str, Any]

    @property
    def wants_owner(self) -> bool:
        return "MaTTHC" in self.payload  # a dossier record (a progress record names no owner)


def record_key(code: str, call: str, event_id: str) -> str:
    return derived_event_id("portal", code, call, event_id)


def portal_time(at: datetime | None, date_format: str, zone: Any) -> str | None:
    return None if at is None else at.astimezone(zone).strftime(date_format)
