"""The national service index (Decision 766/QĐ-TTg, 2022) for one agency and a period, in
full: its five groups (publicity and transparency 18, processing progress 20, online services
22 = online public services 12 + online payment 10, satisfaction 18, digitisation 22), each
sub-indicator with its value, points, formula, source, and the report cells it is computed
from. Pure.

A sub-indicator whose data the system does not hold, or whose ratio has nothing to divide by
in the period, is `measured: false` with what it would need: never scored 0. A group's and the
total's `points` add the measured sub-indicators only, next to the points not measured.

The points are a linear share of the maximum (points = maximum x ratio). The decision scores
some sub-indicators against targets of their period (Resolution 76/NQ-CP's, for instance);
its annex could not be consulted here, so the linear reading and the splits marked "this
system's reading" are this system's, stated in each `source`."""

from dataclasses import asdict, dataclass, field
from typing import Any

from services.reporting.domain.digital_reports import DigitalRow
from services.reporting.domain.feedback_reports import FeedbackRow
from services.reporting.domain.projections import ProcessingRow, SatisfactionRow
from services.reporting.domain.sync_figures import NO_FIGURES, SyncFigures

DECISION = "Quyết định 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ"
GROUP_POINTS = "điểm tối đa của nhóm theo ../shared/DOMAIN.md, đọc từ " + DECISION
SATISFACTION_SPLIT = (
    f"{DECISION}, nhóm Mức độ hài lòng (18 điểm): ba tỷ lệ, 6 điểm mỗi tỷ lệ: xử lý phản ánh, "
    "kiến nghị đúng hạn; hài lòng về việc xử lý phản ánh, kiến nghị; hài lòng trong tiếp nhận, "
    "giải quyết TTHC (as published summaries of the decision state it)"
)
INDEX_NOTE = (
    "points = maximum x ratio of the cells named; a sub-indicator not measured has no points "
    "(never 0) and says what it would need; `points` adds the measured ones, "
    "`not_measured_points` the maximum of the others"
)
OWN_READING = "this system's reading: the decision's annex could not be consulted to confirm it"


@dataclass(frozen=True)
class Cell:
    """One report cell a figure is computed from."""

    report: str  # the route, under /v1/reports
    group: str  # the row
    column: str
    value: int


@dataclass
class SubIndicator:
    code: str
    name: str
    max_points: float
    formula: str
    source: str
    measured: bool = False
    value: float | None = None  # the ratio, 0..1
    points: float | None = None
    needs: str | None = None  # when not measured: what it would need
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Group:
    code: str
    name: str
    max_points: float
    source: str
    sub_indicators: list[SubIndicator]

    @property
    def points(self) -> float:
        return round(sum(s.points or 0.0 for s in self.sub_indicators if s.measured), 2)

    @property
    def not_measured_points(self) -> float:
        return sum(s.max_points for s in self.sub_indicators if not s.measured)


def _ratio(sub: SubIndicator, part: Cell, whole: Cell, *, needs_when_empty: str) -> SubIndicator:
    sub.cells = [part, whole]
    if whole.value == 0:
        sub.needs = needs_when_empty
        return sub
    sub.measured = True
    sub.value = round(part.value / whole.value, 4)
    sub.points = round(sub.max_points * part.value / whole.value, 2)
    return sub


def _not_measured(sub: SubIndicator, needs: str) -> SubIndicator:
    sub.needs = needs
    return sub


def _sum(*cells: Cell) -> int:
    return sum(cell.value for cell in cells)


@dataclass(frozen=True)
class AgencyFigures:
    agency: str
    processing: ProcessingRow | None
    satisfaction: SatisfactionRow | None
    feedback: FeedbackRow  # the agency's feedback over every category
    digital: DigitalRow | None
    portal_sync: SyncFigures = NO_FIGURES  # from the exchange service (1.4)


def agency_index(figures: AgencyFigures) -> dict[str, Any]:
    groups = [
        _publicity(figures),
        _progress(figures),
        _online(figures),
        _satisfaction(figures),
        _digitisation(figures),
    ]
    measured = round(sum(group.points for group in groups), 2)
    return {
        "agency": figures.agency,
        "points": measured,
        "not_measured_points": sum(group.not_measured_points for group in groups),
        "max_points": sum(group.max_points for group in groups),
        "groups": [_group_answer(group) for group in groups],
    }


