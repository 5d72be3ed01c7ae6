"""Completeness: the tables a disclosure must publish, its 目录 against the tables found, empty tables' notes.

Which tables a document must carry depends on its template family (national 部门决算, Shanghai 预算, other
provinces' 预算), declared in ``configs/validation/templates.yaml``, not here. Rules:

- ``table_missing``        a required table, or one the 目录 lists, is not in the document (error); when its title
                           is printed on a page but no table was extracted there, a warning about the extraction
- ``toc_unlisted``         a table of a known type that the 目录 does not list (warning)
- ``toc_order``            the tables appear in another order than the 目录 lists them (warning)
- ``empty_table_note``     a table with no amount at all and no 空表说明 sentence (error; warning when the
                           extractor flagged the table as uncertain)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Document, Table, Violation
from juesuan.options import CONFIG_DIR
from juesuan.validation.context import Context, is_template
from juesuan.validation.schema import Schema, normalize_text, normalize_title

TEMPLATES_PATH = CONFIG_DIR / "validation" / "templates.yaml"


class Family(BaseModel):
    """One template family: which document kind it applies to and the tables it requires, in order."""

    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str
    name_zh: str = ""
    match: str | None = None
    required: list[str] = Field(default_factory=list)
    optional: list[str] = Field(default_factory=list)


class Templates(BaseModel):
    model_config = ConfigDict(extra="forbid")
    empty_note: str
    title_keys: dict[str, str] = Field(default_factory=dict)
    families: list[Family]

    def family_for(self, kind: str | None, cover: str) -> Family | None:
        for fam in self.families:
            if kind and fam.kind != kind:
                continue
            if fam.match and not re.search(fam.match, cover):
                continue
            return fam
        return None


@functools.lru_cache(maxsize=4)
def load_templates(path: Path = TEMPLATES_PATH) -> Templates:
    return Templates.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


# Subject words of a table type, to find the 空表说明 that speaks about it elsewhere in the text.
_SUBJECT = {
    "government_fund": "政府性基金",
    "state_capital": "国有资本经营",
    "sangong": "三公",
    "general_budget_project": "项目支出",
    "project": "项目",
    "agency_operating_costs": "机关运行经费",
    "government_procurement": "政府采购",
}


_PART_HEADING = re.compile(r"(.{0,20}?(局|委|办|院|厅|中心|会|室|所|站|馆))?(部门|单位)?(综合)?(预算|决算)(公开)?表格?")


def _keyed(title: str) -> str | None:
    """The type suffix whose ``title_keys`` regex (templates.yaml) the normalised title matches, if exactly one."""
    keys = load_templates().title_keys
    hits = [k for k, rx in keys.items() if re.search(rx, title)]
    return hits[0] if len(hits) == 1 else None


@functools.lru_cache(maxsize=4096)
def _title_type(schema: Schema, title: str) -> str | None:
    rule = schema.match_title(title)
    return rule.id if rule is not None else None


def toc_entries(
    doc: Document, schema: Schema, classify: Callable[[str], str | None] | None = None
) -> list[tuple[int, str, str]]:
    """(page, entry text, table type) of each table the 目录 lists, in order; empty when there is no 目录.

    An entry takes the type of the document's table whose title it matches (目录 and titles are printed from the
    same words), else its own alias match, else ``classify`` (the table-type classifier) when given.
    """
    titled = [(normalize_title(t.title or ""), kind_id(t)) for t in doc.tables if t.type and t.title]
    out: list[tuple[int, str, str]] = []
    toc_page: int | None = None
    for block in doc.text:
        text = normalize_text(str(block.get("text", "")))
        page = int(block.get("page", 0) or 0)
        if toc_page is None:
            if page > 6:
                break
            if re.match(r"^目录", text):
                toc_page = page
                text = text[2:]
            else:
                continue
        if page > toc_page + 1:
            break
        if page == toc_page + 1 and re.match(r"^[^\d一二三四五六七八九十第]", text) and "…" not in text:
            break  # the page after the 目录 is the body, not its continuation
        parts = re.split(
            r"(?=\d{1,2}\s*[.．、]\s*(?:20\d{2})?)|(?=[一二三四五六七八九十]{1,3}、)|(?=第[一二三四五六七八九十]部分)",
            text,
        )
        for part in parts:
            entry = re.sub(r"^(\d{1,2}|[一二三四五六七八九十]{1,3})[.．、]", "", part)
            entry = re.sub(r"[…\.·\-—_ ]+\d*$", "", entry).strip()
            if not entry.endswith("表") and not re.search(r"表[（(]?续?[)）]?$", entry):
                continue
            key = normalize_title(entry)
            if re.match(r"^第[一二三四五六七八九十]+部分", entry) or _PART_HEADING.fullmatch(key):
                continue  # 第二部分…预算表 / 部门预算表: the part heading, not a table
            exact = [k for title, k in titled if key and title == key]
            inside = [k for title, k in titled if key and len(key) >= 6 and key in title]
            # 收支预算总表 sits inside 财政拨款收支预算总表: title words before a containing title
            kind = (exact[0] if exact else None) or _keyed(key) or (inside[0] if len(set(inside)) == 1 else None)
            kind = kind or _title_type(schema, entry) or (classify(entry) if classify else None)
            if kind and not kind.startswith("perf."):
                out.append((page, entry, kind))
    return out


def _suffix(type_id: str) -> str:
    return type_id.split(".", 1)[-1]


def _entry_of_title(keys: Sequence[str], title: str) -> int | None:
    """The 目录 entry printed with this title: equal, or the longest entry the title starts with (the 目录 leaves
    out the （功能科目）/（经济科目） suffix)."""
    if not title:
        return None
    hits = [(len(k), i) for i, k in enumerate(keys) if k and (title == k or title.startswith(k))]
    return max(hits)[1] if hits else None


def _entry_sequence(toc: Sequence[tuple[int, str, str]], tables: Sequence[Table]) -> list[tuple[Table, int]]:
    """(table, its 目录 entry index) in print order: the entry printed with the table's own title, else the first
    entry of its kind that no table matches by title (a table the 目录 does not list gets none)."""
    keys = [normalize_title(e) for _, e, _ in toc]
    by_title = {t.id: _entry_of_title(keys, normalize_title(t.title or "")) for t in tables}
    titled = {i for i in by_title.values() if i is not None}
    seq: list[tuple[Table, int]] = []
    for t in tables:
        entry = by_title[t.id]
        if entry is None:
            kind = _kind(t)
            free = [i for i, (_, _, k) in enumerate(toc) if _suffix(k) == kind and i not in titled]
            entry = free[0] if kind and free else None
        if entry is not None:
            seq.append((t, entry))
    return seq


def _out_of_order(toc: Sequence[tuple[int, str, str]], tables: Sequence[Table]) -> tuple[Table, int, int] | None:
    """(table, its entry, the later entry printed before it) for the first table printed after one the 目录 lists
    later; the parts of a table split over pages repeat their entry, which is in order."""
    highest = -1
    for t, entry in _entry_sequence(toc, tables):
        if entry < highest:
            return t, entry, highest
        highest = max(highest, entry)
    return None


SURELY_TYPED = 0.9


def _not_a_table(table: Table, typed: bool = False) -> bool:
    """A chart or a paragraph the extractor took for a table title (图2…比重图, …万元，占95.7%). With ``typed``
    (is the required table there?) a title without 表 is no evidence where the classifier is sure of the table from
    its header: a unit line (编制单位：XX局) or a title cut short (…收支预算总) read as the title of a real table."""
    title = normalize_text(table.title or "")
    if not title:
        return False
    if typed and table.type and (table.type_confidence or 0.0) >= SURELY_TYPED:
        return bool(re.search(r"图$|万元|%", normalize_title(title)))
    return not re.search(r"表", title) or bool(re.search(r"图$|万元|%", title))


def _kind(table: Table) -> str | None:
    """The type suffix completeness judges a table by: its title words (templates.yaml title_keys) before the
    classifier's type, since the 目录 is printed from the same words."""
    if (table.type or "").startswith("perf."):
        return None
    return _keyed(normalize_title(table.title or "")) or (_suffix(table.type) if table.type else None)


