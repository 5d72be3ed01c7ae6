"""Cell text → amount. Amounts are ``Decimal``; floats appear only in document.json.

Styles seen in real disclosures and OCR output: ``2,946.25``, ``2946.25``, full-width digits ``２９４６．２５``,
negatives as ``-12.30`` / ``－12.30`` / ``（12.30）`` / ``(12.30)``, percentages ``85.3%``, and empties
written ``-``, ``—``, ``/``, ``0`` or nothing.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９．，－（）％＋　：；",
    "0123456789.,-()%+ :;",
)
# Dashes that mean "no amount" when they are the whole cell.
_EMPTY_MARKS = {"", "-", "--", "—", "——", "–", "/", "\\", "－", "一", "…", "...", "x", "X", "×", "*"}
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
# OCR reads a lone zero as the letter O (seen on the wanli-street 2024 预算 tables: "0" → "O"); inside an
# otherwise numeric string O/o/〇 can only be a zero. Names never reach parse_amount as numbers: they have CJK.
_ZERO_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "〇": "0"})
_NUMERIC_SHAPE = re.compile(r"^[()+\-]?[\dOo〇,.:;]+%?[)]?$")


@functools.lru_cache(maxsize=1 << 16)  # pure, and called on the same cell texts by every stage after OCR
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


# Separators OCR reads for the decimal point or a thousands comma on fax and 1-bit copies (issue 12, fax copies of
# shanghai-putuo-commerce 2025: ``293.810,000.00``, ``17,280,00``, ``1.661.216.00``, ``202:24``).
_SEPARATORS = re.compile(r"[.,:;]")
_SEPARATED = re.compile(r"^\d+(?:[.,:;]\d+)+$")
# A lone letter or bar before or after a number, split from it by a space: a rule stroke or speckle read as
# ``L``/``i``/``|`` (``L 705,443.00`` on the same fax copies). No amount is printed with a letter beside it.
_STRAY_MARK = re.compile(r"^\s*[A-Za-z|!\[\]]\s+(?=[\d(（+\-－])|(?<=[\d)）])\s+[A-Za-z|!\[\]]\s*$")


_SPACE_NEAR_SEPARATOR = re.compile(r"\s*([.,:;．，：；])\s*")
_LAST_SPACE_DECIMALS = re.compile(r"(?<=\d)\s+(\d{2})\s*([)）%]?)\s*$")
_GAP_PREFIX = re.compile(r"^([(（+\-－]?)(\d+|\d{1,3}(?:[.,:;，．]\d{3})+)$")


def _space_as_point(text: str) -> str:
    """``60 99`` → ``60.99``, ``2.082 85`` → ``2,082.85``: on 1-bit copies a faded point leaves a gap. A gap before
    the last 2 digits of a number with no decimals yet is the point (a thousands gap is followed by 3 digits, and
    separators before it then split 3-digit groups); gaps beside a separator or before 3 digits are dropped by
    :func:`normalize` as before (``1, 110,886.00``, ``12 345.00``)."""
    t = _SPACE_NEAR_SEPARATOR.sub(r"\1", text.strip())
    m = _LAST_SPACE_DECIMALS.search(t)
    if m is None:
        return text
    head = _GAP_PREFIX.match(re.sub(r"\s+", "", t[: m.start()]))
    if head is None:
        return text
    integer = re.sub(r"[.,:;，．]", ",", head.group(2))
    return f"{head.group(1)}{integer}.{m.group(1)}{m.group(2)}"


def _fix_separators(body: str) -> str | None:
    """Read digits split by any mix of ``. , : ;`` where only one reading exists; None when ambiguous.

    Thousands groups have exactly 3 digits, so a last group of 1–2 digits is the decimals whatever glyph precedes
    it (``202:24``, ``202,24``, ``17,280,00``, ``293.810,000.00`` → 293810000.00), and two or more points between
    3-digit groups cannot be decimal points (``1.661.216`` → 1661216). ``1:234`` or ``293.810,000`` could be read two
    ways, so they stay unparsed for repair, which lets identities choose. ``20224`` (a point lost in a 1-bit copy)
    parses as printed; only identities can pin that one too.
    """
    groups = _SEPARATORS.split(body)
    seps = _SEPARATORS.findall(body)
    if len(groups) == 2 and seps[0] in ".:;" and len(groups[1]) > 3:
        return f"{groups[0]}.{groups[1]}"  # 12.345678: 万元 with six decimals
    head, middle, last = groups[0], groups[1:-1], groups[-1]
    if middle and not 1 <= len(head) <= 3:
        return None
    if any(len(g) != 3 for g in middle):
        return None
    if len(last) <= 2:
        return "".join(groups[:-1]) + "." + last
    if len(last) != 3:
        return None
    if all(c == "," for c in seps):
        return "".join(groups)
    if seps[-1] == "." and all(c == "," for c in seps[:-1]):
        return "".join(groups[:-1]) + "." + last  # 1,661.216: three decimals, printed by some 万元 tables
    if len(seps) >= 2 and all(c == "." for c in seps):
        return "".join(groups)
    return None


@functools.lru_cache(maxsize=1 << 16)  # pure; assembly, hypotheses and every rule family parse the same cells again
def parse_amount(text: str, ocr_slips: bool = True) -> Decimal | None:
    """Parse a money/number cell; None when the cell holds no number (empty, dash, words).

    ``（12.30）`` and ``(12.30)`` are negative, as in accounting. A trailing ``%`` is dropped (the value stays
    in percent units: ``85.3%`` → 85.3); callers that care use :func:`is_percent`. OCR separator slips and stray
    marks are read through where only one reading exists (:func:`_fix_separators`). ``ocr_slips=False`` reads
    printed text (a PDF's text layer) strictly: there ``2,123.111,506.40`` is two numbers run together (yantai
    statistics 2026 page 8), not one amount.
    """
    s = normalize(_space_as_point(_STRAY_MARK.sub("", text)) if ocr_slips else text)
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
    if not _NUMBER.match(s) and _SEPARATED.match(s):
        if not ocr_slips:
            return None
        fixed = _fix_separators(s)
        if fixed is None:
            return None
        s = fixed
    if not _NUMBER.match(s):
        return None
    try:
        value = Decimal(s.replace(",", ""))
    except InvalidOperation:
        return None
    return -value if negative else value


# Glyphs a printed 0 becomes in a 1-bit fax copy when a stroke drops out (issue 12: justice-bureau 2026 and
# wanli-street 2024 预算 at 150 dpi `fax` read ``0``/``0.00`` as ``C``, ``G,00``, ``O.GO``, ``0.Cò``, ``180,000.C0``).
# No pixel look restores them; only the column's meaning can, so the caller decides (an amount column's body cell).
_ZERO_GLYPHS = "0OoCcGDUQóòôö〇"
_ZERO_LETTER = re.compile(r"[^0\d.,:]")
_LEAD_DASH = re.compile(r"^[一—–\-－]+[.,:]?")  # a rule dash or speck before the zero: the sign of 0 does not matter
_ZERO_CELL = re.compile(rf"^[{_ZERO_GLYPHS}](?:[.,:][{_ZERO_GLYPHS}]{{1,2}})?$")
_ZERO_DECIMALS = re.compile(rf"^(.*\d)[.,:]([{_ZERO_GLYPHS}]{{2}})$")


def zero_confusable(text: str) -> Decimal | None:
    """The value an amount-column cell means when OCR read (part of) a printed zero as letters; None otherwise.

    ``C``, ``G``, ``O`` → 0; ``G,00``, ``O.GO``, ``一0.00`` → 0.00; ``180,000.C0`` → 180000.00 (only the two
    decimals may be letters there: ``G`` in an integer part could as well be a 6). Cells that already parse
    (:func:`parse_amount`) and cells without a letter or a leading dash are not confusable readings: None. Callers
    keep the cell's text and lower its confidence, so identities check the reading and repair may overrule it.
    """
    s = normalize(text)
    if not s or parse_amount(s) is not None:
        return None
    body = _LEAD_DASH.sub("", s)
    if body != s and parse_amount(body) == 0:
        return parse_amount(body) if _NUMBER.match(body) else Decimal(0)
    if _ZERO_CELL.match(body) and _ZERO_LETTER.search(body):
        places = len(body) - 2 if len(body) > 1 else 0
        return Decimal(0).quantize(Decimal(1).scaleb(-places))
    m = _ZERO_DECIMALS.match(body)
    if m and _ZERO_LETTER.search(m.group(2)) and _NUMBER.match(m.group(1)):
        whole = parse_amount(m.group(1))  # 180,000 → 180000; 12.34 has decimals already: no reading (was a crash)
        return whole.quantize(Decimal("0.01")) if whole is not None and whole == whole.to_integral_value() else None
    return None


# An amount with a stray mark glued to it (issue 12, fax and photo copies: ``π 20,120,000.00``, ``通0.00``,
# ``46,140,000.00以``, ``266.80 cn``, ``—— 394.49``, ``一15,686,797.42``): a seal stroke, shadow, speck or rule dash
# read as a character. ``pre``/``post`` hold no digit, so a cell that holds two numbers never matches.
_GLUED = re.compile(r"^(?P<pre>[^\d]*?)(?P<sign>[-－−–]?)(?P<core>\d(?:[\d.,:;]*\d)?)(?P<post>[^\d]*)$")
_RULE_RUN = re.compile(r"[-－−–—一]+\s*$")  # a rule stroke left of the number, as OCR writes it
_DECIMAL_END = re.compile(r"[.,:;]\d{1,2}$")
_PUNCT = ".,:;·'’‘`。，：；、"
# Marks that belong to a number and change its meaning: units, percent, brackets of an accounting negative.
_MEANINGFUL = set("%％°()（）元万亿千百≥≤><＞＜≈~～约")  # ° is how a fax copy reads a small %
# Units and counters written after a count in 绩效目标 tables (``720000册``, ``≥290 人``, ``12个月``): the text is
# a target, not a stray mark beside an amount.
_COUNTERS = set("册人个次家户份台辆件套张篇本名所座条天年月日周期批项处间吨米亩公斤")
MAX_JUNK = 2


def _digit_like(ch: str) -> bool:
    """A Latin/Greek letter or bar touching the digits may itself be a misread digit (``l``, ``O``, ``G``, ``|``)."""
    return ch in "|!" or (ch.isalpha() and unicodedata.name(ch, "").startswith(("LATIN", "GREEK")))


def glued_amount(text: str) -> Decimal | None:
    """The amount in a cell that is one well-formed number plus at most :data:`MAX_JUNK` stray marks; None otherwise.

    The caller decides that the cell sits in an amount column (a name like ``一般公共服务支出2`` is no amount).
    Junk holds no digit (``5 3343704.00`` and ``82,096,797.4282,096,797.42`` are two numbers: None), no unit,
    counter, percent, comparison or bracket (they belong to the number: ``720000册``, ``≥290 人``), and no letter
    touching the digits (``6478.8G``, ``l05.00``: the letter may be a digit); a number of under 3 characters is
    too little to trust (``<1`` was a printed 0). Punctuation counts as junk only beside a number that already
    has its decimals (``.3,807,295.58``, ``0.01.``; ``.5`` stays unread), and not glued before a 3-digit group
    (``,325.09`` lost the 1 of 1,325.09). A rule stroke on the left (``——``, ``—``/``一`` glued or apart, ``-``
    apart) is junk, not a sign: the disclosures print negatives as ``-20,442.30``, a hyphen glued to the digits,
    which stays a minus (``è-12.00``, ``−27.00`` → negative). Cells that parse already are not glued readings.
    """
    if not text.strip() or parse_amount(text) is not None:
        return None
    m = _GLUED.match(text.strip())
    if m is None:
        return None
    pre, sign, core, post = m.group("pre"), m.group("sign"), m.group("core"), m.group("post")
    if sign and pre and pre[-1] in "-－−–—一":
        pre, sign = pre + sign, ""  # ``——-394.49``: the hyphen is the end of the rule
    rule = _RULE_RUN.search(pre)
    if rule is not None:
        stroke = rule.group(0)
        if len(stroke.strip()) == 1 and stroke == stroke.strip() and stroke in "-－−–":
            return None  # a lone hyphen glued to the digits: a minus, but after other junk; not ours to guess
        pre = pre[: rule.start()]
    junk = (pre + post).replace(" ", "").replace("\u3000", "")
    if not (pre + post).strip() and rule is None and not sign:
        return None  # nothing glued: the core itself does not parse
    if len(junk) > MAX_JUNK or any(ch in _MEANINGFUL for ch in junk) or any(ch in _COUNTERS for ch in post):
        return None
    touching = (pre[-1:] if rule is None and not sign else "") + post[:1]
    if any(_digit_like(ch) for ch in touching):
        return None
    if any(ch in _PUNCT for ch in junk) and not _DECIMAL_END.search(core):
        return None
    if rule is None and pre[-1:] in (".", ",") and len(re.split(r"[.,:;]", core)[0]) == 3:
        return None  # ``,325.09``: a thousands comma whose leading digit was lost (1,325.09), not a speck
    if len(core) < 3:
        return None  # ``<1`` for a printed 0: one or two glyphs beside a mark are too little to trust
    value = parse_amount(core)
    if value is None:
        return None
    return -value if sign else value


# glyphs a 1-bit copy reads for a digit inside a number (runs/eval-wide-s6/fax: “8120€.56”, “8,6€1,624”, “31.€i”
# for 81,206.56, 8,661,624, 31.61; “1,599.!1”, “8,66!,624”, “0.0!”): a 6 whose loop broke, a 1 with a speck
_DIGIT_GLYPHS = {"€": "6", "!": "1", "i": "1"}
_GLYPH = re.compile("[" + re.escape("".join(_DIGIT_GLYPHS)) + "]")


def glyph_amount(text: str) -> Decimal | None:
    """The amount in a cell where OCR read one or two digits as a glyph of ``_DIGIT_GLYPHS``, each beside a digit or
    a separator of the number; None otherwise (a cell that parses already, or holds any other letter or mark)."""
    s = (text or "").strip()
    if not s or parse_amount(s) is not None:
        return None
    glyphs = list(_GLYPH.finditer(s))
    digits = sum(ch.isdigit() for ch in s)
    if not glyphs or len(glyphs) > 2 or digits < 2 or len(glyphs) > digits:
        return None
    if re.search(r"[^\d.,:;\s" + re.escape("".join(_DIGIT_GLYPHS)) + "]", s):
        return None
    for m in glyphs:
        around = s[max(0, m.start() - 1) : m.start()] + s[m.end() : m.end() + 1]
        if not re.search(r"[\d.,]", _GLYPH.sub("0", around)):  # a glyph beside a glyph: both in the number
            return None
    return parse_amount(_GLYPH.sub(lambda m: _DIGIT_GLYPHS[m.group()], s))


def confusable_amount(text: str) -> Decimal | None:
    """What an amount-column cell means when OCR did not read it cleanly: a zero whose glyphs became letters
    (:func:`zero_confusable`), a number with stray marks glued to it (:func:`glued_amount`), or one with a digit read
    as a glyph (:func:`glyph_amount`); None otherwise."""
    for reading in (zero_confusable, glued_amount, glyph_amount):
        value = reading(text)
        if value is not None:
            return value
    return None


def is_percent(text: str) -> bool:
    return normalize(text).endswith("%")


def format_amount(value: Decimal, places: int = 2) -> str:
    """``Decimal('2946.25')`` → ``2,946.25``: the style disclosures print."""
    q = Decimal(1).scaleb(-places)
    return f"{value.quantize(q):,.{places}f}"
