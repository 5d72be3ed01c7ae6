"""Ruled table grids (有线表格) from ruling lines: OpenCV morphology, no model.

Almost every table in 部门决算/预算 disclosures is fully ruled, so the lines give rows, columns and merged header
cells exactly, without OCR. Lines are found once per page and grouped into *line structures* (connected sets of
horizontal and vertical rules); each structure is one table. Layout regions only decide the region box and its
source: a structure inside a detector TABLE region keeps that region (source "both"), a structure no region covers
is added (source "lines"), and a TABLE region without a structure is borderless (``grid=None``, built after OCR).
Tables ruled only horizontally (三线表) form no structure (a structure needs two rules each way): the detector's
TABLE region over them is borderless and its columns come from text alignment (structure.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from juesuan.datamodel.page import (
    GridCell,
    GridResult,
    LayoutResult,
    Region,
    RegionKind,
    TableCandidate,
    TableGrid,
)
from juesuan.geometry import DisjointSets
from juesuan.options import GridOptions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Segment:
    """One ruling line: ``pos`` is y for a horizontal line, x for a vertical one; ``lo..hi`` its extent."""

    pos: float
    lo: float
    hi: float

    @property
    def length(self) -> float:
        return self.hi - self.lo


@dataclass(frozen=True, slots=True, eq=False)
class RuleMask:
    """The kept components of a line mask as labels + keep table; the uint8 mask is drawn only when asked for.

    Building the page-size mask costs a full-page gather that the grid itself never needs (it works on segments).
    """

    labels: np.ndarray  # connected-component labels (uint16 or int32) of a page window, 0 = background
    keep: np.ndarray  # bool per label: a rule, not text glued into a line
    origin: tuple[int, int] = (0, 0)  # (x, y) of the window on the page
    page_shape: tuple[int, int] | None = None  # (height, width) of the page; None: the window is the page
    # rules rebuilt from dashes on fax copies, drawn 1 px wide when the mask is drawn: (segment, horizontal)
    extra: tuple[tuple[Segment, bool], ...] = ()

    def mask(self) -> np.ndarray:
        lut = np.where(self.keep, 255, 0).astype(np.uint8)  # one uint8 gather, not a page of int64
        window = lut[self.labels]
        if self.page_shape is None or window.shape == tuple(self.page_shape):
            page = window
        else:
            page = np.zeros(self.page_shape, dtype=np.uint8)
            x0, y0 = self.origin
            page[y0 : y0 + window.shape[0], x0 : x0 + window.shape[1]] = window
        if self.extra:
            import cv2

            for seg, horizontal in self.extra:
                a, b = (round(seg.lo), round(seg.pos)), (round(seg.hi), round(seg.pos))
                cv2.line(page, a if horizontal else a[::-1], b if horizontal else b[::-1], 255, 1)
        return page


@dataclass(frozen=True, slots=True, eq=False)
class LineMasks:
    """Horizontal and vertical rules: their segments, and (on demand) binary masks (uint8 0/255)."""

    h_rules: RuleMask
    v_rules: RuleMask
    h_segments: tuple[Segment, ...]
    v_segments: tuple[Segment, ...]

    @property
    def horizontal(self) -> np.ndarray:
        return self.h_rules.mask()

    @property
    def vertical(self) -> np.ndarray:
        return self.v_rules.mask()


class RuledGrid:
    """Find ruled tables on each page and their grids (merged cells as spans)."""

    def __init__(self, options: GridOptions | None = None) -> None:
        self.options = options or GridOptions()

    def __call__(self, layouts: Sequence[LayoutResult]) -> list[GridResult]:
        return [self._page(layout) for layout in layouts]

    # ------------------------------------------------------------------ page
    def _page(self, layout: LayoutResult) -> GridResult:
        image = layout.page.image
        dpi = layout.page.ref.dpi or 200
        masks = detect_lines(image, dpi, self.options)
        structures = group_structures(masks, dpi, self.options)
        page_area = float(image.shape[0] * image.shape[1])
        detector_tables = [
            r for r in layout.regions if r.kind is RegionKind.TABLE and _area(r.bbox_px) < 0.97 * page_area
        ]
        used: set[int] = set()
        candidates: list[TableCandidate] = []
        for box, hs, vs in structures:
            grid = build_grid(box, hs, vs, dpi, self.options)
            matched = [i for i, r in enumerate(detector_tables) if _overlap_frac(box, r.bbox_px) > 0.3]
            if matched:
                used.update(matched)
                score = max(detector_tables[i].score for i in matched)
                region = Region(RegionKind.TABLE, box, score, source="both")
            else:
                region = Region(RegionKind.TABLE, box, 1.0, source="lines")
            candidates.append(TableCandidate(region=region, grid=grid))
        for i, r in enumerate(detector_tables):
            if i not in used:
                candidates.append(TableCandidate(region=r, grid=None))
        candidates.sort(key=lambda c: (c.region.bbox_px[1], c.region.bbox_px[0]))
        regions = (
            tuple(r for r in layout.regions if r.kind is not RegionKind.TABLE or r not in detector_tables)
            + tuple(r for i, r in enumerate(detector_tables) if i not in used)
            + tuple(c.region for c in candidates if c.grid is not None)
        )
        new_layout = LayoutResult(page=layout.page, regions=_dedupe(regions))
        log.debug("%s: %d table(s), %d ruled", layout.page.ref.where(), len(candidates), len(structures))
        return GridResult(layout=new_layout, tables=tuple(candidates))


# ---------------------------------------------------------------------- lines
def _binarize(image: np.ndarray) -> np.ndarray:
    import cv2

    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    gray = np.ascontiguousarray(gray)
    adaptive = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 12)
    _, dark = cv2.threshold(gray, 109, 255, cv2.THRESH_BINARY_INV)  # 255 where gray < 110, in one pass
    return cv2.bitwise_or(adaptive, dark)


def detect_lines(image: np.ndarray, dpi: int, options: GridOptions) -> LineMasks:
    """Horizontal and vertical rules by morphological opening with long thin kernels.

    A short closing along the line direction first bridges dashes and breaks from scanning; components thicker than
    a rule (text that the closing glued together) are dropped, so body text never becomes a line.
    """
    import cv2

    binary = _binarize(image)
    height, width = binary.shape
    h_len = max(round(0.18 * dpi), int(options.min_line_frac * width))
    v_len = max(round(0.15 * dpi), int(0.5 * options.min_line_frac * height))
    gap = max(2, round(options.bridge_gap_in * dpi))
    rebuilt_gap = max(3, round(options.broken_rule_gap_in * dpi))
    max_thick = max(3, round(options.max_rule_thickness_in * dpi))

    # Morphology and components run on the ink's bounding box only (table pages have wide white margins): the box
    # is grown by more than any kernel reaches, so every pixel inside sees what it saw on the whole page and none
    # outside can be set; even offsets keep OpenCV's 2x2 labelling blocks on the page's grid (same label order).
    x0, y0, x1, y1 = ink_window(binary, max(h_len, v_len) + 2 * gap + 2)
    crop = binary[y0:y1, x0:x1]

    def lines(kernel: tuple[int, int], bridge: tuple[int, int]) -> np.ndarray:
        element = cv2.getStructuringElement(cv2.MORPH_RECT, kernel)
        opened = cv2.morphologyEx(crop, cv2.MORPH_OPEN, element)
        closed = cv2.morphologyEx(crop, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))
        return cv2.bitwise_or(opened, cv2.morphologyEx(closed, cv2.MORPH_OPEN, element))

    origin, shape = (x0, y0), (height, width)
    h_mask, h_segs = _thin_components(lines((h_len, 1), (gap, 1)), True, max_thick, h_len, origin, shape)
    v_mask, v_segs = _thin_components(lines((1, v_len), (1, gap)), False, max_thick, v_len, origin, shape)
    tol = options.merge_tol_px
    if dpi <= options.recover_rules_max_dpi:
        # rebuilt rules only complete tables the ordinary rules already show: a title's bold strokes, joined, would
        # otherwise frame a one-row "table" above the real one
        plain = LineMasks(
            h_mask, v_mask, tuple(_join_collinear(h_segs, tol, gap * 3)), tuple(_join_collinear(v_segs, tol, gap * 3))
        )
        grow = 0.1 * dpi
        boxes = [
            (bx0 - grow, by0 - grow, bx1 + grow, by1 + grow)
            for (bx0, by0, bx1, by1), _, _ in group_structures(plain, dpi, options)
        ]
        h_rec, v_rec = recover_broken_rules(binary, dpi, h_len, v_len, options)
        cover = options.broken_rule_min_cover
        win = 4 * rebuilt_gap
        more_h = _dense(binary, _thin_components(h_rec, True, max_thick + 2)[1], True, cover, win)
        more_v = _dense(binary, _thin_components(v_rec, False, max_thick + 2)[1], False, cover, win)
        h_mask, h_segs = _union(h_mask, h_segs, _inside(more_h, boxes, horizontal=True), horizontal=True)
        v_mask, v_segs = _union(v_mask, v_segs, _inside(more_v, boxes, horizontal=False), horizontal=False)
    return LineMasks(
        h_mask, v_mask, tuple(_join_collinear(h_segs, tol, gap * 3)), tuple(_join_collinear(v_segs, tol, gap * 3))
    )


def recover_broken_rules(
    binary: np.ndarray, dpi: int, h_len: int, v_len: int, options: GridOptions
) -> tuple[np.ndarray, np.ndarray]:
    """Rules of a 1-bit low-dpi copy (fax) rebuilt from their dashes: masks of horizontal and vertical rules.

    At 150 dpi a 0.5-pt rule is 1-2 px wide; binarisation and drop-outs leave it in short dashes that wander between
    two pixel rows, so no single row holds a run as long as a rule and the one-row opening in :func:`detect_lines`
    loses it (a 收支总表 rule came out in 5 pieces 20-100 px apart, its rows merged in pairs). Here the ink is first
    widened by one pixel across the line (the two rows of a dashed rule become one run), gaps up to
    ``broken_rule_gap_in`` are closed along it, and only then are runs shorter than ``broken_rule_min_in`` opened
    away. Text glued together this way is as thick as a text line and is dropped by the thickness test like any
    other text. Short rules (a one-row header border) are left to the ordinary detection.
    """
    import cv2

    gap = max(3, round(options.broken_rule_gap_in * dpi))
    # longer than the strokes of two stacked glyphs closed together, which the closing would otherwise turn into rules
    h_len = max(h_len, round(options.broken_rule_min_in * dpi))
    v_len = max(v_len, round(options.broken_rule_min_in * dpi))
    h_band = cv2.dilate(binary, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3)))
    h_band = cv2.morphologyEx(h_band, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    h_rec = cv2.morphologyEx(h_band, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1)))
    v_band = cv2.dilate(binary, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 1)))
    v_band = cv2.morphologyEx(v_band, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, gap)))
    v_rec = cv2.morphologyEx(v_band, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_len)))
    return h_rec, v_rec


def _dense(
    binary: np.ndarray, segs: Sequence[Segment], horizontal: bool, min_cover: float, window: int
) -> list[Segment]:
    """Rebuilt rules whose original ink covers ``min_cover`` of their length within one pixel of the line, their
    ends trimmed to where it does over ``window`` px (text beyond a table's frame joined to its rule).

    A dashed rule on a fax copy keeps ~90% of its length; aligned strokes of a title or a cell's text that the
    closing joined keep under 60%, so this tells them apart where the thickness test cannot.
    """
    out: list[Segment] = []
    h, w = binary.shape
    for seg in segs:
        pos, lo, hi = round(seg.pos), max(0, int(seg.lo)), int(np.ceil(seg.hi))
        if horizontal:
            band = binary[max(0, pos - 1) : min(h, pos + 2), lo : min(w, hi)].any(axis=0)
        else:
            band = binary[lo : min(h, hi), max(0, pos - 1) : min(w, pos + 2)].any(axis=1)
        if band.size <= window:
            continue
        local = np.convolve(band.astype(np.float32), np.ones(window, np.float32) / window, mode="valid")
        ok = np.flatnonzero(local >= min_cover)
        if not ok.size:
            continue
        a, b = int(ok[0]), int(ok[-1]) + window
        if float(band[a:b].mean()) >= min_cover:
            out.append(Segment(seg.pos, float(lo + a), float(lo + b)))
    return out


def _inside(
    segs: Sequence[Segment], boxes: Sequence[tuple[float, float, float, float]], horizontal: bool
) -> list[Segment]:
    """Segments whose middle lies in one of ``boxes`` (x0, y0, x1, y1)."""
    out = []
    for seg in segs:
        mid = (seg.lo + seg.hi) / 2
        x, y = (mid, seg.pos) if horizontal else (seg.pos, mid)
        if any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in boxes):
            out.append(seg)
    return out


def _union(
    mask: RuleMask, segs: list[Segment], more: list[Segment], horizontal: bool
) -> tuple[RuleMask, list[Segment]]:
    """Rules found either way (the rebuilt ones drawn into the mask when it is drawn); overlapping collinear pieces
    are joined later by :func:`_join_collinear`."""
    if not more:
        return mask, segs
    return replace(mask, extra=(*mask.extra, *((seg, horizontal) for seg in more))), segs + more


def ink_window(binary: np.ndarray, pad: int) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1) of the ink grown by ``pad``, clipped to the page, with even x0 and y0."""
    import cv2

    height, width = binary.shape
    x, y, w, h = cv2.boundingRect(binary)
    if w == 0 or h == 0:  # a blank page: nothing to save
        return 0, 0, width, height
    x0, y0 = max(0, x - pad) & ~1, max(0, y - pad) & ~1
    return x0, y0, min(width, x + w + pad), min(height, y + h + pad)


def _thin_components(
    mask: np.ndarray,
    horizontal: bool,
    max_thick: int,
    min_len: int = 1,
    origin: tuple[int, int] = (0, 0),
    page_shape: tuple[int, int] | None = None,
) -> tuple[RuleMask, list[Segment]]:
    """Components of a line mask thin enough to be rules, as segments in page pixels (in label order).

    ``mask`` may be a window of the page at ``origin`` (x, y) with no ink outside it; segments are placed on the
    page with centroids exactly as a whole-page pass computes them (pixel sums are integers, so they are rebuilt
    exactly from the window's mean). ``min_len`` is the opening's kernel length: every component then holds at
    least that many pixels, which bounds the label count, so 16-bit labels are used when they cannot overflow (2-3x
    faster than 32-bit); OpenCV's morphology keeps runs cut by the page edge that are shorter, at most two per row
    or column.
    """
    import cv2

    bound = cv2.countNonZero(mask) // max(min_len, 1) + 2 * max(mask.shape)
    fits16 = bound < np.iinfo(np.uint16).max
    ltype = cv2.CV_16U if fits16 else cv2.CV_32S
    _, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=ltype)
    x, y, w, h, area = (stats[1:, k] for k in range(5))
    length = w if horizontal else h
    thin = area / np.maximum(length, 1) <= max_thick
    axis, shift = (1, origin[1]) if horizontal else (0, origin[0])
    pos = centroids[1:, axis]
    if shift:  # the page-frame mean of the same pixels: (window sum + area * shift) / area, as OpenCV divides
        pos = (np.rint(pos * area) + area * float(shift)) / area
    lo = x + origin[0] if horizontal else y + origin[1]
    idx = np.flatnonzero(thin)
    segs = [Segment(float(pos[i]), float(lo[i]), float(lo[i] + length[i])) for i in idx]
    page_shape = page_shape or mask.shape
    return RuleMask(labels, np.concatenate(([False], thin)), origin, page_shape), segs


