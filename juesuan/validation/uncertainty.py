"""OCR uncertainty: an error a scan may have caused is not blamed on the document (issue 13).

Every rule family (table identities, cross-table totals, codes, narrative figures and shares, years and names)
reports what it read: ``Violation.cells``/``target``/``rows``×``cols`` of ``table``, ``other`` in a second table,
and ``text``/``page`` for a sentence. After all rules ran, :func:`mark_uncertain` looks at exactly those cells and
that sentence and asks one question of each: could OCR have misread it? A cell is uncertain when it was repaired,
its OCR confidence is below ``uncertain_confidence``, its text has digits but no value, or its table (read by OCR)
was put together unsurely (orphaned amounts, unreadable cells, a close structure choice, an unsure type). A
sentence is uncertain when one of its OCR tokens with digits is below the threshold, or when one of its 万元 amounts
is printed nowhere else but one OCR slip (repair's single edits) from an amount the document prints elsewhere. A
rule about the set of tables (a required table missing, the 目录's order) is uncertain while an OCR-read table has
no sure type; one that depends on the document kind, when OCR read the cover and the kind disagrees with most of
the tables; a year rule, when OCR read no cover heading and the reporting year was guessed from the text. On a
*degraded* page (OCR read below ``degraded_dpi``, a 150 dpi fax) strokes vanish and the recogniser is sure of what is
left (a 4 read 1 at 0.99), so there the known faded glyphs (``FADED``) may explain a sum identity (one or two cells),
a sub-item's code that left its parent's sum, or an unsurely read year one glyph from the reporting year; a 200 dpi
scan gets none of these. A change sentence is uncertain when OCR punctuation inside an amount (4322:77万元,
减少.5786.02万元), read as a point or dropped, leaves no failing change. Such an error becomes a warning with
``Violation.ocr_uncertain`` naming the cell or token and the reason; its message says so.

Text-layer pages carry confidence 1.0 and no repairs, so the same slip in a text-layer run stays an error.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Cell, Document, Row, Table, Violation
from juesuan.lexicon import HAN
from juesuan.validation.repair import CONFUSION, FADED, single_edits
from juesuan.validation.schema import normalize_text

_DIGIT = re.compile(r"\d")
# needs_review reasons that say how the table was read (identity_errors is the rules' own verdict: not a cause)
_READ_REASONS = ("orphans:", "null_numeric:", "structure")
# rules that judge the document's set of tables by their types (completeness.py)
TABLE_SET_RULES = frozenset({"table_missing", "toc_order", "toc_unlisted"})
# rules whose verdict depends on the document kind (决算 or 预算) read from the cover
KIND_RULES = TABLE_SET_RULES | {"year_cutoff", "year_column"}
TYPE_SURE = 0.5  # the type probability completeness trusts for a 目录 entry
TYPE_SURE_OCR = 0.9  # text-layer tables type at 1.0; an OCR table below this may have lost its title


@dataclass(frozen=True, slots=True)
class Doubt:
    """Why one thing a rule read may not be what is printed."""

    where_zh: str
    where_en: str
    why_zh: str
    why_en: str

    @property
    def zh(self) -> str:
        return f"{self.where_zh}{self.why_zh}"

    @property
    def en(self) -> str:
        return f"{self.where_en}: {self.why_en}"


def ocr_pages(doc: Document) -> set[int]:
    """Pages read by OCR: ``PageInfo.text_layer`` False, or (older files) a cell or text token below 1.0."""
    known = {p.index for p in doc.pages if p.text_layer is not None}
    pages = {p.index for p in doc.pages if p.text_layer is False}
    for t in doc.tables:
        for row in t.rows:
            for c in row.cells:
                if c.page not in known and c.confidence < 1.0:
                    pages.add(c.page)
    for b in doc.text:
        if b.page not in known and b.spans:
            pages.add(b.page)
    return pages


def cell_doubt(cell: Cell | None, threshold: float) -> tuple[str, str] | None:
    """(zh, en) reason this cell's text may not be what is printed; None when we trust it."""
    if cell is None or cell.source == "human":
        return None
    if cell.repair is not None:
        return (
            f"由OCR读数“{cell.repair.original_text}”修正",
            f"repaired from the OCR reading '{cell.repair.original_text}'",
        )
    if cell.confidence < threshold:
        return f"OCR置信度 {cell.confidence:.2f}", f"OCR confidence {cell.confidence:.2f}"
    text = (cell.text or "").strip()
    if _DIGIT.search(text) and not HAN.search(text) and parse_amount(text) is None:
        return f"OCR读数“{text}”无法识别为数字", f"OCR text '{text}' does not read as a number"
    return None


# a header cell that ends in an amount: a rule the copy lost between the header and the first body row, so that
# row's cells were read into the header (jiangsu procuratorate 2019 三公 table at `fax`: “公务接待费101.26”)
_HEADER_AMOUNT = re.compile(r"[^\d\s.,:;]\s*(\d{1,3}(,\d{3})*[.:]\d{1,2}|\d{3,})$")


