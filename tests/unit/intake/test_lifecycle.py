"""The desk's lifecycle and catalogue rules, pure (no Redis, no Kafka)."""

import re
from datetime import date, datetime, timedelta

import pytest

from services.intake.domain.lifecycle import (
    ALLOWED_FROM,
    IllegalStepError,
    RequestRejectedError,
    Status,
    allowed_actions,
    effective_time,
    receive,
    step,
)
from shared.domain.business_calendar import VIETNAM
from shared.domain.catalogue import Catalogue, CatalogueError
from shared.events import intake_requests
from shared.events.vocabulary import Outcome, TimeUnit
from tests.support.intake_fixtures import receipt
from tests.support.intake_samples import CALENDAR, CATALOGUE, NOW, new_dossier


def test_sample_catalogue_has_the_promised_breadth() -> None:
    codes = {p.code for p in CATALOGUE.procedures}
    assert len(codes) >= 20
    assert len(CATALOGUE.agencies) >= 8
    units = {p.time_limit.unit for p in CATALOGUE.procedures}
    assert {"same_day", "working_days", "working_hours", "calendar_days"} <= set(units)
    bundle = CATALOGUE.procedure("LT.KS-TT-BHYT", date(2026, 3, 2))
    assert [s.agency for s in bundle.steps] == ["UBND.P.SG", "CA.P.SG", "BHXH.HCM"]
    assert sum(s.time_limit.amount for s in bundle.steps) == bundle.time_limit.amount == 15


def test_receipt_sets_the_appointment_from_the_catalogue_and_calendar() -> None:
    record = new_dossier(procedure_code="1.004227", agency_code="UBND.P.SG")
    assert record.appointment_at == CALENDAR.due_at(NOW, 30, TimeUnit.WORKING_DAYS)


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (Status.PROCESSING, {"transfer", "request-supplement", "request-payment", "delay",
                             "resolve", "refuse-receipt", "stop", "withdraw"}),
        (Status.AWAITING_SUPPLEMENT, {"receive-supplement", "delay", "stop", "withdraw"}),
        (Status.RESOLVED, {"return"}),
        (Status.RETURNED, set()),
        (Status.WITHDRAWN, set()),
    ],
)  # fmt: skip
def test_allowed_steps_by_state(status: Status, actions: set[str]) -> None:
    assert set(allowed_actions(status)) == actions


def test_every_action_has_its_states() -> None:
    assert all(ALLOWED_FROM.values())


def test_an_illegal_step_names_the_state_and_the_allowed_steps() -> None:
    record = new_dossier()
    request = intake_requests.ReceivePayment(
        submission_id="p", dossier_code="UBND.P.SG-260302-0001"
    )
    with pytest.raises(IllegalStepError) as raised:
        step(record, request, NOW, CALENDAR, may_backdate=False)
    assert raised.value.status is Status.PROCESSING
    assert "resolve" in raised.value.allowed


def test_refusal_needs_a_reason() -> None:
    request = intake_requests.ResolveDossier(
        submission_id="r", dossier_code="UBND.P.SG-260302-0001", outcome=Outcome.REFUSED
    )
    with pytest.raises(RequestRejectedError, match="needs a reason"):
        step(new_dossier(), request, NOW, CALENDAR, may_backdate=False)


@pytest.mark.parametrize(
    ("offset", "may_backdate", "accepted"),
    [
        (timedelta(minutes=-4), False, True),
        (timedelta(minutes=-6), False, False),
        (timedelta(days=-400), True, True),
        (timedelta(minutes=6), True, False),
    ],
)
def test_time_of_a_step(offset: timedelta, may_backdate: bool, accepted: bool) -> None:
    if accepted:
        assert effective_time(NOW + offset, NOW, may_backdate=may_backdate) == NOW + offset
    else:
        with pytest.raises(RequestRejectedError):
            effective_time(NOW + offset, NOW, may_backdate=may_backdate)


def test_overlapping_versions_are_refused() -> None:
    text = """
[[agency]]
code = "STP"
name = "Sở Tư pháp"
level = "province"
unit = "HCM"
[[procedure]]
code = "P1"
name = "x"
field = "f"
level = "province"
time_limit = { amount = 1, unit = "working_days" }
effective_from = 2020-01-01
[[procedure]]
code = "P1"
name = "x"
field = "f"
level = "province"
time_limit = { amount = 2, unit = "working_days" }
effective_from = 2021-01-01
"""
    with pytest.raises(CatalogueError, match="versions overlap"):
        Catalogue.from_toml(text)


def test_an_agency_receives_only_while_it_is_in_being() -> None:
    """District 1's People's Committee received until 30 June 2025; the ward that took its
    seat receives from 1 July 2025 (config/catalogue.toml, config/units.toml)."""

    def received(agency: str, day: datetime) -> str:
        request = intake_requests.ReceiveDossier.model_validate(
            receipt(procedure_code="1.001612", agency_code=agency, received_at=day.isoformat())
        )
        record, _ = receive(
            request, CATALOGUE, CALENDAR, NOW, may_backdate=True, rating_token_sha256="0" * 64
        )
        return record.procedure_version

    last_day = datetime(2025, 6, 30, 9, tzinfo=VIETNAM)
    first_day = datetime(2025, 7, 1, 9, tzinfo=VIETNAM)
    assert received("UBND.Q1", last_day) == "2020-01-01"  # the district-level version
    assert received("UBND.P.SG", first_day) == "2025-07-01"  # the commune-level version
    ceased = re.escape("agency UBND.Q1 no longer receives dossiers: it ceased on 2025-07-01")
    with pytest.raises(RequestRejectedError, match=ceased):
        received("UBND.Q1", first_day)
    not_yet = re.escape("agency UBND.P.SG receives dossiers from 2025-07-01, not on 2025-06-30")
    with pytest.raises(RequestRejectedError, match=not_yet):
        received("UBND.P.SG", last_day)


def test_a_version_may_name_only_agencies_that_receive_for_all_of_it() -> None:
    text = """
[[agency]]
code = "OLD"
name = "x"
level = "district"
unit = "HCM.Q1"
valid_to = 2025-07-01
[[procedure]]
code = "P1"
name = "x"
field = "f"
level = "district"
time_limit = { amount = 1, unit = "working_days" }
agencies = ["OLD"]
effective_from = 2020-01-01
"""
    with pytest.raises(CatalogueError, match="names agency OLD, which does not receive for all"):
        Catalogue.from_toml(text)
    ended = text + "effective_to = 2025-07-01\n"
    assert Catalogue.from_toml(ended).procedure("P1", date(2025, 6, 30)).agencies == ("OLD",)
