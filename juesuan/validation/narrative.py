"""Narrative checks (情况说明): recompute the changes, shares and amounts the text states.

Real inspectors find exactly these (../shared/data/real/*人工检查表.xlsx): "2025年当年预算执行数为43269.3万元，2026年
预算安排3845.49万元，比2025年预算执行数增加17.62%" cannot be an increase; "住房公积金（01项）208.8万元 … 2026年预算
安排201.50万元" disagrees with itself and with the table. Checks, sentence by sentence:

- ``narrative_change``   比 … 增加/减少 z%  against (current − base) / base
- ``narrative_difference`` 增加/减少 D万元 against current − base
- ``narrative_share``    T …其中：X A万元，占 z%  against A / T
- ``narrative_table``    （204类）…（06款）…（04项）A万元 / 预算安排 B万元 against that code's row in the tables
- ``narrative_code_name`` the name written before （210类） against the catalogue name of 210

Percentages are compared to one unit of their last printed digit (bureaus round and truncate); amounts to 0.01.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Table, Violation
from juesuan.options import ValidationOptions
from juesuan.validation.codes import load_catalogue
from juesuan.validation.schema import normalize_text

_AMOUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)万元")
_CHANGE = re.compile(r"(增加|增长|上升|提高|减少|下降|降低)了?(\d+(?:\.\d+)?)%")
_DIFF = re.compile(r"(增加|增长|减少|下降)了?(\d[\d,]*(?:\.\d+)?)万元")
_SHARE = re.compile(r"(\d[\d,]*(?:\.\d+)?)万元[，,、]?占(?:比)?(?:[^，。；%\d]{0,12}的?)?(\d+(?:\.\d+)?)%")
_ITEM = re.compile(
    r"([\u4e00-\u9fff、（）]{2,30}?)[（(](\d{3})类[)）](?:[\u4e00-\u9fff、（）]*?[（(](\d{2})款[)）])?"
    r"(?:[\u4e00-\u9fff、（）]*?[（(](\d{2})项[)）])?"
)
_UP = {"增加", "增长", "上升", "提高"}
_HEADING = re.compile(r"(?<=[；;%。])(?=[一二三四五六七八九十]{1,3}、|（[一二三四五六七八九十]{1,3}）)")
_TOTAL_MARK = re.compile(r"其中|主要用于以下方面")


_PAGE_NUMBER = re.compile(r"[-—－–]?\s*\d{1,3}\s*[-—－–]?|第\d{1,3}页(共\d{1,3}页)?")


# OCR reads a thousands comma inside a figure as the full-width ，(“合计24，169.74万元” on scan and fax runs; no text
# layer of the 39 documents prints one): a digit, ，, three digits and no fourth is one number. A 1-bit copy also
# reads it as ; (“减少14;816.38万元”: 7 times in the fax runs of runs/checks-s5, every one a thousands comma, none in
# the text layers) before three digits and the figure's point or 万.
_OCR_THOUSANDS = re.compile(r"(?<=\d)，(?=\d{3}(?!\d))|(?<=\d)[;；](?=\d{3}(?:\.\d|万|,\d{3}))")
# …and as a point: a figure with two points (“91.842.80万元”, 24 times in those fax runs, never in a text layer) has
# one decimal point, the last; the points before it stand between groups of three digits
_TWO_POINTS = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,]\d{3})*\.\d{3}\.\d+(?![\d.])")


def _ocr_separators(text: str) -> str:
    """Thousands separators OCR misread (above) as commas: one figure, not two or a figure cut short."""
    text = _OCR_THOUSANDS.sub(",", text)
    return _TWO_POINTS.sub(lambda m: m.group().replace(".", ",", m.group().count(".") - 1), text)


@dataclass(frozen=True)
class Sentence:
    text: str
    page: int


def sentences(blocks: Sequence[dict[str, Any]]) -> list[Sentence]:
    """Text blocks in order, joined (lines of a paragraph break anywhere) and cut at 。 and line-ending ；."""
    out: list[Sentence] = []
    buf = ""
    page = 0
    for block in blocks:
        text = _ocr_separators(normalize_text(str(block.get("text", ""))))
        if not text or _PAGE_NUMBER.fullmatch(text):
            continue  # a page number between two halves of a sentence (222.5 | 27 | 万元) is not part of it
        if len(text) <= 40 and not re.search(r"[。，,；]", text):
            # a heading, a table title, 编制部门：…: a sentence of its own, so what follows keeps its own page
            if buf:
                out.append(Sentence(buf, page))
                buf = ""
            out.append(Sentence(text, int(block.get("page", 0) or 0)))
            continue
        if not buf:
            page = int(block.get("page", 0) or 0)
        buf += text
        while "。" in buf:
            head, buf = buf.split("。", 1)
            if head:
                out.append(Sentence(head, page))
            page = int(block.get("page", 0) or 0)
    if buf:
        out.append(Sentence(buf, page))
    split: list[Sentence] = []
    for sent in out:  # headings run into the text before them when no 。 ends a section: 占0.21%；三、支出决算…
        for part in _HEADING.split(sent.text):
            for item in _split_items(part):
                split.append(Sentence(item, sent.page))
    return split


_ITEM_NUMBER = re.compile(r"(?<![\d.,])\d{1,2}[、．.](?=\D)")


def _split_items(text: str) -> list[str]:
    """Cut before each numbered 类款项 item (“8、社会保障和就业支出（208类）…”) that runs into the text before it:
    OCR of a faint copy drops the 。 that ends the item before, and that item's amounts would go to this code."""
    cuts = [m.start() for m in _ITEM_NUMBER.finditer(text) if m.start() > 0 and _ITEM.match(text, m.end())]
    parts = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    return [p for p in parts if p]


