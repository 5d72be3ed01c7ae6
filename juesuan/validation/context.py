"""What a disclosure is about, for the checks that compare its parts: reporting year, kind, issuer, sentences.

``Document.info`` is filled by the pipeline from the cover; when a field is None (an older document.json, a cover
the extractor missed) it is derived here from the text and the table titles, in one small function each, so every
rule compares against the same value. Also: how sure we are of a cell or a sentence (OCR confidence, repairs), so a
rule can say "OCR-uncertain" instead of blaming the document.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from juesuan.datamodel.document import Cell, Document, Table
from juesuan.validation.narrative import Sentence, sentences
from juesuan.validation.schema import normalize_text
from juesuan.validation.uncertainty import cell_doubt as ocr_cell_doubt

# 上海市普陀区2026年区级部门预算 / 上海市XX局2024年度部门决算 / 2026年部门预算 / 2018年部门预算公开
_YEAR_KIND = re.compile(r"(20\d{2})\s*年度?(?:[区市省县镇级]{0,3})?(?:部门|单位)?(?:综合)?(预算|决算)")
_ISSUER_LINE = re.compile(
    r"(?:预算主管部门|主管部门|预算单位|编制部门|编制单位|部门名称|单位名称)[:：]\s*([^\s:：]{2,40})"
)
_ISSUER_SUFFIX = (
    "委员会办公室|常务委员会办公室|人民政府办公厅|办公厅|办公室|委员会|人民法院|人民检察院|法院|检察院|"
    "管理局|监督局|事务局|局|厅|委|中心|交易所|街道办事处|办事处|福利院|研究院|院|馆|所|站|队|会|部|社"
)
_ISSUER_BEFORE_YEAR = re.compile(r"^(.{3,30}?(?:" + _ISSUER_SUFFIX + r"))(?:本级)?(?:20\d{2}|XX)年")

_PLACEHOLDER_ISSUER = re.compile(r"XX(?:" + _ISSUER_SUFFIX + r")")  # 上海市XX局: the national template's blank


def is_template(doc: Document, issuer: str | None) -> bool:
    """The national template itself (every table a blank form): its department is the placeholder 上海市XX局, on the
    cover or, where OCR misread the cover (a fax copy read “十、”), in its headings and text."""
    if issuer and "XX" in issuer:
        return True
    return any(_PLACEHOLDER_ISSUER.search(normalize_text(str(b.get("text", "")))) for b in doc.text)


def looks_like_issuer(name: str | None) -> bool:
    """A department's name holds a body's word (局, 委员会, 中心 …; 社会福利院单位 too); an OCR-misread cover gives
    fragments like “十、”."""
    return bool(name) and len(name or "") >= 3 and re.search(_ISSUER_SUFFIX, name or "") is not None


@dataclass
class Context:
    """The document's own facts the disclosure rules check against (None: unknown, the rule stays quiet)."""

    year: int | None
    kind: str | None  # 决算 / 预算
    issuer: str | None
    sentences: list[Sentence]
    blocks: list[dict[str, Any]] = field(default_factory=list)
    year_source: str = ""
    kind_source: str = ""
    has_cover: bool = False  # the first pages carry a cover or heading that says 20xx年…决算/预算
    issuer_source: str = ""
    uncertain_confidence: float = 0.8
    notes: list[str] = field(default_factory=list)

    @property
    def whole_document(self) -> bool:
        """Completeness is judged only on a whole disclosure: one whose own cover or heading says what it is.

        Document.info alone is not enough: the pipeline fills its kind from table titles too, and a page range or a
        trimmed sample (datasets/samples) would then be held to the whole template's table set."""
        return self.has_cover


def _cover_texts(blocks: Sequence[dict[str, Any]], pages: int = 2) -> list[tuple[int, str]]:
    first = min((int(b.get("page", 0) or 0) for b in blocks), default=0)
    return [
        (int(b.get("page", 0) or 0), normalize_text(str(b.get("text", ""))))
        for b in blocks
        if int(b.get("page", 0) or 0) < first + pages
    ]