# two amounts with their decimals run together in one cell: the rule between two columns was lost (yantai statistics
# 2026 三公 table at `fax`: “12.5012.50”), so the table's columns are shifted
_TWO_AMOUNTS = re.compile(r"^\d[\d,]*\.\d{2}[^\d.,:;]{0,2}\d[\d,]*\.\d{2}$")  # 12.5012.50, 5.40二5.40
_ONE_AMOUNT = re.compile(r"^\d{1,3}([.,]\d{3})+[.,]\d{1,2}$")  # 6.663.44: a thousands comma read as a point


def _two_amounts(text: str) -> bool:
    text = re.sub(r"\s+", "", text)  # OCR spaces inside a number (5. 40)
    return bool(_TWO_AMOUNTS.match(text)) and not _ONE_AMOUNT.match(text)


def table_doubt(table: Table) -> tuple[str, str] | None:
    """(zh, en) when the extractor itself was unsure how an OCR-read table fits together, or a header cell holds an
    amount (a body row read into the header)."""
    reasons = [r for r in table.review_reasons if r.startswith(_READ_REASONS)]
    held = [c.header for c in table.columns if _HEADER_AMOUNT.search(c.header.split("/")[-1].strip())]
    if held:
        return (
            f"表头“{held[0]}”含有金额，首行数据可能被读入表头",
            f"the header '{held[0]}' holds an amount: the first body row may have been read into the header",
        )
    glued = next((c.text for r in table.rows for c in r.cells if _two_amounts((c.text or "").strip())), None)
    if glued:
        return (
            f"单元格“{glued}”含两个金额，表格可能缺一条竖线",
            f"the cell '{glued}' holds two amounts: the table may have lost a column rule",
        )
    if table.orphans and not any(r.startswith("orphans:") for r in reasons):
        reasons.insert(0, f"orphans:{table.orphans}")
    if not reasons:
        return None
    joined = ", ".join(reasons)
    return f"表格结构待复核（{joined}）", f"the table's structure needs review ({joined})"


def type_doubt(table: Table, kind: str | None) -> tuple[str, str] | None:
    """(zh, en) when an OCR-read table's type, which chooses its identities and its place in the table set, is
    unsure: no type, a probability below ``TYPE_SURE_OCR``, or a type of the other kind of document (a 决算 table in
    a 预算). OCR loses or garbles titles (a `fax` page's title often reads as the 编制单位 line)."""
    p = table.type_confidence or 0.0
    if table.type is None or p < TYPE_SURE:
        return "未能识别类型，标题可能识别有误", "could not be typed; its title may be misread"
    family = {"final": "决算", "budget": "预算"}.get(table.type.split(".")[0])
    if kind and family and family != kind:
        return (
            f"类型 {table.type} 属于{family}，与本{kind}文件不符，标题或表头可能识别有误",
            f"its type {table.type} belongs to a {family}, not this {kind}; title or header may be misread",
        )
    if p < TYPE_SURE_OCR:
        return (
            f"类型 {table.type} 不确定（{p:.2f}），所用恒等式可能不适用",
            f"its type {table.type} is unsure ({p:.2f}); the identities chosen for it may not apply",
        )
    return None


def _table_name(t: Table) -> tuple[str, str]:
    span = "–".join(dict.fromkeys(str(p + 1) for p in (t.pages[0], t.pages[-1]))) if t.pages else "?"
    title = (t.title or "")[:30]
    return f"表 {t.id}（第{span}页，标题“{title}”）", f"table {t.id} (p. {span}, title '{title}')"


def kind_doubt(kind: str | None, tables: Sequence[Table]) -> Doubt | None:
    """The document's kind (决算/预算), which the cut-off year, column years and the required table set depend on,
    disagrees with most of its typed tables: on an OCR run the cover it came from may be misread or unread."""
    families = Counter(
        {"final": "决算", "budget": "预算"}.get((t.type or "").split(".")[0])
        for t in tables
        if (t.type_confidence or 0.0) >= TYPE_SURE
    )
    families.pop(None, None)
    if not kind or not families:
        return None
    majority, n = families.most_common(1)[0]
    if majority == kind or n <= sum(families.values()) / 2:
        return None
    return Doubt(
        f"文件类别“{kind}”",
        f"the document kind '{kind}'",
        f"与多数表格（{n}/{sum(families.values())} 为{majority}表）不符，封面可能识别有误",
        f"disagrees with most tables ({n}/{sum(families.values())} are {majority} tables); the cover may be misread",
    )


def year_doubt(year: tuple[int | None, str]) -> Doubt | None:
    """The reporting year every year rule compares with was not read from a cover (OCR read none) but guessed from
    the most frequent year of the text or titles: a 预算 mentions last year more often than its own."""
    y, source = year
    if y is None or source in ("Document.info", "cover"):
        return None
    return Doubt(
        f"报告年度 {y}",
        f"the reporting year {y}",
        f"取自{source}中出现最多的年份，封面未能识别",
        f"was inferred from the {source} (the most frequent year), as OCR read no cover heading",
    )