def _amt(s: str) -> Decimal | None:
    return parse_amount(s)


def _places(s: str) -> int:
    return len(s.split(".", 1)[1]) if "." in s else 0


def _violation(
    rule: str,
    s: Sentence,
    expected: Decimal,
    found: Decimal,
    zh: str,
    en: str,
    severity: str = "error",
    table: str | None = None,
) -> Violation:
    return Violation(
        rule=rule,
        table=table,
        expected=float(expected),
        found=float(found),
        difference=float(found - expected),
        severity=severity,
        message_zh=zh,
        message_en=en,
        page=s.page,
        text=s.text[:160],
    )


def _check_changes(sents: list[Sentence]) -> tuple[list[Violation], int]:
    out: list[Violation] = []
    checks = 0
    for i, s in enumerate(sents):
        t = s.text
        for m in _CHANGE.finditer(t):
            before = t[: m.start()]
            amounts = [(a.start(), a.group(1)) for a in _AMOUNT.finditer(before)]
            diff_m = None
            for d in _DIFF.finditer(before):
                diff_m = d
            if diff_m is not None and diff_m.end() >= len(before) - 2:
                amounts = [a for a in amounts if a[0] < diff_m.start()]
            bi = before.rfind("比")
            base = current = None
            from_prev = False  # the amount compared comes from the sentence before: which one is meant is a guess
            # 与X相比 names its base before 相比; 与上年相比 (no amount between 与 and 相比) names none, as 比上年 does
            yu = before.rfind("与", 0, bi) if bi >= 0 and before[bi - 1 : bi] == "相" else -1
            named = [a for p, a in amounts if yu < p < bi] if yu >= 0 else []
            if named and not any(p > bi for p, _ in amounts) and (any(p < yu for p, _ in amounts) or i == 0):
                base = named[-1]
                prior = [a for p, a in amounts if p < yu]
                current = prior[-1] if prior else None
            elif bi >= 0 and any(p > bi for p, _ in amounts):
                base = next(a for p, a in amounts if p > bi)
                prior = [a for p, a in amounts if p < bi]
                current = prior[-1] if prior else None
            elif len(amounts) >= 2:
                base, current = amounts[-2][1], amounts[-1][1]
            elif (len(amounts) == 1 and t.startswith(("与", "较")) and i > 0) or (
                len(amounts) == 1 and bi < 0 and "与" in before[: amounts[0][0]] and i > 0
            ):
                prev = _AMOUNT.findall(sents[i - 1].text)
                base, current = amounts[0][1], prev[-1] if prev else None
                from_prev = True
            a, c = _amt(base or ""), _amt(current or "")
            trailing = diff_m is not None and diff_m.end() >= len(before) - 2
            no_base = not any(p > bi for p, _ in amounts)
            real_bi = bi >= 0 and (before[bi - 1 : bi] != "相" or (yu >= 0 and not named))
            if real_bi and trailing and diff_m is not None and diff_m.start() > bi and no_base:
                # X万元，比上年减少D万元，下降z%: no base printed, it is X ± D (the difference holds by construction)
                prior = [a2 for p, a2 in amounts if p < bi]
                d0, c0 = _amt(diff_m.group(2)), _amt(prior[-1]) if prior else None
                if d0 is not None and c0 is not None:
                    a, c = (c0 - d0 if diff_m.group(1) in _UP else c0 + d0), None
            if a is None and diff_m is not None and diff_m.end() >= len(before) - 2 and i > 0 and not amounts:
                # 总计X万元。与上年相比，总计减少D万元，下降z%: the base is X ∓ D
                prev = _AMOUNT.findall(sents[i - 1].text)
                d0 = _amt(diff_m.group(2))
                c = _amt(prev[-1]) if prev else None
                from_prev = True
                if c is not None and d0 is not None:
                    a = c - d0 if diff_m.group(1) in _UP else c + d0
                    c = None  # the difference is then consistent by construction; check only the percentage
            if a is None or not a:
                continue
            stated = Decimal(m.group(2))
            direction = 1 if m.group(1) in _UP else -1
            unit = Decimal(10) ** (-_places(m.group(2)))
            if diff_m is not None and diff_m.end() >= len(before) - 2:
                d = _amt(diff_m.group(2))
                if d is not None:
                    checks += 1
                    pct = d / a * 100
                    half = max(Decimal("0.005"), Decimal("0.5") * Decimal(10) ** (-_places(diff_m.group(2))))
                    if abs(pct - stated) > unit + half / a * 100 * 2:
                        out.append(
                            _violation(
                                "narrative_change",
                                s,
                                pct.quantize(unit),
                                stated,
                                f"“{m.group(0)}”：{d}/{a} = {pct.quantize(unit)}%",
                                f"stated change {stated}% but {d}/{a} = {pct.quantize(unit)}%",
                                severity="warning" if from_prev else "error",
                            )
                        )
                    if c is not None:
                        checks += 1
                        dd = (c - a) * direction
                        if abs(dd - d) > Decimal("0.011"):
                            out.append(
                                _violation(
                                    "narrative_difference",
                                    s,
                                    dd,
                                    d,
                                    f"“{diff_m.group(0)}”：{c} − {a} = {c - a} 万元",
                                    f"stated difference {d} but {c} − {a} = {c - a} (10k yuan)",
                                )
                            )
                continue
            if c is None:
                continue
            checks += 1
            pct = (c - a) / a * 100
            tol = unit + (Decimal("0.005") * (abs(c) + abs(a)) / (a * a) * 100)
            if abs(pct * direction - stated) > tol:
                word = "增加" if pct >= 0 else "减少"
                out.append(
                    _violation(
                        "narrative_change",
                        s,
                        pct.quantize(unit),
                        stated * direction,
                        f"“{m.group(0)}”：由 {a} 万元到 {c} 万元应为{word} {abs(pct).quantize(unit)}%",
                        f"stated {'+' if direction > 0 else '-'}{stated}% but {a} → {c} is {pct.quantize(unit)}%",
                    )
                )
    return out, checks


