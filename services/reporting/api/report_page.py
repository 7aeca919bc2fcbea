"""The human-readable report page: the processing and satisfaction tables of a period and a
bar chart of on-time rates, as one HTML page with inline SVG (no script, no external files)."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from html import escape
from typing import Any
from urllib.parse import urlencode

from services.reporting.api.exports import (
    FEEDBACK_HEADINGS,
    HELD_LATE_HEADINGS,
    NO_RATE,
    PROCESSING_HEADINGS,
    RATE_COLUMNS,
    SATISFACTION_HEADINGS,
    STEP_HEADINGS,
)
from services.reporting.domain.feedback_reports import FEEDBACK_COLUMNS, FeedbackRow
from services.reporting.domain.periods import Period
from services.reporting.domain.projections import (
    COUNT_COLUMNS,
    RATING_COLUMNS,
    ProcessingRow,
    SatisfactionReport,
)
from services.reporting.domain.step_reports import (
    HELD_LATE_COLUMNS,
    STEP_COLUMNS,
    HeldLateRow,
    StepRow,
)

STYLE = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 24px; color: #1d2733; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #b8c2cc; padding: 4px 8px; text-align: right; }
th { background: #e8eef4; } td:first-child, th:first-child { text-align: left; }
td:nth-child(2), th:nth-child(2) { text-align: left; }
tr.total td { font-weight: bold; background: #f6f8fa; }
a { color: inherit; }
"""


def _cell(value: object, name: str) -> str:
    if value is None:
        return NO_RATE if name in RATE_COLUMNS else ""
    if isinstance(value, float):
        return f"{value * 100:.2f}%"
    return escape(str(value))


def _table(
    rows: list[dict[str, object]], headings: dict[str, str], link: Callable[[object, str], str]
) -> str:
    """The total row comes last; every count cell links to the list behind it."""
    head = "".join(f"<th>{escape(text)}</th>" for text in headings.values())
    body = []
    for index, row in enumerate(rows):
        css = ' class="total"' if index == len(rows) - 1 else ""
        group = None if index == len(rows) - 1 else row["group"]
        cells = []
        for name in headings:
            text = _cell(row.get(name), name)
            href = link(group, name) if isinstance(row.get(name), int) else ""
            cells.append(
                f'<td><a href="{escape(href)}">{text}</a></td>' if href else f"<td>{text}</td>"
            )
        body.append(f"<tr{css}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _linker(
    route: str,
    period: Period,
    grouping: str,
    columns: Iterable[str],
    extra: Mapping[str, str] | None = None,
) -> Callable[[object, str], str]:
    known = set(columns)

    def link(group: object, column: str) -> str:
        if column not in known:
            return ""
        query = {
            "from": period.first_day.isoformat(),
            "to": period.last_day.isoformat(),
            "group_by": grouping,
            "column": column,
            **(extra or {}),
        }
        if group is not None:
            query["group"] = str(group)
        return f"/v1/reports/{route}?{urlencode(query)}"

    return link


def _chart(rows: list[ProcessingRow]) -> str:
    """Horizontal bars: each group's on-time rate; a group with nothing resolved has no rate
    (shown as a dash, never as a 0% bar)."""
    bar_height, width, label_width = 26, 620, 240
    bars = []
    for index, row in enumerate(rows):
        y = index * bar_height
        label = row.group_name or row.group
        bars.append(f'<text x="0" y="{y + 17}" font-size="13">{escape(label)}</text>')
        if row.on_time_rate is None:
            bars.append(f'<text x="{label_width}" y="{y + 17}" font-size="13">{NO_RATE}</text>')
            continue
        length = row.on_time_rate * (width - label_width - 70)
        bars.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" '
            f'height="{bar_height - 8}" fill="#2f7dbb"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}" '
            f'font-size="13">{row.on_time_rate * 100:.2f}%</text>'
        )
    height = max(bar_height, bar_height * len(rows))
    return (
        f'<svg role="img" aria-label="Tỷ lệ giải quyết đúng hạn" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg>'
    )


MAP_READINGS = {
    "as_was": "theo địa giới hành chính tại thời điểm tiếp nhận",
    "as_is": "theo địa giới hành chính hiện nay (gộp vào đơn vị kế thừa)",
}


def _map_switch(period: Period, grouping: str, on_map: Mapping[str, str]) -> str:
    """By unit: which reading of the map this is, and a link to the other one."""
    if grouping != "unit":
        return ""
    shown = on_map.get("map", "as_was")
    other = "as_is" if shown == "as_was" else "as_was"
    query = {
        "from": period.first_day.isoformat(),
        "to": period.last_day.isoformat(),
        "group_by": "unit",
        **on_map,
        "map": other,
    }
    href = f"/v1/reports/page?{urlencode(query)}"
    return (
        f'<p class="map">Số liệu {escape(MAP_READINGS[shown])}. '
        f'<a href="{escape(href)}">Xem {escape(MAP_READINGS[other])}</a></p>'
    )


