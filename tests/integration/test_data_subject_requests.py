"""Data subject requests over HTTP: admin scope only, the ID number in the body and never
echoed, the export holding the person's dossiers, the log holding none of the data."""

import logging

import pytest

from tests.support.intake_fixtures import APPLICANT, Intake, intake

pytestmark = pytest.mark.integration
__all__ = ["intake"]


async def test_only_an_admin_exports_and_the_logs_hold_no_personal_data(
    intake: Intake, caplog: pytest.LogCaptureFixture
) -> None:
    filed = await intake.receive(submission_id=f"dsr-{intake.unique}")
    assert filed.status_code == 201, filed.text
    code = filed.json()["code"]
    body = {"id_number": APPLICANT["id_number"]}

    denied = await intake.client.post("/v1/admin/data-subject/export", json=body,
                                      headers=intake.headers("desk"))  # fmt: skip
    assert denied.status_code == 403
    bad = await intake.client.post("/v1/admin/data-subject/export", json={"id_number": "12ab"},
                                   headers=intake.headers("admin"))  # fmt: skip
    assert bad.status_code == 422
    assert "12ab" not in bad.text

    with caplog.at_level(logging.INFO):
        exported = await intake.client.post("/v1/admin/data-subject/export", json=body,
                                            headers=intake.headers("admin"))  # fmt: skip
        assert exported.status_code == 200, exported.text
        assert code in [d["code"] for d in exported.json()["dossiers"]]
        refused = await intake.client.post("/v1/admin/data-subject/erase", json=body,
                                           headers=intake.headers("admin"))  # fmt: skip
    assert refused.status_code == 409
    assert "open" in refused.json()["detail"]
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert "data subject export" in logged
    for value in (APPLICANT["id_number"], APPLICANT["name"], APPLICANT["phone"]):
        assert value not in logged
