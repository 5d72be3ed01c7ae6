"""Accuracy metrics: a predicted ``Document`` against truth cells (docs/evaluation.md).

The headline number (issue 3's acceptance) is *value accuracy*: the share of truth numeric cells for which the
document has, on the same page, a row with the same key (exact 科目编码, else 科目名称 similarity ≥ 0.8, so OCR
noise in a name does not hide a right amount) holding a cell whose x-range contains the truth cell's x-centre
and whose value is exactly the truth value. Row keys and column positions make a number in the wrong row or column
count as wrong, not as found.
"""

from __future__ import annotations

import difflib
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from juesuan.datamodel.amounts import normalize, parse_amount
from juesuan.datamodel.document import Cell, Document, Row
from juesuan.evaluation.truth import RowKey, TruthCell, TruthPage
from juesuan.lexicon import HAN

Status = Literal["ok", "wrong_value", "no_cell", "no_row"]

_ORDINAL = re.compile(r"^(?:[（(][一二三四五六七八九十百零〇]+[)）][、.．]?|[一二三四五六七八九十百零〇]+[、.．])")
_PUNCT = re.compile(r"[\s:：,，;；、·.．\"'“”‘’()（）\[\]【】/\\|_-]")  # "|": ruling lines read as text


@dataclass(frozen=True, slots=True)
class MatchOptions:
    name_threshold: float = 0.8  # 科目名称 similarity (difflib ratio) that counts as the same row
    x_tol_frac: float = 0.012  # a cell's x-range is widened by this fraction of the page width (skew, deskew)
    require_header: bool = False  # also require the column header to match (when both sides have one)
    header_threshold: float = 0.6


@dataclass(frozen=True, slots=True)
class CellOutcome:
    """What the prediction holds for one truth cell."""

    truth: TruthCell
    status: Status
    table_id: str | None = None
    row_index: int | None = None
    predicted_text: str | None = None
    predicted_value: Decimal | None = None
    predicted_bbox: tuple[float, ...] | None = None
    header_ok: bool | None = None  # None: a side had no header
    char_errors: int | None = None  # edit distance between truth and predicted cell text (normalised)
    predicted_code: str | None = None  # the matched row's 科目编码
    predicted_name: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def located(self) -> bool:
        """The right row and column were found (the value may still be misread)."""
        return self.status in ("ok", "wrong_value")


# ------------------------------------------------------------------------------------------------ text helpers


def normalize_name(text: str | None) -> str:
    """科目名称 for comparison: full-width → ASCII, no spaces or punctuation, no leading 一、/（二） ordinal."""
    if not text:
        return ""
    s = normalize(text)
    s = _ORDINAL.sub("", s)
    return _PUNCT.sub("", s)


def normalize_code(text: str | None) -> str:
    return "".join(ch for ch in normalize(text or "") if ch.isdigit())


