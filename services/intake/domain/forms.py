"""The forms a one-stop desk prints at each turn of a dossier's life, as printable HTML (A4,
print CSS; a browser's "print to PDF" makes the PDF). Each follows a form of Circular
01/2018/TT-VPCP, which guides Decree 61/2018/NĐ-CP on the one-stop mechanism:

- `receipt`: Mẫu số 01, giấy tiếp nhận hồ sơ và hẹn trả kết quả (with a QR code of the
  public lookup address and, for the client that filed it, the rating token);
- `supplement-request`: Mẫu số 02, phiếu yêu cầu bổ sung, hoàn thiện hồ sơ;
- `refusal`: Mẫu số 03, phiếu từ chối tiếp nhận giải quyết hồ sơ;
- `apology`: Mẫu số 04, phiếu xin lỗi và hẹn lại ngày trả kết quả.

Pure: every date is read from the dossier's processing log, which the same rules wrote as the
events (the receipt's appointment, the supplement's and the apology's instants). The forms show
the applicant's name (the desk hands the form to the applicant) and no other personal data."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import segno

from services.intake.domain.control_sheet import TEMPLATES
from services.intake.domain.lifecycle import DossierRecord, LogEntry
from shared.domain.business_calendar import BusinessCalendar
from shared.domain.catalogue import Catalogue
from shared.errors import ConflictingError
from shared.events.vocabulary import Channel, ReturnMethod, SupplementPolicy


class Form(StrEnum):
    RECEIPT = "receipt"
    SUPPLEMENT_REQUEST = "supplement-request"
    REFUSAL = "refusal"
    APOLOGY = "apology"


@dataclass(frozen=True)
class FormSpec:
    number: str  # of Circular 01/2018/TT-VPCP
    step: str  # the log step it prints (the latest, for a step that can happen more than once)
    not_yet: str  # why it does not apply before that step


SPECS = {
    Form.RECEIPT: FormSpec("01", "receive", "it has no receipt"),
    Form.SUPPLEMENT_REQUEST: FormSpec("02", "request-supplement", "no supplement was requested"),
    Form.REFUSAL: FormSpec("03", "refuse-receipt", "its receipt was not refused"),
    Form.APOLOGY: FormSpec("04", "delay", "no apology was made (POST .../delay)"),
}
CHANNELS_VI = {
    Channel.COUNTER: "Trực tiếp tại Bộ phận Một cửa",
    Channel.ONLINE: "Trực tuyến",
    Channel.POSTAL: "Qua dịch vụ bưu chính công ích",
}
RETURNS_VI = {
    ReturnMethod.COUNTER: "Tại Bộ phận Một cửa",
    ReturnMethod.POSTAL: "Qua dịch vụ bưu chính công ích",
    ReturnMethod.ONLINE: "Trực tuyến",
}


class FormNotApplicableError(ConflictingError):
    """The dossier has not reached the turn of its life that the form is for."""


@dataclass(frozen=True)
class FormContext:
    """What a form prints beyond the dossier's record."""

    applicant_name: str | None  # none once the applicant's data is erased
    rating_token: str | None  # the receipt's, only for the client that filed it
    lookup_url: str  # the public lookup address of the dossier


def entry_for(record: DossierRecord, form: Form) -> LogEntry:
    spec = SPECS[form]
    found = [entry for entry in record.log if entry.step == spec.step]
    if not found:
        raise FormNotApplicableError(
            f"form {form.value} does not apply to dossier {record.code}: {spec.not_yet}"
        )
    return found[-1]


def qr_svg(text: str) -> str:
    return str(segno.make(text, error="m").svg_inline(scale=3, title="Mã QR tra cứu hồ sơ"))


def render_form(
    form: Form, record: DossierRecord, context: FormContext, catalogue: Catalogue,
    calendar: BusinessCalendar,
) -> str:  # fmt: skip
    entry = entry_for(record, form)

    def agency_name(code: str) -> str:
        known = catalogue.agencies.get(code)
        return known.name if known else code

    def when(moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = calendar.local(moment)
        return f"{local:%H} giờ {local:%M} phút, ngày {local:%d} tháng {local:%m} năm {local:%Y}"

    # The receipt and the refusal are the desk's; the supplement request and the apology are
    # made by the agency holding the dossier at that moment.
    issuer = entry.agency_code if form in (Form.SUPPLEMENT_REQUEST, Form.APOLOGY) else (
        record.receiving_agency_code
    )  # fmt: skip
    appointment = entry.appointment_at or record.appointment_at
    return TEMPLATES.get_template(f"form_{form.value}.html").render(
        form_number=SPECS[form].number, record=record, entry=entry, context=context,
        issuer=issuer, issuer_name=agency_name(issuer), when=when, appointment=appointment,
        channel=CHANNELS_VI.get(record.channel, record.channel.value),
        return_method=RETURNS_VI.get(record.return_method, record.return_method.value),
        papers=_lines(entry.reason), qr=qr_svg(context.lookup_url),
        restarts=record.supplement_policy is SupplementPolicy.RESTART,
    )  # fmt: skip


def _lines(reason: str | None) -> list[str]:
    """Missing papers, one per line (or separated by ';')."""
    if not reason:
        return []
    parts = [part.strip() for line in reason.splitlines() for part in line.split(";")]
    return [part for part in parts if part]
