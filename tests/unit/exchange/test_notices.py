"""What a citizen is told: the notice each event makes, and its templates on every channel
(Vietnamese, escaped in email, the SMS lengths the README states)."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from services.exchange.domain.notices import KINDS, notice_of
from services.exchange.service.notice_templates import NoticeTemplates
from services.exchange.tools.sms_lengths import SAMPLE, table
from shared.domain.business_calendar import VIETNAM
from shared.events import dossier as d
from shared.events.vocabulary import DeliveryStatus, ReturnMethod
from tests.support import dossier_events as ev

ROOT = Path(__file__).resolve().parents[3]
CODE = "UBND.Q1-260302-0001"
AT = datetime(2026, 3, 2, 9, tzinfo=VIETNAM)


def test_the_events_that_concern_the_applicant_make_one_notice_each() -> None:
    received = ev.received(CODE, AT, appointment_at=AT + timedelta(days=3))
    delayed = ev.delayed(CODE, AT, AT + timedelta(days=3), AT + timedelta(days=5))
    kinds = [
        (notice.kind if (notice := notice_of(event, ReturnMethod.COUNTER)) else None)
        for event in (received, ev.supplement_requested(CODE, AT), ev.payment_requested(CODE, AT),
                      delayed, ev.receipt_refused(CODE, AT), ev.stopped(CODE, AT),
                      ev.resolved(CODE, AT), ev.withdrawn(CODE, AT))
    ]  # fmt: skip
    assert kinds == ["received", "supplement_requested", "payment_requested", "delayed",
                     "refused", "stopped", "result_ready", None]  # fmt: skip
    notice = notice_of(delayed, ReturnMethod.COUNTER)
    assert notice is not None
    assert notice.facts["new_appointment"] == (AT + timedelta(days=5)).isoformat()
    assert notice_of(ev.resolved(CODE, AT), ReturnMethod.POSTAL) is None  # told when posted


def test_a_result_by_post_is_told_when_posted_and_when_its_delivery_failed() -> None:
    def postal(status: DeliveryStatus) -> d.PostalDeliveryUpdated:
        return d.PostalDeliveryUpdated(
            event_id=f"p-{status}", occurred_at=AT, recorded_at=AT, source="t",
            body=d.PostalDeliveryUpdatedBody(dossier_code=CODE, agency_code="UBND.Q1",
                                             status=status, reason="không có người nhận"),
        )  # fmt: skip

    returned = d.ResultReturned(
        event_id="r", occurred_at=AT, recorded_at=AT, source="t",
        body=d.ResultReturnedBody(dossier_code=CODE, agency_code="UBND.Q1",
                                  method=ReturnMethod.POSTAL),
    )  # fmt: skip
    events = (returned, postal(DeliveryStatus.FAILED), postal(DeliveryStatus.DELIVERED))
    found = [notice_of(event, ReturnMethod.POSTAL) for event in events]
    assert [n.kind if n else None for n in found] == ["result_posted", "delivery_failed", None]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_on_every_channel(kind: str) -> None:
    templates = NoticeTemplates()
    code = str(SAMPLE["code"])
    assert code in templates.sms(kind, SAMPLE)
    subject, html = templates.email(kind, SAMPLE)
    assert code in subject
    assert code in html
    template_id, params = templates.zalo(kind, SAMPLE)
    assert template_id
    assert params["ma_ho_so"] == SAMPLE["code"]


def test_the_texts_hold_the_appointments_and_email_escapes_what_a_clerk_typed() -> None:
    templates = NoticeTemplates()
    assert "16:30 10/12/2026" in templates.sms("received", SAMPLE)
    assert "16:30 15/12/2026" in templates.sms("delayed", SAMPLE)
    _, html = templates.email("refused", SAMPLE | {"reason": "<script>x</script>"})
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    plain = NoticeTemplates(sms_without_diacritics=True).sms("received", SAMPLE)
    assert plain.startswith("Ho so UBND.P.SG-261207-0042 da duoc tiep nhan.")


def test_the_readme_states_each_sms_length() -> None:
    assert table() in (ROOT / "README.md").read_text()