def table_set_doubt(tables: Sequence[Table], pages: set[int], kind: str | None) -> Doubt | None:
    """The OCR-read table of least sure type: a required table 'missing' from the set may be this one."""
    doubtful = [(t, type_doubt(t, kind)) for t in tables if set(t.pages) & pages]
    ranked = sorted(((t, w) for t, w in doubtful if w), key=lambda tw: tw[0].type_confidence or 0.0)
    if not ranked:
        return None
    t, (zh, en) = ranked[0]
    return Doubt(
        *_table_name(t), f"{zh}；缺少或错位的表可能就是此表", f"{en}; the missing or misplaced table may be it"
    )


def _row(table: Table, index: int) -> Row | None:
    return next((r for r in table.rows if r.index == index), None)


def _cells_read(v: Violation, tables: dict[str, Table]) -> list[tuple[Table, Row, int]]:
    """Every (table, row, column) the violation says its rule read."""
    out: list[tuple[Table, Row, int]] = []
    table = tables.get(v.table or "")
    if table is not None:
        pairs = [(r, c) for r, c in v.cells] if v.cells else [(r, c) for r in v.rows for c in v.cols]
        if v.target is not None:
            pairs.append((v.target.row, v.target.col))
        for r, c in dict.fromkeys(pairs):
            row = _row(table, r)
            if row is not None:
                out.append((table, row, c))
    if v.other is not None and v.other.table in tables:
        other = tables[v.other.table]
        row = _row(other, v.other.row)
        if row is not None:
            out.append((other, row, v.other.col))
    return out


def _cell_name(table: Table, row: Row, col: int) -> tuple[str, str]:
    header = next((c.header for c in table.columns if c.index == col), "") or f"第{col + 1}列"
    label = row.code or row.name or f"第{row.index + 1}行"
    return f"{table.id} {label}×{header}", f"{table.id} {label} × {header}"


def _figures(v: Violation) -> set[str]:
    """The numbers a narrative violation is about, as printed digits (12.50 → 12.5, 1250)."""
    out: set[str] = set()
    for x in (v.found, v.expected):
        if x is None:
            continue
        s = f"{abs(x):.2f}".rstrip("0").rstrip(".")
        out.add(s)
    return out


def _printed(digits: str) -> str:
    """12.50 → 12.5, 1,250 → 1250: a printed number as :func:`_figures` writes it."""
    d = digits.replace(",", "")
    return d.rstrip("0").rstrip(".") if "." in d else d


def sentence_doubt(v: Violation, blocks: Sequence[Any], threshold: float) -> Doubt | None:
    """A low-confidence OCR token with digits inside the violation's sentence, preferring one that holds its figure."""
    if not v.text or v.page is None:
        return None
    sentence = normalize_text(v.text)
    figures = _figures(v)
    best: tuple[int, float, str] | None = None
    for b in blocks:
        page = int(b.get("page", 0) or 0)
        spans = b.get("spans") or []
        if page not in (v.page, v.page + 1) or not spans:
            continue
        text = str(b.get("text", ""))
        for start, end, conf in spans:
            if conf >= threshold:
                continue
            token = normalize_text(text[int(start) : int(end)])
            digits = re.findall(r"\d[\d,]*(?:\.\d+)?", token)
            holds = any(_printed(d) in figures for d in digits)
            # the violation keeps 160 characters of its sentence: a token past them counts when it holds the figure
            if not digits or not (holds or token in sentence):
                continue
            rank = (0 if holds else 1, float(conf), token)
            if best is None or rank < best:
                best = rank
    if best is None:
        return None
    _, conf, token = best
    short = token if len(token) <= 24 else token[:24] + "…"
    return Doubt(f"说明文字“{short}”", f"text '{short}'", f"OCR置信度 {conf:.2f}", f"OCR confidence {conf:.2f}")


CHANGE_RULES = ("narrative_change", "narrative_difference")
# slips of the decimal point only: they change an amount's magnitude, which a digit confusion does not
POINT_SLIPS = ("dropped_point", "moved_point", "extra_point", "comma_as_point")
_WANYUAN = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*万元")
# OCR punctuation inside a change sentence's amount: a stray mark between 增加/减少 and the digits (减少.5786.02万元),
# or a colon or dot-like mark for the decimal point (4322:77万元). Group "mark" is what OCR added or misread.
_PUNCT_SLIPS = (
    (re.compile(r"(?<=增加|增长|减少|下降)(?P<mark>[.．:：·、])(?=\d[\d,]*(?:\.\d+)?万元)"), ""),
    (re.compile(r"(?<=\d)(?P<mark>[:：·])(?=\d{1,2}万元)"), "."),
    # a thousands comma read as a point: 2.018万元 for 2,018万元 (wuxi hr 2026 p.39 at `fax`); three decimals of 万元
    # are printed by none of the 39 text layers, so the comma is the likelier reading where it makes the sentence hold
    (re.compile(r"(?<=\d)(?P<mark>\.)(?=\d{3}万元)"), ","),
)
_SLIP_WORDS = {
    "": ("去掉", "dropped"),
    ".": ("读作小数点", "read as a point"),
    ",": ("读作千位逗号", "read as a thousands comma"),
}


