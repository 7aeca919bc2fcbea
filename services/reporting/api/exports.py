"""Report tables as CSV and XLSX, with the Vietnamese column headings of the official forms."""

import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

PROCESSING_HEADINGS = {
    "group": "Mã đơn vị / nhóm",
    "group_name": "Tên đơn vị / nhóm",
    "received_total": "Tổng số hồ sơ tiếp nhận",
    "carried_over": "Kỳ trước chuyển qua",
    "new_total": "Tiếp nhận mới",
    "new_online": "Tiếp nhận mới trực tuyến",
    "new_counter": "Tiếp nhận mới trực tiếp",
    "new_postal": "Tiếp nhận mới qua bưu chính công ích",
    "refused_at_receipt": "Từ chối tiếp nhận (không tính vào tiếp nhận)",
    "resolved_total": "Đã giải quyết",
    "resolved_early": "Giải quyết trước hạn",
    "resolved_on_time": "Giải quyết đúng hạn",
    "resolved_late": "Giải quyết quá hạn",
    "late_with_apology": "Quá hạn có văn bản xin lỗi",
    "withdrawn": "Rút hồ sơ",
    "stopped": "Dừng xử lý",
    "pending_total": "Đang giải quyết",
    "pending_within": "Đang giải quyết trong hạn",
    "pending_overdue": "Đang giải quyết quá hạn",
    "paused": "Tạm dừng (chờ bổ sung, thực hiện nghĩa vụ tài chính)",
    "on_time_rate": "Tỷ lệ giải quyết đúng hạn",
    "online_rate": "Tỷ lệ tiếp nhận trực tuyến",
}
SATISFACTION_HEADINGS = {
    "group": "Mã đơn vị / cán bộ / thủ tục",
    "group_name": "Tên",
    "ratings_total": "Tổng số đánh giá",
    "very_satisfied": "Rất hài lòng",
    "satisfied": "Hài lòng",
    "dissatisfied": "Không hài lòng",
    "satisfied_rate": "Tỷ lệ hài lòng và rất hài lòng",
    "rank": "Xếp hạng",
}
DOSSIER_LIST_HEADINGS = {
    "code": "Mã hồ sơ",
    "procedure": "Mã thủ tục",
    "procedure_name": "Tên thủ tục",
    "agency": "Mã cơ quan",
    "agency_name": "Tên cơ quan",
    "received_at": "Ngày tiếp nhận",
    "due_at": "Hạn giải quyết",
    "ended_at": "Ngày kết thúc",
    "ending": "Kết thúc",
    "classification": "Kết quả so với hạn",
    "state_at_end": "Tình trạng cuối kỳ",
}
RATING_LIST_HEADINGS = {
    "code": "Mã hồ sơ",
    "agency": "Mã cơ quan",
    "agency_name": "Tên cơ quan",
    "clerk": "Cán bộ tiếp nhận",
    "procedure": "Mã thủ tục",
    "procedure_name": "Tên thủ tục",
    "rating": "Mức đánh giá",
    "rated_at": "Thời điểm đánh giá",
}
STEP_HEADINGS = {
    "group": "Mã bước (thủ tục/bước/cơ quan)",
    "procedure": "Mã thủ tục",
    "procedure_name": "Tên thủ tục",
    "step": "Bước",
    "agency": "Mã cơ quan",
    "agency_name": "Tên cơ quan giải quyết bước",
    "closed_total": "Số bước đã chuyển tiếp / hoàn thành",
    "closed_on_time": "Đúng hạn của bước",
    "closed_late": "Quá hạn của bước",
    "overrun_minutes": "Thời gian quá hạn (phút làm việc)",
    "on_time_rate": "Tỷ lệ đúng hạn của bước",
}
HELD_LATE_HEADINGS = {
    "group": "Mã cơ quan",
    "group_name": "Tên cơ quan",
    "late_total": "Hồ sơ quá hạn do cơ quan giữ quá hạn",
    "overran_steps": "Số bước quá hạn của cơ quan",
    "overrun_minutes": "Thời gian quá hạn (phút làm việc)",
}
STEP_LIST_HEADINGS = {
    "code": "Mã hồ sơ",
    "procedure": "Mã thủ tục",
    "step": "Bước",
    "agency": "Mã cơ quan",
    "agency_name": "Tên cơ quan",
    "started_at": "Bắt đầu",
    "due_at": "Hạn của bước",
    "ended_at": "Kết thúc",
    "on_time": "Đúng hạn",
    "overrun_minutes": "Thời gian quá hạn (phút làm việc)",
}
SURVEY_ASPECTS_VI = {
    "access": "Tiếp cận dịch vụ",
    "procedure": "Thủ tục hành chính",
    "civil_servants": "Công chức giải quyết",
    "result": "Kết quả giải quyết",
    "feedback_handling": "Tiếp nhận, xử lý phản ánh, kiến nghị",
}
SURVEY_HEADINGS = {
    "group": "Mã (cơ quan/tiêu chí)",
    "agency": "Mã cơ quan",
    "agency_name": "Tên cơ quan",
    "aspect": "Mã tiêu chí",
    "aspect_name": "Tiêu chí",
    "answers_total": "Số phiếu trả lời",
    "very_satisfied": "Rất hài lòng",
    "satisfied": "Hài lòng",
    "neutral": "Bình thường",
    "dissatisfied": "Không hài lòng",
    "very_dissatisfied": "Rất không hài lòng",
    "satisfied_rate": "Tỷ lệ hài lòng và rất hài lòng",
    "below_minimum": "Chưa đủ mẫu tối thiểu",
}
SURVEY_LIST_HEADINGS = {
    "survey_id": "Mã phiếu",
    "agency": "Mã cơ quan",
    "period": "Kỳ khảo sát",
    "answered_at": "Thời điểm trả lời",
    "level": "Mức đánh giá",
}
FEEDBACK_HEADINGS = {
    "group": "Mã (cơ quan/lĩnh vực phản ánh)",
    "agency": "Mã cơ quan",
    "agency_name": "Tên cơ quan",
    "category": "Mã loại phản ánh",
    "category_name": "Loại phản ánh, kiến nghị",
    "received": "Số tiếp nhận trong kỳ",
    "answered_total": "Đã trả lời",
    "answered_on_time": "Trả lời đúng hạn",
    "answered_late": "Trả lời quá hạn",
    "awaiting_judgement": "Đã trả lời, chưa xác định hạn",
    "pending_total": "Chưa trả lời cuối kỳ",
    "pending_within": "Chưa trả lời, trong hạn",
    "pending_overdue": "Chưa trả lời, quá hạn",
    "rated": "Số đánh giá câu trả lời",
    "rated_satisfied": "Hài lòng với câu trả lời",
    "on_time_rate": "Tỷ lệ trả lời đúng hạn",
    "satisfied_rate": "Tỷ lệ hài lòng với việc xử lý",
}
FEEDBACK_LIST_HEADINGS = {
    "code": "Mã phản ánh",
    "agency": "Mã cơ quan",
    "category": "Loại phản ánh",
    "received_at": "Thời điểm tiếp nhận",
    "due_at": "Hạn trả lời",
    "overdue_at": "Thời điểm quá hạn",
    "answered_at": "Thời điểm trả lời",
    "on_time": "Đúng hạn",
    "rating": "Đánh giá câu trả lời",
}
DIGITAL_HEADINGS = {
    "group": "Mã cơ quan",
    "group_name": "Tên cơ quan",
    "received": "Hồ sơ tiếp nhận",
    "online_recorded": "Có ghi nhận nộp trực tuyến toàn trình",
    "fully_online": "Nộp trực tuyến toàn trình",
    "digitised_recorded": "Có ghi nhận số hóa",
    "papers_digitised": "Đã số hóa hồ sơ",
    "paid_recorded": "Có ghi nhận hình thức thanh toán",
    "paid_online": "Thanh toán trực tuyến",
    "resolved_recorded": "Đã giải quyết, có ghi nhận kết quả điện tử",
    "electronic_results": "Cấp kết quả điện tử",
    "fully_online_rate": "Tỷ lệ trực tuyến toàn trình",
    "digitised_rate": "Tỷ lệ số hóa",
    "paid_online_rate": "Tỷ lệ thanh toán trực tuyến",
    "electronic_result_rate": "Tỷ lệ kết quả điện tử",
}
INDEX_HEADINGS = {
    "agency": "Mã cơ quan",
    "group": "Mã nhóm chỉ số",
    "group_name": "Nhóm chỉ số",
    "sub_indicator": "Mã chỉ số thành phần",
    "name": "Chỉ số thành phần",
    "max_points": "Điểm tối đa",
    "measured": "Đo được",
    "value": "Tỷ lệ",
    "points": "Điểm",
    "formula": "Công thức",
    "source": "Căn cứ",
    "needs": "Chưa đo được: cần",
    "cells": "Ô báo cáo",
}
NO_RATE = "—"  # a rate with nothing to divide by: never 0%
RATE_COLUMNS = {
    "on_time_rate",
    "online_rate",
    "satisfied_rate",
    "fully_online_rate",
    "digitised_rate",
    "paid_online_rate",
    "electronic_result_rate",
}


