"""The processing control sheet (phiếu kiểm soát quá trình giải quyết hồ sơ): one row per step
of a dossier's life, with who handed it to whom and when, the due instant the holder was judged
by and whether it handed on in time. It follows form 05 (Mẫu số 05) of Circular
01/2018/TT-VPCP, which guides Decree 61/2018/NĐ-CP on the one-stop mechanism.

Pure: the rows are built from intake's processing log; an officer's id shows only to a key of
the agency that officer works for."""

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel

from services.intake.domain.lifecycle import DossierRecord, LogEntry, Status
from shared.domain.business_calendar import BusinessCalendar
from shared.domain.catalogue import Catalogue
from shared.web.api_keys import Client

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
ACTIONS_VI = {
    "receive": "Tiếp nhận hồ sơ",
    "transfer": "Chuyển hồ sơ",
    "request-supplement": "Yêu cầu bổ sung hồ sơ",
    "receive-supplement": "Nhận hồ sơ bổ sung",
    "request-payment": "Yêu cầu nộp phí, lệ phí",
    "receive-payment": "Nhận phí, lệ phí",
    "delay": "Xin lỗi, hẹn lại ngày trả kết quả",
    "resolve": "Có kết quả giải quyết",
    "refuse-receipt": "Từ chối tiếp nhận",
    "stop": "Dừng giải quyết",
    "withdraw": "Rút hồ sơ",
    "return": "Trả kết quả",
}


class ControlRow(BaseModel):
    at: datetime
    action: str
    from_agency_code: str | None  # none: the applicant
    to_agency_code: str | None  # none: the applicant
    officer_id: str | None  # only for a key of the agency the officer works for
    due_at: datetime | None  # the holder's part that ended here: its due instant
    on_time: bool | None
    next_due_at: datetime | None  # the part that starts here: its due instant


class ControlSheet(BaseModel):
    code: str
    procedure_code: str
    procedure_name: str
    receiving_agency_code: str
    status: Status
    received_at: datetime
    appointment_at: datetime
    rows: list[ControlRow]


def involved_agencies(record: DossierRecord) -> set[str]:
    return {record.receiving_agency_code} | {entry.agency_code for entry in record.log}


def control_sheet(record: DossierRecord, caller: Client) -> ControlSheet:
    return ControlSheet(
        code=record.code,
        procedure_code=record.procedure_code,
        procedure_name=record.procedure_name,
        receiving_agency_code=record.receiving_agency_code,
        status=record.status,
        received_at=record.received_at,
        appointment_at=record.appointment_at,
        rows=[_row(record, entry, caller) for entry in record.log],
    )


def _row(record: DossierRecord, entry: LogEntry, caller: Client) -> ControlRow:
    sender: str | None = entry.from_agency_code
    receiver: str | None = entry.agency_code
    match entry.step:
        case "receive":
            sender = None  # from the applicant, to the desk
        case "resolve":
            receiver = record.receiving_agency_code  # the result goes back to the desk
        case "return" | "request-supplement" | "request-payment" | "delay" | "refuse-receipt":
            sender, receiver = entry.agency_code, None  # to the applicant
        case "receive-supplement" | "receive-payment":
            sender = None
    officer = entry.officer_id if caller.acts_for(entry.agency_code) else None
    return ControlRow(
        at=entry.at,
        action=entry.step,
        from_agency_code=sender,
        to_agency_code=receiver,
        officer_id=officer,
        due_at=entry.due_at,
        on_time=entry.on_time,
        next_due_at=entry.next_due_at,
    )


def render_html(sheet: ControlSheet, catalogue: Catalogue, calendar: BusinessCalendar) -> str:
    """The printable sheet, in Vietnamese, with local times as the desk reads them."""

    def agency(code: str | None) -> str:
        if code is None:
            return "Tổ chức, cá nhân"
        known = catalogue.agencies.get(code)
        return f"{known.name} ({code})" if known else code

    def when(moment: datetime | None) -> str:
        return "" if moment is None else f"{calendar.local(moment):%H:%M ngày %d/%m/%Y}"

    return TEMPLATES.get_template("control_sheet.html").render(
        sheet=sheet, agency=agency, action=lambda a: ACTIONS_VI.get(a, a), when=when
    )
