"""Synthetic table contents: every 决算/预算 table type and the 绩效 forms, with amounts that satisfy the identities.

Amounts are generated in cents (int) at the leaves and summed upwards, so 合计 = Σ rows, 类 = Σ 款 = Σ 项 and
本年支出合计 = 基本支出 + 项目支出 + ... hold exactly in the printed two-decimal 万元 values. Column fields are the
flattened header path (``本年支出/合计``), the same form table assembly produces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from juesuan.datasets.synth import vocab
from juesuan.datasets.synth.render import CellSpec, TableSpec

CN_NUM = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三 (list numbering in 总表 rows)."""
    if n <= 10:
        return CN_NUM[n - 1]
    if n < 20:
        return "十" + (CN_NUM[n - 11] if n > 10 else "")
    tens, ones = divmod(n, 10)
    return CN_NUM[tens - 1] + "十" + (CN_NUM[ones - 1] if ones else "")


@dataclass(frozen=True, slots=True)
class DocStyle:
    """Choices that stay fixed within one document: kind, year, organisation, number style, code layout."""

    kind: str  # 决算 | 预算
    year: int
    org: str
    thousands: bool
    empty_mark: str  # how a zero/empty amount is printed: "", "0.00", "-", "—"
    code_style: str  # split (类|款|项 columns) | joined (one 科目编码 column)
    indent_names: bool
    column_numbers: bool  # a 栏次 row under the header
    ruled: bool
    template: bool = False  # an empty template (部门决算模板): no amounts, "…" rows for "more like these"

    @property
    def amount_header(self) -> str:
        return "决算数" if self.kind == "决算" else "预算数"


def sample_style(rng: np.random.Generator) -> DocStyle:
    kind = "决算" if rng.random() < 0.6 else "预算"
    org = vocab.CITIES[int(rng.integers(len(vocab.CITIES)))] + vocab.BUREAUS[int(rng.integers(len(vocab.BUREAUS)))]
    return DocStyle(
        kind=kind,
        year=int(rng.integers(2019, 2027)),
        org=org,
        thousands=rng.random() < 0.85,
        empty_mark=str(rng.choice(["", "", "", "0.00", "-", "—"])),
        code_style="split" if rng.random() < 0.55 else "joined",
        indent_names=rng.random() < 0.4,
        column_numbers=rng.random() < 0.3,
        ruled=rng.random() < 0.85,
    )


def fmt(cents: int, style: DocStyle) -> str:
    """Cents → printed 万元 amount (``2,946.25``); zero → the document's empty mark."""
    if style.template:
        return ""
    if cents == 0:
        return style.empty_mark
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    body = f"{whole:,}" if style.thousands else str(whole)
    return f"{sign}{body}.{frac:02d}"


def _cents(rng: np.random.Generator, scale: float = 80.0) -> int:
    """A positive amount in cents, log-normal around ``scale`` 万元 (0.01 .. ~100,000 万元)."""
    return max(1, int(rng.lognormal(np.log(scale), 1.3) * 100))


def header_cells(paths: Sequence[Sequence[str]]) -> tuple[list[CellSpec], int]:
    """Merged multi-level header from each column's header path; a short path's last cell spans to the bottom."""
    depth = max(len(p) for p in paths)
    n = len(paths)
    cells: list[CellSpec] = []
    for level in range(depth):
        c = 0
        while c < n:
            p = paths[c]
            if level >= len(p):
                c += 1
                continue
            if level == len(p) - 1:
                cells.append(CellSpec(level, c, p[level], "HEADER", row_span=depth - level, header=True, align="c"))
                c += 1
                continue
            end = c + 1
            while end < n and len(paths[end]) - 1 > level and tuple(paths[end][: level + 1]) == tuple(p[: level + 1]):
                end += 1
            cells.append(CellSpec(level, c, p[level], "HEADER", col_span=end - c, header=True, align="c"))
            c = end
    return cells, depth


@dataclass(slots=True)
class _Row:
    code: str
    name: str
    level: int  # 0 total, 1 类, 2 款, 3 项
    values: list[int]


def _function_rows(
    rng: np.random.Generator,
    n_values: int,
    active: list[float],
    derive: Callable[[list[int]], list[int]] | None = None,
    n_classes: tuple[int, int] = (2, 6),
) -> list[_Row]:
    """类/款/项 rows from the catalogue; leaf values per column (column ``k`` used with probability active[k])."""
    tree = vocab.function_tree()
    subj = {s.code: s for s in vocab.subjects()["function"]}
    classes = sorted(rng.choice(sorted(tree), size=min(len(tree), int(rng.integers(*n_classes))), replace=False))
    rows: list[_Row] = []
    for lei in classes:
        kuans = sorted(tree[lei])
        kuans = sorted(rng.choice(kuans, size=min(len(kuans), int(rng.integers(1, 3))), replace=False))
        lei_row = _Row(lei, subj[lei].name, 1, [0] * n_values)
        rows.append(lei_row)
        for kuan in kuans:
            items = tree[lei][kuan]
            picked = sorted(rng.choice(len(items), size=min(len(items), int(rng.integers(1, 5))), replace=False))
            kuan_row = _Row(kuan, subj[kuan].name, 2, [0] * n_values)
            rows.append(kuan_row)
            for k in picked:
                item = items[int(k)]
                vals = [_cents(rng) if rng.random() < a else 0 for a in active]
                if not any(vals):
                    vals[int(np.argmax(active))] = _cents(rng)
                if derive is not None:
                    vals = derive(vals)
                rows.append(_Row(item.code, item.name, 3, vals))
                for parent in (lei_row, kuan_row):
                    parent.values = [a + b for a, b in zip(parent.values, vals, strict=True)]
    return rows