def _join_collinear(segs: Sequence[Segment], tol: float, max_gap: float) -> list[Segment]:
    """Join pieces of one broken rule: same position within ``tol``, gap along the line below ``max_gap``."""
    out: list[Segment] = []
    for seg in sorted(segs, key=lambda s: (s.lo, s.pos)):
        for k, prev in enumerate(out):
            if abs(prev.pos - seg.pos) <= tol and seg.lo - prev.hi <= max_gap and seg.hi >= prev.lo - max_gap:
                w0, w1 = prev.length, seg.length
                pos = (prev.pos * w0 + seg.pos * w1) / max(w0 + w1, 1e-6)
                out[k] = Segment(pos, min(prev.lo, seg.lo), max(prev.hi, seg.hi))
                break
        else:
            out.append(seg)
    return out


# ----------------------------------------------------------------- structures
Structure = tuple[tuple[float, float, float, float], list[Segment], list[Segment]]


def group_structures(masks: LineMasks, dpi: int, options: GridOptions) -> list[Structure]:
    """Connected sets of rules that form a table: at least two horizontal and two vertical rules."""
    tol = options.merge_tol_px + 2
    hs, vs = _attached(list(masks.h_segments), list(masks.v_segments), tol, 1.0 * dpi)
    sets = DisjointSets(len(hs) + len(vs))
    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if h.lo - tol <= v.pos <= h.hi + tol and v.lo - tol <= h.pos <= v.hi + tol:
                sets.union(i, len(hs) + j)
    groups: dict[int, tuple[list[Segment], list[Segment]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(sets.find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(sets.find(len(hs) + j), ([], []))[1].append(v)
    min_size = 0.3 * dpi
    out: list[Structure] = []
    for g_h, g_v in groups.values():
        if len(g_h) < 2 or len(g_v) < 2:
            continue
        x0 = min([h.lo for h in g_h] + [v.pos for v in g_v])
        x1 = max([h.hi for h in g_h] + [v.pos for v in g_v])
        y0 = min([v.lo for v in g_v] + [h.pos for h in g_h])
        y1 = max([v.hi for v in g_v] + [h.pos for h in g_h])
        if x1 - x0 < min_size or y1 - y0 < 0.15 * dpi:
            continue
        out.append(((x0, y0, x1, y1), g_h, g_v))
    return out


def _touches(end: float, pos: float, others: Sequence[Segment], tol: float) -> bool:
    """Does a segment end at ``end`` (along its line, at ``pos`` across) meet one of ``others``?"""
    return any(abs(o.pos - end) <= tol and o.lo - tol <= pos <= o.hi + tol for o in others)


def _attached(hs: list[Segment], vs: list[Segment], tol: float, long_px: float) -> tuple[list[Segment], list[Segment]]:
    """Drop short strokes that do not run from rule to rule: a glyph stroke (丨, 一) near a cell border touches
    one rule at most.

    Rules longer than ``long_px`` are kept regardless (a frame with a broken corner is still a frame).
    """
    for _ in range(2):
        vs = [
            v for v in vs if v.length >= long_px or (_touches(v.lo, v.pos, hs, tol) and _touches(v.hi, v.pos, hs, tol))
        ]
        hs = [
            h for h in hs if h.length >= long_px or (_touches(h.lo, h.pos, vs, tol) and _touches(h.hi, h.pos, vs, tol))
        ]
    return hs, vs


def _cluster_weighted(values: Sequence[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Merge positions within ``tol`` (weighted by segment length); each separator with its total rule length."""
    out: list[list[float]] = []  # [weighted sum, weight, last]
    for pos, weight in sorted(values):
        if out and pos - out[-1][2] <= tol:
            out[-1][0] += pos * weight
            out[-1][1] += weight
            out[-1][2] = pos
        else:
            out.append([pos * weight, weight, pos])
    return [(s / max(w, 1e-6), w) for s, w, _ in out]


def _prune(edges: list[tuple[float, float]], min_gap: float) -> list[float]:
    """Drop the weaker of two separators closer than a cell can be (a pen stroke or seal edge beside a rule)."""
    edges = list(edges)
    while len(edges) > 2:
        gaps = [edges[k + 1][0] - edges[k][0] for k in range(len(edges) - 1)]
        k = min(range(len(gaps)), key=gaps.__getitem__)
        if gaps[k] >= min_gap:
            break
        del edges[k if edges[k][1] < edges[k + 1][1] else k + 1]
    return [e[0] for e in edges]


def _cluster(values: Sequence[tuple[float, float]], tol: float) -> list[float]:
    """Merge positions within ``tol`` (weighted by segment length) into one separator."""
    return [pos for pos, _ in _cluster_weighted(values, tol)]


def build_grid(
    box: tuple[float, float, float, float],
    hs: Sequence[Segment],
    vs: Sequence[Segment],
    dpi: int,
    options: GridOptions,
) -> TableGrid:
    """Separators from rule positions; a cell spans grid positions where the rule between them is missing."""
    tol = float(options.merge_tol_px)
    x0, y0, x1, y1 = box
    # A rule that is a separator must be part of the structure; short ones still count (partial header rules).
    min_cell = max(2 * tol, options.min_cell_in * dpi)
    row_edges = _prune(_cluster_weighted([(h.pos, h.length) for h in hs], tol), min_cell)
    col_edges = _prune(_cluster_weighted([(v.pos, v.length) for v in vs], tol), min_cell)
    # Open sides (no frame on the left/right or top/bottom): close the grid at the extent of the other rules.
    # An open side needs room for a cell; a rule poking out past the frame (a pen stroke) is not one.
    if col_edges[0] - x0 > max(3 * tol, min_cell):
        col_edges.insert(0, x0)
    if x1 - col_edges[-1] > max(3 * tol, min_cell):
        col_edges.append(x1)
    if row_edges[0] - y0 > max(3 * tol, min_cell):
        row_edges.insert(0, y0)
    if y1 - row_edges[-1] > max(3 * tol, min_cell):
        row_edges.append(y1)
    n_rows, n_cols = len(row_edges) - 1, len(col_edges) - 1
    margin = max(2.0, tol)

    def band(edges: Sequence[float], k: int) -> float:
        """Search half-width around a separator: wide enough for a slanted or warped rule (residual skew,
        perspective of a photographed page), narrow enough never to reach the neighbouring rule."""
        gaps = [edges[k] - edges[k - 1] if k > 0 else 1e9, edges[k + 1] - edges[k] if k + 1 < len(edges) else 1e9]
        return max(tol, min(3 * tol, 0.4 * min(gaps)))

    def h_present(r_edge: int, c: int) -> bool:
        """Is there a horizontal rule at row_edges[r_edge] across column c?"""
        lo, hi = col_edges[c] + margin, col_edges[c + 1] - margin
        cover = _coverage(hs, row_edges[r_edge], lo, hi, band(row_edges, r_edge))
        return cover >= options.min_separator_coverage

    def v_present(c_edge: int, r: int) -> bool:
        lo, hi = row_edges[r] + margin, row_edges[r + 1] - margin
        cover = _coverage(vs, col_edges[c_edge], lo, hi, band(col_edges, c_edge))
        return cover >= options.min_separator_coverage

    sets = DisjointSets(n_rows * n_cols)
    for r in range(n_rows):
        for c in range(n_cols):
            if c + 1 < n_cols and not v_present(c + 1, r):
                sets.union(r * n_cols + c, r * n_cols + c + 1)
            if r + 1 < n_rows and not h_present(r + 1, c):
                sets.union(r * n_cols + c, (r + 1) * n_cols + c)
    rects = _rectangles(sets, n_rows, n_cols)
    cells = tuple(
        GridCell(r0, c0, r1 - r0, c1 - c0, (col_edges[c0], row_edges[r0], col_edges[c1], row_edges[r1]))
        for r0, c0, r1, c1 in sorted(rects)
    )
    return TableGrid(
        bbox_px=(col_edges[0], row_edges[0], col_edges[-1], row_edges[-1]),
        row_edges=tuple(row_edges),
        col_edges=tuple(col_edges),
        cells=cells,
        ruled=True,
    )


def _coverage(segs: Sequence[Segment], pos: float, lo: float, hi: float, tol: float) -> float:
    """Fraction of ``lo..hi`` along a separator at ``pos`` covered by the table's rules within ``tol``.

    Rules, not mask pixels: glyph strokes next to a border were dropped from the segments (``_attached``) but are
    still ink in the mask, and would keep a merged header cell split.
    """
    if hi <= lo:
        return 1.0
    spans = sorted((max(s.lo, lo), min(s.hi, hi)) for s in segs if abs(s.pos - pos) <= tol and s.hi > lo and s.lo < hi)
    covered, end = 0.0, lo
    for a, b in spans:
        if b > end:
            covered += b - max(a, end)
            end = b
    return covered / (hi - lo)


def _rectangles(sets: DisjointSets, n_rows: int, n_cols: int) -> list[tuple[int, int, int, int]]:
    """Merged grid positions → rectangles (r0, c0, r1, c1), growing a non-rectangular group to its bounding box."""
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            groups.setdefault(sets.find(r * n_cols + c), []).append((r, c))
    rects = [
        (min(p[0] for p in g), min(p[1] for p in g), max(p[0] for p in g) + 1, max(p[1] for p in g) + 1)
        for g in groups.values()
    ]
    changed = True
    while changed:
        changed = False
        rects.sort()
        for i in range(len(rects)):
            for j in range(i + 1, len(rects)):
                a, b = rects[i], rects[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    rects[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del rects[j]
                    changed = True
                    break
            if changed:
                break
    return rects


def _area(b: tuple[float, float, float, float]) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _overlap_frac(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over the smaller box."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min(_area(a), _area(b))
    return ix * iy / small if small > 0 else 0.0


def _dedupe(regions: Sequence[Region]) -> tuple[Region, ...]:
    seen: list[Region] = []
    for r in regions:
        if r not in seen:
            seen.append(r)
    return tuple(seen)
