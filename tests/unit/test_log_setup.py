import json
import logging

import pytest

from shared.events.personal_data import Address, OrganisationApplicant, PersonApplicant
from shared.log_setup import JsonFormatter, mask_personal_data


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call 0912345678 now", "call <phone> now"),
        ("call +84912345678", "call <phone>"),
        ("id 079203001234 given", "id <id-number> given"),
        ("dossier UBND.Q1-260302-0042 resolved", "dossier UBND.Q1-260302-0042 resolved"),
        ("offset 1234567", "offset 1234567"),
    ],
)
def test_personal_numbers_are_masked_but_codes_kept(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


def test_json_log_line_masks_message_and_extra_fields() -> None:
    record = logging.makeLogRecord(
        {"msg": "rejected %s", "args": ("0912345678",), "levelname": "WARNING", "topic": "t"}
    )
    line = json.loads(JsonFormatter("intake").format(record))
    assert line["msg"] == "rejected <phone>"
    assert line["service"] == "intake"
    assert line["topic"] == "t"


def test_applicant_repr_never_shows_personal_data() -> None:
    applicant = PersonApplicant(
        name="Nguyễn Văn An",
        phone="0912345678",
        id_number="079203001234",
        address=Address(province="HCM", district="Q1", commune="Bến Nghé", street="1 Lê Lợi"),
    )
    shown = repr(applicant) + str(applicant)
    for secret in ("Nguyễn", "0912345678", "079203001234", "Lê Lợi"):
        assert secret not in shown


def test_organisation_repr_never_shows_its_representative_or_tax_code() -> None:
    applicant = OrganisationApplicant(
        name="Công ty TNHH Ánh Dương",
        tax_code="0100109106",
        representative="Trần Thị Bình",
        phone="0912345678",
        address=Address(province="Hà Nội", commune="Phường Ba Đình", street="1 Điện Biên Phủ"),
    )
    shown = repr(applicant) + str(applicant)
    for secret in ("0100109106", "Trần Thị Bình", "0912345678", "Điện Biên Phủ"):
        assert secret not in shown
