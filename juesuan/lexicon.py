"""Domain vocabulary in one place: CJK character ranges, 合计/小计 total words, 科目编码 (subject code) shapes.

Stages, the auto-labeller, validation and evaluation import these instead of keeping their own copies, so a word
added here (a bureau that writes 共计) reaches all of them. Where two call sites need different strictness the
variants sit side by side below, each saying who needs it and why. Text is matched as printed (after
``datamodel.amounts.normalize`` where the caller says so); spaces inside a word are allowed where OCR inserts them.
"""

from __future__ import annotations

import re

# ---- characters --------------------------------------------------------------------------------------------------

_CJK_RANGES = (
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals (some PDF fonts map 一 to ⼀ U+2F00)
    (0x3000, 0x303F),  # CJK punctuation
    (0x3400, 0x4DBF),  # CJK ideographs extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xFF00, 0xFFEF),  # full-width forms
    (0x20000, 0x2FFFF),  # extensions B and later
)


def is_cjk(ch: str) -> bool:
    """CJK ideographs, radicals, CJK punctuation and full-width forms: text joined without a space
    (``一般公共`` + ``服务``), and glyphs that sit closer together than Latin letters in a PDF text layer."""
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in _CJK_RANGES)


HAN_CLASS = "\u3400-\u9fff"
"""The Han ideograph range as a character-class body, for patterns that embed it (``rf"([{HAN_CLASS}]{{2,4}})\\1"``)."""

HAN = re.compile(f"[{HAN_CLASS}]")
"""Contains a Han ideograph: a piece of text is a label (科目名称), not a number or a code. Full-width digits and
punctuation do not count, unlike :func:`is_cjk`."""

HAN_RUN = re.compile(f"[{HAN_CLASS}]{{2,}}")
"""Two Han ideographs in a row: a word, so a name column (a lone 类/款/项 level marker does not count)."""

INTEGER = re.compile(r"^\d{1,10}$")
"""A bare integer: read beside a label, a 类/款/项 piece of its subject code (evaluation's row reader)."""

# ---- 合计 / 小计: total rows ----------------------------------------------------------------------------------------

GRAND_TOTAL = re.compile(r"(合\s*计|总\s*计)")
"""合计 or 总计 anywhere in a row's name: the assembler's ``total`` row kind (小计 is checked first)."""

SUBTOTAL = re.compile(r"小\s*计")
"""小计: the assembler's ``subtotal`` row kind."""

TOTAL_WORD = re.compile(r"(合\s*计|总\s*计|小\s*计|共\s*计)")
"""Any total word anywhere: the rules labeller's TOTAL_LABEL cue (short texts only, checked by the caller)."""

TOTAL_WORD_AT_END = re.compile(r"(合\s*计|总\s*计|小\s*计)$")
"""A text-layer label ending in a total word (本年收入合计): the auto-labeller's TOTAL_LABEL."""

TOTAL_ROW_NAME = re.compile(r"^(合计|总计|支出合计|合计数)$")
"""The whole name of an uncoded row that sums the top-level coded rows (validation's ``total_row`` identity)."""

# ---- 科目编码: subject codes ---------------------------------------------------------------------------------------

SUBJECT_CODE = re.compile(r"^\d{3}(?:\d{2}){0,3}$")
"""Joined 类/款/项 digits (201, 20101, 2010101) plus one deeper level, as a code column prints them."""

SUBJECT_CODE_SPACED = re.compile(r"^\d{3}(\s?\d{2}){0,3}$")
""":data:`SUBJECT_CODE` with a space allowed between levels (``201 01``): how OCR reads a code cell."""

SUBJECT_CODE_PIECE = re.compile(r"^\d{2,3}$")
"""One level of a code in its own column (类 three digits, 款/项 two): tables that split 类 | 款 | 项."""

CODE_SPECKS = ".,。，、·:：;；'`"
"""Marks OCR reads beside a code on a speckled copy (``30106.``: wuxi education 2026 p.26 at `fax`)."""


def code_without_specks(text: str) -> str:
    """A code cell read with a speck before or after the code: the code, where that is all that is left (a whole
    code or one level of it); any other text unchanged."""
    bare = text.strip(CODE_SPECKS)
    return bare if bare != text and (SUBJECT_CODE.match(bare) or SUBJECT_CODE_PIECE.match(bare)) else text


CLASSIFIED_CODE = re.compile(r"^[23]\d{2}(\d{2}){0,2}$")
"""A 支出功能分类 (2xx) or 部门经济分类 (3xx) code down to 项: the auto-labeller trusts a text layer only this far."""

KUAN_XIANG_PIECE = re.compile(r"^\d{2}$")
"""A two-digit 款 or 项 piece in a numeric table (auto-labeller)."""
