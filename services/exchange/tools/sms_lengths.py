"""The SMS templates' lengths, with and without diacritics, for a sample notice of each kind
(README, "SMS lengths"; a test checks the README's table against this).

    python -m services.exchange.tools.sms_lengths
"""

from services.exchange.domain.notices import KINDS
from services.exchange.domain.sms_length import sms_length
from services.exchange.service.notice_templates import NoticeTemplates

SAMPLE = {
    "code": "UBND.P.SG-261207-0042", "appointment": "2026-12-10T16:30:00+07:00",
    "new_appointment": "2026-12-15T16:30:00+07:00", "reason": "thiếu bản sao giấy khai sinh",
    "amount_vnd": 50000, "lookup_url": "https://motcua.example.vn/tra-cuu/UBND.P.SG-261207-0042",
    "rating_url": None,
}  # fmt: skip


def table() -> str:
    with_marks, without_marks = NoticeTemplates(), NoticeTemplates(sms_without_diacritics=True)
    rows = ["| notice | with diacritics (UCS-2) | without diacritics (GSM-7) |", "|---|---|---|"]
    for kind in KINDS:
        marked = sms_length(with_marks.sms(kind, SAMPLE))
        plain = sms_length(without_marks.sms(kind, SAMPLE))
        rows.append(
            f"| {kind} | {marked.characters} characters, {marked.segments} segment(s) "
            f"| {plain.characters} characters, {plain.segments} segment(s) |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
