"""Cross-document checks: one department's disclosures against each other.

``juesuan validate A/ B/ …`` groups the documents by issuer (Document.info or the cover) and compares:

- ``cross_document_budget``      a 决算's 年初预算数 (the 预算数 columns of its tables, e.g. the 三公 table) against the
                                 same year's 预算 document
- ``cross_document_prior_year``  a 预算's 上年 columns (2025年预算数 in a 2026 预算) against the 2025 预算's own
                                 figures (执行数 columns are not last year's budget and are not compared)

Cells are paired by table type (the suffix: budget.sangong ↔ final.sangong), by row code where rows are coded, and
by column item (因公出国（境）费, 合计 …, measure words and years removed). Every violation names both documents,
tables and cells. Amounts are compared in 万元 to 0.01 (a 元 table is converted).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import permutations

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Document, Table, Violation
from juesuan.validation.context import build_context, clean_issuer, table_unit_scale
from juesuan.validation.schema import normalize_text, normalize_title

_MEASURE = re.compile(r"20\d{2}年度?|上年|本年|年初|预算数|预算|决算数|决算|执行数|执行|金额|/")
_LABEL = re.compile(r"编码|代码|科目|名称|^项目$|^[类款项]$|行次|栏次")


@dataclass(frozen=True)
class Named:
    """A document with the name reports use (its path)."""

    name: str
    doc: Document


def _suffix(t: Table) -> str:
    """The table's kind whatever its family: title words first (templates.yaml title_keys), else its type."""
    from juesuan.validation.completeness import _keyed

    return _keyed(normalize_title(t.title or "")) or (t.type or "").split(".", 1)[-1]


def _item(header: str) -> str:
    """The column's item, the same in a 决算 and a 预算 table: abroad, vehicles, total … (measure and year dropped)."""
    h = normalize_text(header)
    segs = [x for x in (_MEASURE.sub("", seg) for seg in h.split("/")) if x]
    seg = segs[-1] if segs else ""
    if "机关运行" in h:
        return "agency"
    for key, name in (("因公出国", "abroad"), ("公务接待", "reception"), ("会议", "meeting"), ("培训", "training")):
        if key in seg:
            return name
    if seg == "小计" or ("购置" in seg and "运行" in seg):
        return "vehicles"
    if "购置" in seg:
        return "purchase"
    if "运行" in seg:
        return "running"
    if re.search(r"合计|总计|“三公”经费$", seg) or not seg:
        return "total"
    return seg


def _cells(t: Table, cols: Sequence[int], single: bool = False) -> dict[tuple[str, str], tuple[Decimal, int, int]]:
    """(row key, column item) → (value in 万元, Row.index, col)."""
    scale = Decimal(table_unit_scale(t))
    headers = {c.index: normalize_text(c.header) for c in t.columns}
    out: dict[tuple[str, str], tuple[Decimal, int, int]] = {}
    for row in t.rows:
        key = row.code or normalize_text(row.name or "") or ("#" if len(t.rows) <= 3 else "")
        if not key:
            continue
        for c in row.cells:
            if c.col not in cols:
                continue
            v = parse_amount(c.text or "")
            if v is None or re.fullmatch(r"[1-9]\d?", normalize_text(c.text or "")):
                continue
            out.setdefault((key, "total" if single else _item(headers[c.col])), (v / scale, row.index, c.col))
    return out


def _compare(
    rule: str,
    a: Named,
    ta: Table,
    a_cols: Sequence[int],
    b: Named,
    tb: Table,
    b_cols: Sequence[int],
    zh: str,
    en: str,
) -> tuple[list[Violation], int]:
    left, right = _cells(ta, a_cols, single=len(a_cols) == 1), _cells(tb, b_cols, single=len(b_cols) == 1)
    out: list[Violation] = []
    checks = 0
    for key, (va, ra, ca) in left.items():
        if key not in right:
            continue
        vb, rb, cb = right[key]
        checks += 1
        if abs(va - vb) <= Decimal("0.011"):
            continue
        row, item = key
        out.append(
            Violation(
                rule=rule,
                table=ta.id,
                rows=[ra],
                cols=[ca],
                expected=float(vb),
                found=float(va),
                difference=float(va - vb),
                severity="error",
                target={"row": ra, "col": ca},
                documents=[a.name, b.name],
                other={"document": b.name, "table": tb.id, "row": rb, "col": cb},
                message_zh=f"{zh}：{a.name} {ta.title or ta.id} 行“{row}”×“{item or '金额'}”为 {va} 万元，"
                f"{b.name} {tb.title or tb.id} 为 {vb} 万元",
                message_en=f"{en}: {a.name} {ta.id} row {row} × {item or 'amount'} = {va}; {b.name} {tb.id} = {vb}",
            )
        )
    return out, checks


def _amount_cols(t: Table, pattern: str, exclude: str | None = None) -> list[int]:
    rx, ex = re.compile(pattern), re.compile(exclude) if exclude else None
    return [
        c.index
        for c in t.columns
        if rx.search(normalize_text(c.header))
        and not (ex and ex.search(normalize_text(c.header)))
        and not _LABEL.search(normalize_text(c.header).split("/")[-1])
    ]


def check_documents(docs: Sequence[Named]) -> tuple[list[Violation], int]:
    """Every ordered pair of documents of one issuer: 决算 vs same-year 预算, 预算 vs the previous year's 预算."""
    info = []
    for nd in docs:
        ctx = build_context(nd.doc)
        info.append((nd, clean_issuer(ctx.issuer) if ctx.issuer else None, ctx.year, ctx.kind))
    out: list[Violation] = []
    checks = 0
    for (a, ia, ya, ka), (b, ib, yb, kb) in permutations(info, 2):
        if not ia or ia != ib or ya is None or yb is None:
            continue
        if ka == "决算" and kb == "预算" and ya == yb:
            for ta in a.doc.tables:
                tb = next((t for t in b.doc.tables if _suffix(t) == _suffix(ta) and t.type), None)
                if tb is None or not ta.type:
                    continue
                a_cols = _amount_cols(ta, r"预算")
                b_cols = _amount_cols(tb, r".", exclude=rf"{ya - 1}年|上年|执行")
                found, n = _compare(
                    "cross_document_budget",
                    a,
                    ta,
                    a_cols,
                    b,
                    tb,
                    b_cols,
                    "决算的年初预算数与同年预算不一致",
                    "final accounts' budget column differs from the same year's budget",
                )
                out += found
                checks += n
        if ka == "预算" and kb == "预算" and ya == yb + 1:
            for ta in a.doc.tables:
                tb = next((t for t in b.doc.tables if _suffix(t) == _suffix(ta) and t.type), None)
                if tb is None or not ta.type:
                    continue
                a_cols = _amount_cols(ta, rf"{yb}年(?!.*执行)|上年(?!.*执行)", exclude="执行")
                if not a_cols:
                    continue
                b_cols = _amount_cols(tb, r".", exclude=rf"{yb - 1}年|上年|执行")
                if len(a_cols) == 1:  # one 上年 column beside this year's: it pairs with last year's total column
                    b_cols = b_cols[:1]
                found, n = _compare(
                    "cross_document_prior_year",
                    a,
                    ta,
                    a_cols,
                    b,
                    tb,
                    b_cols,
                    "本年预算的上年数与上年预算不一致",
                    "this year's prior-year column differs from last year's budget",
                )
                out += found
                checks += n
    return out, checks