def printed_values(
    tables: Sequence[Table], blocks: Sequence[Any], unit_scale: Callable[[Table], int] = lambda t: 1
) -> Counter[Decimal]:
    """How often each amount is printed, in 万元 (``unit_scale``: 10000 for a 元 table): cells and ``…万元`` text."""
    counts: Counter[Decimal] = Counter()
    for t in tables:
        scale = unit_scale(t)
        for row in t.rows:
            for c in row.cells:
                v = parse_amount(c.text or "")
                if v:
                    counts[abs(v) / scale] += 1
    for b in blocks:
        for m in _WANYUAN.finditer(normalize_text(str(b.get("text", "")))):
            v = parse_amount(m.group(1))
            if v:
                counts[abs(v)] += 1
    return counts


def _plausible(kind: str, degraded: bool) -> bool:
    """A slip OCR makes at full confidence: a decimal point's on any page; a digit's only on a degraded page (on a
    200 dpi scan the recogniser read 31.35% at 0.9997 — central petitions bureau 2026, the document's own error)."""
    return degraded or kind in POINT_SLIPS


def stated_slip_doubt(v: Violation, degraded: bool = True) -> Doubt | None:
    """The figure the text states is one OCR slip (repair's single edits: a dropped point, a confused digit) from
    the value the rule expected: 9979% for 99.79%. ``degraded``: the sentence's page lost strokes (a digit slip
    counts only there)."""
    if v.found is None or v.expected is None or not v.text:
        return None
    raw = f"{v.found:.2f}".rstrip("0").rstrip(".")
    if raw not in normalize_text(v.text).replace(",", ""):
        return None
    places = len(raw.split(".")[1]) if "." in raw else 0
    tol = 0.5 * 10**-places + 0.005  # rules round what they expect to the stated figure's places (9979 → 100)
    for edit in single_edits(raw):
        if _plausible(edit.kind, degraded) and abs(float(edit.value) - v.expected) <= tol:
            return Doubt(
                f"说明文字中的“{raw}”",
                f"the stated '{raw}'",
                f"差一个OCR误读即为规则算出的 {edit.text}",
                f"is one OCR slip ({edit.kind}) from {edit.text}, the value the rule computes",
            )
    return None


def change_slip_doubt(v: Violation, degraded: bool = False, printed: Counter[Decimal] | None = None) -> Doubt | None:
    """A change sentence that holds once one of its 万元 amounts is read with one point slip undone (a dropped point:
    “执行数为24176万元…增长0.66%” where 241.76 makes the +0.66% true): the sentence was misread, not misstated.
    ``degraded``: on a page that lost strokes, also one faded glyph undone (``FADED``: 6.26 read 5.26 — wanli street
    2024 p.7 at `fax`, “5.26万元…增长22.36%”) in an amount the document prints only there (``printed``: an amount
    read the same way twice is less likely misread)."""
    if v.rule not in CHANGE_RULES or not v.text:
        return None
    from juesuan.validation.narrative import Sentence, _check_changes

    text = normalize_text(v.text)
    marks = [(m, repl) for pattern, repl in _PUNCT_SLIPS for m in pattern.finditer(text)]
    # all at once (支出2.018万元…增加.222万元: a comma read as a point and a speck, one sentence), then each alone
    for chosen in ([marks] if len(marks) > 1 else []) + [[x] for x in marks]:
        edited = text
        for m, repl in sorted(chosen, key=lambda x: -x[0].start()):
            edited = edited[: m.start()] + repl + edited[m.end() :]
        # the mark split one amount in two (4322 | 77万元) or hid a 增加 D万元: read without it, every change the
        # sentence states holds (one the rule cannot recompute is no evidence: 2.018 − 222 < 0 checks nothing)
        found, checks = _check_changes([Sentence(edited, v.page or 0)])
        if found or not checks:
            continue
        arounds = "、".join(f"“{text[max(0, m.start() - 4) : m.end() + 8]}”" for m, _ in chosen)
        zh = "，".join(f"“{m.group('mark')}”{_SLIP_WORDS[repl][0]}" for m, repl in chosen)
        en = ", ".join(f"'{m.group('mark')}' {_SLIP_WORDS[repl][1]}" for m, repl in chosen)
        return Doubt(
            f"说明文字{arounds}",
            f"text {arounds}",
            f"OCR读出的{zh}后，句中没有不相符的变动",
            f"with the OCR-read {en}, the sentence states no failing change",
        )
    for m in _WANYUAN.finditer(text):
        raw = m.group(1)
        # a digit confusion can "fix" almost any misstatement: not evidence, except a glyph a degraded page loses
        slips = [(e.text, e.kind) for e in single_edits(raw) if e.kind in POINT_SLIPS]
        value = parse_amount(raw)
        if degraded and value is not None and (printed is None or printed[abs(value)] <= 1):
            slips += [(edited, f"faded {was}→{read}") for _, edited, was, read in faded_edits(raw)]
        for fixed, kind in slips:
            edited = text[: m.start(1)] + fixed + text[m.end(1) :]
            found, checks = _check_changes([Sentence(edited, v.page or 0)])
            if checks and not found:  # every change and difference of the sentence holds, not just this one
                return Doubt(
                    f"说明文字“{raw}万元”",
                    f"text '{raw}万元'",
                    f"差一个OCR误读（{fixed}）即与句中变动相符",
                    f"one OCR slip ({kind}: {fixed}) makes the sentence's change hold",
                )
    return None


