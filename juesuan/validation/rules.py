"""Identity engine (勾稽关系): turn a typed table into linear equations over its cells and check them in Decimal.

Which identity kinds apply to which table type is declared in ``configs/tables/identities.yaml``; this module knows
how each kind finds its cells:

- ``column_totals``  a total column (合计/小计/本年收入合计…) = Σ the amount columns beside it in the same header group
- ``hierarchy``      类 = Σ款, 款 = Σ项 by code prefix (功能分类 7 digits, 经济分类 5)
- ``total_row``      the 合计 row = Σ the top-level coded rows
- ``sections``       收支总表: 本年收入合计 = Σ 一、二、… lines; 总计 = 本年合计 + 结转/结余 lines; 收入总计 = 支出总计
- ``named_rows``     人员经费合计 = Σ 301 + 303 …: rows picked by name or code, declared in YAML
- ``scores``         绩效: 得分 ≤ 分值, 合计 row = Σ 分值/得分
- ``rates``          执行率 = 执行数 / 预算数

An :class:`Equation` is ``target = Σ terms``; empty cells count as zero. Published amounts are rounded to the last
printed decimal, so a sum of n non-zero terms may be off by n half-units: such differences are reported as info.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from juesuan.datamodel.amounts import is_empty_mark, is_percent, normalize, parse_amount
from juesuan.datamodel.document import Row, Table
from juesuan.lexicon import HAN, SUBJECT_CODE, TOTAL_ROW_NAME, code_without_specks
from juesuan.validation.schema import TABLES_DIR, Schema, normalize_text

_ORDINAL = re.compile(r"^[一二三四五六七八九十]+[、.．]")


@dataclass(frozen=True, slots=True)
class CellRef:
    """A cell by position: ``pos`` indexes ``table.rows`` (not Row.index), ``col`` is Cell.col."""

    pos: int
    col: int


@dataclass(frozen=True)
class Equation:
    """``target = Σ terms`` (terms may carry -1 for differences). ``rule`` is the identity id for reports."""

    rule: str
    table: str
    target: CellRef
    terms: tuple[CellRef, ...]
    signs: tuple[int, ...] = ()
    label_zh: str = ""
    label_en: str = ""
    exact: bool = False  # 绩效 scores are assigned, not rounded: no tolerance
    constant: Decimal | None = None  # the target is a number printed in a label (预算执行情况（10分）), not a cell

    def cells(self) -> tuple[CellRef, ...]:
        return (self.target, *self.terms)

    def sign(self, i: int) -> int:
        return self.signs[i] if self.signs else 1


@dataclass(frozen=True)
class Inequality:
    """``low ≤ high`` (得分 ≤ 分值)."""

    rule: str
    table: str
    low: CellRef
    high: CellRef


@dataclass(frozen=True)
class Ratio:
    """``rate = 100 · numerator / denominator`` (执行率), checked to the rate's printed precision."""

    rule: str
    table: str
    rate: CellRef
    numerator: CellRef
    denominator: CellRef


@dataclass
class TableView:
    """Amounts of one table by cell position, with what the identity kinds need to find cells."""

    table: Table
    schema: Schema
    values: dict[CellRef, Decimal | None] = field(default_factory=dict)
    places: dict[CellRef, int] = field(default_factory=dict)
    unreadable: set[CellRef] = field(default_factory=set)
    fields: dict[int, str | None] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=dict)
    amount_cols: list[int] = field(default_factory=list)
    label_cols: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, table: Table, schema: Schema) -> TableView:
        view = cls(table, schema)
        headers = {c.index: c.header for c in table.columns}
        for c in table.columns:
            view.fields[c.index] = c.field
            view.groups[c.index] = column_group(c.header, schema)
        numeric: dict[int, int] = {}
        texty: dict[int, int] = {}
        filled: dict[int, int] = {}
        numbering = {c.index for c in table.columns if re.search(r"行次|栏次", normalize_text(c.header))}
        for pos, row in enumerate(table.rows):
            if is_numbering_row(row, first=pos == 0):
                continue  # 栏次 1 2 3 …: the central template numbers its columns, not amounts
            for cell in row.cells:
                ref = CellRef(pos, cell.col)
                text = cell.text or ""
                if not normalize(text) or cell.col in numbering:
                    continue
                filled[cell.col] = filled.get(cell.col, 0) + 1
                value = parse_amount(text)
                if value is not None and not is_percent(text):
                    numeric[cell.col] = numeric.get(cell.col, 0) + 1
                    view.values[ref] = value
                    view.places[ref] = _places(text)
                elif value is None and not is_empty_mark(text):
                    if HAN.search(text):
                        texty[cell.col] = texty.get(cell.col, 0) + 1
                    elif re.search(r"\d", text):
                        view.unreadable.add(ref)  # 1,5O4.52: a number OCR garbled
        for col in sorted(filled):
            role = schema.role(view.fields.get(col))
            header = normalize_text(headers.get(col, ""))
            if header == SIDE_HEADER:
                continue  # the side of a stacked dual layout (1, 2 or 收入, 支出), never an amount
            if role in ("code", "name", "rate", "text", "score", "max_score"):
                if role == "name":
                    view.label_cols.append(col)
                continue
            if re.search(r"(编码|代码|编号|序号)$|^[类款项]$", header.split("/")[-1] if header else ""):
                continue
            if numeric.get(col, 0) >= max(1, 0.5 * filled[col]) and _not_code_column(view, col):
                view.amount_cols.append(col)
            elif texty.get(col, 0) >= 0.5 * filled[col]:
                view.label_cols.append(col)
        # a parsed code column holds 3-7 digit integers: never an amount
        return view

    def value(self, ref: CellRef) -> Decimal | None:
        return self.values.get(ref)

    def row_label(self, pos: int) -> str:
        row = self.table.rows[pos]
        return normalize_text(row.name or "")

    def label_at(self, pos: int, col: int) -> str:
        cell = self.table.rows[pos].cell(col)
        return normalize_text(cell.text) if cell else ""

    def row_index(self, pos: int) -> int:
        return self.table.rows[pos].index

    def has_cell(self, ref: CellRef) -> bool:
        return self.table.rows[ref.pos].cell(ref.col) is not None