def _group_answer(group: Group) -> dict[str, Any]:
    return asdict(group) | {
        "points": group.points,
        "not_measured_points": group.not_measured_points,
    }


def _publicity(f: AgencyFigures) -> Group:
    return Group(
        "publicity", "Công khai, minh bạch", 18, GROUP_POINTS,
        [
            _not_measured(
                SubIndicator(
                    "procedures_published_on_time",
                    "Tỷ lệ TTHC được cập nhật, công khai đúng hạn", 4,
                    "4 x procedures published on time / procedures announced",
                    f"{DECISION}, as its published summaries state (4 of the group's 18 points)",
                ),
                "the date each procedure decision was announced and the date it was published "
                "on the portal; the catalogue keeps only the dates a version is in force",
            ),
            _portal_sync(f),
            _not_measured(
                SubIndicator(
                    "other_publicity", "Các chỉ số công khai, minh bạch còn lại", 8,
                    "the rest of the group, not itemised here", OWN_READING,
                ),
                "the national public service portal's own records of what it published, "
                "which this system does not hold",
            ),
        ],
    )  # fmt: skip


def _portal_sync(f: AgencyFigures) -> SubIndicator:
    """1.4: dossiers received in the period whose records all reached the national portal."""
    sub = SubIndicator(
        "dossiers_synchronised", "Tỷ lệ hồ sơ được đồng bộ lên Cổng Dịch vụ công quốc gia", 6,
        "6 x dossiers whose records all reached the portal / dossiers received",
        f"{DECISION}, chỉ số 1.4 (6 points); {OWN_READING}",
    )  # fmt: skip
    figures = f.portal_sync
    if figures.missing is not None:
        return _not_measured(sub, figures.missing)
    counts = figures.by_agency.get(f.agency)
    synced = Cell(figures.source, f.agency, "synchronised", counts.synchronised if counts else 0)
    received = Cell(figures.source, f.agency, "received", counts.received if counts else 0)
    return _ratio(sub, synced, received, needs_when_empty="dossiers received in the period")


def _progress(f: AgencyFigures) -> Group:
    row = f.processing or ProcessingRow(f.agency)
    report, g = "processing", f.agency
    good = [Cell(report, g, column, getattr(row, column)) for column in
            ("resolved_early", "resolved_on_time", "pending_within", "paused")]  # fmt: skip
    handled = [Cell(report, g, column, getattr(row, column))
               for column in ("resolved_total", "pending_total")]  # fmt: skip
    sub = SubIndicator(
        "on_time_handling", "Tỷ lệ hồ sơ giải quyết đúng hạn (tiến độ giải quyết)", 20,
        "20 x (resolved early + resolved on time + pending not overdue at the period's end) / "
        "(resolved + pending at the period's end)",
        f"{DECISION}, nhóm Tiến độ, kết quả giải quyết (20 điểm), as ../shared/DOMAIN.md reads it",
    )  # fmt: skip
    _ratio(sub, Cell(report, g, "on_time_handled", _sum(*good)),
           Cell(report, g, "handled", _sum(*handled)),
           needs_when_empty="a dossier resolved or pending in the period")  # fmt: skip
    sub.cells = good + handled
    return Group("progress", "Tiến độ, kết quả giải quyết", 20, GROUP_POINTS, [sub])


def _digital_ratio(
    f: AgencyFigures, code: str, name: str, points: float, part: str, whole: str, fact: str,
    source: str,
) -> SubIndicator:  # fmt: skip
    row = f.digital or DigitalRow(f.agency)
    sub = SubIndicator(code, name, points, f"{points:g} x {part} / {whole}", source)
    return _ratio(
        sub, Cell("digital", f.agency, part, getattr(row, part)),
        Cell("digital", f.agency, whole, getattr(row, whole)),
        needs_when_empty=f"events that record {fact} (an optional fact none of this period's "
        "events carry)",
    )  # fmt: skip


def _online(f: AgencyFigures) -> Group:
    filing = _digital_ratio(
        f, "fully_online_filing", "Tỷ lệ hồ sơ trực tuyến toàn trình", 12, "fully_online",
        "online_recorded", "whether a filing was fully online (`fully_online` on the receipt)",
        f"{DECISION}, Dịch vụ công trực tuyến (12 of the group's 22 points); scored as one "
        f"ratio: {OWN_READING}",
    )  # fmt: skip
    payment = _digital_ratio(
        f, "online_payment", "Tỷ lệ hồ sơ thanh toán trực tuyến", 10, "paid_online",
        "paid_recorded", "how a fee was paid (`method` on the payment)",
        f"{DECISION}, Thanh toán trực tuyến (10 of the group's 22 points); scored as one "
        f"ratio: {OWN_READING}",
    )  # fmt: skip
    return Group("online", "Cung cấp dịch vụ trực tuyến (dịch vụ công trực tuyến, thanh toán "
                 "trực tuyến)", 22, GROUP_POINTS, [filing, payment])  # fmt: skip


