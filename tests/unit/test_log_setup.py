import json
import logging

import pytest

from shared.events.personal_data import Address, OrganisationApplicant, PersonApplicant
from shared.runtime.log_setup import (
    GROUP_COORDINATOR,
    JsonFormatter,
    configure_logging,
    mask_personal_data,
)


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


def test_group_membership_reaches_the_log_one_line_each(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """aiokafka's joined, left and assigned lines pass at INFO; its other INFO lines and
    FastStream's second line for the same assignment do not."""
    configure_logging("reporting", "INFO")
    coordinator = logging.getLogger(GROUP_COORDINATOR)
    try:
        coordinator.info("Discovered coordinator %s for group %s", 1, "reporting")
        coordinator.info("Joined group '%s' (generation %s) with member_id %s", "reporting", 3, "m")
        coordinator.info("Setting newly assigned partitions %s for group %s", "{tp}", "reporting")
        coordinator.info("Successfully synced group %s with generation %s", "reporting", 3)
        coordinator.info("LeaveGroup request succeeded")
        coordinator.warning("Heartbeat failed for group %s because it is rebalancing", "g")
        logging.getLogger("reporting-0.broker").info("Consumer m assigned to partitions: (tp)")
        lines = [json.loads(line)["msg"] for line in capsys.readouterr().err.splitlines()]
    finally:
        logging.getLogger().handlers.clear()
    assert lines == [
        "Joined group 'reporting' (generation 3) with member_id m",
        "Setting newly assigned partitions {tp} for group reporting",
        "LeaveGroup request succeeded",
        "Heartbeat failed for group g because it is rebalancing",
    ]