def is_numbering_row(row: Row, first: bool = False) -> bool:
    """栏次 row: labelled 栏次, or its numbers are 1, 2, 3 … (at least three, integers, consecutive). ``first``: the
    table's first body row, where a 栏次 row stands."""
    texts = [normalize_text(c.text or "") for c in row.cells]
    if any(t in ("栏次", "行次") for t in texts) or normalize_text(row.name or "") == "栏次":
        return True
    marks = [t for t in texts if t and not re.fullmatch(r"\d{1,2}", t)]
    nums = [t for t in texts if re.fullmatch(r"\d{1,2}", t)]
    ints = [int(t) for t in nums]
    run = len(nums) >= 3 and all(b == a + 1 for a, b in itertools.pairwise(ints))
    if all(re.fullmatch(r"[*＊甲乙丙丁]+", t) for t in marks):
        return run
    if marks and all(_doubled_mark(t) for t in marks):  # ** read as two copies of one glyph (本本, 家家)
        return run and ints[0] == 1
    # OCR reads the ** mark of a long 1, 2, … 17 row as anything (家家): one label cell without digits is still a
    # mark when five or more columns are numbered from 1 in order, which no row of amounts is
    label = normalize_text(row.cells[0].text or "") if row.cells else ""
    if run and len(ints) >= 5 and ints[0] == 1 and marks == [label] and not re.search(r"\d", label):
        return True
    # …and a short one of the first body row: ** read 木t above 1 2 3 (hangzhou justice 2026 p.34 at `fax`): at most
    # three characters, no digit, one of them no Chinese character (a label 机关 over 1 2 3 may be amounts)
    if (
        first
        and run
        and ints[0] == 1
        and marks == [label]
        and len(label) <= 3
        and not re.search(r"\d", label)
        and HAN.sub("", label)
    ):
        return True
    return _misread_numbering(texts)


def _doubled_mark(text: str) -> bool:
    """``**`` read as two or three copies of one glyph: 本本 (hangzhou meteorology 2026 p.20, scan), 家家."""
    return 2 <= len(text) <= 3 and len(set(text)) == 1 and not text[0].isdigit()


def _misread_numbering(texts: Sequence[str]) -> bool:
    """栏次 1 2 3 千 5 6 on a fax copy (4 read 千, 1 read 1十): at least four cells hold their own column number
    (the same offset from their position), the cells between are at most two characters with no point (no amount)."""
    offsets = [i - int(t) for i, t in enumerate(texts) if re.fullmatch(r"\d{1,2}", t)]
    if len(offsets) < 4 or len(set(offsets)) != 1 or "1" not in texts:  # numbered from 1
        return False
    return all(len(t) <= 2 and "." not in t for t in texts if t and not re.fullmatch(r"\d{1,2}", t))


def _places(text: str) -> int:
    s = normalize(text).rstrip("%)）")
    return len(s.split(".", 1)[1]) if "." in s else 0


def _not_code_column(view: TableView, col: int) -> bool:
    """Integers of 3/5/7 digits equal to the row code (or shaped like 科目 codes) are a code column."""
    texts = [normalize(c.text) for r in view.table.rows for c in r.cells if c.col == col and normalize(c.text)]
    shaped = [t for t in texts if re.fullmatch(r"[23]\d{2}(\d{2}){0,2}", t)]
    if len(texts) >= 3 and len(shaped) >= 0.8 * len(texts):
        return False
    hits = total = 0
    for pos, row in enumerate(view.table.rows):
        v = view.values.get(CellRef(pos, col))
        if v is None:
            continue
        total += 1
        if row.code and str(v) == row.code:
            hits += 1
    return not (total and hits >= 0.5 * total)


_MEASURES = {"budget_amount", "final_amount"}


def column_group(header: str, schema: Schema) -> str:
    """Group key of a column for ``column_totals``: header path above the item segment, plus the measure.

    财政拨款“三公”经费/公务用车购置及运行费/小计/决算数 → (财政拨款“三公”经费/公务用车购置及运行费, final_amount): the
    三公 table puts the measure (预算数/决算数) under each item, other tables put items under one measure.
    """
    segments = [normalize_text(s) for s in header.split("/") if normalize_text(s)]
    measure = ""
    for i in range(len(segments) - 1, -1, -1):
        f = schema.canonical_field(segments[i])
        if f in _MEASURES and i == len(segments) - 1 and len(segments) > 1:
            measure = f
            continue
        return "/".join(segments[:i]) + ("|" + measure if measure else "")
    return ""


