"""Every standard narrative figure against its table, and the text rules an inspector applies beside them.

The figures (收入支出总计, 基本支出, 三公 items, 机关运行经费 …) and the cells they must equal are declared in
``configs/validation/figures.yaml``. Rules:

- ``narrative_figure``     a stated figure equals none of its candidate cells (error; warning when a candidate cell
                           is OCR-uncertain or was repaired — the message says which)
- ``narrative_rounding``   it differs from the nearest candidate by at most 0.01万元 beyond print precision (info)
- ``unit_slip``            it equals a candidate × 10000 or ÷ 10000: 元 written as 万元 or the reverse (error)
- ``narrative_class``      “一般公共服务支出（类）A万元” against the 一般公共预算支出表 row of that 类
- ``narrative_direction``  决算数大于/小于/等于预算数 (or 持平/增加/减少 with both numbers) against the numbers
- ``change_reason``        a stated change (增加/减少 …) without a reason (主要原因/主要是/用于 …) (warning)
- ``repeated_word``        “。。”, “的的”, a 2–4 character word written twice (warning)
- ``blank_required``       a cell the template requires (三公 items and totals, 合计 rows) empty while its
                           neighbours are filled (warning)
- ``sangong_zero_total``   the 三公 total is 0 while an item is not (error)
- ``cross_fiscal_gbe``     财政拨款收支总表 一般公共预算 支出 against the 一般公共预算支出表 合计 (error)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Cell, Table, Violation
from juesuan.lexicon import HAN_CLASS
from juesuan.options import CONFIG_DIR
from juesuan.validation.context import Context, cell_doubt, table_unit_scale
from juesuan.validation.narrative import Sentence
from juesuan.validation.schema import normalize_text

FIGURES_PATH = CONFIG_DIR / "validation" / "figures.yaml"
_NUM = r"(\d[\d,]*(?:\.\d+)?)"
_ORDINAL = re.compile(r"^[一二三四五六七八九十]+[、.．]|^[（(][一二三四五六七八九十]+[)）]|^\d+[.、．]")


class Figure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    zh: str
    phrase: str
    tables: list[str]
    row: str | None = None
    col: str | None = None
    severity: str = "error"  # "warning" where the words do not pin one scope (基本支出 of which table?)


class FiguresConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gap: int = 8
    figures: list[Figure]


@functools.lru_cache(maxsize=4)
def load_figures(path: Path = FIGURES_PATH) -> FiguresConfig:
    return FiguresConfig.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Candidate:
    value: Decimal  # in 万元
    table: Table
    row: int  # Row.index
    col: int
    cell: Cell


def _is_code(cell: Cell) -> bool:
    """A 科目编码 cell: 3, 5 or 7 digits in one of the first columns (237 in a 三公 column is an amount)."""
    return (
        bool(re.fullmatch(r"\d{3}|\d{5}|\d{7}", normalize_text(cell.text or "")))
        and cell.col <= 2
        and ("." not in (cell.text or ""))
    )


def _row_label(table: Table, row_pos: int) -> str:
    row = table.rows[row_pos]
    label = row.name or ""
    if not label:
        texts = [c.text for c in row.cells if c.text and parse_amount(c.text) is None]
        label = texts[0] if texts else ""
    return _ORDINAL.sub("", normalize_text(label))


def candidates(tables: Sequence[Table], fig: Figure) -> list[Candidate]:
    out: list[Candidate] = []
    col_re = re.compile(fig.col) if fig.col else None
    row_re = re.compile(fig.row) if fig.row else None
    for t in tables:
        if t.type not in fig.tables and not ("*" in fig.tables and t.type and not t.type.startswith("perf.")):
            continue
        scale = Decimal(table_unit_scale(t))
        sangong = (t.type or "").endswith(".sangong")
        headers = {c.index: normalize_text(c.header) for c in t.columns}
        cols = {i for i, h in headers.items() if col_re is None or col_re.search(h)}
        for pos, row in enumerate(t.rows):
            if row_re is not None:
                label = _row_label(t, pos)
                # stacked dual layouts name the row in a cell: match any text cell of the row
                labels = {label} | {
                    _ORDINAL.sub("", normalize_text(c.text or ""))
                    for c in row.cells
                    if parse_amount(c.text or "") is None
                }
                if not any(row_re.fullmatch(lb) for lb in labels if lb):
                    continue
            row_has_amount = any(parse_amount(c.text or "") is not None for c in row.cells if not _is_code(c))
            for col in sorted(cols):
                cell = row.cell(col)
                if cell is None:
                    if sangong and row_has_amount:  # 三公 tables leave a zero item blank
                        out.append(Candidate(Decimal(0), t, row.index, col, Cell(col=col, text="", page=_page(t))))
                    continue
                if _is_code(cell):
                    continue
                v = parse_amount(cell.text or "")
                if v is None and sangong and row_has_amount and not normalize_text(cell.text or ""):
                    v = Decimal(0)
                if v is None or "%" in (cell.text or "") or re.fullmatch(r"[1-9]\d?", normalize_text(cell.text or "")):
                    continue  # 1, 2, 3 …: a 栏次/序号 the extractor put in an amount column
                out.append(Candidate(v / scale, t, row.index, cell.col, cell))
    return out


def _page(t: Table) -> int:
    return t.pages[0] if t.pages else 0


def _places(s: str) -> int:
    return len(s.split(".", 1)[1]) if "." in s else 0


def _tolerance(text_value: str) -> Decimal:
    """Half a unit of the text's last printed digit: 208.80 stands for 208.795 … 208.805 (2087959 元 fits)."""
    return Decimal("0.5") * Decimal(10) ** (-_places(text_value)) + Decimal("0.000001")


