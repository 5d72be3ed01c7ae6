"""Geometry helpers shared by stages and evaluation: tokens into text lines, and union-find over indices.

One home for each, so a fix to line grouping reaches the text blocks, the peer baselines and the truth alike.
Boxes are ``(x0, y0, x1, y1)`` in page pixels (``Token.bbox_px``).
"""

from __future__ import annotations

from collections.abc import Sequence

from juesuan.datamodel.page import Token


def _centre_y(tok: Token) -> float:
    return (tok.bbox_px[1] + tok.bbox_px[3]) / 2


def text_lines(tokens: Sequence[Token]) -> list[list[Token]]:
    """Tokens into lines, top to bottom, each left to right: a token whose vertical centre lies inside the span of
    the line being built joins it, else it starts the next line. Cheap and order-stable; meant for running text and
    for rows of a borderless page, where lines do not interleave. (:func:`reading_lines` handles tokens of one cell.)
    """
    lines: list[list[Token]] = []
    spans: list[tuple[float, float]] = []
    for tok in sorted(tokens, key=lambda t: (_centre_y(t), t.bbox_px[0])):
        cy = _centre_y(tok)
        if lines and spans[-1][0] <= cy <= spans[-1][1]:
            lines[-1].append(tok)
            spans[-1] = (min(spans[-1][0], tok.bbox_px[1]), max(spans[-1][1], tok.bbox_px[3]))
            continue
        lines.append([tok])
        spans.append((tok.bbox_px[1], tok.bbox_px[3]))
    return [sorted(line, key=lambda t: t.bbox_px[0]) for line in lines]


def reading_lines(tokens: Sequence[Token]) -> list[list[Token]]:
    """Group tokens into lines (vertical overlap with the line so far) top→bottom, each sorted left→right.

    Unlike :func:`text_lines` a token may join any earlier line it overlaps by more than half the smaller height,
    so the two-line text of a merged cell comes out as two lines even when OCR boxes arrive out of order.
    """
    lines: list[tuple[float, float, list[Token]]] = []  # (y0, y1, tokens)
    for tok in sorted(tokens, key=lambda t: (_centre_y(t), t.bbox_px[0])):
        y0, y1 = tok.bbox_px[1], tok.bbox_px[3]
        h = max(y1 - y0, 1.0)
        placed = False
        for i, (ly0, ly1, members) in enumerate(lines):
            overlap = min(y1, ly1) - max(y0, ly0)
            if overlap > 0.5 * min(h, max(ly1 - ly0, 1.0)):
                members.append(tok)
                lines[i] = (min(ly0, y0), max(ly1, y1), members)
                placed = True
                break
        if not placed:
            lines.append((y0, y1, [tok]))
    lines.sort(key=lambda line: (line[0] + line[1]) / 2)
    return [sorted(members, key=lambda t: t.bbox_px[0]) for _, _, members in lines]


class DisjointSets:
    """Union-find over ``0..n-1`` with path halving: connected ruling lines, merged grid cells, split tables."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        """Join the sets of ``a`` and ``b``; the root of ``b``'s set becomes the root of both."""
        self.parent[self.find(a)] = self.find(b)