def _steps_sections(
    period: Period,
    steps: tuple[list[StepRow], StepRow],
    held_late: tuple[list[HeldLateRow], HeldLateRow],
) -> str:
    """Interconnected steps on time, and late dossiers by the agency that held them too long."""
    step_rows = [*(asdict(row) for row in steps[0]), asdict(steps[1])]
    held_rows = [*(asdict(row) for row in held_late[0]), asdict(held_late[1])]
    step_links = _linker("steps/dossiers", period, "step", STEP_COLUMNS)
    held_links = _linker("late-held-by/dossiers", period, "agency", HELD_LATE_COLUMNS)
    return f"""<h2>Giải quyết theo từng bước của thủ tục liên thông</h2>
<p>Mỗi bước tính vào kỳ có ngày chuyển tiếp (hoặc hoàn thành) và so với hạn của chính bước.</p>
{_table(step_rows, STEP_HEADINGS, step_links)}
<h2>Hồ sơ giải quyết quá hạn, theo cơ quan giữ hồ sơ quá hạn</h2>
<p>Một hồ sơ có thể tính cho nhiều cơ quan; dòng tổng tính mỗi hồ sơ một lần.</p>
{_table(held_rows, HELD_LATE_HEADINGS, held_links)}
"""


def _feedback_section(period: Period, feedback: tuple[list[FeedbackRow], FeedbackRow]) -> str:
    rows = [*(asdict(row) for row in feedback[0]), asdict(feedback[1])]
    links = _linker("feedback/items", period, "category", FEEDBACK_COLUMNS)
    return f"""<h2>Tiếp nhận, xử lý phản ánh, kiến nghị</h2>
<p>Đúng hạn: trả lời trước hạn tính theo ngày làm việc của từng loại phản ánh.</p>
{_table(rows, FEEDBACK_HEADINGS, links)}
"""


def _index_section(indexes: list[dict[str, Any]]) -> str:
    """The 766 index: a line per agency and sub-indicator; not measured says what it needs."""
    head = "".join(
        f"<th>{escape(text)}</th>"
        for text in (
            "Cơ quan",
            "Nhóm",
            "Chỉ số thành phần",
            "Điểm tối đa",
            "Tỷ lệ",
            "Điểm",
            "Ghi chú",
        )
    )
    lines = []
    for index in indexes:
        for group in index["groups"]:
            for sub in group["sub_indicators"]:
                measured = sub["measured"]
                rate = _cell(sub["value"], "rate") if measured else "chưa đo được"
                points = f"{sub['points']:g}" if measured else "—"
                note = sub["formula"] if measured else f"cần: {sub['needs']}"
                cells = (
                    index["agency"],
                    group["name"],
                    sub["name"],
                    f"{sub['max_points']:g}",
                    rate,
                    points,
                    note,
                )
                lines.append(
                    "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>"
                )
        lines.append(
            f'<tr class="total"><td>{escape(index["agency"])}</td><td colspan="4">Tổng điểm đo '
            f"được (chưa đo được: {index['not_measured_points']:g} điểm)</td>"
            f"<td>{index['points']:g}</td><td></td></tr>"
        )
    return f"""<h2>Bộ chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg)</h2>
<p>Điểm = điểm tối đa × tỷ lệ; chỉ số chưa có dữ liệu ghi "chưa đo được", không tính 0 điểm.</p>
<table><thead><tr>{head}</tr></thead><tbody>{"".join(lines)}</tbody></table>
"""


def report_page(
    period: Period,
    grouping: str,
    rows: list[ProcessingRow],
    total: ProcessingRow,
    rating_grouping: str,
    satisfaction: SatisfactionReport,
    on_map: Mapping[str, str] | None = None,
    steps: tuple[list[StepRow], StepRow] | None = None,
    held_late: tuple[list[HeldLateRow], HeldLateRow] | None = None,
    feedback: tuple[list[FeedbackRow], FeedbackRow] | None = None,
    indexes: list[dict[str, Any]] | None = None,
) -> str:
    title = f"Báo cáo kết quả giải quyết thủ tục hành chính: {period.label}"
    processing = [*(asdict(row) for row in rows), asdict(total)]
    rated = [*(asdict(row) for row in satisfaction.rows), asdict(satisfaction.total)]
    dossier_links = _linker("processing/dossiers", period, grouping, COUNT_COLUMNS, on_map)
    rating_links = _linker("satisfaction/ratings", period, rating_grouping, RATING_COLUMNS)
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{STYLE}</style></head><body>
<h1>{escape(title)}</h1>
<h2>Tình hình tiếp nhận và giải quyết hồ sơ</h2>
{_map_switch(period, grouping, on_map or {})}
<p>Mỗi số liệu dẫn tới danh sách hồ sơ tương ứng.</p>
{_table(processing, PROCESSING_HEADINGS, dossier_links)}
<h2>Tỷ lệ giải quyết đúng hạn (trước hạn và đúng hạn / đã giải quyết)</h2>
{_chart(rows)}
<h2>Mức độ hài lòng (tối thiểu {satisfaction.minimum_for_ranking} đánh giá để xếp hạng)</h2>
{_table(rated, SATISFACTION_HEADINGS, rating_links)}
{_steps_sections(period, steps, held_late) if steps and held_late else ""}
{_feedback_section(period, feedback) if feedback else ""}
{_index_section(indexes) if indexes else ""}
<p>Tổng: {total.received_total} hồ sơ tiếp nhận, {total.resolved_total} đã giải quyết.</p>
</body></html>
"""