def column_field(header: str, schema: Schema) -> str | None:
    """Canonical field of a flattened header, skipping a trailing measure (预算数/决算数) under an item."""
    segments = [s for s in header.split("/") if normalize_text(s)]
    if not segments:
        return None
    last = schema.canonical_field(segments[-1])
    if last in _MEASURES and len(segments) > 1:
        item = schema.canonical_field(segments[-2])
        if item is not None and item not in _MEASURES:
            return item
    if last is None and len(segments) > 1:
        # 类/款/项 under 科目编码 are handled by their own segment; other unknown leaves stay None
        return None
    return last


HEADER_ROWS_MAX = 2


def header_rows_fields(table: Table, schema: Schema) -> dict[int, str]:
    """Fields of unnamed columns read from header lines the extractor left at the top of the body (quanzhou police
    2026 on a fax copy: ``科目编码 科貝名称 小计 其中`` then ``基本支出 项目支出`` as rows, its column headers empty):
    the leading rows (at most HEADER_ROWS_MAX) that carry no amount, of which one names an amount or total column."""
    lines: list[Row] = []
    for row in table.rows[:HEADER_ROWS_MAX]:
        texts = [normalize(c.text or "") for c in row.cells]
        if any(re.search(r"\d[.,]\d|\d{3}", t) for t in texts):
            break  # an amount or a code: the body has begun
        lines.append(row)
    if not lines:
        return {}
    out: dict[int, str] = {}
    for c in table.columns:
        if c.field is not None or schema.canonical_field(c.header or "") is not None:
            continue
        words = [normalize_text(cell.text) for r in lines if (cell := r.cell(c.index)) and normalize_text(cell.text)]
        field = column_field("/".join(words), schema) if words else None
        if field is not None and schema.role(field) in ("amount", "total"):
            out[c.index] = field
    return out if any(schema.role(f) == "total" for f in out.values()) or len(out) >= 2 else {}


def garbled_kuan_column(table: Table) -> int | None:
    """The 款 column whose one-character header OCR misread (款 read 紫): the one unnamed column between the 类 and
    the 项 columns. 类/款/项 are matched exactly (one character has no near miss), so their order names it."""
    fields = {c.index: c.field for c in table.columns}
    lei = [i for i, f in fields.items() if f == "code_lei"]
    xiang = [i for i, f in fields.items() if f == "code_xiang"]
    if len(lei) != 1 or len(xiang) != 1 or "code_kuan" in fields.values():
        return None
    between = [i for i in fields if lei[0] < i < xiang[0]]
    return between[0] if len(between) == 1 and fields[between[0]] is None else None


TOTAL_AGREE_ROWS = 3
TOTAL_AGREE_SHARE = 0.4


def garbled_total_columns(view: TableView) -> list[int]:
    """Amount columns whose header OCR garbled past reading (合计 read ``dil``, 小计 read ``小i计``) that are their
    group's total: the first amount column of a header group with no total column, beside at least two named amount
    columns, and equal to their sum (within rounding) on at least three rows and 40% of the rows that carry a number
    (a fax copy misreads many of the parts too). Tables print 合计 before its parts; where the header is lost, the
    numbers say which column it is."""
    out: list[int] = []
    schema = view.schema
    by_group: dict[str, list[int]] = {}
    for col in view.amount_cols:
        by_group.setdefault(view.groups.get(col, ""), []).append(col)
    headers = {c.index: normalize_text(c.header) for c in view.table.columns}
    for cols in by_group.values():
        cand, others = cols[0], cols[1:]
        if view.fields.get(cand) is not None or not headers.get(cand) or len(others) < 2:
            continue
        if any(schema.role(view.fields.get(c)) != "amount" for c in others):
            continue  # a named total already, or another unnamed column: not this rule's case
        agree = informative = 0
        for pos in range(len(view.table.rows)):
            target = view.values.get(CellRef(pos, cand))
            terms = [view.values.get(CellRef(pos, c)) for c in others]
            if target is None or not (target or any(terms)):
                continue
            informative += 1
            agree += _agrees(view, pos, cand, others)
        if agree >= TOTAL_AGREE_ROWS and agree >= TOTAL_AGREE_SHARE * informative:
            out.append(cand)
    return out


# ---------------------------------------------------------------- identity kinds


def _agrees(view: TableView, pos: int, target: int, terms: Sequence[int]) -> bool:
    value = view.values.get(CellRef(pos, target))
    parts = [view.values.get(CellRef(pos, c)) for c in terms]
    if value is None:
        return False
    places = [view.places.get(CellRef(pos, c), 2) for c in (target, *terms)]
    total = sum((t or Decimal(0) for t in parts), Decimal(0))
    return abs(value - total) <= tolerance([value, *parts], places, Decimal("0.005"))


def _likelier_terms(view: TableView, target: int, terms: list[int], own: list[int]) -> list[int]:
    """``terms`` or the total's own columns alone, whichever the total equals on more of the rows where they differ
    (a sub-group's total is not zero); ``terms`` on a tie (a one-row 三公 record whose 合计 is wrong fits neither:
    that is the document's error, not evidence about the columns)."""
    extra = [c for c in terms if c not in own]
    differ = [pos for pos in range(len(view.table.rows)) if any(view.values.get(CellRef(pos, c)) for c in extra)]
    with_extra = sum(_agrees(view, pos, target, terms) for pos in differ)
    without = sum(_agrees(view, pos, target, own) for pos in differ)
    return own if without > with_extra else terms