def _check_shares(sents: list[Sentence]) -> tuple[list[Violation], int]:
    """T万元，其中：X A万元，占z% (or T万元，主要用于以下方面：…): z against A / T."""
    out: list[Violation] = []
    checks = 0
    for s in sents:
        t = s.text
        marks = list(_TOTAL_MARK.finditer(t))
        for i, mark in enumerate(marks):
            totals = _AMOUNT.findall(t[: mark.start()])
            if not totals:
                continue
            total = _amt(totals[-1])
            if not total:
                continue
            end = marks[i + 1].start() if i + 1 < len(marks) else len(t)
            for m in _SHARE.finditer(t, mark.end(), end):
                part = _amt(m.group(1))
                if part is None:
                    continue
                stated = Decimal(m.group(2))
                unit = Decimal(10) ** (-_places(m.group(2)))
                checks += 1
                pct = part / total * 100
                tol = unit + Decimal("0.005") * 2 / total * 100
                if abs(pct - stated) > tol:
                    out.append(
                        _violation(
                            "narrative_share",
                            s,
                            pct.quantize(unit),
                            stated,
                            f"“{m.group(0)}”：{part}/{total} = {pct.quantize(unit)}%",
                            f"stated share {stated}% but {part}/{total} = {pct.quantize(unit)}%",
                        )
                    )
    return out, checks