def _cell_violation(
    rule: str, s: Sentence, c: Candidate | None, v: Decimal, zh: str, en: str, severity: str, **extra: object
) -> Violation:
    kw: dict[str, object] = {}
    if c is not None:
        kw = {
            "table": c.table.id,
            "rows": [c.row],
            "cols": [c.col],
            "target": {"row": c.row, "col": c.col},
            "expected": float(c.value),
            "difference": float(v - c.value),
        }
    return Violation(
        rule=rule,
        severity=severity,
        found=float(v),
        message_zh=zh,
        message_en=en,
        page=s.page,
        text=s.text[:160],
        **kw,
        **extra,  # type: ignore[arg-type]
    )


def _judge(
    s: Sentence, name: str, raw: str, cands: list[Candidate], ctx: Context, rule: str = "narrative_figure"
) -> Violation | None:
    v = parse_amount(raw)
    if v is None or not cands:
        return None
    tol = _tolerance(raw)
    best = min(cands, key=lambda c: abs(c.value - v))
    diff = abs(best.value - v)
    if diff <= tol:
        return None
    if diff <= tol + Decimal("0.01"):
        return _cell_violation(
            "narrative_rounding",
            s,
            best,
            v,
            f"说明中{name} {v} 万元，表中为 {best.value.quantize(Decimal('0.01'))} 万元，在0.01万元舍入误差内",
            f"text gives {name} {v}; the table {best.value:.2f} (within 0.01 rounding)",
            "info",
        )
    for c in cands:
        if c.value and (abs(v - c.value * 10000) <= tol * 10000 or abs(v - c.value / 10000) <= tol):
            return _cell_violation(
                "unit_slip",
                s,
                c,
                v,
                f"说明中{name} {v} 万元，表中为 {c.value.quantize(Decimal('0.01'))} 万元："
                "相差一万倍（万元与元/亿元混用）",
                f"text gives {name} {v} (10k yuan); the table has {c.value:.2f}: off by 10000× (a unit slip)",
                "error",
            )
    doubts = [(c, cell_doubt(c.cell, ctx.uncertain_confidence)) for c in cands]
    doubtful = [(c, d) for c, d in doubts if d]
    tv = best.value.quantize(Decimal("0.01"))
    if doubtful:
        c, d = doubtful[0]
        return _cell_violation(
            rule,
            s,
            c,
            v,
            f"说明中{name} {v} 万元，表中为 {tv} 万元；表格单元格不确定（{d}），请核对原件",
            f"text gives {name} {v}; the table {tv}, but the cell is uncertain ({d}): check the scan",
            "warning",
        )
    return _cell_violation(
        rule,
        s,
        best,
        v,
        f"说明中{name}为 {v} 万元，表中为 {tv} 万元",
        f"text gives {name} {v} (10k yuan); the table has {tv}",
        "error",
    )