def slip_doubt(v: Violation, printed: Counter[Decimal], degraded: bool = True) -> Doubt | None:
    """A 万元 amount of the violation's sentence printed nowhere else, one OCR slip (repair's edits) away from an
    amount the document prints elsewhere: the sentence, not the document, may be wrong. ``degraded`` as in
    :func:`stated_slip_doubt`."""
    if not v.text:
        return None
    for m in _WANYUAN.finditer(normalize_text(v.text)):
        raw = m.group(1)
        value = parse_amount(raw)
        if not value or printed[abs(value)] > 1:
            continue
        stated = v.found is not None and v.expected is not None and abs(float(value) - v.found) < 1e-9
        for edit in single_edits(raw):
            if not _plausible(edit.kind, degraded):
                continue
            if stated and abs(float(edit.value) - float(v.expected or 0)) > 0.01:
                continue  # the amount the rule judged: the slip must give what the rule expected (not 0.3 → 0.31)
            if edit.value and edit.value != value and printed[abs(edit.value)] > 0:
                return Doubt(
                    f"说明文字“{raw}万元”",
                    f"text '{raw}万元'",
                    f"仅此一处，差一个OCR误读即为文件他处的 {edit.text}",
                    f"printed nowhere else; one OCR slip ({edit.kind}) from {edit.text}, which the document prints",
                )
    return None


# FADED (printed → read digits a 1-bit copy loses): validation/repair.py
# a year token read below this on a degraded page is unsure: of 515 OCR tokens holding a year in the 24 `fax` runs of
# runs/checks-s5 the median is 0.997 and 3 are below 0.9 (fuzhou devzone's garbled title “2020年成又出…”: 0.81)
FADED_YEAR_SURE = 0.9
# the same bar for a cell a rule read on a degraded page: the recogniser's confidence means less on a 1-bit copy
# (hangzhou meteorology 2026 p.16 at `fax`: 5,876.67 read 5,870.07 at 0.80, 865.62 read 365.52 at 0.89)
DEGRADED_CELL_SURE = 0.9
# identities whose terms add up to their target (a term misread by d moves the sum by d)
SUM_RULES = ("column_total", "hierarchy", "total_row", "section_subtotal", "section_grand_total")


def degraded_pages(doc: Document, pages: set[int], dpi: int) -> dict[int, int]:
    """OCR pages read below ``dpi`` (page → dpi): a copy whose strokes are thin enough to vanish (``PageInfo.dpi``
    is what the rasterizer read the page at, so a 150 dpi fax is 150 however it was stored)."""
    return {p.index: p.dpi for p in doc.pages if p.index in pages and 0 < p.dpi < dpi}


def faded_edits(text: str, twice: bool = False) -> list[tuple[Decimal, str, str, str]]:
    """(value, edited text, printed, read) for every digit of ``text`` a degraded page may have read for another
    (``FADED``): the printed values this OCR reading may have come from. ``twice``: also two digits of the cell
    that lost the same stroke (544.54 read 514.54 and 511.51 in one row of yantai finance 2026 p.25 at `fax`)."""
    raw = (text or "").strip()
    if parse_amount(raw) is None:
        return []
    out = []
    for i, ch in enumerate(raw):
        for printed, reads in FADED.items():
            if ch in reads:
                edited = raw[:i] + printed + raw[i + 1 :]
                value = parse_amount(edited)
                if value is not None:
                    out.append((value, edited, printed, ch))
                for j in range(i + 1, len(raw)) if twice else ():
                    if raw[j] == ch:
                        both = edited[:j] + printed + edited[j + 1 :]
                        value = parse_amount(both)
                        if value is not None:
                            out.append((value, both, printed, ch))
    return out


def _dpi_words(dpi: int) -> tuple[str, str]:
    return f"{dpi} dpi 低清晰度页面", f"a {dpi} dpi page"