def _code_values(tables: Sequence[Table]) -> dict[str, list[tuple[Decimal, Table]]]:
    """First amount of each coded row in 功能分类 expenditure tables, in 万元 when the table says 元."""
    out: dict[str, list[tuple[Decimal, Table]]] = {}
    for t in tables:
        if not t.type or not t.type.endswith(("general_budget_expenditure", ".expenditure")):
            continue
        amount_cols = [
            c.index for c in t.columns if c.field in ("total", "expenditure_total", "final_amount", "budget_amount")
        ]
        if not amount_cols:
            continue
        for row in t.rows:
            if not row.code:
                continue
            cell = row.cell(amount_cols[0])
            v = parse_amount(cell.text) if cell else None
            if v is None:
                continue
            if (t.unit or "").strip() == "元":
                v = v / 10000
            out.setdefault(row.code, []).append((v, t))
    return out


def _check_items(sents: list[Sentence], tables: Sequence[Table]) -> tuple[list[Violation], int]:
    """Amounts stated for a 科目 (its own sentence and the 预算安排/决算数 sentences after it) vs the tables."""
    out: list[Violation] = []
    checks = 0
    catalogue = load_catalogue()
    values = _code_values(tables)
    code: str | None = None
    for s in sents:
        t = s.text
        if re.match(r"^[一二三四五六七八九十]+[、.．]", t):
            code = None
        m = _ITEM.search(t)
        stated: list[str] = []
        if m is not None:
            lei_name = re.sub(r"^.*?[、.．]", "", m.group(1)) or m.group(1)
            lei = m.group(2)
            expected_name = catalogue.name(lei)
            if expected_name and lei_name and normalize_text(lei_name) != normalize_text(expected_name):
                checks += 1
                out.append(
                    Violation(
                        rule="narrative_code_name",
                        severity="warning",
                        page=s.page,
                        text=t[:160],
                        message_zh=f"说明中“{lei_name}（{lei}类）”，{lei}类的科目名称应为“{expected_name}”",
                        message_en=f"text names class {lei} “{lei_name}”; the classification says “{expected_name}”",
                    )
                )
            code = m.group(2) + ((m.group(3) + (m.group(4) or "")) if m.group(3) else "")
            head = re.match(r"[^\d，。；]{0,6}(\d[\d,]*(?:\.\d+)?)万元", t[m.end() :])
            if head:
                stated.append(head.group(1))
        if code is None or code not in values:
            continue
        stated += re.findall(r"(?:预算安排|决算数为|支出决算为)(\d[\d,]*(?:\.\d+)?)万元", t)
        for text_value in dict.fromkeys(stated):
            v = _amt(text_value)
            if v is None:
                continue
            table_value, table = values[code][0]
            checks += 1
            tol = Decimal("0.5") * Decimal(10) ** (-_places(text_value)) + Decimal("0.005")
            if abs(v - table_value) > tol:
                tv = table_value.quantize(Decimal("0.01"))
                out.append(
                    _violation(
                        "narrative_table",
                        s,
                        tv,
                        v,
                        f"说明中科目 {code} 为 {v} 万元，表中为 {tv} 万元",
                        f"text gives {v} (10k yuan) for {code}; the table has {tv}",
                        table=table.id,
                    )
                )
    return out, checks