def _with_total(rows: list[_Row], label: str = "合计") -> list[_Row]:
    n = len(rows[0].values)
    total = [sum(r.values[k] for r in rows if r.level == 1) for k in range(n)]
    return [_Row("", label, 0, total), *rows]


def _sum_first(vals: list[int]) -> list[int]:
    """Column 0 is the total of the others (本年支出合计 = 基本 + 项目 + ...)."""
    return [sum(vals[1:]), *vals[1:]]


def code_table(
    style: DocStyle,
    rng: np.random.Generator,
    ttype: str,
    title: str,
    amount_paths: list[tuple[str, ...]],
    rows: list[_Row],
    note: str | None = None,
) -> TableSpec:
    """A 科目编码 | 科目名称 | amounts table (收入/支出决算表, 一般公共预算支出表, ...)."""
    if style.code_style == "split":
        code_paths: list[tuple[str, ...]] = [("项目", "支出功能分类科目编码", x) for x in ("类", "款", "项")]
        code_paths.append(("项目", "科目名称"))
    else:
        code_paths = [("科目编码",), ("科目名称",)]
    paths = code_paths + amount_paths
    cells, n_head = header_cells(paths)
    n_code = 3 if style.code_style == "split" else 1
    n_cols = len(paths)
    name_col = n_code
    r = n_head
    if style.column_numbers:
        cells.append(CellSpec(r, 0, "栏次", "HEADER", col_span=n_code + 1, header=True, align="c"))
        for k in range(len(amount_paths)):
            cells.append(CellSpec(r, name_col + 1 + k, str(k + 1), "HEADER", header=True, align="c"))
        r += 1
        n_head += 1
    fields = ["/".join(p) for p in amount_paths]
    for row in rows:
        if row.level == 0:
            if style.code_style == "split" and rng.random() < 0.5:
                cells.append(CellSpec(r, 0, row.name, "TOTAL_LABEL", col_span=n_code + 1, align="c"))
            else:
                for c in range(n_code):
                    cells.append(CellSpec(r, c, "", "OTHER"))
                cells.append(CellSpec(r, name_col, row.name, "TOTAL_LABEL", align="c"))
        else:
            if style.code_style == "split":
                parts = [row.code[:3], row.code[3:5] if row.level >= 2 else "", row.code[5:7] if row.level >= 3 else ""]
                for c, part in enumerate(parts):
                    cells.append(CellSpec(r, c, part, "CODE" if part else "OTHER"))
            else:
                cells.append(CellSpec(r, 0, row.code, "CODE"))
            indent = (row.level - 1) if style.indent_names else 0
            cells.append(CellSpec(r, name_col, row.name, "NAME", indent=indent))
        for k, v in enumerate(row.values):
            cells.append(CellSpec(r, name_col + 1 + k, fmt(v, style), "AMOUNT", field=fields[k], align="r"))
        r += 1
        if style.template and row.level >= 2 and rng.random() < 0.4:
            # a template's "…" row: in the code column(s), the name column or both; labelled OTHER
            mark = str(rng.choice(["…", "…", "……", "。。。", "..."]))
            where = int(rng.integers(3))
            for c in range(n_code):  # code columns are narrow: a short mark that does not wrap
                cells.append(CellSpec(r, c, ("…" if len(mark) > 2 else mark) if where != 1 and c == 0 else "", "OTHER"))
            cells.append(CellSpec(r, name_col, mark if where != 0 else "", "OTHER"))
            for k in range(len(amount_paths)):
                cells.append(CellSpec(r, name_col + 1 + k, "", "AMOUNT", field=fields[k], align="r"))
            r += 1
    weights = ([0.6, 0.6, 0.6] if n_code == 3 else [1.3]) + [3.2] + [1.5] * len(amount_paths)
    return TableSpec(
        ttype, title, n_cols, weights, cells, n_head, ruled=style.ruled, note=note, org_line=_org_line(style, rng)
    )


def _org_line(style: DocStyle, rng: np.random.Generator) -> str | None:
    if rng.random() < 0.35:
        return None
    return str(rng.choice(["部门：", "编制部门：", "编制单位：", "单位名称："])) + style.org


