"""Report tables as CSV and XLSX, with the Vietnamese column headings of the official forms."""

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

PROCESSING_HEADINGS = {
    "group": "Đơn vị / nhóm",
    "received_total": "Tổng số hồ sơ tiếp nhận",
    "carried_over": "Kỳ trước chuyển qua",
    "new_online": "Tiếp nhận mới trực tuyến",
    "new_counter": "Tiếp nhận mới trực tiếp",
    "new_postal": "Tiếp nhận mới qua bưu chính công ích",
    "resolved_total": "Đã giải quyết",
    "resolved_early": "Giải quyết trước hạn",
    "resolved_on_time": "Giải quyết đúng hạn",
    "resolved_late": "Giải quyết quá hạn",
    "late_with_apology": "Quá hạn có văn bản xin lỗi",
    "pending_total": "Đang giải quyết",
    "pending_within": "Đang giải quyết trong hạn",
    "pending_overdue": "Đang giải quyết quá hạn",
    "paused": "Tạm dừng (chờ bổ sung, thực hiện nghĩa vụ tài chính)",
    "on_time_rate": "Tỷ lệ giải quyết đúng hạn",
    "online_rate": "Tỷ lệ tiếp nhận trực tuyến",
}
SATISFACTION_HEADINGS = {
    "group": "Đơn vị / cán bộ / thủ tục",
    "ratings_total": "Tổng số đánh giá",
    "very_satisfied": "Rất hài lòng",
    "satisfied": "Hài lòng",
    "dissatisfied": "Không hài lòng",
    "satisfied_rate": "Tỷ lệ hài lòng và rất hài lòng",
    "rank": "Xếp hạng",
}


def to_csv(rows: Sequence[dict[str, Any]], headings: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings.values())
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row[name] for name in headings])
    return "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read UTF-8 Vietnamese


def to_xlsx(rows: Sequence[dict[str, Any]], headings: dict[str, str], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(headings.values()))
    for row in rows:
        sheet.append([row.get(name) for name in headings])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
