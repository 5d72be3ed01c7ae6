"""Planted errors: edit a real disclosure the way inspectors find it broken, and check validation names the edit.

Each class makes one edit to a copy of a :class:`Document` (text blocks or table cells; the text layer of a real
PDF, so the rest is as printed) and says which rule ids count as a detection and where the violation must point:
the edited page (text) or the edited table and cell. ``plant_all`` returns one edit per class that applies to the
document (a document with no 目录 gets no ``toc_order`` edit). Deterministic: the choice of table, sentence or cell
depends only on the document and ``seed``.

The benchmark (``benchmarks/planted_errors.py``) validates each edited document with repair off (a text layer is
what is printed: there is no OCR to repair) and counts a detection when a violation that the unedited document does
not have carries one of the expected rule ids at the right place.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Cell, Document, Table, Violation
from juesuan.lexicon import HAN_CLASS
from juesuan.validation import figures as figmod
from juesuan.validation import narrative
from juesuan.validation.completeness import kind_id, load_templates, toc_entries
from juesuan.validation.context import Context, build_context
from juesuan.validation.schema import Schema, normalize_text

# The rule classes, in the order docs/validation.md lists them.
CLASSES = (
    "missing_table",
    "toc_order",
    "empty_table",
    "year_title",
    "year_text",
    "year_cutoff",
    "year_compare",
    "year_column",
    "issuer_name",
    "unit_slip",
    "narrative_figure",
    "class_amount",
    "compare_word",
    "reason_missing",
    "repeated_word",
    "blank_cell",
    "sangong_zero_total",
    "table_total",
    "project_amount",
)


@dataclass
class Plant:
    cls: str
    doc: Document
    rules: frozenset[str]
    description: str
    page: int | None = None  # the edited page (0-based); None: any page (a table missing from a doc without 目录)
    table: str | None = None
    cell: tuple[int, int] | None = None  # (Row.index, col)
    fragment: str = ""  # the edited text, found in the violation's sentence when its page differs
    extra: dict[str, object] = field(default_factory=dict)


def _copy(doc: Document) -> Document:
    return doc.model_copy(deep=True)


def _blocks_matching(doc: Document, pattern: re.Pattern[str], skip_pages: set[int] | None = None) -> list[int]:
    out = []
    for i, b in enumerate(doc.text):
        if skip_pages and int(b.get("page", 0) or 0) in skip_pages:
            continue
        if pattern.search(normalize_text(str(b.get("text", "")))):
            out.append(i)
    return out


def _edit_block(
    doc: Document, i: int, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]
) -> tuple[Document, int, str] | None:
    """Replace the first match in block i (normalised text); returns (doc, page, new fragment)."""
    out = _copy(doc)
    text = normalize_text(str(out.text[i].get("text", "")))
    m = pattern.search(text)
    if m is None:
        return None
    new = repl(m)
    if new == m.group(0):
        return None
    out.text[i].text = text[: m.start()] + new + text[m.end() :]
    return out, int(out.text[i].get("page", 0) or 0), new


def _pick(rng: random.Random, items: Sequence[int]) -> int | None:
    return rng.choice(list(items)) if items else None


@functools.lru_cache(maxsize=2)
def _classify(schema: Schema) -> Callable[[str], str | None]:
    from juesuan.models.type_classifier import TableTypeClassifier
    from juesuan.validation.check import _toc_classifier

    return _toc_classifier(TableTypeClassifier(schema))


def _toc(doc: Document, schema: Schema) -> list[tuple[int, str, str]]:
    return toc_entries(doc, schema, _classify(schema))


def _toc_pages(doc: Document, schema: Schema) -> set[int]:
    return {p for p, _, _ in _toc(doc, schema)}


# ---- completeness -------------------------------------------------------------------------------------------


def plant_missing_table(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    templates = load_templates()
    cover = " ".join(normalize_text(str(b.get("text", ""))) for b in doc.text[:6]) + (ctx.issuer or "")
    fam = templates.family_for(ctx.kind, cover)
    if fam is None or not ctx.whole_document:
        return None
    present = [t for t in doc.tables if t.type in fam.required]
    if len(present) < 2:
        return None
    victim = present[rng.randrange(len(present))]
    # a table printed over several pages is extracted as several tables with one title: the bureau that forgets
    # the table forgets every page of it (removing one page's part leaves the table present, not missing)
    parts = [t for t in doc.tables if t.type == victim.type]
    gone = {t.id for t in parts}
    pages = {p for t in parts for p in t.pages}
    out = _copy(doc)
    out.tables = [t for t in out.tables if t.id not in gone]
    toc = {k: p for p, _, k in _toc(doc, schema)}
    tpages = _toc_pages(doc, schema)
    # its printed title goes with it (a page the bureau forgot), the 目录 keeps listing it
    out.text = [
        b
        for b in out.text
        if not (
            int(b.get("page", 0) or 0) in pages
            and int(b.get("page", 0) or 0) not in tpages
            and len(normalize_text(str(b.get("text", "")))) <= 60
            and _names_a_table(schema, normalize_text(str(b.get("text", ""))))
        )
    ]
    return Plant(
        "missing_table",
        out,
        frozenset({"table_missing"}),
        f"removed {', '.join(sorted(gone))} ({victim.type}: {victim.title})",
        page=toc.get(victim.type or ""),
        extra={"type": victim.type},
    )


def _names_a_table(schema: Schema, text: str) -> bool:
    """A printed table title (by alias or by the title words of templates.yaml)."""
    from juesuan.validation.completeness import _keyed
    from juesuan.validation.schema import normalize_title

    return text.endswith("表") and (schema.match_title(text) is not None or _keyed(normalize_title(text)) is not None)


def plant_toc_order(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    entries = _toc(doc, schema)
    present = {(kind_id(t) or "").split(".")[-1] for t in doc.tables}

    def kind(entry: tuple[int, str, str]) -> str:
        return entry[2].split(".")[-1]

    pairs = [
        (a, b)
        for a, b in itertools.pairwise(entries)
        if kind(a) != kind(b) and kind(a) in present and kind(b) in present and a[0] == b[0]
    ]
    if not pairs:
        return None
    (page, ea, _), (_, eb, _) = pairs[rng.randrange(len(pairs))]
    for i, b in enumerate(doc.text):
        if int(b.get("page", 0) or 0) != page:
            continue
        text = normalize_text(str(b.get("text", "")))
        ia, ib = text.find(ea), text.find(eb)
        if ia < 0 or ib < 0 or ib < ia:
            continue
        swapped = text[:ia] + eb + text[ia + len(ea) : ib] + ea + text[ib + len(eb) :]
        out = _copy(doc)
        out.text[i].text = swapped
        return Plant("toc_order", out, frozenset({"toc_order"}), f"目录: swapped “{ea}” and “{eb}”", page=page)
    return None


def _amount_cells(t: Table) -> list[tuple[int, Cell]]:
    out = []
    for row in t.rows:
        for c in row.cells:
            if re.fullmatch(r"\d{3,7}", normalize_text(c.text or "")) and c.col <= 3:
                continue
            if parse_amount(c.text or "") is not None and "%" not in (c.text or ""):
                out.append((row.index, c))
    return out


def plant_empty_table(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    if not ctx.whole_document or (ctx.issuer and "XX" in ctx.issuer):
        return None
    cands = [
        t
        for t in doc.tables
        if t.type and t.type.split(".")[1] in ("sangong", "general_budget_basic", "expenditure") and _amount_cells(t)
    ]
    if not cands:
        return None
    victim = cands[rng.randrange(len(cands))]
    out = _copy(doc)
    for t in out.tables:
        if t.id == victim.id:
            for _, c in _amount_cells(t):
                c.text, c.value = "", None
    return Plant(
        "empty_table",
        out,
        frozenset({"empty_table_note"}),
        f"blanked every amount of {victim.id} ({victim.title})",
        page=victim.pages[0] if victim.pages else None,
        table=victim.id,
    )


# ---- years and names ----------------------------------------------------------------------------------------


def plant_year_title(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    if ctx.year is None or ctx.year_source == "table titles":
        return None  # the titles are the only evidence of the year: a changed title changes the year itself
    y = str(ctx.year)
    cands = [t for t in doc.tables if t.title and y + "年" in normalize_text(t.title)]
    if not cands:
        return None
    victim = cands[rng.randrange(len(cands))]
    out = _copy(doc)
    for t in out.tables:
        if t.id == victim.id:
            t.title = normalize_text(t.title or "").replace(y + "年", f"{ctx.year - 1}年", 1)
    return Plant(
        "year_title",
        out,
        frozenset({"year_title"}),
        f"{victim.id} title year {y} → {ctx.year - 1}",
        page=victim.pages[0] if victim.pages else None,
        table=victim.id,
    )


def _text_plant(
    cls: str,
    doc: Document,
    pattern: re.Pattern[str],
    repl: Callable[[re.Match[str]], str],
    rules: set[str],
    rng: random.Random,
    skip_pages: set[int] | None = None,
    accept: Callable[[Document, int], bool] | None = None,
) -> Plant | None:
    idx = _blocks_matching(doc, pattern, skip_pages)
    rng.shuffle(idx)
    for i in idx:
        done = _edit_block(doc, i, pattern, repl)
        if done is None:
            continue
        out, page, new = done
        if accept is not None and not accept(out, i):
            continue
        return Plant(cls, out, frozenset(rules), f"p{page + 1}: “{new}”", page=page, fragment=new)
    return None


def plant_year_text(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    if ctx.year is None or ctx.kind is None:
        return None
    y = ctx.year
    pattern = re.compile(rf"{y}年度?(?:区级|市级)?(?:部门|单位){ctx.kind}")
    return _text_plant(
        "year_text",
        doc,
        pattern,
        lambda m: m.group(0).replace(str(y), str(y - 1), 1),
        {"year_text"},
        rng,
        skip_pages=_toc_pages(doc, schema) | {0},
    )


def plant_year_cutoff(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    if ctx.year is None:
        return None
    # only a cutoff year that is right today: shifting a year the document already got wrong plants nothing
    right = ctx.year if ctx.kind == "决算" else ctx.year - 1
    pattern = re.compile(rf"截[至止]({right})年")
    return _text_plant(
        "year_cutoff",
        doc,
        pattern,
        lambda m: m.group(0).replace(m.group(1), str(int(m.group(1)) - 1)),
        {"year_cutoff"},
        rng,
    )


def plant_year_compare(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    if ctx.year is None:
        return None
    prev = ctx.year - 1
    pattern = re.compile(rf"(?:与|比|较){prev}年")
    return _text_plant(
        "year_compare", doc, pattern, lambda m: m.group(0).replace(str(prev), str(ctx.year)), {"year_compare"}, rng
    )


def plant_year_column(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    """Every year in one table's column headers one too early: the header row copied from last year's file."""
    if ctx.year is None:
        return None
    y = str(ctx.year)
    cands = [t for t in doc.tables if t.rows and any(y + "年" in normalize_text(c.header) for c in t.columns)]
    if not cands:
        return None
    t0 = cands[rng.randrange(len(cands))]
    out = _copy(doc)
    col = next(c.index for c in t0.columns if y + "年" in normalize_text(c.header))
    for t in out.tables:
        if t.id == t0.id:
            for c in t.columns:
                c.header = re.sub(r"(20\d{2})年", lambda m: f"{int(m.group(1)) - 1}年", normalize_text(c.header))
    return Plant(
        "year_column",
        out,
        frozenset({"year_column"}),
        f"{t0.id} column header years shifted by −1",
        page=None,
        table=t0.id,
        cell=(t0.rows[0].index, col),
    )


def plant_issuer_name(
    doc: Document, ctx: Context, schema: Schema, rng: random.Random, other: str = "上海市普陀区人力资源和社会保障局"
) -> Plant | None:
    issuer = ctx.issuer
    if not issuer or "XX" in issuer:
        return None
    if other == issuer or other in issuer or issuer in other:
        other = "上海市普陀区审计局"
    pattern = re.compile(r"(?:编制部门|编制单位|预算主管部门|预算单位|部门名称|单位名称)[:：]" + re.escape(issuer))
    short = re.compile("^" + re.escape(issuer) + r"(?:主要职能|机构设置)$")
    skip = {0}
    plant = _text_plant(
        "issuer_name", doc, pattern, lambda m: m.group(0).replace(issuer, other), {"issuer_name"}, rng, skip
    ) or _text_plant("issuer_name", doc, short, lambda m: m.group(0).replace(issuer, other), {"issuer_name"}, rng, skip)
    return plant


# ---- narrative figures ------------------------------------------------------------------------------------------


def _figure_sites(doc: Document, ctx: Context) -> list[tuple[int, re.Match[str], str]]:
    """(block index, match, figure id) of every standard figure whose text agrees with its table today."""
    cfg = figmod.load_figures()
    out = []
    cache: dict[str, list[figmod.Candidate]] = {}
    for i, b in enumerate(doc.text):
        text = normalize_text(str(b.get("text", "")))
        for fig in cfg.figures:
            for m, unit in figmod.figure_matches(text, fig, cfg.gap, ctx.kind):
                if unit != "万元":
                    continue
                if fig.id not in cache:
                    cache[fig.id] = figmod.candidates(doc.tables, fig)
                v = parse_amount(m.group("num"))
                if v is None or not v or not cache[fig.id]:
                    continue
                if any(abs(c.value - v) <= Decimal("0.006") for c in cache[fig.id]):
                    out.append((i, m, fig.id))
    return out


def _fmt_like(original: str, value: Decimal) -> str:
    places = len(original.split(".", 1)[1]) if "." in original else 0
    q = value.quantize(Decimal(10) ** -places) if places else value.quantize(Decimal(1))
    s = f"{q:,.{places}f}" if "," in original else f"{q:.{places}f}"
    return s


def _figure_plant(
    cls: str, doc: Document, ctx: Context, rng: random.Random, new_value: Callable[[Decimal], Decimal], rules: set[str]
) -> Plant | None:
    sites = _figure_sites(doc, ctx)
    if not sites:
        return None
    i, m, fig_id = sites[rng.randrange(len(sites))]
    old = m.group("num")
    v = parse_amount(old)
    assert v is not None
    new = _fmt_like(old, new_value(v))
    out = _copy(doc)
    text = normalize_text(str(out.text[i].get("text", "")))
    out.text[i].text = text[: m.start("num")] + new + text[m.end("num") :]
    page = int(out.text[i].get("page", 0) or 0)
    frag = text[m.start() : m.start("num")] + new
    return Plant(cls, out, frozenset(rules), f"p{page + 1} {fig_id}: {old} → {new}", page=page, fragment=frag)


def plant_unit_slip(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    """The 元 amount written with 万元 (2087959 for 208.80): the text typed from the 元 figure."""
    return _figure_plant("unit_slip", doc, ctx, rng, lambda v: v * 10000, {"unit_slip"})


def plant_narrative_figure(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    """A figure that disagrees with its table: off by a tenth (a typo or last year's number)."""
    return _figure_plant(
        "narrative_figure", doc, ctx, rng, lambda v: v * Decimal("1.1") + Decimal(1), {"narrative_figure"}
    )


def plant_class_amount(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    """一般公共服务支出（类）A万元 in the 一般公共预算 structure paragraph, A changed."""
    sents = ctx.sentences
    found, _ = figmod._check_classes(sents, doc.tables, ctx)
    if found:
        return None  # the document already disagrees: the planted slip could not be told apart
    pattern = figmod._CLASS
    sites = []
    gbe = [t for t in doc.tables if t.type and t.type.endswith("general_budget_expenditure")]
    if not gbe:
        return None
    names = {normalize_text(r.name or "") for t in gbe for r in t.rows if r.code and len(r.code) == 3}
    for i, b in enumerate(doc.text):
        text = normalize_text(str(b.get("text", "")))
        if "（款）" in text:
            continue
        for m in pattern.finditer(text):
            name = re.sub(r"^.*?[、:：]", "", m.group(1))
            if name in names and parse_amount(m.group(2)):
                sites.append((i, m))
    if not sites:
        return None
    i, m = sites[rng.randrange(len(sites))]
    v = parse_amount(m.group(2))
    assert v is not None
    new = _fmt_like(m.group(2), v + Decimal(10))
    out = _copy(doc)
    text = normalize_text(str(out.text[i].get("text", "")))
    out.text[i].text = text[: m.start(2)] + new + text[m.end(2) :]
    page = int(out.text[i].get("page", 0) or 0)
    return Plant(
        "class_amount",
        out,
        frozenset({"narrative_class", "narrative_share"}),
        f"p{page + 1} {m.group(1)}: {m.group(2)} → {new}",
        page=page,
        fragment=new,
    )


_FLIP = {
    "增加": "减少",
    "减少": "增加",
    "增长": "下降",
    "下降": "增长",
    "大于": "小于",
    "小于": "大于",
    "高于": "低于",
    "低于": "高于",
}


def plant_compare_word(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    """增加 ↔ 减少 (大于 ↔ 小于) in a sentence whose two numbers the checks can compare."""
    sents = ctx.sentences
    sites = []
    for k, s in enumerate(sents):
        prev = sents[max(0, k - 1) : k]
        v1, n1 = narrative._check_changes([*prev, s])
        v2, n2 = figmod._check_direction([s])
        _, n1p = narrative._check_changes(prev)
        zero = re.search(r"(增加|减少|增长|下降)了?0(\.0+)?(%|万元)", s.text)
        if ((n1 - n1p > 0 and not v1) or (n2 > 0 and not v2)) and not zero:
            sites.append(s)
    rng.shuffle(sites)
    for s in sites:
        m = re.search("(" + "|".join(_FLIP) + r")(?=了?\d)", s.text)
        if m is None:
            continue
        frag = s.text[max(0, m.start() - 12) : m.start()]
        for i, b in enumerate(doc.text):
            text = normalize_text(str(b.get("text", "")))
            j = text.find(frag + m.group(0)) if frag else -1
            if j < 0:
                continue
            out = _copy(doc)
            at = j + len(frag)
            out.text[i].text = text[:at] + _FLIP[m.group(0)] + text[at + len(m.group(0)) :]
            page = int(b.get("page", 0) or 0)
            return Plant(
                "compare_word",
                out,
                frozenset({"narrative_change", "narrative_difference", "narrative_direction"}),
                f"p{page + 1}: {m.group(0)} → {_FLIP[m.group(0)]} in “{s.text[:50]}”",
                page=page,
                fragment=frag + _FLIP[m.group(0)],
            )
    return None


def plant_reason_missing(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    """Delete the reason clause (，主要原因是…) after a stated change."""
    pattern = re.compile(
        r"((?:比|较|与)[^，。；]{0,30}?(?:增加|减少|增长|下降)(?:了)?\d[\d,.]*(?:万元|%)[^。]{0,20}?)"
        r"([，,；。]?(?:其中)?[^，。；]{0,12}主要原因(?:是|为)?[:：]?[^。]*)"
    )
    idx = _blocks_matching(doc, pattern)
    rng.shuffle(idx)
    for i in idx:
        text = normalize_text(str(doc.text[i].get("text", "")))
        m = pattern.search(text)
        if m is None:
            continue
        out = _copy(doc)
        out.text[i].text = text[: m.start(2)] + text[m.end(2) :]
        page = int(doc.text[i].get("page", 0) or 0)
        sents = build_context(out).sentences
        v, _ = figmod._check_reasons(sents)
        if not any(m.group(1)[:20] in x.model_dump(mode="json").get("text", "") for x in v):
            continue  # a later sentence still gives the reason: this deletion leaves the change explained
        return Plant(
            "reason_missing",
            out,
            frozenset({"change_reason"}),
            f"p{page + 1}: deleted “{m.group(2)[:40]}”",
            page=page,
            fragment=m.group(1)[:20],
        )
    return None


def plant_repeated_word(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    pattern = re.compile(rf"(?<=[{HAN_CLASS}])(支出|经费|预算|项目|单位|部门)(?=[{HAN_CLASS}])")
    return _text_plant(
        "repeated_word",
        doc,
        pattern,
        lambda m: m.group(0) * 2,
        {"repeated_word"},
        rng,
        skip_pages=_toc_pages(doc, schema) | {0},
    )


# ---- table cells ------------------------------------------------------------------------------------------------


def _sangong(doc: Document) -> Table | None:
    return next((t for t in doc.tables if t.type and t.type.endswith(".sangong")), None)


def plant_blank_cell(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    t = _sangong(doc)
    if t is None:
        return None
    headers = {c.index: normalize_text(c.header) for c in t.columns}
    cands = []
    for row in t.rows:
        filled = [c for c in row.cells if parse_amount(c.text or "") is not None and "%" not in (c.text or "")]
        if len(filled) < 3:
            continue
        cands += [
            c
            for c in filled
            if figmod._SANGONG_ITEM.search(headers.get(c.col, "")) and "机关运行" not in headers[c.col]
        ]
    cands = [c for c in cands if not re.fullmatch(r"\d{1,2}", normalize_text(c.text or ""))]
    # a blanked 0.00 in a document that prints no other zero looks exactly like a table that leaves zero items
    # blank (a common convention): no observable problem, so only non-zero cells, or zeros beside printed zeros
    zeros = sum(
        1
        for tt in doc.tables
        for r in tt.rows
        for c in r.cells
        if re.fullmatch(r"0(\.0+)?", normalize_text(c.text or ""))
    )
    cands = [c for c in cands if parse_amount(c.text or "") != 0 or zeros > 1]
    if not cands:
        return None
    victim = cands[rng.randrange(len(cands))]
    row_index = next(r.index for r in t.rows if victim in r.cells)
    out = _copy(doc)
    for tt in out.tables:
        if tt.id == t.id:
            for r in tt.rows:
                if r.index == row_index:
                    c = r.cell(victim.col)
                    assert c is not None
                    c.text, c.value = "", None
    return Plant(
        "blank_cell",
        out,
        frozenset({"blank_required"}),
        f"{t.id} r{row_index} × {headers.get(victim.col)} “{victim.text}” blanked",
        page=victim.page,
        table=t.id,
        cell=(row_index, victim.col),
    )


def plant_sangong_zero_total(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    t = _sangong(doc)
    if t is None:
        return None
    headers = {c.index: normalize_text(c.header) for c in t.columns}
    for row in t.rows:
        for c in row.cells:
            h = headers.get(c.col, "")
            v = parse_amount(c.text or "")
            if v and figmod._SANGONG_TOTAL.search(h) and not re.fullmatch(r"\d{1,2}", normalize_text(c.text or "")):
                out = _copy(doc)
                for tt in out.tables:
                    if tt.id == t.id:
                        for r in tt.rows:
                            if r.index == row.index:
                                cell = r.cell(c.col)
                                assert cell is not None
                                cell.text, cell.value = "0.00", 0.0
                return Plant(
                    "sangong_zero_total",
                    out,
                    frozenset({"sangong_zero_total"}),
                    f"{t.id} r{row.index} × {h}: {c.text} → 0.00",
                    page=c.page,
                    table=t.id,
                    cell=(row.index, c.col),
                )
    return None


def plant_table_total(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    """The 合计 of the 一般公共预算支出表 off by 1.00: the identities name it."""
    t = next((t for t in doc.tables if t.type and t.type.endswith("general_budget_expenditure")), None)
    if t is None:
        return None
    for row in t.rows:
        if normalize_text(row.name or "") in ("合计", "总计"):
            cells = [c for c in row.cells if parse_amount(c.text or "") and not re.fullmatch(r"\d{1,3}", c.text or "")]
            if not cells:
                continue
            c = cells[0]
            v = parse_amount(c.text)
            assert v is not None
            new = _fmt_like(normalize_text(c.text), v + 1)
            out = _copy(doc)
            for tt in out.tables:
                if tt.id == t.id:
                    for r in tt.rows:
                        if r.index == row.index:
                            cell = r.cell(c.col)
                            assert cell is not None
                            cell.text, cell.value = new, float(parse_amount(new) or 0)
            return Plant(
                "table_total",
                out,
                frozenset(
                    {
                        "column_total",
                        "total_row",
                        "hierarchy",
                        "cross_basic",
                        "cross_fiscal_gbe",
                        "cross_summary_expenditure",
                    }
                ),
                f"{t.id} 合计 {c.text} → {new}",
                page=c.page,
                table=t.id,
                cell=(row.index, c.col),
            )
    return None


def plant_project_amount(doc: Document, ctx: Context, schema: Schema, rng: random.Random) -> Plant | None:
    """One project's amount in the 项目支出表 + 10.00 (its 合计 unchanged): the list no longer adds up."""
    from juesuan.validation.scope import _is_project_list, _total_col, project_rows

    for t in doc.tables:
        col = _total_col(t) if _is_project_list(t) else None
        if col is None:
            continue
        named = project_rows(t)  # a project, not a 类/款/项 row above it
        rows = [
            (r, c)
            for r in t.rows
            if (r.index in named if named else normalize_text(r.name or "") != "")
            and normalize_text(r.name or "") not in ("合计", "总计")
            and not re.fullmatch(r"[\d*]+", normalize_text(r.name or ""))  # a 栏次 row (** | 1 | 2 …)
            for c in r.cells
            if c.col == col
            and parse_amount(c.text or "")
            and not re.fullmatch(r"\d{1,2}", normalize_text(c.text or ""))
        ]
        if not rows or not any(normalize_text(r.name or "") in ("合计", "总计") for r in t.rows):
            continue
        row, c = rows[rng.randrange(len(rows))]
        v = parse_amount(c.text)
        assert v is not None
        new = _fmt_like(normalize_text(c.text), v + 10)
        out = _copy(doc)
        for tt in out.tables:
            if tt.id == t.id:
                cell = next(r for r in tt.rows if r.index == row.index).cell(col)
                assert cell is not None
                cell.text, cell.value = new, float(parse_amount(new) or 0)
        return Plant(
            "project_amount",
            out,
            frozenset({"project_list_sum"}),
            f"{t.id} r{row.index} {row.name}: {c.text} → {new}",
            page=c.page,
            table=t.id,
            cell=(row.index, col),
        )
    return None


PLANTERS: dict[str, Callable[..., Plant | None]] = {
    "missing_table": plant_missing_table,
    "toc_order": plant_toc_order,
    "empty_table": plant_empty_table,
    "year_title": plant_year_title,
    "year_text": plant_year_text,
    "year_cutoff": plant_year_cutoff,
    "year_compare": plant_year_compare,
    "year_column": plant_year_column,
    "issuer_name": plant_issuer_name,
    "unit_slip": plant_unit_slip,
    "narrative_figure": plant_narrative_figure,
    "class_amount": plant_class_amount,
    "compare_word": plant_compare_word,
    "reason_missing": plant_reason_missing,
    "repeated_word": plant_repeated_word,
    "blank_cell": plant_blank_cell,
    "sangong_zero_total": plant_sangong_zero_total,
    "table_total": plant_table_total,
    "project_amount": plant_project_amount,
}


def plant_all(doc: Document, schema: Schema, seed: int = 0, classes: Sequence[str] = CLASSES) -> list[Plant]:
    """One planted edit per class that applies to ``doc`` (already typed: Table.type set)."""
    ctx = build_context(doc)
    out = []
    for cls in classes:
        rng = random.Random(f"{seed}:{cls}:{doc.source.sha256}")
        plant = PLANTERS[cls](doc, ctx, schema, rng)
        if plant is not None:
            out.append(plant)
    return out


def _key(v: Violation) -> tuple[object, ...]:
    e = v.model_dump(mode="json")
    return (v.rule, v.table, e.get("page"), v.message_zh)


def detected(plant: Plant, before: Sequence[Violation], after: Sequence[Violation]) -> Violation | None:
    """The new violation that names the planted edit at its place, or None."""
    old = {_key(v) for v in before}
    for v in after:
        if v.rule not in plant.rules or _key(v) in old:
            continue
        e = v.model_dump(mode="json")
        if plant.table is not None and plant.cell is not None:
            target = e.get("target") or {}
            cells = [tuple(c) for c in e.get("cells") or []]
            at_cell = (
                (target.get("row"), target.get("col")) == plant.cell
                or plant.cell in cells
                or (plant.cell[0] in v.rows and plant.cell[1] in v.cols)
            )
            if v.table == plant.table and at_cell:
                return v
            continue
        if plant.table is not None and plant.page is not None and v.table == plant.table:
            return v
        if plant.page is None:
            return v
        if e.get("page") == plant.page or (plant.fragment and plant.fragment in str(e.get("text", ""))):
            return v
    return None
