"""Cell text → amount. Amounts are ``Decimal``; floats appear only in document.json.

Styles seen in real disclosures and OCR output: ``2,946.25``, ``2946.25``, full-width digits ``２９４６．２５``,
negatives as ``-12.30`` / ``－12.30`` / ``（12.30）`` / ``(12.30)``, percentages ``85.3%``, and empties
written ``-``, ``—``, ``/``, ``0`` or nothing.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９．，－（）％＋　：",
    "0123456789.,-()%+ :",
)
# Dashes that mean "no amount" when they are the whole cell.
_EMPTY_MARKS = {"", "-", "--", "—", "——", "–", "/", "\\", "－", "一", "…", "...", "x", "X", "×", "*"}
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
# OCR reads a lone zero as the letter O (seen on the wanli-street 2024 预算 tables: "0" → "O"); inside an
# otherwise numeric string O/o/〇 can only be a zero. Names never reach parse_amount as numbers: they have CJK.
_ZERO_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "〇": "0"})
_NUMERIC_SHAPE = re.compile(r"^[()+\-]?[\dOo〇,.]+%?[)]?$")


def normalize(text: str) -> str:
    """Full-width to ASCII, strip spaces; OCR sometimes reads a thousands comma as a full stop or space."""
    return text.translate(_FULLWIDTH).replace(" ", "").replace("\u3000", "").strip()


def is_empty_mark(text: str) -> bool:
    return normalize(text) in _EMPTY_MARKS


_PLACEHOLDER = re.compile(r"^[…⋯。．.·]+$")


def is_placeholder(text: str) -> bool:
    """An ellipsis row marker (…, ……, 。。。, ...): template tables print it for "more rows like these"; it is
    no 科目编码, no name and, outside an amount column, no amount."""
    s = "".join(text.split())
    return bool(_PLACEHOLDER.match(s)) and (len(s) >= 2 or s in ("…", "⋯"))


def parse_amount(text: str) -> Decimal | None:
    """Parse a money/number cell; None when the cell holds no number (empty, dash, words).

    ``（12.30）`` and ``(12.30)`` are negative, as in accounting. A trailing ``%`` is dropped (the value stays
    in percent units: ``85.3%`` → 85.3); callers that care use :func:`is_percent`.
    """
    s = normalize(text)
    if s in _EMPTY_MARKS:
        return None
    if _NUMERIC_SHAPE.match(s):
        s = s.translate(_ZERO_LOOKALIKES)
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.endswith("%"):
        s = s[:-1]
    if s.startswith("+"):
        s = s[1:]
    if s.startswith("-"):
        negative, s = not negative, s[1:]
    if not _NUMBER.match(s):
        return None
    try:
        value = Decimal(s.replace(",", ""))
    except InvalidOperation:
        return None
    return -value if negative else value


def is_percent(text: str) -> bool:
    return normalize(text).endswith("%")


def format_amount(value: Decimal, places: int = 2) -> str:
    """``Decimal('2946.25')`` → ``2,946.25``: the style disclosures print."""
    q = Decimal(1).scaleb(-places)
    return f"{value.quantize(q):,.{places}f}"
