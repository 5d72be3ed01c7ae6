"""Defect counts and the raw-OCR ceiling (issue 12), per page, document, family and split.

- **Orphan amounts**: numeric cells (a value) in a row with neither 科目编码 nor name: the number was read, but no
  one can tell what it is the amount of. Header rows (years in a header) are not amounts.
- **Numeric-looking nulls**: a cell whose text looks like a number (digits, separators, OCR confusables such as
  ``202:24`` or ``1O5.00``) but whose value is null: a silent loss unless counted.
  Only cells labelled AMOUNT (or unlabelled) count: a CODE cell ``201`` has no value on purpose, nor has an
  unlabelled cell that is (part of) its row's 科目编码.
  Both are shares of the amounts the engine produced (cells with a value, plus the numeric-looking nulls).
  Not amounts: the assembler's ``分组`` column (``1``, ``2``: which side-by-side group a row came from) and 行次/栏次
  columns (headed so, or consecutive integers), which label rows. A table none of whose rows has a code or name
  (三公经费 as one row of amounts under its headers) is a record, not rows of orphans — the pipeline's rule too.
  The pipeline's own ``Table.orphans`` / ``Table.null_numeric`` are reported beside them (``*_reported``) so the
  two counts can be compared; the harness' count uses the definition above for every engine.
- **Raw ceiling**: the share of a page's truth numbers found anywhere in the full-page PP-OCRv6 text (a multiset
  match on the parsed value, position ignored). What a table extractor could at most keep, given that OCR.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from juesuan.datamodel.amounts import normalize, parse_amount
from juesuan.datamodel.document import Cell, Document, Table
from juesuan.datamodel.page import Token
from juesuan.inference.hypotheses import LINE_NUMBER_HEADER, is_line_numbers
from juesuan.lexicon import HAN
from juesuan.validation.rules import SIDE_HEADER

_CJK = HAN
_DIGIT = re.compile(r"[0-9０-９]")
# What OCR makes of an amount's glyphs: digits, separators, signs, brackets, and the usual confusables for 0 and .
_NUMERIC_GLYPHS = re.compile(r"^[0-9０-９.,，．:：;；'`·\-－—()（）%％+oOlIi|\s]+$")


def looks_numeric(text: str) -> bool:
    """True for text a person would read as an amount: no CJK, mostly digits (``202:24``, ``1O5.0O``, ``3,4l2``)."""
    t = text.strip()
    if not t or _CJK.search(t) or not _NUMERIC_GLYPHS.match(t):
        return False
    digits = len(_DIGIT.findall(t))
    return digits >= 1 and digits >= 0.5 * len(re.sub(r"\s", "", t))


# Cells the labeller called an amount, or left unlabelled (peers label nothing); a CODE cell is 科目编码, not money.
_AMOUNT_LABELS = {None, "AMOUNT"}


def _is_amount(cell: Cell) -> bool:
    return cell.value is not None and cell.label in _AMOUNT_LABELS


def _code_part(text: str, code: str | None) -> bool:
    """The cell is (a 类/款/项 part of) its row's 科目编码, labelled or not: peers and text-layer runs label nothing."""
    t = re.sub(r"\s+", "", text)
    return bool(code) and t.isdigit() and t in (code or "")


def _not_amount_columns(table: Table) -> set[int]:
    """Columns whose numbers label rows or groups: ``分组`` and 行次/栏次 (by header, or 1, 2, 3, … down the column)."""
    cols: set[int] = set()
    for col in table.columns:
        last = col.header.split("|")[-1].split("/")[-1].strip()
        if col.header.strip() == SIDE_HEADER or LINE_NUMBER_HEADER.search(last):
            cols.add(col.index)
    texts: dict[int, list[str]] = {}
    for row in table.rows:
        if row.kind != "header":
            for cell in row.cells:
                texts.setdefault(cell.col, []).append(cell.text)
    return cols | {c for c, ts in texts.items() if is_line_numbers(ts)}


def document_defects(doc: Document) -> dict[str, int]:
    """Counts over every table of one document (see the module docstring for the definitions)."""
    amounts = orphans = null_numeric = 0
    reported_orphans = reported_null = 0
    for table in doc.tables:
        reported_orphans += table.orphans
        reported_null += table.null_numeric
        skip = _not_amount_columns(table)
        record = not any((row.code or "").strip() or (row.name or "").strip() for row in table.rows)
        for row in table.rows:
            if row.kind == "header":
                continue
            keyed = record or bool((row.code or "").strip() or (row.name or "").strip())
            for cell in row.cells:
                if cell.col in skip:
                    continue
                if _is_amount(cell):
                    amounts += 1
                    orphans += not keyed
                elif cell.label in _AMOUNT_LABELS and looks_numeric(cell.text) and not _code_part(cell.text, row.code):
                    amounts += 1
                    null_numeric += 1
    return {
        "amounts": amounts,
        "orphans": orphans,
        "null_numeric": null_numeric,
        "orphans_reported": reported_orphans,
        "null_numeric_reported": reported_null,
    }


def ocr_values(tokens: Iterable[Token]) -> Counter[Decimal]:
    """Every amount in raw OCR text: each token split at spaces and CJK/number boundaries, then parsed."""
    from juesuan.evaluation.peers import split_pieces

    values: Counter[Decimal] = Counter()
    for piece in split_pieces(list(tokens)):
        v = parse_amount(piece.text)
        if v is None and _DIGIT.search(piece.text):
            v = parse_amount(normalize(piece.text).strip(",.;:"))
        if v is not None:
            values[Decimal(v)] += 1
    return values


def ceiling_hits(truth_values: Sequence[Decimal], tokens: Iterable[Token] | Counter[Decimal]) -> int:
    """How many truth values (with multiplicity) the OCR text holds (``tokens``, or their :func:`ocr_values`)."""
    found = Counter(tokens) if isinstance(tokens, Counter) else ocr_values(tokens)
    hits = 0
    for v in truth_values:
        key = Decimal(v)
        if found[key] > 0:
            found[key] -= 1
            hits += 1
    return hits


def pooled(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Pool per-document counts (cells, ok, amounts, orphans, null_numeric, ceiling_*) into shares."""
    keys = (
        "cells",
        "ok",
        "amounts",
        "orphans",
        "null_numeric",
        "orphans_reported",
        "null_numeric_reported",
        "ceiling_pages",
        "ceiling_cells",
        "ceiling_hits",
        "pages",
        "documents",
    )
    total = dict.fromkeys(keys, 0)
    for r in rows:
        for k in keys:
            total[k] += int(r.get(k) or 0)

    def share(num: str, den: str) -> float | None:
        return round(total[num] / total[den], 6) if total[den] else None

    return {
        **total,
        "value_accuracy": share("ok", "cells"),
        "orphan_share": share("orphans", "amounts"),
        "null_numeric_share": share("null_numeric", "amounts"),
        "raw_ceiling": share("ceiling_hits", "ceiling_cells"),
    }
