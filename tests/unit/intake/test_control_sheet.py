"""The control sheet from the processing log (pure): each hand-off with the due instant of the
part that ended there, whether it was on time, and officers shown only to their agency."""

from datetime import datetime

from services.intake.domain.control_sheet import control_sheet, render_html
from services.intake.domain.lifecycle import DossierRecord, receive, step
from shared.domain.business_calendar import VIETNAM
from shared.events import intake_requests
from shared.events.vocabulary import Outcome
from shared.web.api_keys import Client, Scope
from tests.support.intake_fixtures import receipt
from tests.support.intake_samples import CALENDAR, CATALOGUE, NOW

CODE = "UBND.P.SG-260302-0001"


def client(*agencies: str) -> Client:
    return Client(id="k", key_sha256="0" * 64, scopes=frozenset({Scope.FRONTEND}),
                  agencies=frozenset(agencies))  # fmt: skip


def vn(day: int, hour: int = 8) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=VIETNAM)


def bundle_life() -> DossierRecord:
    """Received Monday 2 March 08:00; 3 + 7 + 5 working days; the police hand on a day late."""
    request = intake_requests.ReceiveDossier.model_validate(receipt(procedure_code="LT.KS-TT-BHYT"))
    record, _ = receive(request, CATALOGUE, CALENDAR, NOW, may_backdate=False,
                        rating_token_sha256="0" * 64)  # fmt: skip
    record = record.model_copy(update={"code": CODE})
    for at, request_ in [
        (vn(3), intake_requests.TransferDossier(submission_id="t1", dossier_code=CODE,
                                   to_agency_code="CA.P.SG", officer_id="CA-0042")),
        (vn(13), intake_requests.TransferDossier(submission_id="t2", dossier_code=CODE,
                                    to_agency_code="BHXH.HCM", officer_id="BH-0007")),
        (vn(16), intake_requests.ResolveDossier(submission_id="r", dossier_code=CODE,
                                   outcome=Outcome.APPROVED, officer_id="BH-0007")),
    ]:  # fmt: skip
        record, _ = step(record, request_, at, CALENDAR, may_backdate=False)
    return record


def test_each_hand_off_is_judged_against_the_holder_s_own_step_due() -> None:
    rows = control_sheet(bundle_life(), client("*")).rows
    assert [(r.action, r.from_agency_code, r.to_agency_code) for r in rows] == [
        ("receive", None, "UBND.P.SG"), ("transfer", "UBND.P.SG", "CA.P.SG"),
        ("transfer", "CA.P.SG", "BHXH.HCM"), ("resolve", "BHXH.HCM", "UBND.P.SG"),
    ]  # fmt: skip
    assert [(r.due_at, r.on_time) for r in rows] == [
        (None, None), (vn(5), True), (vn(12), False), (vn(20), True),
    ]  # fmt: skip
    assert [r.next_due_at for r in rows[:3]] == [vn(5), vn(12), vn(20)]


def test_an_officer_shows_only_to_a_key_of_that_officer_s_agency() -> None:
    record = bundle_life()
    assert [r.officer_id for r in control_sheet(record, client("CA.P.SG")).rows] == [
        None, "CA-0042", None, None,
    ]  # fmt: skip
    assert [r.officer_id for r in control_sheet(record, client("*")).rows] == [
        "clerk-7", "CA-0042", "BH-0007", "BH-0007",
    ]  # fmt: skip


def test_the_printable_sheet_names_the_form_the_agencies_and_the_late_step() -> None:
    page = render_html(control_sheet(bundle_life(), client("*")), CATALOGUE, CALENDAR)
    assert "Mẫu số 05" in page
    assert "Công an Phường Sài Gòn (CA.P.SG)" in page
    assert page.count('class="late"') == 1
    assert "08:00 ngày 12/03/2026" in page
    assert "<script" not in page