def revenue_table(style: DocStyle, rng: np.random.Generator) -> TableSpec:
    total = "本年收入合计" if style.kind == "决算" else "合计"
    sources = ["财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入"]
    if style.kind == "预算":
        sources = ["一般公共预算拨款收入", "政府性基金预算拨款收入", "事业收入", "经营收入", "其他收入"]
    active = [0.0, 0.97, 0.1, 0.15, 0.05, 0.05, 0.2][: len(sources) + 1]
    rows = _with_total(_function_rows(rng, len(sources) + 1, active, _sum_first))
    ttype = "收入决算表" if style.kind == "决算" else "部门收入预算表"
    return code_table(style, rng, ttype, ttype, [(total,)] + [(s,) for s in sources], rows)


def expenditure_table(style: DocStyle, rng: np.random.Generator) -> TableSpec:
    total = "本年支出合计" if style.kind == "决算" else "合计"
    parts = ["基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"]
    if style.kind == "预算":
        parts = ["基本支出", "项目支出"]
    active = [0.0, 0.7, 0.6, 0.03, 0.05, 0.05][: len(parts) + 1]
    rows = _with_total(_function_rows(rng, len(parts) + 1, active, _sum_first))
    ttype = "支出决算表" if style.kind == "决算" else "部门支出预算表"
    return code_table(style, rng, ttype, ttype, [(total,)] + [(p,) for p in parts], rows)


def gpb_expenditure_table(style: DocStyle, rng: np.random.Generator) -> TableSpec:
    """一般公共预算财政拨款支出决算表 (本年支出 合计/基本/项目) or 一般公共预算支出功能分类预算表."""
    group = "本年支出" if style.kind == "决算" else style.amount_header
    paths = [(group, "合计"), (group, "基本支出"), (group, "项目支出")]
    if style.kind == "决算" and rng.random() < 0.3:
        paths = [("年初预算数",), ("全年预算数",), *paths]
    n_lead = len(paths) - 3
    active = [0.0] * n_lead + [0.0, 0.75, 0.6]

    def derive(vals: list[int]) -> list[int]:
        tail = [vals[n_lead + 1] + vals[n_lead + 2], vals[n_lead + 1], vals[n_lead + 2]]
        lead = [int(tail[0] * rng.uniform(0.8, 1.1)) for _ in range(n_lead)]
        return lead + tail

    rows = _with_total(_function_rows(rng, len(paths), active, derive))
    ttype = "一般公共预算财政拨款支出决算表" if style.kind == "决算" else "一般公共预算支出功能分类预算表"
    return code_table(style, rng, ttype, ttype, [tuple(p) for p in paths], rows)


def project_expenditure_table(style: DocStyle, rng: np.random.Generator) -> TableSpec:
    group = "本年支出" if style.kind == "决算" else style.amount_header
    paths = [(group, "合计"), (group, "商品和服务支出"), (group, "对个人和家庭的补助"), (group, "资本性支出")]
    rows = _with_total(_function_rows(rng, 4, [0.0, 0.9, 0.2, 0.3], _sum_first, n_classes=(1, 4)))
    ttype = "一般公共预算财政拨款项目支出决算表" if style.kind == "决算" else "项目支出预算表"
    return code_table(style, rng, ttype, ttype, [tuple(p) for p in paths], rows)


def fund_table(style: DocStyle, rng: np.random.Generator, soe: bool = False) -> TableSpec:
    """政府性基金 / 国有资本经营 tables: most units have none, so most are printed empty with a note."""
    if soe:
        ttype = "国有资本经营预算财政拨款支出决算表" if style.kind == "决算" else "国有资本经营预算支出预算表"
        paths: list[tuple[str, ...]] = [("本年支出", "合计"), ("本年支出", "基本支出"), ("本年支出", "项目支出")]
        derive: Callable[[list[int]], list[int]] = _sum_first
        active = [0.0, 0.3, 0.8]
        what = "国有资本经营预算财政拨款"
    else:
        ttype = "政府性基金预算财政拨款收入支出决算表" if style.kind == "决算" else "政府性基金预算支出功能分类预算表"
        paths = [
            ("年初结转和结余",),
            ("本年收入",),
            ("本年支出", "小计"),
            ("本年支出", "基本支出"),
            ("本年支出", "项目支出"),
            ("年末结转和结余",),
        ]
        active = [0.3, 0.0, 0.0, 0.2, 0.9, 0.0]

        def derive(vals: list[int]) -> list[int]:
            start, basic, project = vals[0], vals[3], vals[4]
            spent = basic + project
            income = spent + int(rng.integers(0, 5000)) - min(start, spent)
            income = max(income, 0)
            return [start, income, spent, basic, project, start + income - spent]

        what = "政府性基金预算财政拨款"
    empty = rng.random() < 0.6
    if empty:
        rows = [_Row("", "合计", 0, [0] * len(paths))]
        note = f"注：{style.org}{style.year}年度无{what}收入和支出，故本表为空表。"
    else:
        rows = _with_total(_function_rows(rng, len(paths), active, derive, n_classes=(1, 3)))
        note = (
            None if rng.random() < 0.5 else "注：本表反映部门本年度政府性基金预算财政拨款收入、支出及结转和结余情况。"
        )
    return code_table(style, rng, ttype, ttype, paths, rows, note=note)