def report_year(doc: Document) -> tuple[int | None, str]:
    """The reporting year: Document.info.year, else the cover's ``2026年…预算``, else the majority of table titles."""
    if doc.info.year:
        return doc.info.year, "Document.info"
    for _, text in _cover_texts(doc.text):
        m = _YEAR_KIND.search(text)
        if m:
            return int(m.group(1)), "cover"
    counts: Counter[int] = Counter()
    for b in doc.text[:60]:
        for m in _YEAR_KIND.finditer(normalize_text(str(b.get("text", "")))):
            counts[int(m.group(1))] += 1
    if counts:
        return counts.most_common(1)[0][0], "text"
    years: Counter[int] = Counter()
    for t in doc.tables:
        for m in re.finditer(r"(20\d{2})\s*年", normalize_text(t.title or "")):
            years[int(m.group(1))] += 1
    if years:
        return years.most_common(1)[0][0], "table titles"
    return None, ""


def report_kind(doc: Document) -> tuple[str | None, str]:
    """决算 or 预算: Document.info.kind, else the cover, else the majority of typed tables."""
    if doc.info.kind:
        return doc.info.kind, "Document.info"
    for _, text in _cover_texts(doc.text):
        m = _YEAR_KIND.search(text)
        if m:
            return m.group(2), "cover"
    fam = Counter(t.type.split(".")[0] for t in doc.tables if t.type and not t.type.startswith("perf."))
    if fam:
        return {"final": "决算", "budget": "预算"}[fam.most_common(1)[0][0]], "table types"
    return None, ""


def clean_issuer(name: str) -> str:
    name = normalize_text(name)
    name = re.sub(r"^(?:预算主管部门|主管部门|预算单位|编制部门|编制单位|部门名称|单位名称)[:：]", "", name)
    return name.strip("：:，,。")


def report_issuer(doc: Document) -> tuple[str | None, str]:
    """The department: Document.info.issuer, else 预算主管部门：X on the cover, else the cover title before its year."""
    if doc.info.issuer:
        return clean_issuer(doc.info.issuer), "Document.info"
    cover = _cover_texts(doc.text)
    for _, text in cover:
        m = _ISSUER_LINE.search(text)
        if m:
            return clean_issuer(m.group(1)), "cover"
    for _, text in cover:
        m = _ISSUER_BEFORE_YEAR.match(text)
        if m:
            return clean_issuer(m.group(1)), "cover title"
    names: Counter[str] = Counter()
    for b in doc.text:
        m = _ISSUER_LINE.search(normalize_text(str(b.get("text", ""))))
        if m:
            names[clean_issuer(m.group(1))] += 1
    if names:
        return names.most_common(1)[0][0], "table headers"
    return None, ""


def build_context(doc: Document, uncertain_confidence: float = 0.8) -> Context:
    year, ysrc = report_year(doc)
    issuer, isrc = report_issuer(doc)
    kind, ksrc = report_kind(doc)
    has_cover = any(_YEAR_KIND.search(text) for _, text in _cover_texts(doc.text))
    return Context(
        has_cover=has_cover,
        year=year,
        kind=kind,
        kind_source=ksrc,
        issuer=issuer,
        sentences=sentences(doc.text),
        blocks=list(doc.text),
        year_source=ysrc,
        issuer_source=isrc,
        uncertain_confidence=uncertain_confidence,
    )


def cell_doubt(cell: Cell | None, threshold: float) -> str | None:
    """Why this cell's text may not be what is printed (None: we trust it); the one test is in uncertainty.py."""
    why = ocr_cell_doubt(cell, threshold)
    return None if why is None else f"{why[0]} / {why[1]}"


def block_doubt(block: dict[str, Any], threshold: float) -> str | None:
    conf = block.get("confidence")
    if isinstance(conf, (int, float)) and conf < threshold:
        return f"OCR 置信度 {conf:.2f} / OCR confidence {conf:.2f}"
    return None


def table_unit_scale(table: Table) -> int:
    """Multiplier from the table's unit to 万元 denominators: 元 tables hold values 10000× the 万元 figure."""
    unit = normalize_text(table.unit or "")
    return 10000 if unit.endswith("元") and not unit.endswith("万元") else 1