def kind_id(table: Table) -> str | None:
    """``_kind`` as a full type id (budget.…/final.…), keeping the classifier's document kind."""
    kind = _kind(table)
    if kind is None or table.type is None:
        return table.type
    return f"{table.type.split('.', 1)[0]}.{kind}"


_CODE_HEADER = re.compile(r"编码|代码|科目$|科目/类|科目/款|科目/项|[类款项]$")


def _has_amount(table: Table) -> bool:
    codes = {c.index for c in table.columns if _CODE_HEADER.search(normalize_text(c.header))}
    for row in table.rows:
        for cell in row.cells:
            text = normalize_text(cell.text or "")
            if re.fullmatch(r"\d{3,7}", text) and (cell.col <= 2 or cell.col in codes):
                continue  # a 科目编码 (政府预算支出经济分类 codes sit in a second code column), not an amount
            if parse_amount(cell.text or "") is not None:
                return True
    return False


# a unit line taken for a table's title says nothing of which table it is (yantai audit 2026 p.8 at `fax`:
# “部门（单位）：状台市申计局” over the body of a 收支总体情况表 whose head came out as a table of its own)
_UNIT_LINE = re.compile(r"^(?:部门|单位|部门[(（]单位[)）]|编制部门|编制单位|部门名称|单位名称)[:：].*$")