def _total_columns(view: TableView) -> Iterable[Equation]:
    schema = view.schema
    by_group: dict[str, list[int]] = {}
    for col in view.amount_cols:
        by_group.setdefault(view.groups.get(col, ""), []).append(col)
    for group, cols in by_group.items():
        totals = [c for c in cols if schema.role(view.fields.get(c)) == "total"]
        if len(totals) != 1:
            continue
        target = totals[0]
        terms = [c for c in cols if c != target and view.fields.get(c) is not None]
        covered_groups: list[str] = []
        # sub-groups directly below: their own total column, or all their columns when they have none
        for sub, sub_cols in by_group.items():
            if sub == group or not _is_child_group(group, sub):
                continue
            sub_totals = [c for c in sub_cols if schema.role(view.fields.get(c)) == "total"]
            terms += sub_totals if len(sub_totals) == 1 else [c for c in sub_cols if view.fields.get(c)]
            if len(sub_totals) == 1:
                covered_groups.append(sub.partition("|")[0] + "/")  # its own total stands for all below it
            else:
                covered_groups.append(sub.partition("|")[0] + "|")  # only its own columns (already terms)
        if not terms:
            continue
        if any(view.fields.get(c) is None for c in cols if c != target):
            continue  # an unnamed column beside the total: we cannot tell whether it is a term
        # every amount column must be the total, a term, or inside a covered sub-group: a header the extractor
        # flattened inconsistently (人员经费 vs 预算数/基本支出/公用经费) leaves a column outside, and then the
        # structure, not the numbers, is in doubt
        base = group.partition("|")[0]
        measure = group.partition("|")[2]
        inside = [
            c
            for c in view.amount_cols
            if view.groups.get(c, "").partition("|")[2] == measure
            and (not base or view.groups.get(c, "").startswith(base))
        ]
        stray = [
            c
            for c in inside
            if c != target
            and c not in terms
            and not any((view.groups.get(c, "").partition("|")[0] + "/").startswith(g) for g in covered_groups)
        ]
        if stray:
            continue
        own = [c for c in cols if c != target and view.fields.get(c) is not None]
        if own and len(terms) > len(own):
            # own terms and a sub-group's total: the sub-group may be a memo beside the breakdown (Shenzhen
            # 支出总表: 支出总计 = 基本 + 项目 + 经营 + …, then 2026年政府采购项目/小计 = how much of it is
            # procurement), which headers cannot tell from a breakdown (合计 = 项目支出 + 基本支出/小计); numbers can
            terms = _likelier_terms(view, target, terms, own)
        label_zh = f"{_header(view, target)} = " + " + ".join(_header(view, c) for c in terms)  # once, not per row
        for pos in range(len(view.table.rows)):
            yield Equation(
                "column_total",
                view.table.id,
                CellRef(pos, target),
                tuple(CellRef(pos, c) for c in terms),
                label_zh=label_zh,
                label_en="total column = sum of the columns beside it",
            )


def _is_child_group(parent: str, child: str) -> bool:
    p_path, _, p_measure = parent.partition("|")
    c_path, _, c_measure = child.partition("|")
    if p_measure != c_measure:
        return False
    if not c_path.startswith(p_path + "/") and not (p_path == "" and c_path):
        return False
    rest = c_path[len(p_path) + 1 :] if p_path else c_path
    return "/" not in rest


def _header(view: TableView, col: int) -> str:
    for c in view.table.columns:
        if c.index == col:
            return c.header.split("/")[-1] or str(col)
    return str(col)


def _speckled_code(row: Row, col: int | None) -> str:
    """The code of a row whose code cell OCR read with a speck (``30106.``), which an older extraction left without
    Row.code (assemble strips the speck now)."""
    cell = row.cell(col) if col is not None else None
    code = code_without_specks(normalize_text(cell.text or "")) if cell else ""
    return code if SUBJECT_CODE.match(code) else ""


def row_codes(view: TableView) -> list[str]:
    """科目编码 per row, rebuilt from the 类/款/项 cells when the table has them (类 carried down when a row prints
    only 款/项), else Row.code. An extractor that joined the parts wrongly (0601 for 2040601) is not trusted."""
    cols = {f: c for c, f in view.fields.items() if f in ("code_lei", "code_kuan", "code_xiang", "subject_code")}
    out: list[str] = []
    lei = kuan = ""
    for row in view.table.rows:
        if "code_lei" not in cols:
            out.append((row.code or _speckled_code(row, cols.get("subject_code"))).strip())
            continue

        def part(field: str, n: int, row: Any = row) -> str:
            cell = row.cell(cols[field]) if field in cols else None
            text = normalize(cell.text) if cell else ""
            return text if re.fullmatch(rf"\d{{{n}}}", text) else ""

        a, b, c = part("code_lei", 3), part("code_kuan", 2), part("code_xiang", 2)
        if a:
            lei, kuan = a, ""
        if b:
            kuan = b
        if not (a or b or c):
            out.append("")
            lei = lei if (row.code or "") else ""
            continue
        if not lei:
            out.append((row.code or "").strip())
            continue
        code = lei + (kuan if (b or c) else "") + (c if c and kuan else "")
        out.append(code)
    return out