def figure_matches(text: str, fig: Figure, gap: int, kind: str | None) -> list[tuple[re.Match[str], str]]:
    """Amounts the text states for ``fig``: (match, unit); group ``num`` is the amount, ``phrase`` the words."""
    pattern = _pattern(fig.phrase, gap)
    out = []
    for m in pattern.finditer(text):
        between = m.group("gap")
        if _NOT_SAME_MEASURE.search(between):
            continue  # 比上年增加D万元 / 年初预算为B万元: another number than the figure itself
        if kind == "决算" and "预算" in between and "sangong" not in fig.id:
            continue
        out.append((m, m.group("unit")))
    return out


@functools.lru_cache(maxsize=256)
def _pattern(phrase: str, gap: int) -> re.Pattern[str]:
    return re.compile(
        rf"(?P<phrase>{phrase})(?P<gap>[^，。；;\d%]{{0,{gap}}}?)(?P<num>\d[\d,]*(?:\.\d+)?)(?P<unit>万?元)"
    )


def _equals_row_total(v: Violation, cands: Sequence[Candidate]) -> bool:
    """The 三公 item cell the text disagrees with holds its row's largest amount, with other items non-zero: the
    extractor likely put the 合计 under the item's header."""
    target = v.model_dump(mode="json").get("target") or {}
    for c in cands:
        if (c.row, c.col) != (target.get("row"), target.get("col")) or not (c.table.type or "").endswith(".sangong"):
            continue
        row = next(r for r in c.table.rows if r.index == c.row)
        amounts = [a for a in (parse_amount(x.text or "") for x in row.cells if x.col != c.col) if a]
        return bool(amounts) and c.value * Decimal(table_unit_scale(c.table)) >= max(amounts)
    return False


def _check_figures(sents: Sequence[Sentence], tables: Sequence[Table], ctx: Context) -> tuple[list[Violation], int]:
    cfg = load_figures()
    out: list[Violation] = []
    checks = 0
    cache: dict[str, list[Candidate]] = {}
    for s in sents:
        claimed: list[tuple[int, int]] = []
        for fig in cfg.figures:
            for m, unit in figure_matches(s.text, fig, cfg.gap, ctx.kind):
                span = (m.start("num"), m.end("num"))
                if any(a <= span[0] < b for a, b in claimed):
                    continue  # a longer phrase (财政拨款收入支出总计) already took this amount
                claimed.append(span)
                if fig.id not in cache:
                    cache[fig.id] = candidates(tables, fig)
                raw = m.group("num")
                if unit == "元":
                    v = parse_amount(raw)
                    if v is None:
                        continue
                    raw = str(v / 10000)
                checks += 1 if cache[fig.id] else 0
                bad = _judge(s, fig.zh, raw, cache[fig.id], ctx)
                if bad is not None:
                    update: dict[str, object] = {"figure": fig.id}
                    if bad.severity == "error" and fig.severity == "warning":
                        update |= {"severity": "warning", "message_zh": bad.message_zh + "（口径不唯一，请核对）"}
                    elif (
                        bad.severity == "error" and fig.id != "sangong_total" and _equals_row_total(bad, cache[fig.id])
                    ):
                        update |= {
                            "severity": "warning",
                            "message_zh": bad.message_zh + "（该单元格等于本行合计，表头对齐可疑）",
                        }
                    out.append(bad.model_copy(update=update))
    return out, checks


_NOT_SAME_MEASURE = re.compile(r"增|减|降|长|比|较|年初|上年|执行|变动|完成|相比|其中|占")

_CLASS = re.compile(rf"([{HAN_CLASS}]{{2,20}}?支出)[（(]类[)）][^，。；\d（(]{{0,10}}?" + _NUM + r"万元")