# Phrases that name one cell of a fixed table: (regex before the amount, table types, row label regex, column pick)
_PHRASES: list[tuple[str, tuple[str, ...], str]] = [
    (r"(?<!拨款)收入[、和]?支出总计(?:均为|各为|为)?", ("final.summary", "budget.summary"), r"(收入)?总计"),
    (
        r"财政拨款收入[、和]?支出总计(?:均为|各为|为)?",
        ("final.fiscal_summary", "budget.fiscal_summary"),
        r"(收入)?总计",
    ),
    (r"(?<!拨款)本年收入合计(?:为)?", ("final.summary", "budget.summary"), r"本年收入(合计)?"),
    (r"(?<!拨款)本年支出合计(?:为)?", ("final.summary", "budget.summary"), r"本年支出(合计)?"),
]


def _row_value(table: Table, label: str) -> Decimal | None:
    from juesuan.validation.rules import _ORDINAL

    numbering = {c.index for c in table.columns if re.search(r"行次|栏次", normalize_text(c.header))}
    for row in table.rows:
        name = _ORDINAL.sub("", normalize_text(row.name or ""))
        if re.fullmatch(label, name):
            for cell in row.cells[1:]:
                if cell.col == 0 or cell.col in numbering:
                    continue
                v = parse_amount(cell.text)
                if v is not None and not re.fullmatch(r"\d{3,7}", normalize_text(cell.text)):
                    return v / 10000 if (table.unit or "").strip() == "元" else v
    return None


def _check_phrases(sents: list[Sentence], tables: Sequence[Table]) -> tuple[list[Violation], int]:
    """收入支出总计 / 财政拨款收入支出总计 / 本年收入合计 / 本年支出合计 stated in the text vs the 总表."""
    out: list[Violation] = []
    checks = 0
    for s in sents:
        for phrase, types, label in _PHRASES:
            for m in re.finditer(phrase + r"(\d[\d,]*(?:\.\d+)?)万元", s.text):
                table = next((t for t in tables if t.type in types), None)
                if table is None:
                    continue
                tv = _row_value(table, label)
                v = _amt(m.group(1))
                if tv is None or v is None:
                    continue
                checks += 1
                tol = Decimal("0.5") * Decimal(10) ** (-_places(m.group(1))) + Decimal("0.005")
                if abs(v - tv) > tol:
                    out.append(
                        _violation(
                            "narrative_table",
                            s,
                            tv,
                            v,
                            f"说明中“{m.group(0)}”，{table.title or table.id}中为 {tv} 万元",
                            f"text states {v} (10k yuan); {table.id} has {tv}",
                            table=table.id,
                        )
                    )
    return out, checks


def check(
    tables: Sequence[Table], blocks: Sequence[dict[str, Any]], options: ValidationOptions, phrases: bool = True
) -> tuple[list[Violation], int]:
    """``phrases=False`` when figures.py checks the standard figures (收入支出总计 …) from figures.yaml."""
    sents = sentences(blocks)
    out: list[Violation] = []
    checks = 0
    for fn in (_check_changes, _check_shares):
        v, n = fn(sents)
        out += v
        checks += n
    for fn2 in (_check_items, _check_phrases) if phrases else (_check_items,):
        v, n = fn2(sents, tables)
        out += v
        checks += n
    return out, checks
