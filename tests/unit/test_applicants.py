"""Applicants: persons (citizen ID, or passport and nationality) and organisations (tax code)."""

import pytest
from pydantic import ValidationError

from shared.events.personal_data import (
    APPLICANT,
    OrganisationApplicant,
    PersonApplicant,
    tax_code_check_digit,
)

ADDRESS = {"province": "Tuyên Quang", "commune": "Phường Hà Giang 1", "street": "12 Trần Phú"}
PERSON = {"name": "Nguyễn Văn An", "phone": "0912345678", "address": ADDRESS}


def test_a_request_without_kind_is_a_person_with_a_citizen_id() -> None:
    applicant = APPLICANT.validate_python({**PERSON, "id_number": "079203001234"})
    assert isinstance(applicant, PersonApplicant)
    assert applicant.identity == "079203001234"
    assert applicant.address.district is None


def test_an_address_on_the_old_map_keeps_its_district() -> None:
    old = {**ADDRESS, "district": "Thành phố Hà Giang"}
    applicant = APPLICANT.validate_python({**PERSON, "address": old, "id_number": "079203001234"})
    assert applicant.address.district == "Thành phố Hà Giang"


def test_an_address_needs_province_and_commune() -> None:
    for missing in ("province", "commune"):
        address = {k: v for k, v in ADDRESS.items() if k != missing}
        with pytest.raises(ValidationError) as error:
            APPLICANT.validate_python({**PERSON, "address": address, "id_number": "079203001234"})
        assert error.value.errors()[0]["loc"][-1] == missing


def test_a_foreigner_files_with_passport_and_nationality() -> None:
    applicant = APPLICANT.validate_python(
        {**PERSON, "kind": "person", "passport_number": "M12345678", "nationality": "KOR"}
    )
    assert isinstance(applicant, PersonApplicant)
    assert applicant.identity == "passport:KOR:M12345678"


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        ({}, "exactly one of id_number and passport_number"),
        ({"id_number": "079203001234", "passport_number": "M1234567"}, "exactly one"),
        ({"passport_number": "M12345678"}, "needs its nationality"),
    ],
)
def test_a_person_has_exactly_one_identity(identity: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        APPLICANT.validate_python({**PERSON, **identity})


@pytest.mark.parametrize("tax_code", ["0100109106", "0300588569", "0100109106-001"])
def test_an_organisation_files_with_a_tax_code(tax_code: str) -> None:
    applicant = APPLICANT.validate_python(
        {"kind": "organisation", "name": "Công ty Ánh Dương", "tax_code": tax_code,
         "representative": "Trần Thị Bình", "phone": "0912345678", "address": ADDRESS}
    )  # fmt: skip
    assert isinstance(applicant, OrganisationApplicant)
    assert applicant.recipient().name == "Trần Thị Bình (Công ty Ánh Dương)"


@pytest.mark.parametrize("tax_code", ["0100109107", "010010910", "01001091060", "0100109106-1"])
def test_a_bad_tax_code_is_refused_naming_the_field_not_the_value(tax_code: str) -> None:
    with pytest.raises(ValidationError) as error:
        APPLICANT.validate_python(
            {"kind": "organisation", "name": "Công ty Ánh Dương", "tax_code": tax_code,
             "representative": "Trần Thị Bình", "phone": "0912345678", "address": ADDRESS}
        )  # fmt: skip
    (problem,) = error.value.errors()
    assert problem["loc"] == ("organisation", "tax_code")
    assert tax_code not in problem["msg"]


def test_the_check_digit_is_the_weighted_sum_rule() -> None:
    assert tax_code_check_digit("010010910") == 6  # 114 mod 11 = 4; 10 - 4
    assert tax_code_check_digit("030058856") == 9  # 375 mod 11 = 1; 10 - 1