def _check_classes(sents: Sequence[Sentence], tables: Sequence[Table], ctx: Context) -> tuple[list[Violation], int]:
    """一般公共服务支出（类）A万元 (the 一般公共预算 structure) against that 类's row in the 支出 tables."""
    out: list[Violation] = []
    checks = 0
    gbe = [t for t in tables if t.type in ("final.general_budget_expenditure", "budget.general_budget_expenditure")]
    if not gbe:
        return out, checks
    for s in sents:
        if "（款）" in s.text or "(款)" in s.text:
            continue  # 类（款）项 of one line item: narrative.py checks those by code
        for m in _CLASS.finditer(s.text):
            name = re.sub(r"^.*?[、:：]", "", m.group(1))
            cands: list[Candidate] = []
            for t in gbe:
                scale = Decimal(table_unit_scale(t))
                amount_cols = [
                    c.index for c in t.columns if re.search(r"合计$|^一般公共预算支出$", normalize_text(c.header))
                ]
                for pos, row in enumerate(t.rows):
                    if row.code and len(row.code) != 3:
                        continue
                    if normalize_text(_row_label(t, pos)) != normalize_text(name):
                        continue
                    for cell in row.cells:
                        if amount_cols and cell.col not in amount_cols[:1]:
                            continue
                        v = parse_amount(cell.text or "")
                        if v is not None and not _is_code(cell):
                            cands.append(Candidate(v / scale, t, row.index, cell.col, cell))
                            break
            if not cands:
                continue
            checks += 1
            bad = _judge(s, m.group(1) + "（类）", m.group(2), cands, ctx, rule="narrative_class")
            if bad is not None:
                out.append(bad)
    return out, checks


_COMPARE_WORD = re.compile(
    r"决算数?(大于|小于|等于|高于|低于|超过|少于|持平)(?:年初)?预算数?|(?:与|和)(?:年初)?预算数?(持平|相等|一致)"
)
_EXECUTED = re.compile(r"完成(?:年初)?预算(?:数)?的" + r"(\d+(?:\.\d+)?)%")
_BUDGET_AMT = re.compile(r"(?:年初)?预算(?:数)?(?:为|是)?" + _NUM + "万元")
_FINAL_AMT = re.compile(r"决算(?:数)?(?:为|是)?" + _NUM + "万元")
_WORD_SIGN = {
    "大于": 1,
    "高于": 1,
    "超过": 1,
    "小于": -1,
    "低于": -1,
    "少于": -1,
    "等于": 0,
    "持平": 0,
    "相等": 0,
    "一致": 0,
}


_PAIR = re.compile(
    r"(增加|减少|增长|下降|上升|降低)了?(\d[\d,]*(?:\.\d+)?)万元[，,、]?(增加|减少|增长|下降|上升|降低)了?\d+(?:\.\d+)?%"
)
_UP = {"增加", "增长", "上升"}


def _check_direction(sents: Sequence[Sentence]) -> tuple[list[Violation], int]:
    """决算数小于预算数 against the 完成预算的z% or the two amounts; 增加D万元，下降z% against itself."""
    out: list[Violation] = []
    checks = 0
    for s in sents:
        t = s.text
        for m in _PAIR.finditer(t):
            checks += 1
            if parse_amount(m.group(2)) and (m.group(1) in _UP) != (m.group(3) in _UP):
                out.append(
                    Violation(
                        rule="narrative_direction",
                        severity="error",
                        page=s.page,
                        text=t[:160],
                        message_zh=f"“{m.group(0)}”：金额与百分比的增减方向相反",
                        message_en=f"“{m.group(0)}”: the amount and the percentage change point opposite ways",
                    )
                )
        for m in _COMPARE_WORD.finditer(t):
            word = m.group(1) or m.group(2)
            stated = _WORD_SIGN[word]
            window = t[: m.start()]
            ex = list(_EXECUTED.finditer(window))
            actual: int | None = None
            detail = ""
            if ex:
                pct = Decimal(ex[-1].group(1))
                actual = (pct > 100) - (pct < 100)
                detail = f"完成预算的{pct}%"
            else:
                b, f = list(_BUDGET_AMT.finditer(window)), list(_FINAL_AMT.finditer(window))
                if b and f:
                    bv, fv = parse_amount(b[-1].group(1)), parse_amount(f[-1].group(1))
                    if bv is not None and fv is not None:
                        actual = (fv > bv) - (fv < bv)
                        detail = f"决算{fv}万元、预算{bv}万元"
            if actual is None:
                continue
            checks += 1
            if actual != stated:
                right = {1: "大于", -1: "小于", 0: "等于"}[actual]
                out.append(
                    Violation(
                        rule="narrative_direction",
                        severity="error",
                        page=s.page,
                        text=t[:160],
                        message_zh=f"“{m.group(0)}”与数字不符：{detail}，应为决算数{right}预算数",
                        message_en=f"“{m.group(0)}” contradicts {detail}",
                    )
                )
    return out, checks


