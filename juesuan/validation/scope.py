"""Amounts that must agree across the scopes a disclosure prints them in: project lists, 机关运行经费, 结转, dates.

Rules (issue 13's remaining GovBudgetChecker classes):

- ``project_list_sum``        the 项目支出表's 合计 row = Σ its project rows (error)
- ``project_total``           the 项目支出表's 合计 against the 项目支出 合计 of the 支出总表 (warning: a list may
                              cover 财政拨款 only)
- ``agency_costs_scope``      机关运行经费 stated in the text above the 公用经费 of the 一般公共预算基本支出表:
                              机关运行经费 is the 行政单位's 公用经费 paid from 一般公共预算, so it can be smaller,
                              never larger (warning: the 基本支出表 may cover fewer units)
- ``carryover_unexplained``   the 收支总表 prints a non-zero 年末结转和结余 (决算) / 上年结转 (预算) and the text never
                              mentions 结转 or 结余 (warning)
- ``publication_deadline``    a stated 公开/发布 date more than 20 days after the stated 批复 date (error). The 39
                              shared documents print neither date (the web page carries them), so this fires only
                              when a document states both.

They read only typed tables and the text's sentences, so they run the same on OCR output; a cell that is
OCR-uncertain turns an error into a warning that says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Cell, Table, Violation
from juesuan.validation.context import Context, cell_doubt, table_unit_scale
from juesuan.validation.figures import figure_matches, load_figures
from juesuan.validation.schema import normalize_text

_TOTAL = re.compile(r"^(合计|总计)$")
_AMOUNT_HEADER = re.compile(r"^(合计|总计|项目支出|金额|预算数|决算数)$|/合计$")
_NOT_AMOUNT = re.compile(r"名称|类别|类型|编码|代码|科目|序号|单位$|分组")


def _label(row_cells: dict[int, Cell], name: str | None) -> str:
    if name:
        return normalize_text(name)
    texts = [normalize_text(c.text or "") for c in row_cells.values() if parse_amount(c.text or "") is None]
    return next((t for t in texts if t), "")


def _amount(cell: Cell | None) -> Decimal | None:
    if cell is None:
        return None
    text = normalize_text(cell.text or "")
    if "%" in text:
        return None
    return parse_amount(text)


def _is_project_list(t: Table) -> bool:
    return bool(t.type and t.type.split(".", 1)[-1] in ("project", "general_budget_project")) and any(
        "项目名称" in normalize_text(c.header) for c in t.columns
    )


def project_rows(t: Table) -> set[int]:
    """Rows of a project list that name a project (its 项目名称 cell filled). 类/款/项 rows above them (201 / 20113 /
    2011302, each carrying the sum of its projects) are subtotals, not projects. Empty when no row names one."""
    name_cols = {c.index for c in t.columns if "项目名称" in normalize_text(c.header)}
    return {
        row.index
        for row in t.rows
        if any(c.col in name_cols and normalize_text(c.text or "").strip() for c in row.cells)
    }


def _total_col(t: Table) -> int | None:
    for c in t.columns:
        # a stacked layout joins the sides' headers with |: every side must call this column an amount
        parts = normalize_text(c.header).split("|")
        if all(_AMOUNT_HEADER.search(h) and not _NOT_AMOUNT.search(h) for h in parts):
            return c.index
    return None


def _check_projects(tables: Sequence[Table], ctx: Context) -> tuple[list[Violation], int]:
    out: list[Violation] = []
    checks = 0
    for i, t in enumerate(tables):
        if not _is_project_list(t):
            continue
        col = _total_col(t)
        if col is None:
            continue
        continued = i + 1 < len(tables) and normalize_text(tables[i + 1].title or "") == normalize_text(t.title or "")
        named = project_rows(t)
        total_row, total, items = None, None, []
        for row in t.rows:
            cells = {c.col: c for c in row.cells}
            label = _label(cells, row.name)
            v = _amount(cells.get(col))
            if _TOTAL.match(re.sub(r"\s", "", label)):
                if total_row is None:
                    total_row, total = row, v
                continue
            if named and row.index not in named:
                continue
            if v is not None and label and not re.fullmatch(r"[\d*]+", label):
                items.append((row.index, v))
        if total_row is None or total is None or not items:
            continue
        got = sum((v for _, v in items), Decimal(0))
        tol = Decimal("0.005") * len(items) + Decimal("0.000001")
        nested = got and any(abs(got / total - k) < Decimal("0.0001") for k in (2, 3)) if total else False
        if nested or (continued and got < total):
            continue  # unit subtotals listed with their projects, or the list goes on in the next table
        checks += 1
        if abs(got - total) <= tol:
            continue
        doubt = cell_doubt(next((c for c in total_row.cells if c.col == col), None), ctx.uncertain_confidence)
        out.append(
            Violation(
                rule="project_list_sum",
                table=t.id,
                severity="warning" if doubt else "error",
                rows=[total_row.index, *(r for r, _ in items)],
                cols=[col],
                target={"row": total_row.index, "col": col},
                cells=[[total_row.index, col], *([r, col] for r, _ in items)],
                expected=float(got),
                found=float(total),
                difference=float(got - total),
                page=t.pages[0] if t.pages else None,
                message_zh=f"“{t.title or t.id}”合计 {total} 万元，{len(items)}个项目之和为 {got} 万元"
                + (f"（{doubt}）" if doubt else ""),
                message_en=f"{t.id}: project list total {total} but its {len(items)} projects sum to {got}",
            )
        )
    out2, n = _check_project_total(tables)
    return out + out2, checks + n


def _project_list_total(t: Table) -> tuple[Decimal, Cell] | None:
    col = _total_col(t)
    if col is None:
        return None
    for row in t.rows:
        cells = {c.col: c for c in row.cells}
        if _TOTAL.match(re.sub(r"\s", "", _label(cells, row.name))):
            v = _amount(cells.get(col))
            return (v / Decimal(table_unit_scale(t)), cells[col]) if v is not None else None
    return None


def _check_project_total(tables: Sequence[Table]) -> tuple[list[Violation], int]:
    """项目支出表 合计 vs the 支出总表's 项目支出 column at its 合计 row (one table each, no continuation)."""
    lists = [t for t in tables if _is_project_list(t)]
    exps = [t for t in tables if t.type and t.type.split(".", 1)[-1] == "expenditure"]
    if len(lists) != 1 or len(exps) != 1:
        return [], 0
    got = _project_list_total(lists[0])
    exp = exps[0]
    cols = [c.index for c in exp.columns if re.search(r"项目支出$", normalize_text(c.header))]
    if got is None or not cols:
        return [], 0
    for row in exp.rows:
        cells = {c.col: c for c in row.cells}
        if not _TOTAL.match(re.sub(r"\s", "", _label(cells, row.name))):
            continue
        v = _amount(cells.get(cols[0]))
        if v is None:
            return [], 0
        v = v / Decimal(table_unit_scale(exp))
        if abs(v - got[0]) <= Decimal("0.011"):
            return [], 1
        return [
            Violation(
                rule="project_total",
                table=lists[0].id,
                severity="warning",
                target={"row": next(r.index for r in lists[0].rows if got[1] in r.cells), "col": got[1].col},
                expected=float(v),
                found=float(got[0]),
                difference=float(got[0] - v),
                page=lists[0].pages[0] if lists[0].pages else None,
                message_zh=f"项目支出表合计 {got[0]} 万元，支出总表项目支出 {v} 万元，不一致（口径可能不同，请核对）",
                message_en=f"project list total {got[0]} vs the expenditure table's 项目支出 {v}",
                other_table=exp.id,
            )
        ], 1
    return [], 0