def name_similarity(a: str | None, b: str | None) -> float:
    na, nb = normalize_name(a), normalize_name(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    return difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio()


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (characters)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def cell_value(cell: Cell) -> Decimal | None:
    """The predicted amount: parsed from the cell text when possible (exact), else the float in document.json."""
    parsed = parse_amount(cell.text) if cell.text else None
    if parsed is not None:
        return parsed
    if cell.value is None:
        return None
    try:
        return Decimal(repr(float(cell.value)))
    except (InvalidOperation, ValueError):
        return None


def same_value(a: Decimal | None, b: Decimal | None) -> bool:
    return a is not None and b is not None and abs(a - b) < Decimal("0.000001")


def row_key_matches(key: RowKey, code: str | None, name: str | None, threshold: float = 0.8) -> bool:
    """Exact code, else name similarity ≥ threshold; a truth row without code and name matches any row."""
    if key.code is None and key.name is None:
        return True
    if key.code is not None and normalize_code(key.code) and normalize_code(key.code) == normalize_code(code):
        return True
    return key.name is not None and name_similarity(key.name, name) >= threshold


def header_matches(truth: str | None, predicted: str | None, threshold: float = 0.6) -> bool | None:
    """Compare the last level of the headers (the most specific), tolerant to how levels were flattened."""
    if not truth or not predicted:
        return None
    t = normalize_name(truth.rsplit("/", 1)[-1])
    p = normalize_name(predicted)
    if t and t in p:
        return True
    return difflib.SequenceMatcher(None, t, normalize_name(predicted.rsplit("/", 1)[-1])).ratio() >= threshold


# ---------------------------------------------------------------------------------------------------- matching


@dataclass(slots=True)
class _PredRow:
    table_id: str
    row: Row
    cells: list[Cell]  # cells on this page
    y: float  # median y-centre of the cells on this page (page pixels of the document)
    headers: dict[int, str] = field(default_factory=dict)


def _rows_by_page(doc: Document) -> dict[int, list[_PredRow]]:
    out: dict[int, list[_PredRow]] = defaultdict(list)
    for table in doc.tables:
        headers = {c.index: c.header for c in table.columns}
        for row in table.rows:
            by_page: dict[int, list[Cell]] = defaultdict(list)
            for c in row.cells:
                by_page[c.page].append(c)
            for page, cells in by_page.items():
                ys = [(c.bbox[1] + c.bbox[3]) / 2 for c in cells if len(c.bbox) == 4 and c.bbox[3] > c.bbox[1]]
                y = statistics.median(ys) if ys else float("nan")
                out[page].append(_PredRow(table.id, row, cells, y, headers))
    return out


def _holds_label(r: _PredRow, key: RowKey, threshold: float) -> bool:
    """The predicted row holds the truth's label cell as one of its text cells: the same row, named by another of
    its columns. Truth names a row by the nearest word left of the value (采购方式 ``集中采购机构采购`` in Wuxi's
    采购预算表, a 三级指标 in 绩效目标表); the pipeline by its 科目/项目 column. Codes still match only as codes."""
    if key.name is None or key.code is not None:
        return False
    return any(HAN.search(c.text or "") and name_similarity(key.name, c.text) >= threshold for c in r.cells)


def _page_scale(doc: Document, page: int, truth_dpi: int) -> float:
    for p in doc.pages:
        if p.index == page and p.dpi:
            return p.dpi / truth_dpi
    return 1.0


def match_page(
    truth: TruthPage,
    doc: Document,
    options: MatchOptions | None = None,
    doc_page: int | None = None,
    rows: Mapping[int, list[_PredRow]] | None = None,
) -> list[CellOutcome]:
    """Outcome for each truth cell of one page. ``doc_page``: the page's index in ``doc`` (default: same index)."""
    options = options or MatchOptions()
    rows = _rows_by_page(doc) if rows is None else rows
    page = truth.page if doc_page is None else doc_page
    scale = _page_scale(doc, page, truth.dpi)
    tol = options.x_tol_frac * truth.width * scale
    candidates_on_page = rows.get(page, [])
    out: list[CellOutcome] = []
    for t in truth.cells:
        tx, ty = t.x_centre * scale, t.y_centre * scale
        keyed = [
            r
            for r in candidates_on_page
            if row_key_matches(t.row_key, r.row.code, r.row.name, options.name_threshold)
            or _holds_label(r, t.row_key, options.name_threshold)
        ]
        if not keyed:
            out.append(CellOutcome(t, "no_row"))
            continue
        best: tuple[float, _PredRow, Cell] | None = None
        for r in keyed:
            hits = [c for c in r.cells if len(c.bbox) == 4 and c.bbox[0] - tol <= tx <= c.bbox[2] + tol]
            if not hits:
                continue
            cell = min(hits, key=lambda c: abs((c.bbox[0] + c.bbox[2]) / 2 - tx))
            dy = abs(r.y - ty) if r.y == r.y else float("inf")
            if best is None or dy < best[0]:
                best = (dy, r, cell)
        if best is None:
            out.append(CellOutcome(t, "no_cell", table_id=keyed[0].table_id, row_index=keyed[0].row.index))
            continue
        _, r, cell = best
        value = cell_value(cell)
        header_ok = header_matches(t.column, r.headers.get(cell.col), options.header_threshold)
        good = same_value(value, t.value) and not (options.require_header and header_ok is False)
        out.append(
            CellOutcome(
                t,
                "ok" if good else "wrong_value",
                table_id=r.table_id,
                row_index=r.row.index,
                predicted_text=cell.text,
                predicted_value=value,
                predicted_bbox=tuple(cell.bbox),
                header_ok=header_ok,
                char_errors=edit_distance(normalize(t.text), normalize(cell.text or "")),
                predicted_code=r.row.code,
                predicted_name=r.row.name,
            )
        )
    return out


def match_document(
    truth_pages: Sequence[TruthPage],
    doc: Document,
    options: MatchOptions | None = None,
    page_map: Mapping[int, int] | None = None,
) -> list[CellOutcome]:
    """Outcomes of all truth pages of one document (``page_map``: truth page index → document page index)."""
    rows = _rows_by_page(doc)
    out: list[CellOutcome] = []
    for tp in truth_pages:
        doc_page = page_map.get(tp.page, tp.page) if page_map else tp.page
        out += match_page(tp, doc, options, doc_page=doc_page, rows=rows)
    return out


# ---------------------------------------------------------------------------------------------------- summaries


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 6) if den else None