_CHANGE_STATED = re.compile(r"(?:比|较|与)[^，。；]{0,30}?(?:增加|减少|增长|下降|上升|降低)(?:了)?\d[\d,.]*(?:万元|%)")
_REASON = re.compile(
    r"原因|主要是|主要用于|用于|由于|因为|因|系|是为了|为保障|根据|按照|调整|变化|变动|新增|减少了|增加了"
)


def _check_reasons(sents: Sequence[Sentence]) -> tuple[list[Violation], int]:
    out: list[Violation] = []
    checks = 0
    for i, s in enumerate(sents):
        if not _CHANGE_STATED.search(s.text):
            continue
        checks += 1
        tail = s.text[_CHANGE_STATED.search(s.text).end() :]  # type: ignore[union-attr]
        nxt = "".join(x.text for x in sents[i + 1 : i + 4])
        if _REASON.search(tail) or "原因" in nxt:
            continue
        out.append(
            Violation(
                rule="change_reason",
                severity="warning",
                page=s.page,
                text=s.text[:160],
                message_zh=f"“{s.text[:40]}…”说明了增减变化，但没有说明原因",
                message_en="a stated change without a reason sentence",
            )
        )
    return out, checks


_REPEAT_PUNCT = re.compile(r"(。。|，，|、、|；；|：：)")
_REPEAT_WORD = re.compile(rf"([{HAN_CLASS}]{{2,4}})\1|([的了和在是及与对为等])\2")
_REPEAT_OK = {"XX", "XXX", "常常", "人人", "年年", "天天", "层层", "处处", "时时", "事事", "家家户户", "个个"}


def _check_repeats(blocks: Sequence[dict[str, object]]) -> tuple[list[Violation], int]:
    """Within one text block: blocks are joined into sentences without a separator (部门预算|预算主管部门)."""
    out: list[Violation] = []
    checks = 0
    for b in blocks:
        s = Sentence(normalize_text(str(b.get("text", ""))), int(b.get("page", 0) or 0))  # type: ignore[call-overload]
        checks += 1
        for m in list(_REPEAT_PUNCT.finditer(s.text)) + list(_REPEAT_WORD.finditer(s.text)):
            if m.group(0) in _REPEAT_OK:
                continue
            out.append(
                Violation(
                    rule="repeated_word",
                    severity="warning",
                    page=s.page,
                    text=s.text[max(0, m.start() - 20) : m.end() + 20],
                    message_zh=f"重复字词“{m.group(0)}”",
                    message_en=f"repeated “{m.group(0)}”",
                )
            )
    return out, checks


_SANGONG_ITEM = re.compile(r"因公出国|公务接待|公务用车|购置|运行|会议费|培训费")
_SANGONG_TOTAL = re.compile(r"合计$|“三公”经费(预算数|决算数)?$")


_NOT_AMOUNT_HEADER = re.compile(r"编码|代码|科目|行次|栏次|类$|款$|项$|名称|项目$")
_MEASURE = re.compile(r"预算数|决算数|预算|决算")


def _sibling_filled(headers: dict[int, str], k: int, values: dict[int, Decimal | None]) -> bool:
    """The same item's other measure (预算数 ↔ 决算数) is printed."""
    item = _MEASURE.sub("", headers[k])
    return any(
        j != k and values.get(j) is not None and _MEASURE.sub("", h) == item and _MEASURE.search(h)
        for j, h in headers.items()
    )


def _group_short(headers: dict[int, str], k: int, values: dict[int, Decimal | None]) -> bool:
    """The 合计 of this cell's measure group exceeds the sum of its printed items: something is missing."""
    if _subgroup_short(headers, k, values):
        return True
    head = headers[k].split("/", 1)[0]
    if "/" in headers[k] and re.search(r"20\d{2}年|预算数|决算数", head):  # 2025年预算数/…, 2026年预算数/…
        group = headers[k].split("/", 1)[0]
        pool = [j for j, h in headers.items() if h.split("/", 1)[0] == group]
    else:
        measure = _MEASURE.search(headers[k])
        same = [j for j, h in headers.items() if (_MEASURE.search(h) or None) and measure and measure.group(0) in h]
        pool = same if measure else list(headers)
    totals = [j for j in pool if _SANGONG_TOTAL.search(headers[j]) and values.get(j)]
    if not totals:
        return False
    top = [j for j in pool if _top_item(headers[j])]
    total = values[totals[0]] or Decimal(0)
    got = sum((values.get(j) or Decimal(0)) for j in top)
    return total - got > Decimal("0.011")


