"""`portal.records.v1`: a record for the National Public Service Portal, as the exchange
service queues and sends it; written to this topic only by an operator's redrive of its dead
letter (`portal.records.v1.dlq`). No personal data: the owner (name, identity number, kind)
is added from the exchange service's store when the record is sent."""

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from shared.events.envelope import DossierCode

# The owner's fields in a dossier record: added at sending time, never stored in a record.
OWNER_FIELDS = ("ChuHoSo", "SoGiayToChuHoSo", "LoaiDoiTuong")


class PortalRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["PortalRecord"] = "PortalRecord"  # one kind of record on this topic
    code: DossierCode
    call: str = Field(description="The portal's call, e.g. DongBoHoSoMC, CapNhatTienDoHoSoMC")
    key: str = Field(description="Idempotency key: derived from the dossier, call and event")
    cause: str = Field(description="The type of the event that made it")
    made_at: AwareDatetime = Field(description="When that event happened")
    payload: dict[str, Any] = Field(description="The record, in the portal's field names")

    @property
    def wants_owner(self) -> bool:
        """A dossier record (it names the procedure); a progress record names no owner."""
        return "MaTTHC" in self.payload


PORTAL_RECORD: TypeAdapter[PortalRecord] = TypeAdapter(PortalRecord)
