"""The portal mapping, pure: each lifecycle and deadline event folded into the portal's
records, with the national status codes, the supplements' appointments and only the facts the
events carry."""

import random
from datetime import datetime, timedelta
from typing import Any

from demo.portal_standin import record_errors
from services.exchange.domain.portal_facts import PortalFacts, apply_event
from services.exchange.domain.portal_mapping import PortalMapping
from shared.domain.business_calendar import VIETNAM, BusinessCalendar
from shared.events import dossier as d
from shared.events.deadline import DeadlineSet
from shared.events.envelope import Event
from shared.events.portal import PortalRecord
from shared.events.vocabulary import Channel, PaymentMethod
from tests.support import dossier_events as ev
from tests.support.lifecycles import history, with_deadlines

MAPPING = PortalMapping.from_file()
CALENDAR = BusinessCalendar()
CODE = "UBND.Q1-260105-0001"
AT = datetime(2026, 1, 5, 8, tzinfo=VIETNAM)


def fold(
    events: list[Event], mapping: PortalMapping = MAPPING
) -> tuple[PortalFacts, list[PortalRecord]]:
    facts = PortalFacts(code=events[0].body.dossier_code)  # type: ignore[attr-defined]
    records: list[PortalRecord] = []
    for event in events:
        facts, made = apply_event(facts, event, mapping)  # type: ignore[arg-type]
        records += made
    return facts, records


def dossier_records(records: list[PortalRecord]) -> list[dict[str, Any]]:
    return [r.payload for r in records if r.call == MAPPING.calls.dossier]


def a_life_with_a_supplement() -> list[Event]:
    return with_deadlines([
        ev.received(CODE, AT, amount=5),
        ev.supplement_requested(CODE, AT + timedelta(days=1)),
        ev.supplement_received(CODE, AT + timedelta(days=3)),
        ev.resolved(CODE, AT + timedelta(days=6)),
    ])  # fmt: skip


def test_each_event_sends_its_status_in_order_with_a_progress_record() -> None:
    _, records = fold(a_life_with_a_supplement())
    statuses = [r.payload["TrangThaiHoSo"] for r in records if r.call == "DongBoHoSoMC"]
    progress = [r.payload["TrangThai"] for r in records if r.call == "CapNhatTienDoHoSoMC"]
    # received 2 (again with the deadline's appointment: the test's receipt gives none of its
    # own), supplement asked 5, supplement in 4 (again with the new appointment), done 9
    assert statuses == [2, 2, 5, 4, 4, 9]
    assert progress == [2, 5, 4, 9]
    assert [r.cause for r in records][:2] == ["DossierReceived", "DossierReceived"]


def test_a_supplement_carries_the_previous_and_the_new_appointment() -> None:
    events = a_life_with_a_supplement()
    _, records = fold(events)
    before = [e for e in events if isinstance(e, DeadlineSet) and e.body.reason == "received"]
    last = dossier_records(records)[-1]
    (supplement,) = last["DanhSachHoSoBoSung"]
    previous = before[-1].body.appointment_at.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")
    assert supplement["NgayHenTraTruoc"] == previous
    assert supplement["NgayHenTraMoi"] > previous  # the time limit restarted from the supplement
    assert last["NgayHenTra"] == supplement["NgayHenTraMoi"]
    assert supplement["LyDo"] == "missing form"


def test_a_redelivered_event_sends_nothing_and_a_replay_sends_the_same_keys() -> None:
    events = a_life_with_a_supplement()
    facts, records = fold(events)
    again, more = apply_event(facts, events[2], MAPPING)  # type: ignore[arg-type]
    assert more == []
    assert again is facts
    _, replayed = fold(events)
    assert [(r.key, r.payload) for r in replayed] == [(r.key, r.payload) for r in records]
    assert len({r.key for r in records}) == len(records)


def test_absent_facts_are_sent_absent() -> None:
    online = ev.received(CODE, AT)
    online = online.model_copy(
        update={"body": online.body.model_copy(update={"channel": Channel.ONLINE})}
    )
    _, records = fold([online])
    record = records[0].payload
    assert record["KenhThucHien"] == 2
    never_recorded = ("TenTTHC", "NgayNopHoSo", "HoSoCoThanhPhanSoHoa", "ChuHoSo",
                      "DuocThanhToanTrucTuyen", "TaiKhoanDuocXacThucVoiVNeID")  # fmt: skip
    not_yet = ("NgayTra", "NgayKetThucXuLy", "NgayTuChoi", "DanhSachHoSoBoSung")
    assert [name for name in never_recorded + not_yet if name in record] == []
    _, at_counter = fold([ev.received(CODE, AT)])
    assert at_counter[0].payload["NgayNopHoSo"] == at_counter[0].payload["NgayTiepNhan"]


def test_a_fee_paid_online_is_listed_and_flagged() -> None:
    paid = ev.payment_received(CODE, AT + timedelta(days=2))
    paid = paid.model_copy(
        update={"body": paid.body.model_copy(update={"method": PaymentMethod.ONLINE})}
    )
    _, records = fold([ev.received(CODE, AT), ev.payment_requested(CODE, AT + timedelta(days=1)),
                       paid])  # fmt: skip
    last = dossier_records(records)[-1]
    assert last["DuocThanhToanTrucTuyen"] == 1
    (fee,) = last["DanhSachLePhi"]
    assert fee["HinhThucThu"] == "online"
    assert fee["MucPhi"] > 0
    assert [r["TrangThaiHoSo"] for r in dossier_records(records)] == [2, 6, 4]


def test_the_mapping_is_data() -> None:
    renamed = MAPPING.model_copy(
        update={"events": MAPPING.events | {"DossierResolved": MAPPING.events["DossierStopped"]}}
    )
    _, records = fold(a_life_with_a_supplement(), renamed)
    assert dossier_records(records)[-1]["TrangThaiHoSo"] == 8


def test_every_record_of_random_lives_passes_the_portals_field_rules() -> None:
    events = history(seed=37, dossiers=200)
    by_code: dict[str, list[Event]] = {}
    for event in events:
        by_code.setdefault(event.body.dossier_code, []).append(event)  # type: ignore[attr-defined]
    statuses: set[int] = set()
    for life in by_code.values():
        random.Random(1).shuffle(life[1:])  # the deadline topic may come before or after
        _, records = fold(life)
        for record in records:
            assert record_errors(record.call, record.payload, MAPPING) == [], record
        statuses |= {r.payload["TrangThaiHoSo"] for r in records if r.call == "DongBoHoSoMC"}
    assert statuses >= {2, 3, 4, 5, 6, 7, 8, 9}


def test_a_restart_read_before_the_supplements_receipt_keeps_both_appointments() -> None:
    events = a_life_with_a_supplement()
    restart = next(e for e in events if isinstance(e, DeadlineSet) and e.body.reason != "received")
    received_at = next(i for i, e in enumerate(events) if isinstance(e, d.SupplementReceived))
    swapped = [e for e in events if e is not restart]
    swapped.insert(received_at, restart)  # the deadline topic read first
    in_order = dossier_records(fold(events)[1])[-1]["DanhSachHoSoBoSung"]
    assert dossier_records(fold(swapped)[1])[-1]["DanhSachHoSoBoSung"] == in_order