def _top_item(header: str) -> bool:
    """A 三公 item the 合计 adds: 因公出国, 公务接待, 公务用车 (its 小计, or the item itself when it has no parts); not
    the 购置费/运行费 parts under 公务用车, nor the “三公”经费/小计 total."""
    if not _SANGONG_ITEM.search(header) or "机关运行" in header:
        return False
    parent, _, last = header.rpartition("/")
    owner = parent.rsplit("/", 1)[-1]
    if last == "小计":
        return "公务用车" in owner
    return "公务用车" not in owner


def _subgroup_short(headers: dict[int, str], k: int, values: dict[int, Decimal | None]) -> bool:
    """公务用车购置及运行费/小计 exceeds its printed 购置费 + 运行费: the blank part is missing."""
    if "/" not in headers[k] or headers[k].endswith("/小计"):
        return False
    parent = headers[k].rsplit("/", 1)[0]
    sub = [j for j, h in headers.items() if h == parent + "/小计" and values.get(j)]
    if not sub:
        return False
    parts = [j for j, h in headers.items() if h.startswith(parent + "/") and j not in sub]
    return (values[sub[0]] or Decimal(0)) - sum((values.get(j) or Decimal(0)) for j in parts) > Decimal("0.011")


def _check_blanks(tables: Sequence[Table], ctx: Context) -> tuple[list[Violation], int]:
    out: list[Violation] = []
    checks = 0
    # a document that prints 0.00 in its tables does not leave zero amounts blank: a blank 三公 item is a gap
    doc_zero = any(
        parse_amount(c.text or "") == 0 and re.fullmatch(r"0(\.0+)?", normalize_text(c.text or ""))
        for t in tables
        if t.type and not t.type.startswith("perf.")
        for r in t.rows
        for c in r.cells
    )
    for t in tables:
        if not t.type or t.type.startswith("perf."):
            continue
        headers = {c.index: normalize_text(c.header) for c in t.columns}
        sangong = t.type.endswith(".sangong")
        for pos, row in enumerate(t.rows):
            label = _row_label(t, pos)
            is_total = bool(re.fullmatch(r"合计|总计", label)) or row.kind == "total"
            if sangong:
                amount_cols = [k for k, h in headers.items() if _SANGONG_ITEM.search(h) or _SANGONG_TOTAL.search(h)]
            elif is_total:
                amount_cols = [
                    k
                    for k, h in headers.items()
                    if not _NOT_AMOUNT_HEADER.search(h)
                    and any(
                        parse_amount(r.cell(k).text or "") and not _is_code(r.cell(k))  # type: ignore[union-attr]
                        for r in t.rows
                        if r is not row and r.cell(k) is not None
                    )
                ]
            else:
                continue
            # parsed only for the rows judged here (三公 rows and totals), not every row of every table
            cells = {c.col: c for c in row.cells}
            values = {k: parse_amount(c.text or "") for k, c in cells.items() if not _is_code(c)}
            filled = [k for k, v in values.items() if v is not None]
            if len(filled) < 2:
                continue
            prints_zero = doc_zero or any(values.get(k) == 0 for k in amount_cols)
            for k in amount_cols:
                if k in filled:
                    continue
                cell = cells.get(k)
                if cell is not None and normalize_text(cell.text or "") not in ("",):
                    continue  # a dash or a word: printed, not left blank
                if sangong and not (
                    prints_zero or _sibling_filled(headers, k, values) or _group_short(headers, k, values)
                ):
                    continue  # the table leaves zero items blank, and its totals add up without this cell
                checks += 1
                out.append(
                    Violation(
                        rule="blank_required",
                        table=t.id,
                        severity="warning",
                        rows=[row.index],
                        cols=[k],
                        target={"row": row.index, "col": k},
                        page=cell.page if cell is not None else (t.pages[0] if t.pages else None),
                        message_zh=f"“{t.title or t.id}”第{row.index + 1}行“{label}”×“{headers.get(k, k)}”为空，"
                        "而同行其他单元格有数",
                        message_en=f"{t.id} row {row.index + 1} ({label}) × {headers.get(k, k)} is blank while its "
                        "neighbours are filled",
                    )
                )
            if sangong:
                totals = [k for k in amount_cols if _SANGONG_TOTAL.search(headers[k]) and values.get(k) == 0]
                for k in totals:
                    group = headers[k].rsplit("/", 1)[0] if "/" in headers[k] else ""
                    items = [
                        j
                        for j in amount_cols
                        if j != k
                        and _SANGONG_ITEM.search(headers[j])
                        and headers[j].startswith(group)
                        and "机关运行" not in headers[j]
                        and values.get(j)
                    ]
                    checks += 1
                    if items:
                        cell = cells[k]
                        doubt = cell_doubt(cell, ctx.uncertain_confidence)
                        out.append(
                            Violation(
                                rule="sangong_zero_total",
                                table=t.id,
                                severity="warning" if doubt else "error",
                                rows=[row.index],
                                cols=[k, *items],
                                target={"row": row.index, "col": k},
                                page=cell.page,
                                message_zh=f"“三公”经费合计为0，但“{headers[items[0]]}”为{values[items[0]]}"
                                + (f"（{doubt}）" if doubt else ""),
                                message_en=f"三公 total is 0 while {headers[items[0]]} is {values[items[0]]}",
                            )
                        )
    return out, checks