def cell_metrics(outcomes: Sequence[CellOutcome]) -> dict[str, Any]:
    """Value accuracy, OCR character accuracy on located cells, row exactness, status counts."""
    n = len(outcomes)
    ok = sum(o.ok for o in outcomes)
    located = [o for o in outcomes if o.located]
    chars = sum(len(normalize(o.truth.text)) for o in located)
    errors = sum(o.char_errors or 0 for o in located)
    rows: dict[tuple[Any, ...], list[CellOutcome]] = defaultdict(list)
    for o in outcomes:
        t = o.truth
        rows[(t.doc, t.page, t.table, t.row_key, round(t.cell_px[1]))].append(o)
    headers = [o.header_ok for o in located if o.header_ok is not None]
    boxed = [o for o in located if o.predicted_bbox is not None]
    ious = [box_iou(o.truth.cell_px, o.predicted_bbox or ()) for o in boxed]
    coded = [o for o in located if o.truth.row_key.code]
    codes_right = sum(normalize_code(o.predicted_code) == normalize_code(o.truth.row_key.code) for o in coded)
    # Rows can match through a label cell other than the row's name (`_holds_label`): how often the name agrees too.
    named = [o for o in located if o.truth.row_key.name and not o.truth.row_key.code]
    names_right = sum(name_similarity(o.truth.row_key.name, o.predicted_name) >= 0.8 for o in named)
    counts: dict[str, int] = defaultdict(int)
    for o in outcomes:
        counts[o.status] += 1
    return {
        "cells": n,
        "value_accuracy": _ratio(ok, n),
        "cells_located": len(located),
        "located_rate": _ratio(len(located), n),
        "ocr_char_accuracy": None if not chars else round(1 - errors / chars, 6),
        "cer": _ratio(errors, chars),
        "rows": len(rows),
        "row_exactness": _ratio(sum(all(o.ok for o in r) for r in rows.values()), len(rows)),
        "header_agreement": _ratio(sum(headers), len(headers)),
        "row_code_accuracy": _ratio(codes_right, len(coded)),
        "row_name_agreement": _ratio(names_right, len(named)),
        # Structure: the predicted cell box against the ruled cell (PDF truth) on located cells.
        "cell_box_iou_mean": round(statistics.fmean(ious), 6) if ious else None,
        "cell_box_iou_50": _ratio(
            sum(i >= 0.5 for i in ious), len(ious)
        ),  # located cells whose row has the exact 科目编码
        "status": dict(sorted(counts.items())),
    }


def table_metrics(
    truth_pages: Sequence[TruthPage], outcomes: Sequence[CellOutcome], docs: Iterable[Document] = ()
) -> dict[str, Any]:
    """Table recall: a truth table with values is *found* when ≥ 1 of its cells was located in a predicted table.

    Precision: predicted tables holding ≥ 1 number, on the evaluated pages, that hold ≥ 1 located truth cell.
    Type accuracy: where the truth knows the type (labelled pages; PDFs: the type of the title in the text layer)
    and the table was found. Title accuracy: the found table's title equals the text layer's (folded).
    """
    found: dict[tuple[str, int, int], set[str]] = defaultdict(set)
    for o in outcomes:
        if o.located and o.table_id is not None:
            found[(o.truth.doc, o.truth.page, o.truth.table)].add((o.truth.doc, o.table_id))
    with_values = [(tp.doc, t) for tp in truth_pages for t in tp.tables if t.n_values > 0]
    n_found = sum(1 for doc, t in with_values if found.get((doc, t.page, t.index)))
    hit_ids = {tid for ids in found.values() for tid in ids}
    docs = list(docs)
    pages_by_doc: dict[str, set[int]] = defaultdict(set)
    for tp in truth_pages:
        pages_by_doc[tp.doc].add(tp.page)
    predicted = 0
    predicted_hit = 0
    types_total = 0
    types_right = 0
    by_id = {(_doc_name(d), t.id): t for d in docs for t in d.tables}  # table ids are unique per document
    for d in docs:
        name = _doc_name(d)
        pages = pages_by_doc.get(name, set())
        for t in d.tables:
            has_number = any(cell_value(c) is not None for r in t.rows for c in r.cells)
            if not has_number or not (set(t.pages) & pages):
                continue
            predicted += 1
            predicted_hit += (name, t.id) in hit_ids
    titles_total = 0
    titles_right = 0
    for doc_name, t in with_values:
        ids = found.get((doc_name, t.page, t.index))
        if not ids:
            continue
        if t.type is not None:
            types_total += 1
            types_right += any(by_id[i].type == t.type for i in ids if i in by_id)
        if t.title:
            titles_total += 1
            titles_right += any(_same_title(by_id[i].title, t.title) for i in ids if i in by_id)
    return {
        "tables": len(with_values),
        "tables_without_values": sum(1 for tp in truth_pages for t in tp.tables if t.n_values == 0),
        "tables_found": n_found,
        "table_recall": _ratio(n_found, len(with_values)),
        "predicted_tables": predicted,
        "table_precision": _ratio(predicted_hit, predicted),
        "table_type_accuracy": _ratio(types_right, types_total),
        "table_type_checked": types_total,
        "table_title_accuracy": _ratio(titles_right, titles_total),
        "table_title_checked": titles_total,
    }


