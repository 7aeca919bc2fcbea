"""The four forms a desk prints (Circular 01/2018/TT-VPCP, forms 01 to 04), fetched from intake
with a frontend key and rendered by a real headless Chromium (Debian's): the test reads the
dossier's code, the dates and the agency back from the page the browser built."""

import asyncio
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from shared.domain.business_calendar import VIETNAM
from tests.support.chromium import chromium
from tests.support.intake_fixtures import Intake, intake

__all__ = ["intake"]
pytestmark = pytest.mark.integration


class Elements(HTMLParser):
    """The text and attributes of every element with an id, and the items of lists."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.attributes: dict[str, dict[str, str]] = {}
        self.items: dict[str, list[str]] = {}
        self._open: list[str | None] = []
        self._list: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        element = found.get("id")
        if element:
            self.attributes[element], self.text[element] = found, ""
        if tag == "ol" and element:
            self._list = element
            self.items[element] = []
        if tag == "li" and self._list:
            self.items[self._list].append("")
        self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()
        if tag == "ol":
            self._list = None

    def handle_data(self, data: str) -> None:
        for element in self._open:
            if element:
                self.text[element] += data
        if self._list and self.items[self._list]:
            self.items[self._list][-1] += data.strip()


async def rendered(intake: Intake, code: str, form: str, tmp_path: Path, **query: str) -> Elements:
    """The form as Chromium renders it (the key goes in a header, so the test fetches the page
    and the browser opens the saved file)."""
    answer = await intake.client.get(
        f"/v1/dossiers/{code}/forms/{form}", params=query, headers=intake.headers()
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    page = tmp_path / f"{form}.html"
    page.write_text(answer.text, encoding="utf-8")
    dom = await asyncio.to_thread(  # the browser runs while the service's loop goes on
        chromium, "--dump-dom", page.as_uri(), profile=tmp_path / f"profile-{form}"
    )
    elements = Elements()
    elements.feed(dom)
    return elements


def instant(elements: Elements, element: str) -> datetime:
    return datetime.fromisoformat(elements.attributes[element]["datetime"])


async def test_each_form_renders_in_chromium_with_the_dossiers_code_dates_and_agency(
    intake: Intake, tmp_path: Path
) -> None:
    received = await intake.receive(submission_id="form-receipt")
    assert received.status_code == 201, received.text
    receipt = received.json()
    code = receipt["code"]

    slip = await rendered(intake, code, "receipt", tmp_path, submission_id="form-receipt")
    assert slip.text["code"] == code
    assert slip.attributes["agency"]["data-code"] == "UBND.P.SG"
    assert slip.text["agency"] == "UBND Phường Sài Gòn"
    assert instant(slip, "received-at") == datetime.fromisoformat(receipt["received_at"])
    assert instant(slip, "appointment-at") == datetime.fromisoformat(receipt["appointment_at"])
    appointment = datetime.fromisoformat(receipt["appointment_at"]).astimezone(VIETNAM)
    assert (
        f"ngày {appointment:%d} tháng {appointment:%m} năm {appointment:%Y}"
        in (slip.text["appointment-at"])
    )
    assert slip.text["rating-token"] == receipt["rating_token"]
    assert slip.text["lookup-url"].endswith(f"/v1/dossiers/{code}")
    assert slip.text["applicant"] == "Nguyễn Thị Bình"
    (tmp_path / "reprint").mkdir()
    reprint = await rendered(intake, code, "receipt", tmp_path / "reprint")
    assert "rating-token" not in reprint.text  # without the receipt's submission: no token

    intake.clock.advance(timedelta(hours=2))
    papers = "Bản sao giấy chứng sinh; Tờ khai có chữ ký của người yêu cầu"
    asked = await intake.act(code, "request-supplement", reason=papers)
    assert asked.status_code == 200, asked.text
    supplement = await rendered(intake, code, "supplement-request", tmp_path)
    assert supplement.text["code"] == code
    assert instant(supplement, "requested-at") == intake.clock.now()
    assert supplement.items["papers"] == [
        "Bản sao giấy chứng sinh", "Tờ khai có chữ ký của người yêu cầu",
    ]  # fmt: skip
    assert supplement.attributes["agency"]["data-code"] == "UBND.P.SG"

    intake.clock.advance(timedelta(hours=1))
    assert (await intake.act(code, "receive-supplement")).status_code == 200
    current = datetime.fromisoformat((await intake.client.get(f"/v1/dossiers/{code}")).json()[
        "appointment_at"])  # fmt: skip
    new_appointment = current + timedelta(days=7)
    delayed = await intake.act(code, "delay", reason="Chờ xác minh của cơ quan khác",
                               new_appointment_at=new_appointment.isoformat())  # fmt: skip
    assert delayed.status_code == 200, delayed.text
    apology = await rendered(intake, code, "apology", tmp_path)
    assert apology.text["code"] == code
    assert instant(apology, "previous-appointment-at") == current
    assert instant(apology, "appointment-at") == new_appointment
    assert apology.text["reason"] == "Chờ xác minh của cơ quan khác"
    assert apology.attributes["agency"]["data-code"] == "UBND.P.SG"

    refused_code = (await intake.receive(submission_id="form-refused")).json()["code"]
    refusal = await intake.act(refused_code, "refuse-receipt", reason="Không thuộc thẩm quyền")
    assert refusal.status_code == 200, refusal.text
    refused = await rendered(intake, refused_code, "refusal", tmp_path)
    assert refused.text["code"] == refused_code
    assert refused.text["reason"] == "Không thuộc thẩm quyền"
    assert instant(refused, "refused-at") == intake.clock.now()
    assert refused.attributes["agency"]["data-code"] == "UBND.P.SG"


async def test_a_form_the_dossier_has_not_reached_is_409_and_others_keys_are_refused(
    intake: Intake,
) -> None:
    code = (await intake.receive(submission_id="form-early")).json()["code"]
    early = await intake.client.get(f"/v1/dossiers/{code}/forms/apology",
                                    headers=intake.headers())  # fmt: skip
    assert early.status_code == 409
    assert "no apology was made" in early.json()["detail"]
    outsider = await intake.client.get(f"/v1/dossiers/{code}/forms/receipt",
                                       headers=intake.headers("outsider"))  # fmt: skip
    assert outsider.status_code == 403
    unknown = await intake.client.get(f"/v1/dossiers/{code}/forms/invoice",
                                      headers=intake.headers())  # fmt: skip
    assert unknown.status_code == 422
    other = await intake.client.get(
        f"/v1/dossiers/{code}/forms/receipt", params={"submission_id": "form-other"},
        headers=intake.headers(),
    )  # fmt: skip
    assert other.status_code == 404  # no such submission of this client