def faded_identity_doubt(
    v: Violation, read: Sequence[tuple[Table, Row, int]], degraded: dict[int, int]
) -> Doubt | None:
    """A sum identity that holds once one or two OCR-read cells on a degraded page are read with a known faded
    glyph undone (a 4 read 1; two cells of one identity when a column's 4s all lost their bar). Only there: the
    same slip on a 200 dpi scan stays the document's error."""
    if v.rule not in SUM_RULES or v.found is None or v.expected is None or v.target is None:
        return None
    found, expected = Decimal(str(v.found)), Decimal(str(v.expected))
    tol = Decimal("0.005") * min(max(1, len(read)), 10)  # the rules' rounding allowance per term, capped
    options: list[tuple[int, Decimal, tuple[str, str], Cell, tuple[Decimal, str, str, str]]] = []
    for i, (table, row, col) in enumerate(read):
        cell = row.cell(col)
        if cell is None or cell.page not in degraded or cell.source == "human":
            continue
        value = parse_amount(cell.text or "")
        if value is None:
            continue
        sign = -1 if (row.index, col) == (v.target.row, v.target.col) else 1  # of Σ terms − target
        where = _cell_name(table, row, col)
        for edit in faded_edits(cell.text or "", twice=True):
            options.append((i, sign * (edit[0] - value), where, cell, edit))
    gap = expected - found  # Σ terms − target as read; the edits must close it
    fits = [[o] for o in options if abs(gap + o[1]) <= tol]  # one cell first, then two
    fits += [
        [a, b]
        for k, a in enumerate(options)
        for b in options[k + 1 :]
        if a[0] != b[0] and abs(gap + a[1] + b[1]) <= tol
    ]
    if not fits:
        return None
    parts_zh, parts_en = [], []
    for _, _, where, cell, (_, edited, printed, got) in fits[0]:
        dpi_zh, dpi_en = _dpi_words(degraded[cell.page])
        parts_zh.append(f"{where[0]}“{cell.text}”（{dpi_zh}，印刷的{printed}常被读作{got}，读作 {edited}）")
        parts_en.append(
            f"'{cell.text}' ({where[1]}) on {dpi_en}, where a printed {printed} is often read {got}: as {edited}"
        )
    return Doubt("、".join(parts_zh), "; ".join(parts_en), "则等式成立", "the identity holds")


# issuer_name's English message (written by validation/years.py with this format; read back here for the names)
ISSUER_NAME_EN = "page {page} names “{found}”; the cover says “{cover}” (similarity {close:.2f})"
_ISSUER_NAMES = re.compile(r"names “(?P<found>[^”]+)”; the cover says “(?P<cover>[^”]+)”")