# ---- 机关运行经费 vs 公用经费 ---------------------------------------------------------------------------------------

_OPERATING_CODES = ("302", "307", "309", "310", "312", "399")  # as identities.yaml operating_costs_total


def _operating_costs(tables: Sequence[Table]) -> tuple[Decimal, Table] | None:
    """公用经费 of the 一般公共预算基本支出表 in 万元: its 公用经费 column at the 合计 row, else Σ 302/307/… 类 rows."""
    for t in tables:
        if not (t.type or "").endswith("general_budget_basic") or "一般公共预算" not in normalize_text(t.title or ""):
            continue
        scale = Decimal(table_unit_scale(t))
        pub = [c.index for c in t.columns if re.search(r"公用经费$|公用支出$", normalize_text(c.header))]
        amount_cols = [
            c.index
            for c in t.columns
            if re.search(r"合计$|^金额$|预算数$|决算数$", normalize_text(c.header))
            and not _NOT_AMOUNT.search(normalize_text(c.header))
        ]
        for row in t.rows:
            cells = {c.col: c for c in row.cells}
            if pub and _TOTAL.match(re.sub(r"\s", "", _label(cells, row.name))):
                v = _amount(cells.get(pub[0]))
                if v is not None:
                    return v / scale, t
        if pub or not amount_cols:
            continue
        total, seen = Decimal(0), False
        for row in t.rows:
            if row.code in _OPERATING_CODES:
                v = _amount(row.cell(amount_cols[0]))
                if v is not None:
                    total += v
                    seen = True
        if seen:
            return total / scale, t
    return None


