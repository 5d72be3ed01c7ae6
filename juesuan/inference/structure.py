"""Borderless tables (无线表格): a grid from token alignment, so every table leaves OCR with cells.

Rows are text lines clustered by vertical overlap; columns are the gaps of the x-projection of the *body* lines
(lines holding an amount), because header text often spans several columns and would close the gaps. A line with
no amount whose text sits in one column right under a body row is a wrapped 科目名称 and joins that row.
Ruled tables pass through (cells are filled in when the OCR stage left them empty).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import pairwise

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.page import GridCell, OcrResult, TableGrid, TableOcr, Token
from juesuan.inference.cells import assign_tokens_to_cells, reading_lines
from juesuan.options import StructureOptions

log = logging.getLogger(__name__)


class TableStructure:
    """Every TableOcr leaves with a grid and cells."""

    def __init__(self, options: StructureOptions | None = None) -> None:
        self.options = options or StructureOptions()

    def __call__(self, pages: Sequence[OcrResult]) -> list[OcrResult]:
        out: list[OcrResult] = []
        for page in pages:
            tables = tuple(self._table(t) for t in page.tables)
            out.append(OcrResult(page=page.page, regions=page.regions, tables=tables, tokens=page.tokens))
        return out

    def _table(self, table: TableOcr) -> TableOcr:
        if table.grid is not None:
            if table.cells or not table.tokens:
                return table
            return TableOcr(table.region, table.grid, assign_tokens_to_cells(table.grid, table.tokens), table.tokens)
        grid = grid_from_tokens(table.tokens, self.options.min_col_gap_px)
        if grid is None:
            return TableOcr(table.region, None, (), table.tokens)
        return TableOcr(table.region, grid, assign_tokens_to_cells(grid, table.tokens), table.tokens)


def _is_amount(text: str) -> bool:
    return parse_amount(text) is not None


def grid_from_tokens(tokens: Sequence[Token], min_gap_px: float = 12.0) -> TableGrid | None:
    """Row/column separators from token alignment; None when there is no text."""
    toks = [t for t in tokens if t.text.strip()]
    if not toks:
        return None
    lines = reading_lines(toks)
    body = [line for line in lines if any(_is_amount(t.text) for t in line)] or lines
    # columns: gaps in the union of body token x-extents
    spans = sorted((t.bbox_px[0], t.bbox_px[2]) for line in body for t in line)
    merged: list[list[float]] = []
    for x0, x1 in spans:
        if merged and x0 <= merged[-1][1] + min_gap_px:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    left = min(t.bbox_px[0] for t in toks)
    right = max(t.bbox_px[2] for t in toks)
    col_edges = [left] + [(a[1] + b[0]) / 2 for a, b in pairwise(merged)] + [right]
    col_edges = sorted(set(col_edges))
    if len(col_edges) < 2:
        col_edges = [left, right + 1]

    def column_of(t: Token) -> int:
        cx = (t.bbox_px[0] + t.bbox_px[2]) / 2
        return max(0, min(len(col_edges) - 2, sum(1 for e in col_edges[1:-1] if cx > e)))

    # rows: one per line; a wrapped name line (no amount, one column) joins the nearest body row above or below
    body_ids = [i for i, line in enumerate(lines) if any(_is_amount(t.text) for t in line)]
    first_body = body_ids[0] if body_ids else len(lines)
    owner: dict[int, int] = {}
    for i, line in enumerate(lines):
        if i <= first_body or i in body_ids or len({column_of(t) for t in line}) != 1:
            continue
        centre = _centre(line)
        near = min(body_ids, key=lambda k: abs(_centre(lines[k]) - centre))
        if abs(_centre(lines[near]) - centre) < 1.5 * _height(line):
            owner[i] = near
    groups: list[list[Token]] = []
    index_of: dict[int, int] = {}
    for i, line in enumerate(lines):
        if i in owner:
            continue
        index_of[i] = len(groups)
        groups.append(list(line))
    for i, k in owner.items():
        groups[index_of[k]].extend(lines[i])
    order = sorted(range(len(groups)), key=lambda g: min(t.bbox_px[1] for t in groups[g]))
    groups = [groups[g] for g in order]
    tops = [min(t.bbox_px[1] for t in g) for g in groups]
    bottoms = [max(t.bbox_px[3] for t in g) for g in groups]
    row_edges = [tops[0]] + [(bottoms[k] + tops[k + 1]) / 2 for k in range(len(groups) - 1)] + [bottoms[-1]]
    for k in range(1, len(row_edges)):
        row_edges[k] = max(row_edges[k], row_edges[k - 1] + 1)
    cells = tuple(
        GridCell(r, c, 1, 1, (col_edges[c], row_edges[r], col_edges[c + 1], row_edges[r + 1]))
        for r in range(len(row_edges) - 1)
        for c in range(len(col_edges) - 1)
    )
    return TableGrid(
        bbox_px=(col_edges[0], row_edges[0], col_edges[-1], row_edges[-1]),
        row_edges=tuple(row_edges),
        col_edges=tuple(col_edges),
        cells=cells,
        ruled=False,
    )


def _centre(line: Sequence[Token]) -> float:
    return (min(t.bbox_px[1] for t in line) + max(t.bbox_px[3] for t in line)) / 2


def _height(line: Sequence[Token]) -> float:
    return max(t.bbox_px[3] - t.bbox_px[1] for t in line)
