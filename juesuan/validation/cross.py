"""Cross-table identities and code ↔ name checks.

- ``cross_summary_income``      收支总表 本年收入合计 = 收入表 合计 row, total column
- ``cross_summary_expenditure`` 收支总表 本年支出合计 = 支出表 合计 row, total column
- ``cross_basic``               一般公共预算支出表 合计 row 基本支出 = 基本支出表 total (人员经费 + 公用经费)
- ``code_name``                 a row's 科目编码 and 科目名称 disagree with the catalogue (warning: OCR misread either)

Tables are matched by type within one document; a check runs only when both tables and both cells are there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Table, Violation
from juesuan.options import ValidationOptions
from juesuan.validation.codes import load_catalogue
from juesuan.validation.rules import TableView, summary_subtotal_cells
from juesuan.validation.schema import Schema, normalize_text


def _of_type(tables: Sequence[Table], *suffixes: str) -> list[Table]:
    return [t for t in tables if t.type and t.type.split(".", 1)[1] in suffixes]


def _total_row_value(table: Table, fields: Sequence[str]) -> tuple[Decimal, int, int] | None:
    cols = [c.index for c in table.columns if c.field in fields]
    if not cols:
        return None
    for row in table.rows:
        label = normalize_text(row.name or "")
        if not row.code and re.fullmatch(r"(合计|总计)", label):
            cell = row.cell(cols[0])
            v = parse_amount(cell.text) if cell else None
            if v is not None:
                return v, row.index, cols[0]
    return None


def _summary_subtotals(view: TableView) -> list[tuple[Decimal, int, int]]:
    """本年收入合计 (first half) and 本年支出合计 (second half) of a 收支总表."""
    out = []
    for ref in summary_subtotal_cells(view):
        v = view.values.get(ref)
        if v is not None:
            out.append((v, view.row_index(ref.pos), ref.col))
    return out


def _unit_scale(a: Table, b: Table) -> Decimal:
    ua, ub = (a.unit or "").strip(), (b.unit or "").strip()
    if ua == ub or not ua or not ub:
        return Decimal(1)
    if ua == "元" and ub == "万元":
        return Decimal("0.0001")
    if ua == "万元" and ub == "元":
        return Decimal(10000)
    return Decimal(1)


def _compare(
    rule: str,
    a: Table,
    av: tuple[Decimal, int, int],
    b: Table,
    bv: tuple[Decimal, int, int],
    zh: str,
    en: str,
    per_term: Decimal,
) -> Violation | None:
    left = av[0] * _unit_scale(a, b)
    right = bv[0]
    if abs(left - right) <= per_term * 2:
        return None
    carry = _carry_line(a, abs(left - right) / _unit_scale(a, b), per_term) or _carry_column(
        b, bv[1], abs(left - right), per_term
    )
    # the 收入表 counts 上年结转 as income, the 总表 lists it apart: a definition (warning), not a slip (error)
    return Violation(
        rule=rule,
        table=b.id,
        rows=[bv[1]],
        cols=[bv[2]],
        expected=float(left),
        found=float(right),
        difference=float(right - left),
        severity="warning" if carry is not None else "error",
        message_zh=f"{zh}：{a.title or a.id} 为 {left}，{b.title or b.id} 为 {right}"
        + (f"；差额等于“{carry}”一行" if carry is not None else ""),
        message_en=f"{en}: {a.id} has {left}, {b.id} has {right}"
        + (f"; the difference is the “{carry}” line" if carry is not None else ""),
        tables=[a.id, b.id],
        other=None if carry is not None else {"table": a.id, "row": av[1], "col": av[2]},
    )


def _carry_line(table: Table, diff: Decimal, per_term: Decimal) -> str | None:
    """The name of a 结转/结余 row of the 总表 whose amount equals ``diff``, if any."""
    for row in table.rows:
        label = normalize_text(row.name or "")
        if not re.search("结转|结余", label):
            continue
        for cell in row.cells:
            v = parse_amount(cell.text or "")
            if v is not None and v and abs(v - diff) <= per_term * 2:
                return label
    return None


def _carry_column(table: Table, row_index: int, diff: Decimal, per_term: Decimal) -> str | None:
    """The header of a 结转/结余 column whose amount in the total row equals ``diff``: the 收入表 lists 上年结转 in a
    column of its own, and the 总表's 上年结转 line may be on a page OCR lost (hangzhou justice 2026 at `fax`)."""
    row = next((r for r in table.rows if r.index == row_index), None)
    if row is None:
        return None
    headers = {c.index: c.header for c in table.columns}
    for cell in row.cells:
        header = normalize_text(headers.get(cell.col, ""))
        if not re.search("结转|结余", header):
            continue
        v = parse_amount(cell.text or "")
        if v is not None and v and abs(v - diff) <= per_term * 2:
            return header
    return None