def _satisfaction(f: AgencyFigures) -> Group:
    fb, report = f.feedback, f"feedback?agency={f.agency}"
    on_time = _ratio(
        SubIndicator("feedback_on_time", "Tỷ lệ xử lý phản ánh, kiến nghị đúng hạn", 6,
                     "6 x feedback answered on time / feedback answered", SATISFACTION_SPLIT),
        Cell(report, fb.group, "answered_on_time", fb.answered_on_time),
        Cell(report, fb.group, "answered_total", fb.answered_total),
        needs_when_empty="feedback answered in the period (POST /v1/feedback at survey)",
    )  # fmt: skip
    handled_well = _ratio(
        SubIndicator("feedback_satisfaction",
                     "Tỷ lệ hài lòng về việc xử lý phản ánh, kiến nghị", 6,
                     "6 x answers rated satisfied or very satisfied / answers rated",
                     SATISFACTION_SPLIT),
        Cell(report, fb.group, "rated_satisfied", fb.rated_satisfied),
        Cell(report, fb.group, "rated", fb.rated),
        needs_when_empty="answers to feedback rated by their filers in the period",
    )  # fmt: skip
    row = f.satisfaction
    ratings = row.ratings_total if row else 0
    happy = (row.very_satisfied + row.satisfied) if row else 0
    procedures = SubIndicator(
        "procedure_satisfaction", "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC", 6,
        "6 x (very satisfied + satisfied) / ratings", SATISFACTION_SPLIT,
    )  # fmt: skip
    _ratio(procedures, Cell("satisfaction", f.agency, "satisfied_and_very", happy),
           Cell("satisfaction", f.agency, "ratings_total", ratings),
           needs_when_empty="ratings of the agency's dossiers in the period")  # fmt: skip
    if row is not None:
        procedures.cells = [
            Cell("satisfaction", f.agency, "very_satisfied", row.very_satisfied),
            Cell("satisfaction", f.agency, "satisfied", row.satisfied),
            Cell("satisfaction", f.agency, "ratings_total", ratings),
        ]
    return Group("satisfaction", "Mức độ hài lòng", 18, GROUP_POINTS,
                 [on_time, handled_well, procedures])  # fmt: skip


def _digitisation(f: AgencyFigures) -> Group:
    split = f"{DECISION}, nhóm Số hóa hồ sơ (22 điểm); 11 + 11: {OWN_READING}"
    return Group(
        "digitisation", "Mức độ số hóa hồ sơ", 22, GROUP_POINTS,
        [
            _digital_ratio(
                f, "papers_digitised", "Tỷ lệ số hóa hồ sơ, kết quả", 11, "papers_digitised",
                "digitised_recorded", "whether a filing's papers were digitised "
                "(`papers_digitised` on the receipt)", split,
            ),
            _digital_ratio(
                f, "electronic_results", "Tỷ lệ cấp kết quả giải quyết TTHC điện tử", 11,
                "electronic_results", "resolved_recorded",
                "whether a result was issued electronically (`electronic_result` on the "
                "resolution)", split,
            ),
        ],
    )  # fmt: skip


def index_lines(index: dict[str, Any]) -> list[dict[str, Any]]:
    """One agency's index flattened: a line per sub-indicator, for CSV and XLSX."""
    lines = []
    for group in index["groups"]:
        for sub in group["sub_indicators"]:
            cells = [f"{c['report']} {c['group']} {c['column']} = {c['value']}"
                     for c in sub["cells"]]  # fmt: skip
            lines.append({
                "agency": index["agency"], "group": group["code"], "group_name": group["name"],
                "sub_indicator": sub["code"], "name": sub["name"],
                "max_points": sub["max_points"], "measured": sub["measured"],
                "value": sub["value"], "points": sub["points"], "formula": sub["formula"],
                "source": sub["source"], "needs": sub["needs"], "cells": "; ".join(cells),
            })  # fmt: skip
    return lines
