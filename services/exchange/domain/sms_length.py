"""How long an SMS is, in characters and in segments (3GPP TS 23.038): a text the GSM-7
alphabet can carry goes 160 characters in one segment, 153 a segment when split (the rest is
the concatenation header), each character of the extension table counting two; any other
text, Vietnamese with its diacritics among them, goes in UCS-2: 70 UTF-16 units in one
segment, 67 a segment when split. Many senders strip the diacritics to stay in GSM-7."""

import math
import unicodedata
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsLength:
    characters: int  # what the reader sees
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7, an extension character two) or UTF-16 units (UCS-2)
    segments: int


def sms_length(text: str) -> SmsLength:
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        return SmsLength(len(text), "GSM-7", units, _segments(units, 160, 153))
    units = len(text.encode("utf-16-le")) // 2
    return SmsLength(len(text), "UCS-2", units, _segments(units, 70, 67))


def _segments(units: int, single: int, each: int) -> int:
    return 1 if units <= single else math.ceil(units / each)


def without_diacritics(text: str) -> str:
    """Vietnamese written without its marks ("Hồ sơ" -> "Ho so"), as many SMS are sent."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))
