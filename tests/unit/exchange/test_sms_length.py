"""SMS lengths: GSM-7 160/153, extension characters two, UCS-2 70/67 (Vietnamese diacritics)."""

import pytest

from services.exchange.domain.sms_length import sms_length, without_diacritics


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # an extension character counts two
        ("{" * 81, "GSM-7", 162, 2),
        ("ồ" * 70, "UCS-2", 70, 1),
        ("Hồ sơ" + "a" * 66, "UCS-2", 71, 2),
        ("ồ" * 134, "UCS-2", 134, 2),
        ("ồ" * 135, "UCS-2", 135, 3),
        ("😀", "UCS-2", 2, 1),  # outside the BMP: a surrogate pair
    ],
)
def test_lengths_and_segments(text: str, encoding: str, units: int, segments: int) -> None:
    found = sms_length(text)
    assert (found.encoding, found.units, found.segments) == (encoding, units, segments)


def test_vietnamese_without_its_marks_fits_gsm7() -> None:
    text = "Hồ sơ của ông/bà đã được tiếp nhận. Đề nghị bổ sung giấy tờ."
    plain = without_diacritics(text)
    assert plain == "Ho so cua ong/ba da duoc tiep nhan. De nghi bo sung giay to."
    assert (sms_length(text).encoding, sms_length(plain).encoding) == ("UCS-2", "GSM-7")
