"""Tokens → cell texts: put every token into the grid cell that holds its centre.

Shared by the OCR stage (text-layer words, full-table detection boxes) and the borderless structure stage, so one
rule decides which cell a piece of text belongs to. A token is assigned by its *centre*, not its overlap: wrapped
科目名称 lines and amounts that touch a ruling line after deskew still land in one cell.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from juesuan.datamodel.page import CellText, GridCell, TableGrid, Token
from juesuan.geometry import reading_lines
from juesuan.lexicon import is_cjk


def _separator(left: str, right: str, gap_px: float, height_px: float) -> str:
    if not left or not right:
        return ""
    if is_cjk(left[-1]) or is_cjk(right[0]):
        return ""
    # Text-layer words and OCR pieces of one number sit closer than a space width: ``1,511`` + ``.90``.
    if gap_px < 0.25 * max(height_px, 1.0):
        return ""
    return " "


def join_tokens(tokens: Sequence[Token]) -> str:
    """Join tokens in reading order: words of a line by a space only between non-CJK text, lines without a break
    for CJK (a wrapped 科目名称) and with a space otherwise."""
    out = ""
    for line in reading_lines(tokens):
        prev: Token | None = None
        for tok in line:
            text = tok.text.strip()
            if not text:
                continue
            if prev is None:
                # first token of a line: continue the previous line
                out += _separator(out, text, gap_px=1e9, height_px=1.0) + text
            else:
                gap = tok.bbox_px[0] - prev.bbox_px[2]
                height = max(prev.bbox_px[3] - prev.bbox_px[1], tok.bbox_px[3] - tok.bbox_px[1])
                out += _separator(out, text, gap, height) + text
            prev = tok
    return out


def _locate(edges: Sequence[float], v: float) -> int:
    """Index of the grid interval holding ``v`` (clamped to the grid)."""
    i = bisect.bisect_right(edges, v) - 1
    return min(max(i, 0), len(edges) - 2)


def assign_tokens_to_cells(grid: TableGrid, tokens: Sequence[Token]) -> tuple[CellText, ...]:
    """One CellText per grid cell, in ``grid.cells`` order; empty cells get ``text=""`` and confidence 1.0.

    A token goes to the cell holding its centre; tokens whose centre lies outside the grid box are dropped (they
    belong to the title or notes). Confidence is the minimum over the cell's tokens.
    """
    n_rows, n_cols = grid.n_rows, grid.n_cols
    owner: dict[tuple[int, int], int] = {}
    for k, cell in enumerate(grid.cells):
        for r in range(cell.row, min(cell.row + cell.row_span, n_rows)):
            for c in range(cell.col, min(cell.col + cell.col_span, n_cols)):
                owner.setdefault((r, c), k)
    members: list[list[Token]] = [[] for _ in grid.cells]
    gx0, gy0, gx1, gy1 = grid.bbox_px
    for tok in tokens:
        cx = (tok.bbox_px[0] + tok.bbox_px[2]) / 2
        cy = (tok.bbox_px[1] + tok.bbox_px[3]) / 2
        if not (gx0 - 1 <= cx <= gx1 + 1 and gy0 - 1 <= cy <= gy1 + 1) or n_rows < 1 or n_cols < 1:
            continue
        k_opt = owner.get((_locate(grid.row_edges, cy), _locate(grid.col_edges, cx)))
        if k_opt is None:
            k_opt = _containing_cell(grid.cells, cx, cy)
        if k_opt is not None:
            members[k_opt].append(tok)
    out: list[CellText] = []
    for cell, toks in zip(grid.cells, members, strict=True):
        ordered = tuple(t for line in reading_lines(toks) for t in line)
        out.append(
            CellText(
                cell=cell,
                text=join_tokens(ordered),
                confidence=min((t.confidence for t in ordered), default=1.0),
                tokens=ordered,
            )
        )
    return tuple(out)


def _containing_cell(cells: Sequence[GridCell], cx: float, cy: float) -> int | None:
    best: tuple[float, int] | None = None
    for k, cell in enumerate(cells):
        x0, y0, x1, y1 = cell.bbox_px
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            area = (x1 - x0) * (y1 - y0)
            if best is None or area < best[0]:
                best = (area, k)
    return None if best is None else best[1]
