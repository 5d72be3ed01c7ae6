"""Token-label entity F1 (标注 F1): does each table cell of the document carry the right token label?

Gold labels come from labelled pages (their tokens) or, for PDFs, from the text layer labelled by the same rules that
made the training data (``datasets.autolabel.label_page`` over the text-layer words and the ruled grid of the clean
page). One entity is one gold table cell (the lines of a wrapped name are one entity); its predicted label is the
``label`` of the document cell whose box contains the gold cell's centre, in the document's pixels.

Scoring rules:
- Scored gold cells: every table cell with text except HEADER. Header rows are not document cells (they become
  ``Column.header``), so a header cell has nothing to compare with.
- A scored cell with no covering document cell, or one without a label, is a miss (false negative only).
- A wrong label is a false negative of the gold label and a false positive of the predicted one.
- A gold HEADER cell covered by a document cell labelled otherwise (a header row read as body) is a false positive
  of that label.
Micro F1 pools all labels; per-label precision/recall/F1 are reported with their support (gold cells), HEADER left
out (its precision would be 0 by construction); body cells labelled HEADER count in micro precision and in
``label_body_as_header``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from juesuan.datamodel.document import Document
from juesuan.datamodel.labelled import LabelledToken
from juesuan.datamodel.page import Token
from juesuan.evaluation.gold import GoldLabel

log = logging.getLogger(__name__)

UNSCORED = frozenset({"HEADER"})

ColumnHead = tuple[float, float, tuple[str, ...]]


def gold_cells(tokens: Sequence[LabelledToken]) -> tuple[GoldLabel, ...]:
    """One gold entity per labelled table cell: tokens of the same (table, row, col) joined, box = their union."""
    groups: dict[tuple[int, int, int], list[LabelledToken]] = defaultdict(list)
    for t in tokens:
        if t.table is None or t.row is None or t.col is None or not t.text.strip():
            continue
        groups[(t.table, t.row, t.col)].append(t)
    out = []
    for (table, row, col), toks in groups.items():
        box = (
            min(t.bbox[0] for t in toks),
            min(t.bbox[1] for t in toks),
            max(t.bbox[2] for t in toks),
            max(t.bbox[3] for t in toks),
        )
        labels = [t.label for t in toks]
        label = max(set(labels), key=labels.count)
        out.append(GoldLabel(table, row, col, label, box, "".join(t.text for t in toks)))
    return tuple(sorted(out, key=lambda g: (g.table, g.row, g.col)))


def text_layer_gold(
    image: np.ndarray,
    words: Sequence[Token],
    path: str,
    page: int,
    dpi: int,
    inherited: Sequence[ColumnHead] | None = None,
) -> tuple[tuple[GoldLabel, ...], list[ColumnHead] | None]:
    """Gold labels of a clean rendered PDF page (``image``, at ``dpi``) from its text-layer ``words``.

    The same calls as ``datasets.autolabel.autolabel_page`` (ruled grid of the clean page, then ``label_page``), on
    the raster the harness already made. Also returns the last table's column heads (a 续表 on the next page).
    """
    from juesuan.datamodel.page import LayoutResult, PageImage, PageRef
    from juesuan.datasets.autolabel import label_page
    from juesuan.inference.grid import RuledGrid
    from juesuan.options import GridOptions

    words = tuple(w for w in words if w.text.strip())
    page_image = PageImage(PageRef(path, page, dpi), image, text_layer=words)
    result = RuledGrid(GridOptions())([LayoutResult(page=page_image, regions=())])[0]
    grids = [c.grid for c in result.tables if c.grid is not None]
    tokens, _tables, heads = label_page(words, grids, page_image.width, page_image.height, inherited)
    return gold_cells(tokens), (heads[-1] if heads else None)


@dataclass(frozen=True, slots=True)
class LabelOutcome:
    doc: str
    page: int
    gold: GoldLabel
    predicted: str | None  # None: no document cell covers the gold cell's centre (or it has no label)


def _predicted_cells(doc: Document, page: int) -> list[tuple[tuple[float, float, float, float], str | None]]:
    out = []
    for table in doc.tables:
        for row in table.rows:
            for c in row.cells:
                if c.page == page and len(c.bbox) == 4 and c.bbox[2] > c.bbox[0] and c.bbox[3] > c.bbox[1]:
                    out.append(((c.bbox[0], c.bbox[1], c.bbox[2], c.bbox[3]), c.label))
    return out


def match_labels(
    doc_name: str, page: int, gold: Sequence[GoldLabel], doc: Document | None, doc_page: int = 0, scale: float = 1.0
) -> list[LabelOutcome]:
    """Each gold cell with the label of the smallest document cell containing its centre (times ``scale``)."""
    cells = _predicted_cells(doc, doc_page) if doc is not None else []
    out = []
    for g in gold:
        x = (g.bbox_px[0] + g.bbox_px[2]) / 2 * scale
        y = (g.bbox_px[1] + g.bbox_px[3]) / 2 * scale
        hits = [(b, lab) for b, lab in cells if b[0] <= x <= b[2] and b[1] <= y <= b[3]]
        predicted = min(hits, key=lambda h: (h[0][2] - h[0][0]) * (h[0][3] - h[0][1]))[1] if hits else None
        out.append(LabelOutcome(doc_name, page, g, predicted))
    return out


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | None]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return {k: None if v is None else round(v, 6) for k, v in (("precision", p), ("recall", r), ("f1", f))}


def label_metrics(outcomes: Sequence[LabelOutcome]) -> dict[str, Any]:
    """Per-label and micro precision/recall/F1 over gold cells (rules in the module docstring)."""
    tp: dict[str, int] = defaultdict(int)
    fp: dict[str, int] = defaultdict(int)
    fn: dict[str, int] = defaultdict(int)
    support: dict[str, int] = defaultdict(int)
    missed = 0
    for o in outcomes:
        gold, pred = o.gold.label, o.predicted
        if gold in UNSCORED:
            if pred is not None and pred not in UNSCORED:
                fp[pred] += 1
            continue
        support[gold] += 1
        if pred == gold:
            tp[gold] += 1
            continue
        fn[gold] += 1
        missed += pred is None
        if pred is not None:
            fp[pred] += 1
    labels = sorted((set(support) | set(fp)) - UNSCORED)
    per_label = {
        lab: {**_prf(tp[lab], fp[lab], fn[lab]), "support": support[lab], "tp": tp[lab], "fp": fp[lab], "fn": fn[lab]}
        for lab in labels
    }
    micro = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return {
        "label_cells": sum(support.values()),
        "label_f1": micro["f1"],
        "label_precision": micro["precision"],
        "label_recall": micro["recall"],
        "label_uncovered": missed,
        "label_body_as_header": sum(fp[lab] for lab in UNSCORED),  # body cells labelled HEADER (in micro FP)
        "per_label": per_label,
    }