def _cell(row: dict[str, Any], name: str) -> Any:
    value = row.get(name)
    if value is None:
        return NO_RATE if name in RATE_COLUMNS else ""
    return value


def to_csv(rows: Sequence[dict[str, Any]], headings: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings.values())
    for row in rows:
        writer.writerow([_cell(row, name) for name in headings])
    return "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read UTF-8 Vietnamese


def to_xlsx(rows: Sequence[dict[str, Any]], headings: dict[str, str], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(headings.values()))
    for row in rows:
        sheet.append([_cell(row, name) for name in headings])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def csv_stream(
    pages: AsyncIterator[Sequence[dict[str, Any]]], headings: dict[str, str]
) -> AsyncIterator[bytes]:
    """The same CSV as `to_csv`, written a page at a time (a list of any length, in flat
    memory: the pages come from the database by keyset)."""
    yield ("\ufeff" + to_csv([], headings).removeprefix("\ufeff")).encode()
    async for page in pages:
        out = io.StringIO()
        writer = csv.writer(out)
        for row in page:
            writer.writerow([_cell(row, name) for name in headings])
        yield out.getvalue().encode()


async def xlsx_file(
    pages: AsyncIterator[Sequence[dict[str, Any]]], headings: dict[str, str], title: str
) -> Path:
    """The same workbook as `to_xlsx`, written a page at a time to a temporary file
    (openpyxl's write-only mode keeps the rows on disk, not in memory); the caller streams it
    and removes it."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(headings.values()))
    async for page in pages:
        for row in page:
            sheet.append([_cell(row, name) for name in headings])
    handle, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    book.save(name)
    return Path(name)