def _check_agency_costs(tables: Sequence[Table], ctx: Context) -> tuple[list[Violation], int]:
    op = _operating_costs(tables)
    if op is None:
        return [], 0
    pub, basic = op
    out: list[Violation] = []
    checks = 0
    cfg = load_figures()
    fig = next((f for f in cfg.figures if f.id == "agency_operating_costs"), None)
    if fig is None:
        return [], 0
    for s in ctx.sentences:
        for m, unit in figure_matches(s.text, fig, cfg.gap, ctx.kind):
            v = parse_amount(m.group("num"))
            if v is None:
                continue
            v = v / 10000 if unit == "元" else v
            checks += 1
            if v <= pub + Decimal("0.011"):
                continue
            out.append(
                Violation(
                    rule="agency_costs_scope",
                    severity="warning",
                    table=basic.id,
                    page=s.page,
                    text=s.text[:160],
                    expected=float(pub),
                    found=float(v),
                    difference=float(v - pub),
                    message_zh=f"机关运行经费 {v} 万元大于一般公共预算基本支出中的公用经费 "
                    f"{pub.quantize(Decimal('0.01'))} 万元（机关运行经费是公用经费的一部分，请核对口径）",
                    message_en=f"机关运行经费 {v} exceeds the 公用经费 {pub:.2f} of the 一般公共预算 basic table",
                )
            )
    return out, checks


# ---- 结转 explained ---------------------------------------------------------------------------------------------

_CARRY_ROW = {
    "决算": re.compile(r"^(年末结转和结余|年末结转结余|结转下年)$"),
    "预算": re.compile(r"^(上年结转(和结余)?|上年结余[、和]?结转|年初结转和结余)$"),
}
_ORD = re.compile(r"^[一二三四五六七八九十]+[、.．]|^\d+[.、．]")


def _check_carryover(tables: Sequence[Table], ctx: Context) -> tuple[list[Violation], int]:
    pattern = _CARRY_ROW.get(ctx.kind or "")
    summaries = [t for t in tables if (t.type or "").endswith(".summary")]
    if pattern is None or not summaries or not ctx.sentences:
        return [], 0
    for t in summaries:
        for row in t.rows:
            cells = {c.col: c for c in row.cells}
            labels = [row.name or ""] + [c.text or "" for c in row.cells if parse_amount(c.text or "") is None]
            if not any(pattern.match(_ORD.sub("", normalize_text(lb))) for lb in labels if lb):
                continue
            amounts = [a for a in (_amount(c) for k, c in cells.items() if k > 0) if a is not None]
            if not amounts or not amounts[0]:
                return [], 1
            if any(re.search("结转|结余", s.text) for s in ctx.sentences):
                return [], 1
            cell = next(c for c in row.cells if _amount(c) == amounts[0])
            return [
                Violation(
                    rule="carryover_unexplained",
                    table=t.id,
                    severity="warning",
                    target={"row": row.index, "col": cell.col},
                    page=cell.page,
                    message_zh=f"收支总表列有{normalize_text(row.name or '结转')} {amounts[0]} 万元，"
                    "说明中未提及结转结余",
                    message_en=f"the summary table carries {amounts[0]} over, the text never mentions 结转/结余",
                )
            ], 1
    return [], 0


# ---- the 20-day publication deadline ---------------------------------------------------------------------------

_DATE = r"(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
_APPROVED = re.compile(r"批复[^。；]{0,20}?" + _DATE + "|" + _DATE + r"[^。；]{0,12}?批复")
_PUBLISHED = re.compile(r"(?:公开|发布)(?:日期|时间)[:：]?\s*" + _DATE + "|" + _DATE + r"\s*(?:公开|发布)")
DEADLINE_DAYS = 20


def _date(m: re.Match[str]) -> dt.date | None:
    g = [x for x in m.groups() if x is not None]
    try:
        return dt.date(int(g[0]), int(g[1]), int(g[2]))
    except (ValueError, IndexError):
        return None


def _check_deadline(ctx: Context) -> tuple[list[Violation], int]:
    approved = published = None
    for s in ctx.sentences:
        for m in _APPROVED.finditer(s.text):
            approved = approved or (_date(m), s)
        for m in _PUBLISHED.finditer(s.text):
            published = published or (_date(m), s)
    if not approved or not published or approved[0] is None or published[0] is None:
        return [], 0
    days = (published[0] - approved[0]).days
    if days <= DEADLINE_DAYS:
        return [], 1
    s = published[1]
    return [
        Violation(
            rule="publication_deadline",
            severity="error",
            page=s.page,
            text=s.text[:160],
            found=float(days),
            expected=float(DEADLINE_DAYS),
            message_zh=f"批复日期 {approved[0]:%Y-%m-%d}，公开日期 {published[0]:%Y-%m-%d}："
            f"相隔{days}天，超过{DEADLINE_DAYS}天",
            message_en=f"published {days} days after approval (more than {DEADLINE_DAYS})",
        )
    ], 1


def check(tables: Sequence[Table], ctx: Context) -> tuple[list[Violation], int]:
    out: list[Violation] = []
    checks = 0
    for found, n in (
        _check_projects(tables, ctx),
        _check_agency_costs(tables, ctx),
        _check_carryover(tables, ctx),
        _check_deadline(ctx),
    ):
        out += found
        checks += n
    return out, checks