def _body_elsewhere(table: Table, tables: Sequence[Table]) -> Table | None:
    """The untitled table with amounts right after a table that has a title and header but no row at all: the
    extractor cut the table at its header and its body became a table of its own (on the page after, or below).
    A unit line read as the body's title leaves it untitled."""
    if table.rows or not table.pages:
        return None
    at = next((i for i, t in enumerate(tables) if t is table), None)
    nxt = tables[at + 1] if at is not None and at + 1 < len(tables) else None
    if nxt is None or _UNIT_LINE.sub("", normalize_text(nxt.title or "")) or not nxt.pages or not _has_amount(nxt):
        return None
    return nxt if 0 <= nxt.pages[0] - table.pages[-1] <= 1 else None


def _title_pages(doc: Document, schema: Schema, kind: str, toc_pages: set[int]) -> list[int]:
    pages = []
    for block in doc.text:
        page = int(block.get("page", 0) or 0)
        if page in toc_pages:
            continue
        text = normalize_text(str(block.get("text", "")))
        if (
            len(text) <= 60
            and text.endswith("表")
            and _suffix(kind) in (_keyed(normalize_title(text)), _suffix(_title_type(schema, text) or ""))
        ):
            pages.append(page)
    return pages


def _empty_explained(doc: Document, table: Table, note: re.Pattern[str], ctx: Context) -> str | None:
    """'note' (a 空表说明 on the table's page, in a cell, or a sentence saying the subject has none), 'zero' (the
    text only states the subject as 0万元: intent, but not the note the template asks for), or None."""
    pages = set(table.pages)
    running = _running_headers(doc)
    for block in doc.text:
        page = int(block.get("page", 0) or 0)
        text = normalize_text(str(block.get("text", "")))
        on_page = page in pages or (page - 1 in pages and re.match(r"^(注|说明)", text))
        if on_page and text not in running and note.search(text) and _owner(doc, block, page) in (None, table.id):
            return "note"
    for row in table.rows:
        for cell in row.cells:
            if note.search(normalize_text(cell.text or "")):
                return "note"
    # the title's own words first: 政府性基金预算财政拨款支出预算表 may be typed as the 财政拨款支出表
    subject = _SUBJECT.get(_keyed(normalize_title(table.title or "")) or "") or _SUBJECT.get(
        (table.type or "").split(".", 1)[-1]
    )
    if subject:
        for s in ctx.sentences:
            for m in re.finditer(subject, s.text):
                window = s.text[max(0, m.start() - 12) : m.end() + 40]  # the words about this subject only
                if note.search(window) and not _NONZERO.search(window):
                    return "note"
        for s in ctx.sentences:
            if re.search(subject + r"[^，。；]{0,20}?(?<![\d.])0(\.0+)?(万?元|$|[，。；])", s.text):
                return "zero"
    return None