def sangong_table(style: DocStyle, rng: np.random.Generator) -> TableSpec:
    """三公经费: 合计 = 因公出国（境）费 + 公务用车购置及运行费 + 公务接待费; 车 小计 = 购置 + 运行."""
    groups = ["预算数", "决算数"] if style.kind == "决算" else [f"{style.year - 1}年预算数", f"{style.year}年预算数"]
    if style.kind == "预算" and rng.random() < 0.5:
        groups = [f"{style.year}年预算数"]
    paths: list[tuple[str, ...]] = []
    for g in groups:
        paths += [
            (g, "合计"),
            (g, "因公出国（境）费"),
            (g, "公务用车购置及运行费", "小计"),
            (g, "公务用车购置及运行费", "公务用车购置费"),
            (g, "公务用车购置及运行费", "公务用车运行费"),
            (g, "公务接待费"),
        ]
    cells, n_head = header_cells(paths)
    values: list[int] = []
    for _ in groups:
        abroad = _cents(rng, 3) if rng.random() < 0.2 else 0
        buy = _cents(rng, 20) if rng.random() < 0.2 else 0
        run = _cents(rng, 5) if rng.random() < 0.8 else 0
        hosp = _cents(rng, 1) if rng.random() < 0.7 else 0
        values += [abroad + buy + run + hosp, abroad, buy + run, buy, run, hosp]
    r = n_head
    if style.column_numbers:
        for k in range(len(paths)):
            cells.append(CellSpec(r, k, str(k + 1), "HEADER", header=True, align="c"))
        r += 1
        n_head += 1
    for k, v in enumerate(values):
        cells.append(CellSpec(r, k, fmt(v, style), "AMOUNT", field="/".join(paths[k]), align="r"))
    ttype = "财政拨款“三公”经费支出决算表" if style.kind == "决算" else "“三公”经费预算表"
    note = None
    if rng.random() < 0.5:
        note = "注：“三公”经费包括因公出国（境）费、公务用车购置及运行费和公务接待费。"
    return TableSpec(
        ttype,
        ttype,
        len(paths),
        [1.0] * len(paths),
        cells,
        n_head,
        ruled=style.ruled,
        note=note,
        org_line=_org_line(style, rng),
    )


def _list_rows(
    cells: list[CellSpec], r: int, col: int, items: list[tuple[str, str, int, str]], style: DocStyle, amount_field: str
) -> None:
    """Write (label, text, cents, kind) items down a name column and its amount column; kind NAME or TOTAL."""
    for k, (label, text, cents, _) in enumerate(items):
        cells.append(CellSpec(r + k, col, text, label, align="c" if label == "TOTAL_LABEL" else "l"))
        amount = fmt(cents, style) if text else ""
        cells.append(
            CellSpec(
                r + k,
                col + 1,
                amount,
                "AMOUNT" if amount else "OTHER",
                field=amount_field if amount else None,
                align="r",
            )
        )