def _coded_rows(view: TableView) -> dict[str, int]:
    seen: dict[str, int] = {}
    dup: set[str] = set()
    codes = row_codes(view)
    for pos, _row in enumerate(view.table.rows):
        code = codes[pos]
        if not re.fullmatch(r"\d{3}(\d{2}){0,2}", code):
            continue
        if code in seen:
            dup.add(code)
        else:
            seen[code] = pos
    for code in dup:
        seen.pop(code, None)
    if dup:
        # a code printed twice means the extractor lost digits (301 for 30101…): no identity near it is reliable
        seen = {c: p for c, p in seen.items() if not any(c.startswith(d[:3]) for d in dup)}
        seen["__dup__"] = -1
    return seen


def _hierarchy(view: TableView) -> Iterable[Equation]:
    coded = _coded_rows(view)
    coded.pop("__dup__", None)
    for code, pos in coded.items():
        children = [c for c in coded if len(c) == len(code) + 2 and c.startswith(code)]
        if not children:
            children = [c for c in coded if len(c) == len(code) + 4 and c.startswith(code)]
        if not children:
            continue
        kids = [coded[c] for c in sorted(children)]
        for col in view.amount_cols:
            yield Equation(
                "hierarchy",
                view.table.id,
                CellRef(pos, col),
                tuple(CellRef(k, col) for k in kids),
                label_zh=f"{code} = Σ下级科目",
                label_en=f"{code} = sum of its sub-items",
            )


def _total_rows(view: TableView) -> list[int]:
    return [
        pos
        for pos, row in enumerate(view.table.rows)
        if not row.code
        and (
            TOTAL_ROW_NAME.match(normalize_text(row.name or ""))
            or (row.kind == "total" and not normalize_text(row.name or ""))
        )
    ]


def _total_row(view: TableView) -> Iterable[Equation]:
    coded = _coded_rows(view)
    if not coded or "__dup__" in coded:
        return
    top = min(len(c) for c in coded)
    tops = [coded[c] for c in sorted(coded) if len(c) == top]
    for pos in _total_rows(view):
        if not TOTAL_ROW_NAME.match(view.row_label(pos)):
            continue
        for col in view.amount_cols:
            yield Equation(
                "total_row",
                view.table.id,
                CellRef(pos, col),
                tuple(CellRef(p, col) for p in tops),
                label_zh="合计 = Σ各类",
                label_en="total row = sum of the top-level rows",
            )


# 收支总表 sections ------------------------------------------------------------

_SUB = re.compile(r"^本年(收入|支出)(合计)?$")
_GRAND = re.compile(r"^(收入|支出)?总计$")


def _sections(view: TableView) -> list[tuple[int, list[int]]]:
    """(label column, value columns) pairs, left to right: 收入 on the left, 支出 on the right."""
    out = []
    labels = sorted(view.label_cols)
    for i, lc in enumerate(labels):
        nxt = labels[i + 1] if i + 1 < len(labels) else 10**9
        vals = [c for c in view.amount_cols if lc < c < nxt]
        if vals:
            out.append((lc, vals))
    return out


def _label(view: TableView, pos: int, col: int) -> str:
    text = view.label_at(pos, col)
    if not text and col == min(view.label_cols, default=-1):
        text = view.row_label(pos)
    return text


Section = tuple[TableView, dict[int, str], list[int]]  # (view, label by row position, value columns)


def summary_sections(view: TableView) -> list[Section]:
    """The 收入 and 支出 halves of a 收支总表: stacked sides (分组 column) or left-to-right column groups."""
    stacked = split_sides(view)
    if stacked:
        out: list[Section] = []
        for sub, posmap in stacked:
            labels = {posmap[p]: sub.row_label(p) for p in range(len(sub.table.rows))}
            out.append((view, labels, sub.amount_cols))
        return out
    rows = range(len(view.table.rows))
    return [(view, {p: _label(view, p, lc) for p in rows}, vals) for lc, vals in _sections(view)]


def summary_subtotal_cells(view: TableView) -> list[CellRef]:
    """本年收入合计 / 本年支出合计 cells (first value column) of each half, for cross-table checks."""
    out = []
    for _, labels, vals in summary_sections(view):
        sub = next((p for p in sorted(labels) if _SUB.match(_ORDINAL.sub("", labels[p]))), None)
        if sub is not None and vals:
            out.append(CellRef(sub, vals[0]))
    return out


_FUND_PART = re.compile(r"^(一般公共预算|政府性基金预算?|国有资本经营预算?)(财政)?拨款")
_SUB_PART = re.compile(r"^(\d{1,2}[.．、]|[（(][一二三四五六七八九十]{1,3}[)）]|其中)")
_FIRST_ORDINAL = re.compile(r"^一[、.．]")