def _running_headers(doc: Document) -> set[str]:
    """Texts printed on most pages (无锡市教育局2026年度部门预算公开 on every page): a page header, not a note. A
    note repeated under several empty tables (注：本部门无相关收支项目) starts with 注/说明 or says 空表: kept."""
    pages: dict[str, set[int]] = {}
    for block in doc.text:
        pages.setdefault(normalize_text(str(block.get("text", ""))), set()).add(int(block.get("page", 0) or 0))
    n = len({p for ps in pages.values() for p in ps})
    return {
        text
        for text, p in pages.items()
        if len(p) >= max(3, n // 3) and not re.match(r"^(注|说明)", text) and "空表" not in text
    }


def _owner(doc: Document, block: object, page: int) -> str | None:
    """Of several tables on a page, the one a note belongs to: the nearest table above it (else the first below);
    None when the page holds one table or positions are unknown."""
    bbox = getattr(block, "bbox", None) or (block.get("bbox") if isinstance(block, dict) else None)
    here = [t for t in doc.tables if page in t.pages and t.bbox and len(t.pages) == 1]
    if not bbox or len(here) < 2:
        return None
    top = bbox[1]
    above = [t for t in here if t.bbox[1] <= top]  # type: ignore[index]
    owner = max(above, key=lambda t: t.bbox[1]) if above else min(here, key=lambda t: t.bbox[1])  # type: ignore[index]
    return owner.id


_NONZERO = re.compile(r"(?<![\d.])(?:[1-9][\d,]*(?:\.\d+)?|0\.\d*[1-9]\d*)万?元")


def _explained_absent(kind: str, ctx: Context, note: re.Pattern[str]) -> str | None:
    subject = _SUBJECT.get(kind.split(".", 1)[-1])
    if not subject:
        return None
    for s in ctx.sentences:
        if subject in s.text and note.search(s.text):
            return s.text[:80]
    return None


def check(
    doc: Document,
    tables: Sequence[Table],
    schema: Schema,
    ctx: Context,
    classify: Callable[[str], str | None] | None = None,
) -> tuple[list[Violation], int]:
    if not ctx.whole_document:
        return [], 0  # a page range or a fragment: which tables it should hold is unknown
    templates = load_templates()
    note = re.compile(templates.empty_note)
    cover = " ".join(normalize_text(str(b.get("text", ""))) for b in doc.text[:6]) + (ctx.issuer or "")
    family = templates.family_for(ctx.kind, cover)
    toc = toc_entries(doc.model_copy(update={"tables": list(tables)}), schema, classify)
    toc_pages = {p for p, _, _ in toc}
    # a 预算 table the classifier typed final.* (or the reverse) still is that table: compare by the type's suffix
    present: dict[str, Table] = {}
    for t in tables:
        if _not_a_table(t, typed=True):
            continue  # 图2 …支出比重图 typed as a table: a chart does not stand in for the table
        for kind in (_keyed(normalize_title(t.title or "")), t.type and _suffix(t.type)):
            if kind and kind not in present and not (t.type or "").startswith("perf."):
                present[kind] = t
    out: list[Violation] = []
    checks = 0
    family_types = set(family.required + family.optional) if family else set()
    wanted: list[tuple[str, int | None, str]] = []  # (type, toc page, where it is required)
    for page, entry, kind in toc:
        wanted.append((kind, page, f"目录列出“{entry}”"))
    if family:
        listed = {k for k, _, _ in wanted}
        for kind in family.required:
            if kind not in listed:
                wanted.append((kind, None, f"{family.name_zh or family.id}要求"))
    seen: set[str] = set()
    for kind, page, why in wanted:
        if _suffix(kind) in seen:
            continue
        seen.add(_suffix(kind))
        checks += 1
        if _suffix(kind) in present:
            continue
        tt = schema.type(kind)
        name = tt.name_zh if tt else kind
        printed = _title_pages(doc, schema, kind, toc_pages)
        if printed:
            out.append(
                Violation(
                    rule="table_missing",
                    severity="warning",
                    page=printed[0],
                    message_zh=f"{why}的{name}：第{printed[0] + 1}页印有标题，但未提取到表格（提取问题，非文件问题）",
                    message_en=f"{kind}: its title is printed on page {printed[0] + 1} but no table was extracted "
                    "(an extraction problem, not the document's)",
                    table_type=kind,
                )
            )
            continue
        reason = _explained_absent(kind, ctx, note)
        out.append(
            Violation(
                rule="table_missing",
                severity="warning" if reason else "error",
                page=page,
                message_zh=f"{why}的{name}不在文件中" + (f"（文中说明：{reason}）" if reason else ""),
                message_en=f"{kind} is required ({'listed in the 目录' if page is not None else 'by the template'}) "
                "but not in the document" + (" (the text explains its absence)" if reason else ""),
                table_type=kind,
            )
        )
    family_types = {_suffix(k) for k in family_types}
    if len(toc) >= 3:
        listed = [_suffix(k) for _, _, k in toc]
        for t in tables:
            kind = _kind(t)
            if kind and kind not in listed and (kind in family_types or not family) and not _not_a_table(t):
                checks += 1
                out.append(
                    Violation(
                        rule="toc_unlisted",
                        table=t.id,
                        severity="warning",
                        page=t.pages[0] if t.pages else None,
                        message_zh=f"表“{t.title or t.id}”未列入目录",
                        message_en=f"table “{t.title or t.id}” is not listed in the 目录",
                    )
                )
        checks += 1
        bad = _out_of_order(toc, [t for t in tables if not _not_a_table(t)])
        if bad is not None:
            table, entry, before = bad
            out.append(
                Violation(
                    rule="toc_order",
                    table=table.id,
                    severity="warning",
                    page=toc[0][0],
                    message_zh=f"表的顺序与目录不一致：“{table.title or table.id}”（目录第{entry + 1}项）"
                    f"印在目录第{before + 1}项“{toc[before][1]}”之后",
                    message_en=f"tables are not in the 目录's order: “{table.title or table.id}” (entry {entry + 1}) "
                    f"is printed after entry {before + 1}",
                    order=[toc[i][1] for _, i in _entry_sequence(toc, tables)],
                    toc=[e for _, e, _ in toc],
                )
            )
    template = is_template(doc, ctx.issuer)  # the national template itself: every table is a form
    for t in tables:
        if (
            template
            or not t.type
            or t.type.startswith("perf.")
            or (family_types and _suffix(t.type) not in family_types)
        ):
            continue
        if _not_a_table(t):
            continue
        checks += 1
        explained = None if _has_amount(t) else _empty_explained(doc, t, note, ctx)
        if _has_amount(t) or explained == "note":
            continue
        uncertain = t.needs_review or t.null_numeric > 0
        body = _body_elsewhere(t, tables)
        # no title and no row: a piece of the page (a title line read as a header: quanzhou police 2026 p.18 at
        # `scan`, “预算基本支出经” above the table it titles), nothing to say of a table
        stray = not t.rows and not normalize_text(t.title or "")
        out.append(
            Violation(
                rule="empty_table_note",
                table=t.id,
                severity="warning" if uncertain or explained == "zero" or body or stray else "error",
                page=t.pages[0] if t.pages else None,
                message_zh=f"“{t.title or t.id}”为空表，但没有空表说明"
                + ("（表格提取不确定，可能是识别遗漏）" if uncertain else "")
                + ("（说明中写明该项为0万元）" if explained == "zero" else "")
                + (f"（表体可能被提取为其后第{body.pages[0] + 1}页无标题的表 {body.id}）" if body else "")
                + ("（无标题、无数据行，可能不是表格）" if stray and not body else ""),
                message_en=f"“{t.title or t.id}” has no amounts and no note explaining the empty table"
                + (" (the extractor marked this table uncertain)" if uncertain else "")
                + (" (the text states it as 0)" if explained == "zero" else "")
                + (f" (its body may be the untitled table {body.id} after it, p. {body.pages[0] + 1})" if body else "")
                + (" (no title and no row: maybe no table at all)" if stray and not body else ""),
            )
        )
    return out, checks