def summary_table(style: DocStyle, rng: np.random.Generator, fiscal: bool = False) -> TableSpec:
    """收入支出决算总表 (or 财政拨款收入支出决算总表): two column groups, 收入 left and 支出 right, same 总计."""
    amt = style.amount_header
    tree = vocab.function_tree()
    all_classes = [s for s in vocab.subjects()["function"] if s.level == 1][:26]
    active = set(rng.choice(sorted(tree), size=int(rng.integers(2, 6)), replace=False))
    exp_items: list[tuple[str, list[int]]] = []
    for k, subj in enumerate(all_classes):
        if subj.code in active:
            gpb = _cents(rng, 300)
            fund = _cents(rng, 50) if fiscal and rng.random() < 0.15 else 0
            vals = [gpb + fund, gpb, fund, 0] if fiscal else [gpb]
        else:
            vals = [0] * (4 if fiscal else 1)
        exp_items.append((f"{cn_number(k + 1)}、{subj.name}", vals))
    exp_total = [sum(v[i] for _, v in exp_items) for i in range(len(exp_items[0][1]))]
    if fiscal:
        income_names = ["一般公共预算财政拨款", "政府性基金预算财政拨款", "国有资本经营预算财政拨款"]
        start = [_cents(rng, 20) if rng.random() < 0.5 else 0 for _ in range(3)]
        # A fund with no spending this year has (almost always) no income and no balance either.
        start = [start[i] if i == 0 or exp_total[1 + i] else 0 for i in range(3)]
        income = [
            max(0, exp_total[1 + i] - start[i] + int(rng.integers(0, 3000))) if i == 0 or exp_total[1 + i] else 0
            for i in range(3)
        ]
        end = [start[i] + income[i] - exp_total[1 + i] for i in range(3)]
        inc_items = [(f"{cn_number(i + 1)}、{n}", income[i]) for i, n in enumerate(income_names)]
        inc_total, start_total, end_total = sum(income), sum(start), sum(end)
        lines_l = [("本年收入合计", inc_total), ("年初财政拨款结转和结余", start_total)]
        lines_l += [(f"  {n}", start[i]) for i, n in enumerate(income_names)]
        lines_r = [("本年支出合计", exp_total), ("年末财政拨款结转和结余", [end_total, *end])]
        lines_r += [("", [0, 0, 0, 0])] * 3
        grand = inc_total + start_total
    else:
        names = [
            "一般公共预算财政拨款收入",
            "政府性基金预算财政拨款收入",
            "国有资本经营预算财政拨款收入",
            "上级补助收入",
            "事业收入",
            "经营收入",
            "附属单位上缴收入",
            "其他收入",
        ]
        if style.kind == "预算":
            names = ["一般公共预算资金", "政府性基金", "国有资本经营预算", "财政专户管理资金", "单位资金"]
        spent = exp_total[0]
        start = _cents(rng, 30) if rng.random() < 0.6 else 0
        income_total = max(1, spent - start + int(rng.integers(-2000, 8000)))
        other = int(income_total * rng.uniform(0.0, 0.05)) if rng.random() < 0.4 else 0
        income = [income_total - other] + [0] * (len(names) - 2) + [other]
        inc_items = [(f"{cn_number(i + 1)}、{n}", income[i]) for i, n in enumerate(names)]
        end = income_total + start - spent
        if end < 0:
            income[0] -= end
            inc_items[0] = (inc_items[0][0], income[0])
            income_total -= end
            end = 0
        inc_total = income_total
        lines_l = [("本年收入合计", inc_total), ("使用非财政拨款结余（含专用结余）", 0), ("年初结转和结余", start)]
        lines_r = [("本年支出合计", [spent]), ("结余分配", [0]), ("年末结转和结余", [end])]
        grand = inc_total + start
    # Columns: 收入 项目 | 收入 amount | 支出 项目 | 支出 amount(s)
    right_paths = (
        [
            ("支出", amt, x)
            for x in ("合计", "一般公共预算财政拨款", "政府性基金预算财政拨款", "国有资本经营预算财政拨款")
        ]
        if fiscal
        else [("支出", amt)]
    )
    paths: list[tuple[str, ...]] = [("收入", "项目"), ("收入", amt), ("支出", "项目"), *right_paths]
    cells, n_head = header_cells(paths)
    r = n_head
    body = max(len(inc_items), len(exp_items))
    right_fields = ["/".join(p) for p in right_paths]
    for k in range(body):
        if k < len(inc_items):
            text, cents = inc_items[k]
            cells.append(CellSpec(r + k, 0, text, "NAME"))
            cells.append(CellSpec(r + k, 1, fmt(cents, style), "AMOUNT", field="收入/" + amt, align="r"))
        else:
            cells += [CellSpec(r + k, 0, "", "OTHER"), CellSpec(r + k, 1, "", "OTHER")]
        text, vals = exp_items[k] if k < len(exp_items) else ("", [])
        cells.append(CellSpec(r + k, 2, text, "NAME" if text else "OTHER"))
        for j in range(len(right_paths)):
            v = vals[j] if vals else 0
            cells.append(
                CellSpec(
                    r + k,
                    3 + j,
                    fmt(v, style) if text else "",
                    "AMOUNT" if text else "OTHER",
                    field=right_fields[j] if text else None,
                    align="r",
                )
            )
    r += body
    for k in range(max(len(lines_l), len(lines_r))):
        lt, lv = lines_l[k] if k < len(lines_l) else ("", 0)
        rt, rv = lines_r[k] if k < len(lines_r) else ("", [])
        llabel = "TOTAL_LABEL" if "合计" in lt else ("NAME" if lt else "OTHER")
        cells.append(
            CellSpec(
                r, 0, lt.strip(), llabel, align="c" if "合计" in lt else "l", indent=1 if lt.startswith(" ") else 0
            )
        )
        cells.append(
            CellSpec(
                r,
                1,
                fmt(lv, style) if lt else "",
                "AMOUNT" if lt else "OTHER",
                field=("收入/" + amt) if lt else None,
                align="r",
            )
        )
        rlabel = "TOTAL_LABEL" if "合计" in rt else ("NAME" if rt else "OTHER")
        cells.append(CellSpec(r, 2, rt, rlabel, align="c" if "合计" in rt else "l"))
        for j in range(len(right_paths)):
            v = rv[j] if rv else 0
            cells.append(
                CellSpec(
                    r,
                    3 + j,
                    fmt(v, style) if rt else "",
                    "AMOUNT" if rt else "OTHER",
                    field=right_fields[j] if rt else None,
                    align="r",
                )
            )
        r += 1
    right_grand = [grand] + ([exp_total[1] + end[0], exp_total[2] + end[1], exp_total[3] + end[2]] if fiscal else [])
    total_word = "总计" if style.kind == "决算" else str(rng.choice(["收入总计", "总计"]))
    cells.append(CellSpec(r, 0, total_word, "TOTAL_LABEL", align="c"))
    cells.append(CellSpec(r, 1, fmt(grand, style), "AMOUNT", field="收入/" + amt, align="r"))
    cells.append(CellSpec(r, 2, total_word.replace("收入", "支出"), "TOTAL_LABEL", align="c"))
    for j in range(len(right_paths)):
        cells.append(CellSpec(r, 3 + j, fmt(right_grand[j], style), "AMOUNT", field=right_fields[j], align="r"))
    if fiscal:
        ttype = "财政拨款收入支出决算总表" if style.kind == "决算" else "财政拨款收支预算总表"
    else:
        ttype = "收入支出决算总表" if style.kind == "决算" else "部门收支预算总表"
    weights = [3.4, 1.4, 3.4] + [1.4] * len(right_paths)
    return TableSpec(
        ttype, ttype, len(paths), weights, cells, n_head, ruled=style.ruled, org_line=_org_line(style, rng)
    )


