"""A dossier as the portal sees it: the facts the lifecycle and deadline events carry, folded,
and the records each event sends (pure: no I/O, no clock).

Only facts the events carry are sent. Not recorded here, and so always absent: the procedure's
name (TenTTHC), a VNeID-verified account, the papers' list and the result documents. The
filing instant (NgayNopHoSo) is the receipt at the counter, where filing is receiving; online
and by post the citizen filed earlier, at an instant the events do not carry."""

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.exchange.domain.portal_mapping import EventRule, PortalMapping
from services.exchange.domain.portal_records import portal_time, record_key
from shared.events import dossier as d
from shared.events.deadline import DeadlineEvent, DeadlineSet
from shared.events.portal import PortalRecord
from shared.events.vocabulary import Channel, ReturnMethod

RESTARTS = ("supplement_restart", "resumed")


class Fee(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    amount_vnd: int
    method: str | None = None
    paid_at: AwareDatetime | None = None


class Supplement(BaseModel):
    model_config = ConfigDict(frozen=True)

    requested_at: AwareDatetime
    reason: str
    received_at: AwareDatetime | None = None
    previous_appointment_at: AwareDatetime | None = None
    new_appointment_at: AwareDatetime | None = None


class PortalFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    agency_code: str | None = None
    procedure_code: str | None = None
    field: str | None = None
    channel: Channel | None = None
    return_method: ReturnMethod | None = None  # a result by post is told when posted
    received_at: AwareDatetime | None = None
    appointment_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None  # the legal end of the step under way
    status: int | None = None
    ended_at: AwareDatetime | None = None
    refused_at: AwareDatetime | None = None
    returned_at: AwareDatetime | None = None
    papers_digitised: bool | None = None
    paid_online: int | None = None
    fees: tuple[Fee, ...] = ()
    supplements: tuple[Supplement, ...] = ()
    handled: tuple[str, ...] = ()  # event ids already folded (a redelivery sends nothing)
    # a restart's appointments (before, after) seen on the deadline topic before the
    # supplement's receipt on the lifecycle topic (the two are read side by side)
    early_restart: tuple[AwareDatetime | None, AwareDatetime] | None = None

    @property
    def known(self) -> bool:
        """Its receipt was seen: records can be sent (the portal needs the procedure)."""
        return self.procedure_code is not None


def apply_event(
    facts: PortalFacts, event: d.DossierEvent | DeadlineEvent, mapping: PortalMapping
) -> tuple[PortalFacts, list[PortalRecord]]:
    """Fold one event; return the facts after it and the records it sends, in order."""
    if event.event_id in facts.handled:
        return facts, []
    before = facts
    facts = facts.model_copy(update={"handled": (*facts.handled, event.event_id)})
    if isinstance(event, DeadlineSet):
        return _deadline_set(before, facts, event, mapping)
    rule = mapping.events.get(event.type)
    if rule is None or not isinstance(event, d.DossierReceived | _STEPS):
        return facts, []
    facts = _folded(facts, event, rule)
    if not facts.known:
        return facts, []
    return facts, _records(facts, event.event_id, event.type, event.occurred_at, rule, mapping)


_STEPS = (
    d.DossierReceiptRefused | d.DossierTransferred | d.SupplementRequested
    | d.SupplementReceived | d.PaymentRequested | d.PaymentReceived | d.DossierDelayed
    | d.DossierResolved | d.DossierStopped | d.DossierWithdrawn | d.ResultReturned
)  # fmt: skip


def _folded(facts: PortalFacts, event: Any, rule: EventRule) -> PortalFacts:
    at: datetime = event.occurred_at
    update: dict[str, Any] = {"agency_code": event.body.agency_code}
    if rule.status is not None:
        update["status"] = rule.status
    if isinstance(event, d.DossierReceived):
        body = event.body
        update |= {
            "procedure_code": body.procedure_code, "field": body.field, "channel": body.channel,
            "return_method": body.return_method,
            "received_at": at, "appointment_at": body.appointment_at,
            "papers_digitised": body.papers_digitised,
        }  # fmt: skip
    elif isinstance(event, d.DossierReceiptRefused):
        update |= {"refused_at": at, "ended_at": at}
    elif isinstance(event, d.DossierResolved | d.DossierStopped | d.DossierWithdrawn):
        update["ended_at"] = at
    elif isinstance(event, d.ResultReturned):
        update["returned_at"] = at
    elif isinstance(event, d.DossierDelayed):
        update["appointment_at"] = event.body.new_appointment_at
    return _payments_and_supplements(facts, event, at).model_copy(update=update)


def _payments_and_supplements(facts: PortalFacts, event: Any, at: datetime) -> PortalFacts:
    if isinstance(event, d.PaymentRequested):
        fee = Fee(name=event.body.reason, amount_vnd=event.body.amount_vnd)
        return facts.model_copy(update={"fees": (*facts.fees, fee)})
    if isinstance(event, d.PaymentReceived) and facts.fees:
        method = event.body.method
        paid = facts.fees[-1].model_copy(
            update={"method": method.value if method else None, "paid_at": at}
        )
        return facts.model_copy(update={"fees": (*facts.fees[:-1], paid)})
    if isinstance(event, d.SupplementRequested):
        asked = Supplement(requested_at=at, reason=event.body.reason)
        return facts.model_copy(update={"supplements": (*facts.supplements, asked)})
    if isinstance(event, d.SupplementReceived) and facts.supplements:
        previous, new = facts.early_restart or (facts.appointment_at, None)
        received = facts.supplements[-1].model_copy(
            update={"received_at": at, "previous_appointment_at": previous,
                    "new_appointment_at": new}
        )  # fmt: skip
        supplements = (*facts.supplements[:-1], received)
        return facts.model_copy(update={"supplements": supplements, "early_restart": None})
    return facts


def _deadline_set(
    before: PortalFacts, facts: PortalFacts, event: DeadlineSet, mapping: PortalMapping
) -> tuple[PortalFacts, list[PortalRecord]]:
    """A due date and appointment: the step's legal end for the progress records; a new
    appointment after a supplement (restart or resume) is the supplement's new appointment;
    a changed appointment, or a supplement's new appointment, sends the dossier record again."""
    body = event.body
    update: dict[str, Any] = {"due_at": body.due_at, "appointment_at": body.appointment_at}
    last = facts.supplements[-1] if facts.supplements else None
    if body.reason in RESTARTS and last is not None and last.received_at is not None:
        settled = last.model_copy(update={"new_appointment_at": body.appointment_at})
        update["supplements"] = (*facts.supplements[:-1], settled)
    elif body.reason in RESTARTS:  # the supplement's receipt is still to come: keep both
        update["early_restart"] = (facts.appointment_at, body.appointment_at)
    facts = facts.model_copy(update=update)
    changed = (facts.appointment_at, facts.supplements) != (
        before.appointment_at,
        before.supplements,
    )
    if not facts.known or not changed:
        return facts, []
    rule = EventRule(status=None, progress=None)
    return facts, _records(facts, event.event_id, event.type, event.occurred_at, rule, mapping)


def _records(
    facts: PortalFacts,
    event_id: str,
    cause: str,
    at: datetime,
    rule: EventRule,
    mapping: PortalMapping,
) -> list[PortalRecord]:
    calls = mapping.calls
    records = [_record(facts, calls.dossier, event_id, cause, at, dossier_record(facts, mapping))]
    if rule.progress is not None:
        progress = progress_record(facts, at, rule.progress, mapping)
        records.append(_record(facts, calls.progress, event_id, cause, at, progress))
    return records


def _record(
    facts: PortalFacts, call: str, event_id: str, cause: str, at: datetime, payload: dict[str, Any]
) -> PortalRecord:
    return PortalRecord(
        code=facts.code, call=call, key=record_key(facts.code, call, event_id), cause=cause,
        made_at=at, payload=payload,
    )  # fmt: skip


def dossier_record(facts: PortalFacts, mapping: PortalMapping) -> dict[str, Any]:
    """DongBoHoSoMC without the owner (added when sent); absent facts are left out."""
    fmt, zone = mapping.calls.date_format, mapping.zone

    def t(at: datetime | None) -> str | None:
        return portal_time(at, fmt, zone)

    record: dict[str, Any] = {
        "MaHoSo": facts.code, "MaTTHC": facts.procedure_code, "MaLinhVuc": facts.field,
        "KenhThucHien": mapping.channel.get(facts.channel) if facts.channel else None,
        "NgayNopHoSo": t(facts.received_at) if facts.channel == Channel.COUNTER else None,
        "NgayTiepNhan": t(facts.received_at), "NgayHenTra": t(facts.appointment_at),
        "TrangThaiHoSo": facts.status, "NgayKetThucXuLy": t(facts.ended_at),
        "NgayTuChoi": t(facts.refused_at), "NgayTra": t(facts.returned_at),
        "DonViXuLy": facts.agency_code,
        "HoSoCoThanhPhanSoHoa": None if facts.papers_digitised is None
        else int(facts.papers_digitised),
        "DuocThanhToanTrucTuyen": _paid_online(facts, mapping),
        "DanhSachLePhi": [_fee(fee, mapping) for fee in facts.fees] or None,
        "DanhSachHoSoBoSung": [_supplement(s, t) for s in facts.supplements] or None,
    }  # fmt: skip
    return {name: value for name, value in record.items() if value is not None}


def _paid_online(facts: PortalFacts, mapping: PortalMapping) -> int | None:
    codes = [mapping.paid_online.get(fee.method) for fee in facts.fees if fee.method]  # type: ignore[call-overload]
    known = [code for code in codes if code is not None]
    return max(known) if known else None


def _fee(fee: Fee, mapping: PortalMapping) -> dict[str, Any]:
    entry: dict[str, Any] = {"TenPhiLePhi": fee.name, "MucPhi": fee.amount_vnd}
    if fee.method is not None:
        entry["HinhThucThu"] = fee.method
    return entry


def _supplement(supplement: Supplement, t: Any) -> dict[str, Any]:
    entry = {
        "NgayYeuCauBoSung": t(supplement.requested_at), "LyDo": supplement.reason,
        "NgayTiepNhanBoSung": t(supplement.received_at),
        "NgayHenTraTruoc": t(supplement.previous_appointment_at),
        "NgayHenTraMoi": t(supplement.new_appointment_at),
    }  # fmt: skip
    return {name: value for name, value in entry.items() if value is not None}


def progress_record(
    facts: PortalFacts, at: datetime, done: str, mapping: PortalMapping
) -> dict[str, Any]:
    """CapNhatTienDoHoSoMC. Who handled the step (NguoiXuLy, ChucDanh) is not in the events:
    absent."""
    fmt, zone = mapping.calls.date_format, mapping.zone
    record = {
        "MaHoSo": facts.code, "ThoiDiemXuLy": portal_time(at, fmt, zone),
        "PhongBanXuLy": facts.agency_code, "NoiDungXuLy": done, "TrangThai": facts.status,
        "NgayKetThucTheoQuyDinh": portal_time(facts.due_at, fmt, zone),
    }  # fmt: skip
    return {name: value for name, value in record.items() if value is not None}