def _summary(view: TableView) -> Iterable[Equation]:
    grand_cells: list[CellRef] = []
    for _, labels, vals in summary_sections(view):
        rows = sorted(labels)
        subs = [p for p in rows if _SUB.match(_ORDINAL.sub("", labels[p]))]
        grands = [p for p in rows if _GRAND.match(labels[p])]
        if not subs or not vals:
            continue
        sub = subs[0]
        sub_has_ordinal = bool(_ORDINAL.match(labels[sub]))
        grand = next((g for g in grands if g > sub), None)
        if sub_has_ordinal:
            stop = next((p for p in rows if p > sub and (_ORDINAL.match(labels[p]) or p in grands)), rows[-1] + 1)
            items = [p for p in rows if sub < p < stop and labels[p]]
            tops = [p for p in rows if _ORDINAL.match(labels[p]) and (grand is None or p < grand)]
            if stop > rows[-1] and grand is None:
                items = []  # 一、本年支出's lines run to the table's end: the page breaks inside them
        else:
            start = max([p for p in grands if p < sub], default=-1)
            items = [p for p in rows if start < p < sub and _ORDINAL.match(labels[p])]
            if items and not _FIRST_ORDINAL.match(labels[items[0]]):
                items = []  # the lines start at 四、/十七、: 一、… are on the page before (a table split at a page)
            between = [p for p in rows if sub < p < (grand if grand is not None else sub) and labels[p]]
            plain = [p for p in between if not _ORDINAL.match(labels[p])]
            if any(re.search("结转|结余", labels[p]) for p in plain):
                # 年初结转和结余, then its 一般公共预算/政府性基金/国有资本 (or 1. 财政拨款…) parts: not extra lines
                plain = [p for p in plain if not (_FUND_PART.match(labels[p]) or _SUB_PART.match(labels[p]))]
            tops = [sub, *(plain or between)]
        for col in vals:
            if items:
                yield Equation(
                    "section_subtotal",
                    view.table.id,
                    CellRef(sub, col),
                    tuple(CellRef(p, col) for p in items),
                    label_zh=f"{labels[sub]} = Σ各项",
                    label_en="current-year total = sum of its lines",
                )
            lost_sub = view.values.get(CellRef(sub, col)) is None and any(
                view.values.get(CellRef(p, col)) for p in items
            )
            if grand is not None and not lost_sub:  # an empty 本年合计 beside filled lines: section_subtotal says so
                yield Equation(
                    "section_grand_total",
                    view.table.id,
                    CellRef(grand, col),
                    tuple(CellRef(p, col) for p in tops),
                    label_zh=f"{labels[grand] or '总计'} = {labels[sub]} + 结转结余",
                    label_en="grand total = current-year total + carry-over lines",
                )
        if grand is not None:
            grand_cells.append(CellRef(grand, vals[0]))
    if len(grand_cells) >= 2:
        yield Equation(
            "income_equals_expenditure",
            view.table.id,
            grand_cells[0],
            (grand_cells[1],),
            label_zh="收入总计 = 支出总计",
            label_en="income grand total = expenditure grand total",
        )


SIDE_HEADER = "分组"


def split_sides(view: TableView) -> list[tuple[TableView, dict[int, int]]]:
    """Stacked dual layout (the assembler's ``分组`` column) → one view per side, with sub→table row positions.

    Column j of a stacked table holds the j-th column of every side and its header joins the sides' headers with
    ``|``; each side's view gets back its own header, so its fields and total columns are its own.
    """
    t = view.table
    if not t.columns or normalize_text(t.columns[0].header) != SIDE_HEADER:
        return []
    order: list[str] = []
    by_side: dict[str, list[int]] = {}
    for pos, row in enumerate(t.rows):
        c0 = row.cell(0)
        side = normalize_text(c0.text) if c0 else ""
        if side not in by_side:
            order.append(side)
            by_side[side] = []
        by_side[side].append(pos)
    if len(order) < 2:
        return []
    out = []
    for k, side in enumerate(order):
        cols = []
        for c in t.columns:
            parts = c.header.split("|")
            header = parts[k] if len(parts) == len(order) else c.header
            cols.append(c.model_copy(update={"header": header, "field": column_field(header, view.schema)}))
        rows = [t.rows[p] for p in by_side[side]]
        sub_table = t.model_copy(update={"columns": cols, "rows": rows})
        out.append((TableView.build(sub_table, view.schema), dict(enumerate(by_side[side]))))
    return out


def _remap(eq: Equation, posmap: dict[int, int]) -> Equation:
    def m(c: CellRef) -> CellRef:
        return CellRef(posmap[c.pos], c.col)

    return Equation(
        eq.rule,
        eq.table,
        m(eq.target),
        tuple(m(c) for c in eq.terms),
        eq.signs,
        eq.label_zh,
        eq.label_en,
        eq.exact,
        eq.constant,
    )


def _named_rows(view: TableView, specs: Sequence[dict[str, Any]]) -> Iterable[Equation]:
    """YAML ``named_rows``: {id, target: regex on the row label, terms: [code or regex, ...]}."""
    coded = _coded_rows(view)
    if "__dup__" in coded:
        return
    label_pos: dict[int, str] = {}
    for pos in range(len(view.table.rows)):
        label_pos[pos] = view.row_label(pos)
    for spec in specs:
        target = next((p for p, lab in label_pos.items() if re.fullmatch(spec["target"], lab)), None)
        if target is None:
            continue
        terms = []
        for t in spec["terms"]:
            if re.fullmatch(r"\d{3,7}", str(t)):
                if str(t) in coded:
                    terms.append(coded[str(t)])
            else:
                terms += [p for p, lab in label_pos.items() if re.fullmatch(str(t), lab)]
        if not terms:
            continue
        for col in view.amount_cols:
            yield Equation(
                spec["id"],
                view.table.id,
                CellRef(target, col),
                tuple(CellRef(p, col) for p in terms),
                label_zh=spec.get("zh", spec["id"]),
                label_en=spec.get("en", spec["id"]),
            )