def _doc_name(doc: Document) -> str:
    return doc.source.path.replace("\\", "/").rsplit("/", 1)[-1]


def _same_title(predicted: str | None, truth: str) -> bool:
    """Titles equal after folding spaces, punctuation, year and 续表 (OCR spacing is not a wrong title)."""
    if not predicted:
        return False
    from juesuan.validation.schema import normalize_title

    return normalize_name(normalize_title(predicted)) == normalize_name(normalize_title(truth))


def identity_pass_rate(doc: Document) -> dict[str, Any]:
    """Share of identity checks (勾稽关系) that pass: 1 - error violations / checks, from ``Document.validation``."""
    v = doc.validation
    errors = sum(1 for x in v.violations if x.severity == "error")
    return {
        "checks": v.checks,
        "violations": errors,
        "pass_rate": None if not v.checks else round(1 - min(errors, v.checks) / v.checks, 6),
        "repairs": len(v.repairs),
    }


def identity_metrics(after: Sequence[Document], before: Sequence[Document] | None = None) -> dict[str, Any]:
    """Pass rate after repair (as extracted) and before repair (the same documents re-checked without repair)."""

    def pooled(docs: Sequence[Document]) -> dict[str, Any]:
        parts = [identity_pass_rate(d) for d in docs]
        checks = sum(p["checks"] for p in parts)
        violations = sum(p["violations"] for p in parts)
        return {
            "checks": checks,
            "violations": violations,
            "pass_rate": None if not checks else round(1 - min(violations, checks) / checks, 6),
            "repairs": sum(p["repairs"] for p in parts),
        }

    return {"after_repair": pooled(after), "before_repair": pooled(before) if before is not None else None}


def timing_metrics(docs: Sequence[Document]) -> dict[str, Any]:
    """Seconds per page by stage, pooled over documents, from ``Document.meta["timings"]`` (stage → seconds)."""
    totals: dict[str, float] = defaultdict(float)
    pages = 0
    for d in docs:
        timings = d.meta.get("timings") or {}
        n = int(d.meta.get("pages_processed") or len(d.pages) or 0)
        if not timings or not n:
            continue
        pages += n
        for stage, seconds in timings.items():
            totals[stage] += float(seconds)
    per_page = {k: round(v / pages, 4) for k, v in totals.items()} if pages else {}
    return {"pages": pages, "seconds_per_page": per_page, "total_per_page": round(sum(per_page.values()), 4)}


def summarize(
    truth_pages: Sequence[TruthPage],
    outcomes: Sequence[CellOutcome],
    docs: Sequence[Document] = (),
    before_repair: Sequence[Document] | None = None,
) -> dict[str, Any]:
    """All metrics of one evaluation run, overall and per document."""
    per_doc: dict[str, Any] = {}
    for name in sorted({tp.doc for tp in truth_pages}):
        tps = [tp for tp in truth_pages if tp.doc == name]
        outs = [o for o in outcomes if o.truth.doc == name]
        per_doc[name] = {**cell_metrics(outs), **table_metrics(tps, outs)}
    return {
        **cell_metrics(outcomes),
        **table_metrics(truth_pages, outcomes, docs),
        "identities": identity_metrics(docs, before_repair) if docs else None,
        "timings": timing_metrics(docs) if docs else None,
        "per_document": per_doc,
    }


def page_scores(outcomes: Sequence[CellOutcome]) -> list[tuple[str, int, float, int]]:
    """(doc, page, value accuracy, cells) per page, worst first: the pages a report renders."""
    by_page: dict[tuple[str, int], list[CellOutcome]] = defaultdict(list)
    for o in outcomes:
        by_page[(o.truth.doc, o.truth.page)].append(o)
    scores = [(d, p, sum(o.ok for o in outs) / len(outs), len(outs)) for (d, p), outs in by_page.items()]
    return sorted(scores, key=lambda s: (s[2], -s[3], s[0], s[1]))