def _gbe_total(tables: Sequence[Table]) -> Candidate | None:
    fig = Figure(
        id="gbe",
        zh="",
        phrase="",
        tables=["final.general_budget_expenditure", "budget.general_budget_expenditure"],
        row="合计|总计",
        col="合计$|^一般公共预算支出$",
    )
    c = candidates(tables, fig)
    return c[0] if c else None


def _check_fiscal_gbe(tables: Sequence[Table], ctx: Context) -> tuple[list[Violation], int]:
    """财政拨款收支总表's 一般公共预算 expenditure = the 一般公共预算支出表 合计 (财政拨款口径)."""
    gbe = _gbe_total(tables)
    if gbe is None:
        return [], 0
    fig = Figure(
        id="fiscal_gbe",
        zh="",
        phrase="",
        tables=["final.fiscal_summary", "budget.fiscal_summary"],
        row=r"一般公共预算(财政拨款)?(支出)?|本年支出合计|支出合计",
        col=None,
    )
    cands = [c for c in candidates(tables, fig) if c.value]
    if not cands:
        return [], 0
    tol = Decimal("0.011")
    if any(abs(c.value - gbe.value) <= tol for c in cands):
        return [], 1
    gbe_cells = [c for c in cands if re.search("一般公共预算", normalize_text(_row_label(c.table, _pos(c))))]
    if not gbe_cells:
        return [], 0
    c = min(gbe_cells, key=lambda c: abs(c.value - gbe.value))
    doubt = cell_doubt(c.cell, ctx.uncertain_confidence) or cell_doubt(gbe.cell, ctx.uncertain_confidence)
    return [
        Violation(
            rule="cross_fiscal_gbe",
            table=gbe.table.id,
            severity="warning" if doubt else "error",
            rows=[gbe.row],
            cols=[gbe.col],
            target={"row": gbe.row, "col": gbe.col},
            page=gbe.cell.page,
            expected=float(c.value),
            found=float(gbe.value),
            difference=float(gbe.value - c.value),
            tables=[c.table.id, gbe.table.id],
            other={"table": c.table.id, "row": c.row, "col": c.col},
            message_zh=f"一般公共预算支出表合计 {gbe.value} 万元，财政拨款收支总表一般公共预算 {c.value} 万元"
            + (f"（{doubt}）" if doubt else ""),
            message_en=f"general budget table total {gbe.value} vs fiscal summary {c.value}",
        )
    ], 1


def _pos(c: Candidate) -> int:
    return next(i for i, r in enumerate(c.table.rows) if r.index == c.row)


def check(tables: Sequence[Table], ctx: Context) -> tuple[list[Violation], int]:
    out: list[Violation] = []
    checks = 0
    sents = ctx.sentences
    for found, n in (
        _check_figures(sents, tables, ctx),
        _check_classes(sents, tables, ctx),
        _check_direction(sents),
        _check_reasons(sents),
        _check_repeats(ctx.blocks),
        _check_blanks(tables, ctx),
        _check_fiscal_gbe(tables, ctx),
    ):
        out += found
        checks += n
    return out, checks