def _field_cols(view: TableView, role_or_field: str) -> list[int]:
    return [c for c, f in view.fields.items() if f == role_or_field]


_SCORE_HEAD = re.compile(r"^得分$")
_MAX_HEAD = re.compile(r"^(分值|权重|分值/权重.*|权重/分值.*|指标分值)$")
_RATE_HEAD = re.compile(r"^(预算)?执行率$")
_EXEC_HEAD = re.compile(r"^(预算|全年)?执行数$|^实际支出数?$")
_BUDGET_HEAD = re.compile(r"^(调整后预算数|全年预算数|预算数)$")
_POINTS = re.compile(r"[（(](\d+)分[)）]$")
_PERF_TOTAL = re.compile(r"^(合计|总分|得分|总计)$")


def _perf_headers(view: TableView) -> list[tuple[int, dict[str, int]]]:
    """Header rows of a 绩效 form (they sit inside the body): (row position, {"score": col, ...})."""
    out: list[tuple[int, dict[str, int]]] = []
    top: dict[str, int] = {}
    headers = {col.index: normalize_text(col.header or "") for col in view.table.columns}
    for c, f in view.fields.items():
        # a stacked layout joins its row groups' headers with |: a column is a score column only if every group
        # says so (资产运行维护 自评表: 全年执行数|得分 holds 120.00 in one group, a score in the other)
        if len({part.rsplit("/", 1)[-1] for part in headers.get(c, "").split("|")}) > 1:
            continue
        if f in ("score", "max_score", "execution_rate", "executed_amount", "full_year_budget"):
            top[f] = c
    if top:
        out.append(
            (
                -1,
                {
                    "score": top.get("score", -1),
                    "max": top.get("max_score", -1),
                    "rate": top.get("execution_rate", -1),
                    "exec": top.get("executed_amount", -1),
                    "budget": top.get("full_year_budget", -1),
                },
            )
        )
    for pos, row in enumerate(view.table.rows):
        found: dict[str, int] = {}
        for cell in row.cells:
            t = normalize_text(cell.text)
            for key, pat in (
                ("score", _SCORE_HEAD),
                ("max", _MAX_HEAD),
                ("rate", _RATE_HEAD),
                ("exec", _EXEC_HEAD),
                ("budget", _BUDGET_HEAD),
            ):
                if pat.match(t) and key not in found:
                    found[key] = cell.col
        if ("score" in found and "max" in found) or ("rate" in found and "exec" in found and "budget" in found):
            out.append((pos, found))
    return out


def _scores(view: TableView) -> tuple[list[Inequality], list[Equation], list[Ratio]]:
    ineqs: list[Inequality] = []
    eqs: list[Equation] = []
    ratios: list[Ratio] = []
    heads = _perf_headers(view)
    rows = view.table.rows
    items: list[tuple[int, int, int]] = []  # (pos, score col, max col)
    total: tuple[int, int, int] | None = None
    for h, (hpos, cols) in enumerate(heads):
        end = heads[h + 1][0] if h + 1 < len(heads) else len(rows)
        sc, mc = cols.get("score", -1), cols.get("max", -1)
        section_items: list[int] = []
        for pos in range(hpos + 1, end):
            label = (
                "".join(normalize_text(c.text) for c in rows[pos].cells if c.col < min(x for x in (sc, mc) if x >= 0))
                if sc >= 0 and mc >= 0
                else ""
            )
            if sc >= 0 and mc >= 0:
                s, m = view.values.get(CellRef(pos, sc)), view.values.get(CellRef(pos, mc))
                if s is not None and m is not None:
                    ineqs.append(Inequality("score_le_max", view.table.id, CellRef(pos, sc), CellRef(pos, mc)))
                if _PERF_TOTAL.match(label) or _PERF_TOTAL.match(normalize_text(rows[pos].name or "")):
                    total = total or (pos, sc, mc)
                elif (s is not None or m is not None) and not label.startswith("其中"):
                    items.append((pos, sc, mc))
                    if m is not None:
                        section_items.append(pos)
            if {"rate", "exec", "budget"} <= set(cols) and min(cols["rate"], cols["exec"], cols["budget"]) >= 0:
                ratios.append(
                    Ratio(
                        "execution_rate",
                        view.table.id,
                        CellRef(pos, cols["rate"]),
                        CellRef(pos, cols["exec"]),
                        CellRef(pos, cols["budget"]),
                    )
                )
        # 预算执行情况（10分） / 绩效指标（90分）: the section's weights add up to the number in its heading
        head_cell = next((c for c in rows[hpos].cells if normalize_text(c.text)), None) if hpos >= 0 else None
        m_pts = _POINTS.search(normalize_text(head_cell.text)) if head_cell is not None else None
        if m_pts and section_items and mc >= 0 and head_cell is not None:
            eqs.append(
                Equation(
                    "section_weight",
                    view.table.id,
                    CellRef(hpos, head_cell.col),
                    tuple(CellRef(p, mc) for p in section_items),
                    label_zh=f"{normalize_text(head_cell.text)}：各项分值之和",
                    label_en="section weights add up to the points in its heading",
                    exact=True,
                    constant=Decimal(m_pts.group(1)),
                )
            )
    if total is not None and len(items) >= 2:
        tpos, tsc, tmc = total
        for which, col_of, tcol in (("score", 1, tsc), ("max", 2, tmc)):
            terms = tuple(CellRef(it[0], it[col_of]) for it in items)
            if view.values.get(CellRef(tpos, tcol)) is not None and all(t.col == tcol for t in terms):
                eqs.append(
                    Equation(
                        "score_total",
                        view.table.id,
                        CellRef(tpos, tcol),
                        terms,
                        label_zh="合计 = Σ各项" + ("得分" if which == "score" else "分值"),
                        label_en="total = sum of item " + ("scores" if which == "score" else "weights"),
                        exact=True,
                    )
                )
    return ineqs, eqs, ratios