def check(tables: Sequence[Table], schema: Schema, options: ValidationOptions) -> tuple[list[Violation], int]:
    per_term = Decimal(str(options.rounding_per_term))
    out: list[Violation] = []
    checks = 0
    for family in ("final", "budget"):
        fam = [t for t in tables if t.type and t.type.startswith(family + ".")]
        summaries = _of_type(fam, "summary")
        incomes = _of_type(fam, "income")
        expenditures = _of_type(fam, "expenditure")
        if summaries:
            s = summaries[0]
            subs = _summary_subtotals(TableView.build(s, schema))
            pairs = [
                (incomes, ("income_total", "total"), "cross_summary_income", "本年收入合计", "income total"),
                (
                    expenditures,
                    ("expenditure_total", "total"),
                    "cross_summary_expenditure",
                    "本年支出合计",
                    "expenditure total",
                ),
            ]
            for k, (others, fields, rule, zh, en) in enumerate(pairs):
                if k < len(subs) and others:
                    tv = _total_row_value(others[0], fields)
                    if tv is not None:
                        checks += 1
                        v = _compare(rule, s, subs[k], others[0], tv, f"{zh}不一致", f"{en} differs", per_term)
                        if v:
                            out.append(v)
        gbe = _of_type(fam, "general_budget_expenditure")
        basic = _of_type(fam, "general_budget_basic")
        if gbe and basic:
            a = _total_row_value(gbe[0], ("basic_expenditure",))
            b = _total_row_value(basic[0], ("total",)) or _basic_total(basic[0])
            if a is not None and b is not None:
                checks += 1
                v = _compare(
                    "cross_basic", gbe[0], a, basic[0], b, "基本支出合计不一致", "basic expenditure differs", per_term
                )
                if v:
                    out.append(v)
    return out, checks


def _basic_total(table: Table) -> tuple[Decimal, int, int] | None:
    """决算 基本支出表: 人员经费合计 + 公用经费合计 (rows, not columns)."""
    cols = [c.index for c in table.columns if c.field in ("final_amount", "budget_amount", "total")]
    total = Decimal(0)
    found = 0
    last = (0, 0)
    for row in table.rows:
        label = normalize_text(row.name or "")
        if label in ("人员经费合计", "公用经费合计"):
            for col in cols:
                cell = row.cell(col)
                v = parse_amount(cell.text) if cell else None
                if v is not None:
                    total += v
                    found += 1
                    last = (row.index, col)
                    break
    return (total, *last) if found == 2 else None


def check_codes(tables: Sequence[Table]) -> tuple[list[Violation], int]:
    """科目编码 ↔ 科目名称 against the catalogue; names vary a little by year, so only clear mismatches warn."""
    catalogue = load_catalogue()
    out: list[Violation] = []
    checks = 0
    for t in tables:
        for row in t.rows:
            if not row.code or not row.name or row.code not in catalogue:
                continue
            checks += 1
            sim = catalogue.similarity(row.code, row.name)
            if sim >= 0.5:
                continue
            expected = catalogue.name(row.code)
            guesses = catalogue.codes_for_name(row.name)
            hint = f"；名称对应的编码可能是 {'、'.join(guesses[:3])}" if guesses else ""
            out.append(
                Violation(
                    rule="code_name",
                    table=t.id,
                    rows=[row.index],
                    severity="warning",
                    message_zh=f"科目编码 {row.code} 应为“{expected}”，表中名称为“{row.name}”{hint}",
                    message_en=f"code {row.code} is “{expected}” in the classification, the row says “{row.name}”",
                )
            )
    return out, checks