def basic_expenditure_table(style: DocStyle, rng: np.random.Generator) -> TableSpec:
    """基本支出 by 经济分类 in column groups: 人员经费 (301, 303) | 公用经费 (302, 310), 合计 at the bottom."""
    econ = vocab.economic_tree()
    subj = {s.code: s for s in vocab.subjects()["economic"]}

    def block(classes: list[str]) -> tuple[list[tuple[str, str, int]], int]:
        out: list[tuple[str, str, int]] = []
        total = 0
        for cls in classes:
            kids = econ.get(cls, [])
            n = min(len(kids), int(rng.integers(2, 8)))
            picked = sorted(rng.choice(len(kids), size=n, replace=False)) if n else []
            vals = [(kids[int(i)], _cents(rng, 15) if rng.random() < 0.85 else 0) for i in picked]
            s = sum(v for _, v in vals)
            out.append((cls, subj[cls].name, s))
            out += [(k.code, k.name, v) for k, v in vals]
            total += s
        return out, total

    personnel, p_total = block(["301", "303"])
    public, q_total = block(["302", "310"] if rng.random() < 0.5 else ["302"])
    amt = style.amount_header
    if style.kind == "预算" and rng.random() < 0.6:  # single group: 科目编码 | 科目名称 | 合计 | 人员经费 | 公用经费
        rows = [_Row(c, n, 1 if len(c) == 3 else 2, [v, v, 0]) for c, n, v in personnel]
        rows += [_Row(c, n, 1 if len(c) == 3 else 2, [v, 0, v]) for c, n, v in public]
        rows = [_Row("", "合计", 0, [p_total + q_total, p_total, q_total]), *rows]
        plain = DocStyle(**{**{f: getattr(style, f) for f in style.__dataclass_fields__}, "code_style": "joined"})
        ttype = "一般公共预算基本支出经济分类预算表"
        return code_table(plain, rng, ttype, ttype, [("合计",), ("人员经费",), ("公用经费",)], rows)
    three = rng.random() < 0.5 and len(public) > 6
    groups: list[tuple[str, list[tuple[str, str, int]]]] = [("人员经费", personnel)]
    if three:
        half = (len(public) + 1) // 2
        groups += [("公用经费", public[:half]), ("公用经费", public[half:])]
    else:
        groups.append(("公用经费", public))
    split = style.code_style == "split"  # 经济分类科目编码 | 类 | 款 per group (部门决算模板, real 决算 tables)
    width = 4 if split else 3
    paths: list[tuple[str, ...]] = []
    for g, _ in groups:
        if split:
            paths += [(g, "经济分类科目编码", "类"), (g, "经济分类科目编码", "款")]
        else:
            paths.append((g, "科目编码"))
        paths += [(g, "科目名称"), (g, amt)]
    cells, n_head = header_cells(paths)
    n_body = max(len(items) for _, items in groups)
    r = n_head
    for gi, (g, items) in enumerate(groups):
        c = gi * width
        n_code = width - 2
        for k in range(n_body):
            if k < len(items):
                code, name, v = items[k]
                if split:
                    parts = [code[:3], code[3:5]]
                    cells += [CellSpec(r + k, c + j, part, "CODE" if part else "OTHER") for j, part in enumerate(parts)]
                else:
                    cells.append(CellSpec(r + k, c, code, "CODE"))
                cells.append(
                    CellSpec(r + k, c + n_code, name, "NAME", indent=1 if len(code) == 5 and style.indent_names else 0)
                )
                cells.append(CellSpec(r + k, c + n_code + 1, fmt(v, style), "AMOUNT", field=f"{g}/{amt}", align="r"))
            else:
                cells += [CellSpec(r + k, c + j, "", "OTHER") for j in range(width)]
    r += n_body
    # Totals row: 人员经费合计 under group 1, 公用经费合计 under the public groups (spanning them).
    cells.append(CellSpec(r, 0, "人员经费合计", "TOTAL_LABEL", col_span=width - 1, align="c"))
    cells.append(CellSpec(r, width - 1, fmt(p_total, style), "AMOUNT", field=f"人员经费/{amt}", align="r"))
    last = len(paths) - 1
    cells.append(CellSpec(r, width, "公用经费合计", "TOTAL_LABEL", col_span=last - width, align="c"))
    cells.append(CellSpec(r, last, fmt(q_total, style), "AMOUNT", field=f"公用经费/{amt}", align="r"))
    ttype = "一般公共预算财政拨款基本支出决算表" if style.kind == "决算" else "一般公共预算基本支出经济分类预算表"
    weights = ([0.6, 0.5, 2.4, 1.3] if split else [0.9, 2.6, 1.3]) * len(groups)
    return TableSpec(
        ttype, ttype, len(paths), weights, cells, n_head + 0, ruled=style.ruled, org_line=_org_line(style, rng)
    )