@dataclass(frozen=True)
class TableRules:
    equations: tuple[Equation, ...]
    inequalities: tuple[Inequality, ...]
    ratios: tuple[Ratio, ...]


@functools.lru_cache(maxsize=4)
def load_identities(path: Path = TABLES_DIR / "identities.yaml") -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def kinds_for(type_id: str | None, config: dict[str, Any]) -> dict[str, Any]:
    """The identity kinds for a table type: its family defaults, then the type's own entry."""
    family = (type_id or "").split(".", 1)[0]
    kinds: dict[str, Any] = dict(config.get("defaults", {}).get(family or "unknown", {}))
    kinds.update(config.get("types", {}).get(type_id or "", {}) or {})
    return kinds


def _single(view: TableView, kinds: dict[str, Any]) -> list[Equation]:
    eqs: list[Equation] = []
    if kinds.get("column_totals"):
        eqs += _total_columns(view)
    if kinds.get("hierarchy"):
        eqs += _hierarchy(view)
    if kinds.get("total_row"):
        eqs += _total_row(view)
    if kinds.get("named_rows"):
        eqs += _named_rows(view, kinds["named_rows"])
    return eqs


def build_rules(view: TableView, config: dict[str, Any]) -> TableRules:
    kinds = kinds_for(view.table.type, config)
    eqs: list[Equation] = []
    ineqs: list[Inequality] = []
    ratios: list[Ratio] = []
    sides = split_sides(view)
    if sides:
        for sub, posmap in sides:
            eqs += [_remap(e, posmap) for e in _single(sub, kinds)]
    else:
        eqs += _single(view, kinds)
    if kinds.get("sections"):
        eqs += _summary(view)
    if kinds.get("scores"):
        i, e, r = _scores(view)
        ineqs += i
        eqs += e
        ratios += r
    # an equation over cells the table does not have (a short row) is not an identity
    eqs = [e for e in eqs if view.has_cell(e.target) or any(view.values.get(t) for t in e.terms)]
    return TableRules(tuple(_dedupe(eqs)), tuple(ineqs), tuple(ratios))


def _dedupe(eqs: Iterable[Equation]) -> list[Equation]:
    seen: set[tuple[CellRef, frozenset[CellRef]]] = set()
    out = []
    for e in eqs:
        key = (e.target, frozenset(e.terms))
        if key in seen or e.target in e.terms:
            continue
        seen.add(key)
        out.append(e)
    return out


# ---------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Outcome:
    """Result of one equation: ``difference = found - expected`` (found is the target, expected Σ terms)."""

    equation: Equation
    expected: Decimal
    found: Decimal
    tolerance: Decimal
    status: str  # "ok" | "rounding" | "fail" | "skip"

    @property
    def difference(self) -> Decimal:
        return self.found - self.expected


def tolerance(values: Sequence[Decimal | None], places: Sequence[int], per_term: Decimal) -> Decimal:
    """Half a unit of the last printed decimal per non-zero term: 0.005 · n for 万元 with 2 decimals."""
    p = max(places, default=2)
    unit = per_term * (Decimal(10) ** (2 - p))
    n = sum(1 for v in values if v)
    return unit * max(n, 1)


def evaluate(
    eq: Equation,
    values: dict[CellRef, Decimal | None],
    places: dict[CellRef, int],
    per_term: Decimal,
    unreadable: set[CellRef] | frozenset[CellRef] = frozenset(),
) -> Outcome:
    target = values.get(eq.target) if eq.constant is None else eq.constant
    terms = [values.get(t) for t in eq.terms]
    expected = sum((eq.sign(i) * (v or Decimal(0)) for i, v in enumerate(terms)), Decimal(0))
    if target is None and eq.target not in unreadable and not any(terms):
        return Outcome(eq, expected, Decimal(0), Decimal(0), "skip")
    if any(t in unreadable for t in eq.cells()):
        return Outcome(eq, expected, target or Decimal(0), Decimal(0), "fail")
    found = target or Decimal(0)
    tol = (
        Decimal(0)
        if eq.exact
        else tolerance([target, *terms], [places.get(c, 2) for c in eq.cells() if values.get(c) is not None], per_term)
    )
    diff = abs(found - expected)
    if diff == 0:
        status = "ok"
    elif diff <= tol:
        status = "rounding"
    else:
        status = "fail"
    return Outcome(eq, expected, found, tol, status)
