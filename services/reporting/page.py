"""The human-readable report page: the processing and satisfaction tables of a period and a
bar chart of on-time rates, as one HTML page with inline SVG (no script, no external files)."""

from html import escape

from services.reporting.exports import PROCESSING_HEADINGS, SATISFACTION_HEADINGS
from services.reporting.periods import Period
from services.reporting.projections import ProcessingRow, SatisfactionReport

STYLE = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 24px; color: #1d2733; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #b8c2cc; padding: 4px 8px; text-align: right; }
th { background: #e8eef4; } td:first-child, th:first-child { text-align: left; }
tr.total td { font-weight: bold; background: #f6f8fa; }
"""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value * 100:.2f}%"
    return escape(str(value))


def _table(rows: list[dict[str, object]], headings: dict[str, str], total_last: bool) -> str:
    head = "".join(f"<th>{escape(text)}</th>" for text in headings.values())
    body = []
    for index, row in enumerate(rows):
        css = ' class="total"' if total_last and index == len(rows) - 1 else ""
        cells = "".join(f"<td>{_cell(row.get(name))}</td>" for name in headings)
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _chart(rows: list[ProcessingRow]) -> str:
    """Horizontal bars: each group's on-time rate."""
    bar_height, width, label_width = 26, 520, 140
    bars = []
    for index, row in enumerate(rows):
        rate = row.on_time_rate or 0.0
        y = index * bar_height
        bars.append(
            f'<text x="0" y="{y + 17}" font-size="13">{escape(row.group)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{rate * (width - label_width - 70):.1f}" '
            f'height="{bar_height - 8}" fill="#2f7dbb"/>'
            f'<text x="{label_width + rate * (width - label_width - 70) + 6:.1f}" y="{y + 17}" '
            f'font-size="13">{rate * 100:.2f}%</text>'
        )
    height = max(bar_height, bar_height * len(rows))
    return (
        f'<svg role="img" aria-label="Tỷ lệ giải quyết đúng hạn" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg>'
    )


def report_page(
    period: Period,
    rows: list[ProcessingRow],
    total: ProcessingRow,
    satisfaction: SatisfactionReport,
    as_dicts: list[dict[str, object]],
    satisfaction_dicts: list[dict[str, object]],
) -> str:
    title = f"Báo cáo kết quả giải quyết thủ tục hành chính: {period.label}"
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{STYLE}</style></head><body>
<h1>{escape(title)}</h1>
<h2>Tình hình tiếp nhận và giải quyết hồ sơ</h2>
{_table(as_dicts, PROCESSING_HEADINGS, total_last=True)}
<h2>Tỷ lệ giải quyết đúng hạn (trước hạn và đúng hạn / đã giải quyết)</h2>
{_chart(rows)}
<h2>Mức độ hài lòng (tối thiểu {satisfaction.minimum_for_ranking} đánh giá để xếp hạng)</h2>
{_table(satisfaction_dicts, SATISFACTION_HEADINGS, total_last=True)}
<p>Tổng: {total.received_total} hồ sơ tiếp nhận, {total.resolved_total} đã giải quyết.</p>
</body></html>
"""