def performance_form(style: DocStyle, rng: np.random.Generator) -> TableSpec:
    """项目支出绩效自评表 (决算) or 项目绩效目标表 (预算): an 11-column form with merged label cells."""
    self_eval = style.kind == "决算"
    n_cols = 11
    cells: list[CellSpec] = []
    project = str(rng.choice(vocab.PROJECTS))
    if rng.random() < 0.5:
        project = f"{int(rng.integers(10**7, 10**8))}T{int(rng.integers(10**11, 10**12))}-{project}"
    parent = vocab.CITIES[int(rng.integers(len(vocab.CITIES)))] + vocab.BUREAUS[int(rng.integers(len(vocab.BUREAUS)))]
    r = 0
    cells += [
        CellSpec(r, 0, "项目名称", "HEADER", col_span=2, header=True, align="c"),
        CellSpec(r, 2, project, "NAME", col_span=9),
    ]
    r += 1
    cells += [
        CellSpec(r, 0, "主管部门", "HEADER", col_span=2, header=True, align="c"),
        CellSpec(r, 2, parent, "UNIT", col_span=5),
        CellSpec(r, 7, "实施单位" + ("（盖章）" if self_eval else ""), "HEADER", col_span=2, header=True, align="c"),
        CellSpec(r, 9, style.org, "UNIT", col_span=2),
    ]
    r += 1
    budget = _cents(rng, 50)
    adjusted = int(budget * rng.uniform(0.85, 1.05))
    spent = int(adjusted * rng.uniform(0.8, 1.0)) if rng.random() < 0.6 else adjusted
    rate = spent / adjusted * 100 if adjusted else 0
    if self_eval:
        cells += [
            CellSpec(r, 0, "预算执行情况（10分）", "HEADER", row_span=3, header=True, align="c"),
            CellSpec(r, 1, "年度预算数（万元）", "HEADER", header=True, align="c"),
        ]
        heads = [
            ("年初预算", 2, 1),
            ("调整后预算数", 3, 1),
            ("预算执行数", 4, 3),
            ("预算执行率", 7, 1),
            ("权重", 8, 1),
            ("得分", 9, 1),
            ("原因", 10, 1),
        ]
        for text, c, span in heads:
            cells.append(CellSpec(r, c, text, "HEADER", col_span=span, header=True, align="c"))
        r += 1
        weight = 10
        score = weight if rate > 99 else round(weight * rate / 100, 1)
        for label, name in (("TOTAL_LABEL", "总额"), ("NAME", "其中：财政资金")):
            first = name == "总额"
            cells += [
                CellSpec(r, 1, name, label),
                CellSpec(r, 2, fmt(budget, style), "AMOUNT", field="年初预算数", align="r"),
                CellSpec(r, 3, fmt(adjusted, style), "AMOUNT", field="全年预算数", align="r"),
                CellSpec(r, 4, fmt(spent, style), "AMOUNT", field="执行数", col_span=3, align="r"),
                CellSpec(r, 7, f"{rate:.2f}%", "RATE", field="执行率", align="r"),
                CellSpec(r, 8, str(weight) if first else "/", "WEIGHT" if first else "OTHER", align="c"),
                CellSpec(r, 9, _num(score) if first else "/", "SCORE" if first else "OTHER", align="c"),
                CellSpec(r, 10, "", "OTHER"),
            ]
            r += 1
    else:
        cells += [
            CellSpec(r, 0, "项目资金（万元）", "HEADER", col_span=2, header=True, align="c"),
            CellSpec(r, 2, "年度资金总额", "HEADER", col_span=2, header=True, align="c"),
            CellSpec(r, 4, fmt(budget, style), "AMOUNT", field="预算数", col_span=2, align="r"),
            CellSpec(r, 6, "其中：财政拨款", "HEADER", col_span=2, header=True, align="c"),
            CellSpec(r, 8, fmt(budget, style), "AMOUNT", field="财政拨款", col_span=3, align="r"),
        ]
        r += 1
    goal = "推动" + project.split("-")[-1] + "有序实施，保障各项工作按期完成，提升公共服务水平。"
    cells += [
        CellSpec(r, 0, "年度目标", "HEADER", col_span=2, header=True, align="c"),
        CellSpec(r, 2, goal, "TEXT", col_span=9 if not self_eval else 5),
    ]
    if self_eval:
        cells += [
            CellSpec(r, 7, "完成情况", "HEADER", header=True, align="c"),
            CellSpec(r, 8, str(rng.choice(["已完成", "全面完成", "基本完成"])), "TEXT", col_span=3),
        ]
    r += 1
    picked = sorted(rng.choice(len(vocab.INDICATORS), size=int(rng.integers(4, 9)), replace=False))
    inds = [vocab.INDICATORS[int(i)] for i in picked]
    inds.sort(key=lambda t: ("产出指标", "效益指标", "满意度指标").index(t[0]))
    weights = _split_weight(90 if self_eval else 100, len(inds), rng)
    head = ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位"]
    head += (
        ["完成值", "权重", "得分", "未完成原因分析"] if self_eval else ["权重", "指标方向性", "评（扣）分标准", "备注"]
    )
    label_col = "绩效指标（90分）" if self_eval else "绩效指标"
    cells.append(CellSpec(r, 0, label_col, "HEADER", row_span=len(inds) + 1, header=True, align="c"))
    for k, text in enumerate(head):
        cells.append(CellSpec(r, 1 + k, text, "HEADER", header=True, align="c"))
    r += 1
    total_score = 0.0
    merge = rng.random() < 0.7  # most forms merge repeated 一级/二级 cells; some leave them blank
    for level in (0, 1):  # 一级, 二级 indicator columns: one cell per run of equal values
        k = 0
        while k < len(inds):
            end = k + 1
            while end < len(inds) and inds[end][: level + 1] == inds[k][: level + 1]:
                end += 1
            if merge:
                cells.append(CellSpec(r + k, 1 + level, inds[k][level], "INDICATOR", row_span=end - k))
            else:
                cells.append(CellSpec(r + k, 1 + level, inds[k][level], "INDICATOR"))
                cells += [CellSpec(r + j, 1 + level, "", "OTHER") for j in range(k + 1, end)]
            k = end
    for (_, _, lvl3, op, target, unit), wgt in zip(inds, weights, strict=True):
        actual = _actual(op, target, rng)
        score = wgt if rng.random() < 0.85 else round(wgt * rng.uniform(0.6, 0.95), 1)
        total_score += score
        row = [(lvl3, "INDICATOR"), (op, "OPERATOR"), (target, "TARGET"), (unit, "MEASURE_UNIT")]
        if self_eval:
            row += [(actual, "ACTUAL"), (str(wgt), "WEIGHT"), (_num(score), "SCORE"), ("", "TEXT")]
        else:
            row += [
                (str(wgt), "WEIGHT"),
                (str(rng.choice(["正向", "反向", "正向"])), "OTHER"),
                ("", "TEXT"),
                ("", "TEXT"),
            ]
        for k, (text, label) in enumerate(row):
            cells.append(
                CellSpec(
                    r, 3 + k, text, label if text else "OTHER", align="c" if label not in ("INDICATOR", "TEXT") else "l"
                )
            )
        r += 1
    if self_eval:
        cells += [
            CellSpec(r, 0, "合计", "TOTAL_LABEL", col_span=8, align="c"),
            CellSpec(r, 8, "100", "WEIGHT", align="c"),
            CellSpec(r, 9, _num(round(total_score + 10, 1)), "SCORE", align="c"),
            CellSpec(r, 10, "", "OTHER"),
        ]
        r += 1
        for name, text in (("评价结论", "完成本年绩效目标。"), ("存在问题", "无"), ("改进措施", "无")):
            cells += [
                CellSpec(r, 0, name, "HEADER", col_span=2, header=True, align="c"),
                CellSpec(r, 2, text, "TEXT", col_span=9),
            ]
            r += 1
    ttype = "项目支出绩效自评表" if self_eval else "项目绩效目标表"
    title = f"部门预算项目支出绩效自评表（{style.year}年度）" if self_eval else f"{style.year}年项目绩效目标表"
    weights_cols = [1.3, 1.2, 1.3, 2.4, 0.9, 1.1, 1.0, 1.0, 0.8, 0.8, 1.6]
    people = vocab.PEOPLE
    note = None
    if self_eval:
        note = f"项目负责人：{rng.choice(people)}        财务负责人：{rng.choice(people)}"
    spec = TableSpec(
        ttype, title, n_cols, weights_cols, cells, 0, ruled=True, note=note, unit_line=None, paginate=False
    )
    return spec


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def _split_weight(total: int, n: int, rng: np.random.Generator) -> list[int]:
    base = [total // n] * n
    for i in range(total - sum(base)):
        base[i % n] += 1
    return base


def _actual(op: str, target: str, rng: np.random.Generator) -> str:
    if op == "定性":
        return str(rng.choice(["优", "良", "达成", "有所提升"]))
    try:
        t = float(target)
    except ValueError:
        return target
    if op == "≥":
        v = t + float(rng.integers(0, 3))
    elif op == "≤":
        v = max(0.0, t - float(rng.integers(0, 3)))
    else:
        v = t
    if t <= 100 and v > 100 and op == "≥":
        v = 100.0
    return _num(v)


TABLE_BUILDERS: dict[str, Callable[[DocStyle, np.random.Generator], TableSpec]] = {
    "summary": summary_table,
    "revenue": revenue_table,
    "expenditure": expenditure_table,
    "fiscal_summary": lambda s, r: summary_table(s, r, fiscal=True),
    "gpb_expenditure": gpb_expenditure_table,
    "basic_expenditure": basic_expenditure_table,
    "project_expenditure": project_expenditure_table,
    "gov_fund": fund_table,
    "soe_capital": lambda s, r: fund_table(s, r, soe=True),
    "sangong": sangong_table,
    "performance": performance_form,
}