def _edits(a: str, b: str) -> tuple[int, int]:
    """(substitutions, insertions + deletions) of the cheapest alignment of ``a`` to ``b`` (Levenshtein, split)."""
    prev = [(0, j) for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        cur = [(0, i)]
        for j in range(1, len(b) + 1):
            sub = prev[j - 1] if a[i - 1] == b[j - 1] else (prev[j - 1][0] + 1, prev[j - 1][1])
            gap = min(prev[j], cur[j - 1], key=sum)
            cur.append(min(sub, (gap[0], gap[1] + 1), key=sum))
        prev = cur
    return prev[-1]


def faded_name_doubt(v: Violation, degraded: dict[int, int]) -> Doubt | None:
    """A department name on a degraded page one misread glyph and one lost glyph from the cover's (元锡市教局 for
    无锡市教育局: wuxi education 2026 p.9 at `fax`). Another department's name differs by a word (教育局/财政局: two
    glyphs substituted), which stays an error."""
    if v.rule != "issuer_name" or v.page not in degraded:
        return None
    m = _ISSUER_NAMES.search(v.message_en or "")
    if m is None:
        return None
    found, cover = m.group("found"), m.group("cover")
    subs, gaps = _edits(found, cover)
    if subs > 1 or gaps > 1 or min(len(found), len(cover)) < 4:
        return None
    dpi_zh, dpi_en = _dpi_words(degraded[v.page])
    return Doubt(
        f"{dpi_zh}上的“{found}”",
        f"'{found}' on {dpi_en}",
        f"与封面“{cover}”仅差一个误读字和一个漏读字",
        f"is one misread and one lost glyph from the cover's '{cover}'",
    )


def faded_row_doubt(v: Violation, read: Sequence[tuple[Table, Row, int]], degraded: dict[int, int]) -> Doubt | None:
    """A sum identity through a cell on a degraded page whose row holds another amount the recogniser was unsure of
    (below ``DEGRADED_CELL_SURE``, or not a number): that print line faded, and a confident misreading beside it is
    likely (yantai statistics 2026 p.11 at `fax`: 124.48 read 121.46 at 0.99 beside “121. 18” at 0.88)."""
    if v.rule not in SUM_RULES:
        return None
    for table, row, col in read:
        cell = row.cell(col)
        if cell is None or cell.page not in degraded or cell.source == "human" or parse_amount(cell.text or "") is None:
            continue
        for other in row.cells:
            if other.col == col or other.page not in degraded or not _DIGIT.search(other.text or ""):
                continue
            if HAN.search(other.text or "") or not (
                other.confidence < DEGRADED_CELL_SURE or parse_amount(other.text or "") is None
            ):
                continue
            where_zh, where_en = _cell_name(table, row, col)
            other_zh, other_en = _cell_name(table, row, other.col)
            dpi_zh, dpi_en = _dpi_words(degraded[cell.page])
            return Doubt(
                f"{where_zh}“{cell.text}”（{dpi_zh}）",
                f"'{cell.text}' ({where_en}) on {dpi_en}",
                f"同一行的{other_zh}读作“{other.text}”（置信度 {other.confidence:.2f}），该行印迹褪色",
                f"whose row also holds '{other.text}' ({other_en}, confidence {other.confidence:.2f}): the line faded",
            )
    return None


def faded_code_doubt(v: Violation, tables: dict[str, Table], degraded: dict[int, int]) -> Doubt | None:
    """A 类/款 sum that misses a sub-item because a faded glyph changed its code (2080506 read 2030506): a row of the
    table on a degraded page whose code, one faded glyph undone, is a direct sub-item of the target's code."""
    table = tables.get(v.table or "")
    if v.rule != "hierarchy" or table is None or v.target is None:
        return None
    parent = _row(table, v.target.row)
    code = (parent.code or "") if parent else ""
    if len(code) not in (3, 5):
        return None
    codes = {r.code for r in table.rows if r.code}
    for row in table.rows:
        read_code = row.code or next((c.text for c in row.cells if c.col == 0), "") or ""
        read_code = read_code.strip()
        if not read_code.isdigit() or len(read_code) != len(code) + 2 or read_code.startswith(code):
            continue
        if read_code[: len(code)] in codes:
            continue  # its own parent is in the table: a sub-item of that one, not a misread of ours
        if not any(c.page in degraded for c in row.cells):
            continue
        for i, ch in enumerate(read_code):
            for printed, reads in FADED.items():
                fixed = read_code[:i] + printed + read_code[i + 1 :]
                if ch in reads and fixed.startswith(code):
                    page = next(c.page for c in row.cells if c.page in degraded)
                    dpi_zh, dpi_en = _dpi_words(degraded[page])
                    return Doubt(
                        f"{table.id} 第{row.index + 1}行编码“{read_code}”",
                        f"{table.id} row {row.index + 1} code '{read_code}'",
                        f"在{dpi_zh}上，印刷的{printed}常被读作{ch}；"
                        f"读作 {fixed} 即为 {code} 的下级科目，本求和漏算了它",
                        f"on {dpi_en}, where a printed {printed} is often read {ch}: as {fixed} it is a sub-item of "
                        f"{code} that this sum misses",
                    )
    return None


_YEAR = re.compile(r"(20\d{2})\s*年")


def faded_year_doubt(
    v: Violation, blocks: Sequence[Any], degraded: dict[int, int], year: int | None, threshold: float
) -> Doubt | None:
    """A year rule's year read on a degraded page by an unsure OCR token (below ``threshold``) and one glyph
    confusion (repair's pairs, or a faded glyph) from the reporting year: 2020 for 2026 in a garbled title."""
    if not v.rule.startswith("year_") or not v.text or v.page not in degraded or year is None:
        return None
    want = str(year)
    for m in _YEAR.finditer(normalize_text(v.text)):
        got = m.group(1)
        diff = [(a, b) for a, b in zip(want, got, strict=True) if a != b]
        if len(diff) != 1:
            continue
        printed, read = diff[0]
        if CONFUSION.get((printed, read), 0.0) < 0.2 and read not in FADED.get(printed, ""):
            continue
        if v.rule == "year_column" and read in FADED.get(printed, ""):
            # a column header carries no OCR confidence: the faded glyph alone explains it, as in a sum (central
            # petitions 2026 p.14 at `fax`: “2025年政府性基金预算支出” printed 2026, a 6 read 5)
            dpi_zh, dpi_en = _dpi_words(degraded[v.page])
            return Doubt(
                f"表头年份“{got}”",
                f"the header year '{got}'",
                f"在{dpi_zh}上读出，{printed}常被读作{read}，即为报告年度 {want}",
                f"was read on {dpi_en}, where a {printed} is often read {read}: the reporting year {want}",
            )
        for b in blocks:
            if int(b.get("page", 0) or 0) != v.page:
                continue
            text = str(b.get("text", ""))
            for start, end, conf in b.get("spans") or []:
                token = normalize_text(text[int(start) : int(end)])
                if got + "年" in token.replace(" ", "") and conf < threshold:
                    dpi_zh, dpi_en = _dpi_words(degraded[v.page])
                    return Doubt(
                        f"年份“{got}”",
                        f"the year '{got}'",
                        f"在{dpi_zh}上以OCR置信度 {conf:.2f} 读出，差一个字形误读即为报告年度 {want}",
                        f"was read on {dpi_en} at OCR confidence {conf:.2f}, one glyph slip ({printed}→{read}) "
                        f"from the reporting year {want}",
                    )
    return None


def violation_doubt(
    v: Violation,
    tables: dict[str, Table],
    blocks: Sequence[Any],
    pages: set[int],
    threshold: float,
    kind: str | None = None,
    printed: Counter[Decimal] | None = None,
    cover_by_ocr: bool = False,
    year: tuple[int | None, str] = (None, ""),
    degraded: dict[int, int] | None = None,
) -> Doubt | None:
    """The first reason (cell, then sentence, then table, then a faded glyph of a degraded page) that the violation
    may come from an OCR misread."""
    degraded = degraded or {}
    # a table of the other kind is the odd one only when the kind agrees with most tables
    table_kind = kind if kind_doubt(kind, list(tables.values())) is None else None
    if v.rule.startswith("year_") and cover_by_ocr:
        doubt = year_doubt(year)
        if doubt is not None:
            return doubt
    if v.rule.startswith("year_"):
        doubt = faded_year_doubt(v, blocks, degraded, year[0], FADED_YEAR_SURE)
        if doubt is not None:
            return doubt
    if v.rule in KIND_RULES and cover_by_ocr:
        doubt = kind_doubt(kind, list(tables.values()))
        if doubt is not None:
            return doubt
    if v.rule in TABLE_SET_RULES:
        return table_set_doubt(list(tables.values()), pages, table_kind)
    if v.rule == "issuer_name":
        doubt = faded_name_doubt(v, degraded)
        if doubt is not None:
            return doubt
    read = _cells_read(v, tables)
    for table, row, col in read:
        cell = row.cell(col)
        if cell is not None and cell.page not in pages:
            continue
        why = cell_doubt(cell, max(threshold, DEGRADED_CELL_SURE) if cell and cell.page in degraded else threshold)
        if why is not None:
            where_zh, where_en = _cell_name(table, row, col)
            return Doubt(where_zh, where_en, why[0], why[1])
    slip = (
        (
            stated_slip_doubt(v, v.page in degraded)
            or slip_doubt(v, printed, v.page in degraded)
            or change_slip_doubt(v, v.page in degraded, printed)
        )
        if printed is not None and v.page in pages
        else None
    )
    doubt = sentence_doubt(v, blocks, threshold) or slip
    if doubt is not None:
        return doubt
    seen: set[str] = set()
    for table, _, _ in read:
        if table.id in seen or not (set(table.pages) & pages):
            continue
        seen.add(table.id)
        why = table_doubt(table) or type_doubt(table, table_kind)
        if why is not None:
            return Doubt(*_table_name(table), *why)
    # last: a named unsure cell or table says more than "a faded glyph would fit"
    return (
        faded_identity_doubt(v, read, degraded)
        or faded_code_doubt(v, tables, degraded)
        or faded_row_doubt(v, read, degraded)
    )


def mark_uncertain(
    doc: Document,
    tables: Sequence[Table],
    violations: Sequence[Violation],
    threshold: float,
    kind: str | None = None,
    unit_scale: Callable[[Table], int] = lambda t: 1,
    year: tuple[int | None, str] = (None, ""),
    degraded_dpi: int = 200,
) -> list[Violation]:
    """Each error a likely OCR misread explains becomes a warning with ``ocr_uncertain`` saying which and why.

    ``kind``: the document's 决算/预算 as the rules used it; ``unit_scale``: a table's multiplier to 万元;
    ``year``: the reporting year the year rules used and where it came from (context.report_year);
    ``degraded_dpi``: OCR pages read below it may lose strokes (``FADED``), which can explain a sum or a year."""
    pages = ocr_pages(doc)
    if not pages:
        return list(violations)
    by_id = {t.id: t for t in tables}
    kind = kind or doc.info.kind
    printed = printed_values(tables, doc.text, unit_scale)
    cover_by_ocr = min((p.index for p in doc.pages), default=0) in pages  # the page the kind and year come from
    blocks = [b for b in doc.text if b.page in pages]
    degraded = degraded_pages(doc, pages, degraded_dpi)
    out: list[Violation] = []
    for v in violations:
        doubt = (
            violation_doubt(v, by_id, blocks, pages, threshold, kind, printed, cover_by_ocr, year, degraded)
            if v.severity == "error"
            else None
        )
        if doubt is None:
            out.append(v)
            continue
        out.append(
            v.model_copy(
                update={
                    "severity": "warning",
                    "ocr_uncertain": doubt.en,
                    "message_zh": f"{v.message_zh}（OCR不确定：{doubt.zh}，可能是识别错误而非文件错误）",
                    "message_en": f"{v.message_en} (OCR-uncertain: {doubt.en}; may be a misread, not a document error)",
                }
            )
        )
    return out
