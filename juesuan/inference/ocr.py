"""OCR stage: grids in, page text out (cell texts of ruled tables, tokens of borderless tables and text regions).

Ruled tables are read cell by cell: the grid already says where every cell is, so each cell's pixels are cropped
(inset to cut ruling-line remnants), blank cells are skipped by counting ink, multi-line cells (a wrapped 科目名称
such as 机关事业单位基本养老保险缴费支出) are split into lines by horizontal projection, and every line of every page in
the batch goes through the recogniser together, sorted by aspect ratio. Text detection runs only where no grid
exists: borderless table regions and titles / text blocks / captions / headers. Pixels already read (a text region
overlapping a table) are whitened before detection, so nothing is read twice.

With a digital PDF and ``--text-layer auto`` (``PageImage.text_layer`` set) no OCR runs: the text-layer words are
distributed into the same structures.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from juesuan.datamodel.amounts import is_empty_mark, parse_amount
from juesuan.datamodel.page import (
    BBox,
    CellText,
    GridResult,
    OcrResult,
    PageImage,
    Region,
    RegionKind,
    TableCandidate,
    TableGrid,
    TableOcr,
    Token,
)
from juesuan.errors import ConfigError
from juesuan.inference import registry
from juesuan.inference.cells import assign_tokens_to_cells, join_tokens
from juesuan.lexicon import HAN
from juesuan.models.ppocr import DbTextDetector, DetParams, PpOcrEngine, RecLine, crop_quad
from juesuan.options import OcrOptions

log = logging.getLogger(__name__)

UNIT_BAND_IN = 0.45  # band above a table read for the unit line when no layout region covers it
TEXT_KINDS = (RegionKind.TITLE, RegionKind.TEXT, RegionKind.TABLE_CAPTION, RegionKind.HEADER)
# Region crops are detected at page scale (200 dpi text is 25-35 px tall, what DB sees on a full page), not
# upsampled to a 736 px short side as rapidocr does for a whole image; 2000 px caps the long side as rapidocr does.
REGION_DET = DetParams(limit_side_len=2000, limit_type="max")
# Above this share of inked cells whose ink touches the cell's top or bottom, the grid does not sit on the text (a
# warped scan): that table is read by detection + recognition and the lines go to cells by their centres. On the
# finance PDF's table pages: clean, scan and fax presets at most 0.09; heavy-preset tables that slice text 0.21-1.0.
MAX_CUT_FRACTION = 0.2
# Below this dpi det+rec over a table merges neighbouring amounts into one line (cell gaps get narrower than the
# detector's gap), so the fallback costs more than sliced glyphs do: on one scan-degraded table page of each shared
# PDF at 150 dpi, cell crops read 98.6% of values and the det+rec fallback 78.9% (`juesuan evaluate
# ../shared/data/real/*.pdf --max-pages 1 --dpi 150`); at 200 dpi both read the same.
FALLBACK_MIN_DPI = 180
LOW_DPI_MAX_CUT_FRACTION = 0.9
# Above this share of inked cells that are ink in every row (a grey fill darkened by a photo's light, which the
# table-wide ink threshold takes for ink), cell crops lose digits to the rule-remnant eraser and read the fill: that
# table is read by detection too. The 72 scan pages of runs/eval-wide-final: 0 %; its 72 photo pages: 0-40 %, and
# the tables above 5 % read better by detection (central 2024 决算 p.8, hangzhou_meteorology p.18; docs/robustness.md).
MAX_FILLED_FRACTION = 0.05
# A cell more than this share ink under the table's threshold has paper darker than it (a fill, a photo's dark
# corner): it is thresholded on its own, where its own levels part by at least MIN_CELL_CONTRAST grey levels.
DARK_PAPER_SHARE = 0.5
MIN_CELL_CONTRAST = 48
REGION_MARGIN_PX = 12  # white margin around a region crop so that text touching its edge is still detected


# ---------------------------------------------------------------------------------------------------------------
# Cell crops


@dataclass(frozen=True, slots=True)
class LineCrop:
    """One text line of one cell: grey pixels padded with white, and the ink box in page pixels."""

    image: np.ndarray
    bbox_px: BBox


def ink_threshold(gray: np.ndarray) -> int:
    """Grey level below which a pixel is ink: Otsu over the table, kept in [96, 200] so that an almost empty
    table (Otsu then splits paper noise) or a dark scan do not flip it."""
    if gray.size == 0:
        return 160
    thr, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return int(min(max(thr, 96), 200))


def remove_specks(ink: np.ndarray, max_area: int) -> np.ndarray:
    """Drop connected ink components of at most ``max_area`` px (scan noise); decimal points are larger."""
    if max_area <= 0 or not ink.any():
        return ink
    u8 = np.ascontiguousarray(ink).view(np.uint8)  # bool is one byte of 0/1: no copy
    ltype = cv2.CV_16U if cv2.countNonZero(u8) < np.iinfo(np.uint16).max else cv2.CV_32S  # labels <= ink pixels
    _n, labels, stats, _centroids = cv2.connectedComponentsWithStats(u8, connectivity=8, ltype=ltype)
    small = stats[:, cv2.CC_STAT_AREA] <= max_area
    small[0] = False
    if not small[1:].any():
        return ink
    ids = np.flatnonzero(small)
    m = int(stats[ids, cv2.CC_STAT_WIDTH].max()), int(stats[ids, cv2.CC_STAT_HEIGHT].max())
    if len(ids) * m[0] * m[1] * 4 >= ink.size:  # specks everywhere (a fax copy): one gather over the image
        keep = ~small
        keep[0] = False  # background stays background: one gather instead of gather, invert and AND
        return keep[labels]
    # few specks (a clean page): clear their pixels inside their own boxes instead of gathering the whole table
    ys = stats[ids, cv2.CC_STAT_TOP][:, None, None] + np.arange(m[1])[None, :, None]
    xs = stats[ids, cv2.CC_STAT_LEFT][:, None, None] + np.arange(m[0])[None, None, :]
    ys, xs = np.broadcast_arrays(np.minimum(ys, ink.shape[0] - 1), np.minimum(xs, ink.shape[1] - 1))
    hit = labels[ys, xs] == ids[:, None, None]
    out = ink.copy()
    out[ys[hit], xs[hit]] = False
    return out


def stray_specks(ink: np.ndarray, max_area: int, min_gap: int = 3) -> np.ndarray:
    """Specks of at most ``max_area`` px at least ``min_gap`` px left of, right of, above or below all larger ink of
    a cell crop.

    A fax copy's speckle beside a number is read as a point or a colon (``.21,601,733.00``, ``:4 212 300``); a
    decimal point lies between digits and a dot of 氵 or 冫 overlaps its glyph's other strokes, so neither is
    outside the extent of the larger components; a fragment that a drop-out broke off a glyph (the bar of a
    leading ``4``) touches the extent, so the gap keeps it."""
    n, labels, stats, _centroids = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if n <= 2:
        return np.zeros_like(ink)
    area = stats[:, cv2.CC_STAT_AREA]
    big = area > max_area
    big[0] = False
    if not big.any():
        return np.zeros_like(ink)
    x0, y0 = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    x1, y1 = x0 + stats[:, cv2.CC_STAT_WIDTH], y0 + stats[:, cv2.CC_STAT_HEIGHT]
    bx0, bx1 = x0[big].min(), x1[big].max()
    by0, by1 = y0[big].min(), y1[big].max()
    outside = (x1 + min_gap <= bx0) | (x0 >= bx1 + min_gap) | (y1 + min_gap <= by0) | (y0 >= by1 + min_gap)
    small = ~big & outside
    small[0] = False
    return small[labels] if small.any() else np.zeros_like(ink)


def doubtful_number(text: str) -> bool:
    """A reading that should be a number and is not one: no Han character, and either digits in a string that is no
    well-formed number (``G,00``, ``82,096,79712``, ``.5,000.00``) or one or two stray Latin letters (``C`` for 0)."""
    t = text.strip()
    if not t or HAN.search(t) or is_empty_mark(t) or parse_amount(t, ocr_slips=False) is not None:
        return False
    digits = sum(ch.isdigit() for ch in t)
    return digits >= 2 or (len(t) <= 2 and t.isascii() and t.isalnum())


def crop_variants(crop: np.ndarray) -> list[np.ndarray]:
    """Other looks of one 1-bit line crop for a second reading: smoothed (anti-aliased edges, as a grey scan has),
    closed by one pixel (drop-outs in strokes filled), and enlarged 2x."""
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    smooth = cv2.GaussianBlur(gray, (0, 0), 0.7)
    ink = (gray < 128).astype(np.uint8)
    closed = np.where(cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((2, 2), np.uint8)) > 0, 0, 255).astype(np.uint8)
    large = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    return [smooth, closed, large]


def erase_rule_remnants(ink: np.ndarray, band: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows/columns of a cell crop that are mostly ink near the crop edge (or almost entirely ink anywhere) are
    what is left of a ruling line after the inset; they are removed. Returns (rows, cols) masks of erased lines."""
    h, w = ink.shape
    if h == 0 or w == 0:
        return np.zeros(h, dtype=bool), np.zeros(w, dtype=bool)
    # ink counts against the length in integers: count / n > 0.5 and > 0.9 exactly as the float means compare
    row_n = np.count_nonzero(ink, axis=1)
    col_n = np.count_nonzero(ink, axis=0)
    ys = np.arange(h)
    xs = np.arange(w)
    rows = ((2 * row_n > w) & ((ys < band) | (ys >= h - band))) | (10 * row_n > 9 * w)
    cols = ((2 * col_n > h) & ((xs < band) | (xs >= w - band))) | (10 * col_n > 9 * h)
    return rows, cols


def rule_components(ink: np.ndarray, thin_px: int) -> np.ndarray:
    """Pixels of long thin ink components spanning (almost) the whole crop: a ruling line that is slanted or
    bowed (scan skew, perspective) and so sits a few pixels inside the straight grid edge. Glyph strokes are
    shorter than the crop, since rows are taller than their text."""
    return rule_components_many([ink], thin_px)[0]


def _rule_flags(stats: np.ndarray, h: np.ndarray | int, w: np.ndarray | int, thin_px: int) -> np.ndarray:
    """Which components (``stats`` rows, boxes relative to their crop of ``h`` x ``w``) are rule pieces."""
    cx, cy = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    cw, ch = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    vertical = (ch >= 0.85 * h) & (cw <= np.maximum(thin_px, 0.12 * ch))
    horizontal = (cw >= 0.85 * w) & (ch <= np.maximum(thin_px, 0.12 * cw))
    # a shorter piece entering from the crop edge: thin on average (a slanted rule covers a few rows)
    at_edge = (cx <= 1) | (cy <= 1) | (cx + cw >= w - 1) | (cy + ch >= h - 1)
    thickness = stats[:, cv2.CC_STAT_AREA] / np.maximum(np.maximum(cw, ch), 1)
    elongated = ((cw >= 4 * ch) & (cw >= 0.2 * w)) | ((ch >= 4 * cw) & (ch >= 0.3 * h))
    return np.asarray(vertical | horizontal | (at_edge & elongated & (thickness <= thin_px)))


def rule_components_many(inks: Sequence[np.ndarray], thin_px: int) -> list[np.ndarray]:
    """``rule_components`` of many crops with one connected-components call: the crops are packed in rows
    (shelves) of one zero image, a zero pixel between any two, so no component joins two crops and each keeps
    exactly the statistics it has alone. One call over a table's cells costs a fraction of one call per cell."""
    if not inks:
        return []
    width = max(max(ink.shape[1] for ink in inks), 1)
    places: list[tuple[int, int]] = []  # (top, left) of each crop in the mosaic
    shelf_tops: list[int] = []
    top = left = shelf = 0
    for ink in inks:
        h, w = ink.shape
        if left and left + w > width:
            top, left, shelf = top + shelf + 1, 0, 0
        if not left:
            shelf_tops.append(top)
        places.append((top, left))
        left += w + 1
        shelf = max(shelf, h)
    mosaic = np.zeros((top + shelf + 1, width), np.uint8)
    for ink, (y, x) in zip(inks, places, strict=True):
        mosaic[y : y + ink.shape[0], x : x + ink.shape[1]] = ink
    ltype = cv2.CV_16U if cv2.countNonZero(mosaic) < np.iinfo(np.uint16).max else cv2.CV_32S  # labels <= ink px
    n, labels, stats, _centroids = cv2.connectedComponentsWithStats(mosaic, connectivity=8, ltype=ltype)
    out = [np.zeros_like(ink) for ink in inks]
    if n <= 1:
        return out
    # a component's box lies inside its crop's place, so its top-left corner names the crop: its shelf, then the
    # last crop of that shelf starting at or left of it (keys grow with the crop index)
    tops = np.array(shelf_tops)
    keys = np.searchsorted(tops, [p[0] for p in places], side="right") * (width + 1) + [p[1] for p in places]
    shelf_of = np.searchsorted(tops, stats[:, cv2.CC_STAT_TOP], side="right")
    crop = np.searchsorted(keys, shelf_of * (width + 1) + stats[:, cv2.CC_STAT_LEFT], side="right") - 1
    crop[0] = 0
    ph = np.array([ink.shape[0] for ink in inks])[crop]
    pw = np.array([ink.shape[1] for ink in inks])[crop]
    local = stats.copy()
    local[:, cv2.CC_STAT_TOP] -= np.array([p[0] for p in places])[crop]
    local[:, cv2.CC_STAT_LEFT] -= np.array([p[1] for p in places])[crop]
    rule = _rule_flags(local, ph, pw, thin_px)
    rule[0] = False
    for k in np.unique(crop[rule]).tolist():
        (y, x), (h, w) = places[k], inks[k].shape
        out[k] = np.asarray(rule[labels[y : y + h, x : x + w]])
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges where ``mask`` is True."""
    padded = np.zeros(len(mask) + 2, dtype=bool)
    padded[1:-1] = mask
    edges = np.flatnonzero(padded[1:] != padded[:-1]).tolist()  # where the value flips: starts and ends in turn
    return list(zip(edges[::2], edges[1::2], strict=True))


def group_lines(runs: Sequence[tuple[int, int]], line_h: float) -> list[tuple[int, int]]:
    """Join row runs of ink into text lines: a run starts a new line when adding it would make the line taller
    than 1.4 text heights. Characters with horizontal gaps (三, 二) stay one line; a wrapped name splits."""
    lines: list[tuple[int, int]] = []
    for y0, y1 in runs:
        if lines and y1 - lines[-1][0] <= 1.4 * line_h:
            lines[-1] = (lines[-1][0], y1)
        else:
            lines.append((y0, y1))
    return lines


@dataclass(frozen=True, slots=True)
class CellCrops:
    """Line crops per grid cell, and the share of inked cells whose text the cell edges slice through."""

    lines: list[list[LineCrop]]
    cut_fraction: float
    filled_fraction: float = 0.0  # inked cells with ink in every row (grey fills under a photo's light)


@dataclass(slots=True)
class _CellInk:
    x0: int
    y0: int
    gray: np.ndarray  # grey cell crop, rule remnants painted with the paper colour
    ink: np.ndarray
    runs: list[tuple[int, int]]
    paper: int  # the paper level to paint with: the table's, or the cell's own where it was re-thresholded
    relit: bool = False  # re-thresholded on its own (its paper was darker than the table's threshold)


class CellCropper:
    """Turns a ruled grid into per-cell line crops. All sizes scale with the page dpi (tuned at 200 dpi)."""

    def __init__(
        self,
        dpi: int,
        inset_px: float = 3.0,
        min_ink_px: float = 12.0,
        speck_px: float = 3.0,
        stray_specks: bool = False,
    ) -> None:
        self.scale = dpi / 200.0
        self.stray_specks = stray_specks  # 1-bit low-dpi copies: specks beside the text are painted out
        self.stray = max(2, round(8 * self.scale**2))
        self.stray_gap = max(2, round(4 * self.scale))
        self.inset = max(1, round(inset_px * self.scale))
        self.min_ink = max(4, round(min_ink_px * self.scale**2))
        self.speck = max(1, round(speck_px * self.scale**2))
        self.band = max(3, round(6 * self.scale))
        self.thin = max(3, round(5 * self.scale))
        self.fringe = max(3, round(3 * self.scale))  # a blurred rule's edge left inside the inset (photos)

    def __call__(self, gray: np.ndarray, grid: TableGrid) -> CellCrops:
        """Line crops per cell, in ``grid.cells`` order (an empty list for a blank cell)."""
        page_h, page_w = gray.shape
        gx0, gy0, gx1, gy1 = (round(v) for v in grid.bbox_px)
        gx0, gy0 = max(gx0, 0), max(gy0, 0)
        gx1, gy1 = min(gx1, page_w), min(gy1, page_h)
        if gx1 <= gx0 or gy1 <= gy0:
            return CellCrops([[] for _ in grid.cells], 0.0)
        table = gray[gy0:gy1, gx0:gx1]
        thr = ink_threshold(table)
        table_ink = remove_specks(table < thr, self.speck)
        sample = table[::4, ::4][~table_ink[::4, ::4]]
        paper = int(np.median(sample)) if sample.size else 255  # scans are grey, not white: pad with their paper

        boxes: list[tuple[int, int, int, int] | None] = []  # inked cells' crop boxes; None for blank ones
        inks: list[np.ndarray] = []
        for cell in grid.cells:
            x0 = max(int(np.ceil(cell.bbox_px[0])) + self.inset, gx0)
            y0 = max(int(np.ceil(cell.bbox_px[1])) + self.inset, gy0)
            x1 = min(int(np.floor(cell.bbox_px[2])) - self.inset, gx1)
            y1 = min(int(np.floor(cell.bbox_px[3])) - self.inset, gy1)
            if x1 - x0 < 4 or y1 - y0 < 4:
                boxes.append(None)
                continue
            ink = table_ink[y0 - gy0 : y1 - gy0, x0 - gx0 : x1 - gx0]
            if np.count_nonzero(ink) < self.min_ink:  # cheap blank test before anything else
                boxes.append(None)
                continue
            boxes.append((x0, y0, x1, y1))
            inks.append(ink.copy())
        papers = [paper] * len(inks)
        relit = [False] * len(inks)  # paper darker than the table's threshold, thresholded on its own
        for i, (x0, y0, x1, y1) in enumerate(b for b in boxes if b is not None):
            if np.count_nonzero(inks[i]) > DARK_PAPER_SHARE * inks[i].size:
                local = self._relit(table[y0 - gy0 : y1 - gy0, x0 - gx0 : x1 - gx0])
                if local is not None:
                    (inks[i], papers[i]), relit[i] = local, True
        remnants = iter(rule_components_many(inks, self.thin))  # one call for the table, not one per cell
        inks_it, papers_it, relit_it = iter(inks), iter(papers), iter(relit)

        cells: list[_CellInk | None] = []
        for cbox in boxes:
            if cbox is None:
                cells.append(None)
                continue
            x0, y0, x1, y1 = cbox
            ink, remnant, paper, own = next(inks_it), next(remnants), next(papers_it), next(relit_it)
            rows, cols = erase_rule_remnants(ink, self.band)
            remnant[rows, :] |= ink[rows, :]
            remnant[:, cols] |= ink[:, cols]
            crop = gray[y0:y1, x0:x1]
            if remnant.any():
                ink &= ~remnant
                crop = crop.copy()
                crop[cv2.dilate(remnant.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0] = paper
            if self.stray_specks:  # on the raw ink: the 1-2 px specks left out of ``ink`` are still in the pixels
                raw = (ink if own else table[y0 - gy0 : y1 - gy0, x0 - gx0 : x1 - gx0] < thr) & ~remnant
                stray = stray_specks(raw, self.stray, self.stray_gap)
                if stray.any():  # exactly their pixels: a grown mask would bite into the glyph beside them
                    ink &= ~stray
                    crop = crop.copy()
                    crop[stray] = paper
            if np.count_nonzero(ink) < self.min_ink:
                cells.append(None)
                continue
            cells.append(_CellInk(x0, y0, crop, ink, _runs(ink.any(axis=1)), paper, own))

        inked = [c for c in cells if c is not None]
        line_h = self.text_height(inked)
        cut = sum(self._cut(c, self.fringe) for c in inked)
        lines = [[] if c is None else self._lines(c, line_h, c.paper) for c in cells]
        # a fill under a photo's light: ink in every row under the table's threshold (a re-thresholded cell was)
        filled = sum(c.relit or c.runs[0] == (0, c.ink.shape[0]) for c in inked)
        n = max(len(inked), 1)
        return CellCrops(lines, cut / n if inked else 0.0, filled / n)

    def _relit(self, crop: np.ndarray) -> tuple[np.ndarray, int] | None:
        """Ink and paper level of one cell by its own threshold, when the table-wide one took the cell's paper for
        ink (a photo's dark corner: shenzhen water 2026 p.96, paper 191 under a threshold of 195, read `m6`, `三`
        for 0.00 once the rule-remnant eraser had painted most of the cell white). None when the cell has no two
        levels of its own (a fill with no text, or text too faint to part from it)."""
        thr, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        ink = crop <= thr  # Otsu's dark class
        share = np.count_nonzero(ink) / ink.size
        if not 0 < share <= 1 - DARK_PAPER_SHARE:
            return None
        paper = int(np.median(crop[~ink]))
        if paper - int(np.median(crop[ink])) < MIN_CELL_CONTRAST:
            return None
        return remove_specks(ink, self.speck), paper

    @staticmethod
    def _cut(cell: _CellInk, fringe: int) -> bool:
        """Ink touching the crop's top or bottom edge: glyphs sliced by (or sitting on) the cell edge, so the grid
        does not sit on the text (a warped scan). Text in a ruled cell keeps clear of the rules. A run of at most
        ``fringe`` rows at the edge is the blurred edge of the rule itself (a photo's rule is 5-7 px of grey
        ramp, wider than the inset), not text: counted, it sent a photo's whole table to text detection, whose
        boxes ran two amounts either side of a rule into one cell."""
        h = cell.ink.shape[0]
        (a0, a1), (b0, b1) = cell.runs[0], cell.runs[-1]
        return (a0 == 0 and a1 > fringe) or (b1 == h and h - b0 > fringe)

    def text_height(self, cells: Sequence[_CellInk]) -> float:
        """Height of one text line in this table: the 90th percentile of single-run cells' ink heights (most cells
        hold one line; CJK glyphs are taller than digits, so a high percentile picks the CJK height)."""
        heights = [c.runs[0][1] - c.runs[0][0] for c in cells if len(c.runs) == 1]
        if len(heights) < 3:
            heights = [y1 - y0 for c in cells for y0, y1 in c.runs]
        if not heights:
            return 28.0 * self.scale
        return float(max(np.percentile(heights, 90), 8 * self.scale))

    def _lines(self, cell: _CellInk, line_h: float, paper: int) -> list[LineCrop]:
        """Each line's ink box grown by a margin like a DB detection box (about a quarter of the text height),
        from the cell's own pixels where it has them and paper colour beyond; ink of neighbouring lines that
        falls into the margin is painted over."""
        out: list[LineCrop] = []
        lines = group_lines(cell.runs, line_h)
        ch, cw = cell.gray.shape
        for y0, y1 in lines:
            band = cell.ink[y0:y1]
            if len(lines) > 1 and np.count_nonzero(band) < self.min_ink:
                continue  # a stray mark above or below the text
            h = y1 - y0
            if len(lines) > 1 and (y0 == 0 or y1 == ch) and h < 0.6 * line_h:
                continue  # glyphs of the next row cut by a slanted rule, not a line of this cell
            pad_y = max(round(0.25 * h), round((1.2 * line_h - h) / 2), 2)
            pad_x = max(round(0.25 * max(h, 0.7 * line_h)), 2)
            for x0, x1 in split_at_gaps(_runs(band.any(axis=0)), 1.5 * line_h):
                ya, yb = max(0, y0 - pad_y), min(ch, y1 + pad_y)
                xa, xb = max(0, x0 - pad_x), min(cw, x1 + pad_x)
                crop = cell.gray[ya:yb, xa:xb]
                others = cell.ink[ya:yb, xa:xb].copy()
                others[y0 - ya : y1 - ya, x0 - xa : x1 - xa] = False
                if others.any():
                    crop = crop.copy()
                    crop[others] = paper
                crop = cv2.copyMakeBorder(
                    crop,
                    pad_y - (y0 - ya),
                    pad_y - (yb - y1),
                    pad_x - (x0 - xa),
                    pad_x - (xb - x1),
                    cv2.BORDER_CONSTANT,
                    value=paper,
                )
                box = (float(cell.x0 + x0), float(cell.y0 + y0), float(cell.x0 + x1), float(cell.y0 + y1))
                out.append(LineCrop(crop, box))
        return out


def split_at_gaps(runs: Sequence[tuple[int, int]], max_gap: float) -> list[tuple[int, int]]:
    """Column runs of one text line joined into segments; a blank gap wider than ``max_gap`` splits them.
    A cell value never has such a gap, a cell that swallowed two columns (a rule the grid missed) has."""
    segments: list[tuple[int, int]] = []
    for x0, x1 in runs:
        if segments and x0 - segments[-1][1] <= max_gap:
            segments[-1] = (segments[-1][0], x1)
        else:
            segments.append((x0, x1))
    return segments


# ---------------------------------------------------------------------------------------------------------------
# Helpers shared by the PP-OCR and Tesseract stages


def _centre_in(box: BBox, region: BBox, tol: float = 2.0) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] - tol <= cx <= region[2] + tol and region[1] - tol <= cy <= region[3] + tol


def _table_box(table: TableCandidate) -> BBox:
    if table.grid is None:
        return table.region.bbox_px
    a, b = table.region.bbox_px, table.grid.bbox_px
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def page_regions(grid: GridResult) -> tuple[Region, ...]:
    """Layout regions of the page with its table regions as the grid stage left them (it may add some)."""
    others = tuple(r for r in grid.layout.regions if r.kind is not RegionKind.TABLE)
    return others + tuple(t.region for t in grid.tables)


def distribute_tokens(grid: GridResult, tokens: Sequence[Token]) -> OcrResult:
    """Page-level tokens (text layer, Tesseract) into tables: a token belongs to the first table holding its
    centre; ruled grids get cell texts via ``assign_tokens_to_cells``; the rest are the page's free tokens."""
    boxes = [_table_box(t) for t in grid.tables]
    per_table: list[list[Token]] = [[] for _ in grid.tables]
    free: list[Token] = []
    for tok in tokens:
        for k, box in enumerate(boxes):
            if _centre_in(tok.bbox_px, box):
                per_table[k].append(tok)
                break
        else:
            free.append(tok)
    tables = []
    for table, toks in zip(grid.tables, per_table, strict=False):
        if table.grid is not None:
            cells = assign_tokens_to_cells(table.grid, toks)
            tables.append(TableOcr(table.region, table.grid, cells, tuple(toks)))
        else:
            tables.append(TableOcr(table.region, None, (), tuple(toks)))
    return OcrResult(grid.page, page_regions(grid), tuple(tables), tuple(free))


def _clip_box(box: BBox, w: int, h: int) -> tuple[int, int, int, int]:
    x0 = int(max(0, np.floor(box[0])))
    y0 = int(max(0, np.floor(box[1])))
    x1 = int(min(w, np.ceil(box[2])))
    y1 = int(min(h, np.ceil(box[3])))
    return x0, y0, x1, y1


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


# ---------------------------------------------------------------------------------------------------------------
# The PP-OCR stage


@dataclass(slots=True)
class _DetJob:
    """A region to detect text in: its crop (claimed pixels whitened) and where its lines go."""

    page: int
    table: int | None  # index into the page's tables (borderless / no cell crops), None: free text
    origin: tuple[int, int]
    box: tuple[int, int, int, int]  # the region in page pixels; token boxes are clipped to it
    image: np.ndarray
    quads: np.ndarray | None = None


@dataclass(slots=True)
class _PagePlan:
    grid: GridResult
    cell_lines: dict[int, list[list[LineCrop]]] = field(default_factory=dict)  # table index -> lines per cell
    det_jobs: list[_DetJob] = field(default_factory=list)


class PpOcr:
    """PP-OCR (v6 small by default, v4 by ``kind``): cell crops for ruled grids, det + rec elsewhere."""

    def __init__(self, options: OcrOptions | None = None) -> None:
        self.options = options or OcrOptions()
        if self.options.kind not in ("ppocr_v6", "ppocr_v4"):
            raise ConfigError(f"PpOcr runs kind ppocr_v6 or ppocr_v4, not {self.options.kind!r}")
        self._engine: PpOcrEngine | None = None
        self._region_det: DbTextDetector | None = None

    @property
    def engine(self) -> PpOcrEngine:
        if self._engine is None:  # sessions are created inside, on first use
            opts = self.options
            self._engine = PpOcrEngine(
                opts.kind, opts.threads, opts.device, backend=opts.backend, precision=opts.precision,
                compile=opts.compile,
            )  # fmt: skip
        return self._engine

    @property
    def region_detector(self) -> DbTextDetector:
        if self._region_det is None:
            self._region_det = DbTextDetector(self.engine.det.session, REGION_DET)
        return self._region_det

    def __call__(self, grids: Sequence[GridResult]) -> list[OcrResult]:
        out: list[OcrResult | None] = [None] * len(grids)
        plans: list[tuple[int, _PagePlan]] = []
        for i, grid in enumerate(grids):
            if grid.page.text_layer is not None:
                out[i] = distribute_tokens(grid, grid.page.text_layer)
            else:
                plans.append((i, self._plan(i, grid)))

        jobs = [job for _, plan in plans for job in plan.det_jobs]
        self._detect(jobs)

        # one recognition call over every line of the batch (cells and detected lines alike)
        crops: list[np.ndarray] = []
        low_dpi: list[bool] = []  # per cell crop: its page is a low-dpi copy, where doubtful numbers are read again
        for _, plan in plans:
            low = plan.grid.page.ref.dpi <= self.options.reread_max_dpi
            for lines_per_cell in plan.cell_lines.values():
                crops.extend(line.image for lines in lines_per_cell for line in lines)
            low_dpi.extend([low] * (len(crops) - len(low_dpi)))
        n_cell_crops = len(crops)
        det_crops: list[np.ndarray] = []
        for job in jobs:
            assert job.quads is not None
            det_crops.extend(crop_quad(job.image, q) for q in job.quads)
        if self.options.use_cls and det_crops:
            flips = self.engine.cls(det_crops, self.options.rec_batch_size)
            det_crops = [np.rot90(c, 2) if f else c for c, f in zip(det_crops, flips, strict=False)]
        texts: list[RecLine] = []
        if crops or det_crops:
            # CPU: every padded column costs time, so batches end where padding would waste > 25%; GPU: padding
            # is nearly free and full batches of rec_batch_size are what keep it busy.
            waste = 4.0 if self.options.device == "cuda" else 0.25
            texts = self.engine.rec(
                crops + det_crops, self.options.rec_batch_size, self.options.rec_min_width, max_waste=waste
            )
        if any(low_dpi):
            texts[:n_cell_crops] = self._reread(crops, texts[:n_cell_crops], low_dpi)
        cell_texts = iter(texts[:n_cell_crops])
        det_texts = iter(texts[n_cell_crops:])

        for i, plan in plans:
            out[i] = self._assemble(plan, cell_texts, det_texts)
        return [r for r in out if r is not None]

    def _reread(self, crops: Sequence[np.ndarray], texts: Sequence[RecLine], low_dpi: Sequence[bool]) -> list[RecLine]:
        """Doubtful numbers of low-dpi cell crops read again from smoothed, closed and 2x copies; the best-scoring
        reading that is a well-formed number wins, else the first reading stays.

        On a 1-bit 150 dpi copy one reading of a number often ends in a slip the others do not make (``G,00``,
        ``82,096,79712``); picking among readings only where the first is no number leaves good readings alone.
        """
        picks = [
            i for i, (line, low) in enumerate(zip(texts, low_dpi, strict=True)) if low and doubtful_number(line.text)
        ]
        out = list(texts)
        if not picks:
            return out
        variants = [crop_variants(crops[i]) for i in picks]
        flat = [v for vs in variants for v in vs]
        again = iter(self.engine.rec(flat, self.options.rec_batch_size, self.options.rec_min_width))
        for i, vs in zip(picks, variants, strict=True):
            readings = [next(again) for _ in vs]
            good = [r for r in readings if r.text.strip() and parse_amount(r.text, ocr_slips=False) is not None]
            if good:
                out[i] = max(good, key=lambda r: r.score)
        return out

    # -- planning: what to read on a page, nothing read twice ---------------------------------------------------
    def _plan(self, index: int, grid: GridResult) -> _PagePlan:
        page = grid.page
        plan = _PagePlan(grid)
        gray = _gray(page)
        h, w = gray.shape
        cropper = CellCropper(page.ref.dpi, stray_specks=page.ref.dpi <= self.options.stray_speck_max_dpi)
        claimed: list[tuple[int, int, int, int]] = []
        for t, table in enumerate(grid.tables):
            if table.grid is not None and self.options.cell_crops:
                crops = cropper(gray, table.grid)
                limit = MAX_CUT_FRACTION if page.ref.dpi >= FALLBACK_MIN_DPI else LOW_DPI_MAX_CUT_FRACTION
                filled = page.ref.dpi >= FALLBACK_MIN_DPI and crops.filled_fraction > MAX_FILLED_FRACTION
                if crops.cut_fraction > limit or filled:
                    log.debug(
                        "%s: grid slices text in %.0f%% of cells, %.0f%% are filled; detecting text instead",
                        page.ref.where(),
                        100 * crops.cut_fraction,
                        100 * crops.filled_fraction,
                    )
                    continue
                plan.cell_lines[t] = crops.lines
                claimed.append(_clip_box(_table_box(table), w, h))
        for t, table in enumerate(grid.tables):
            if t in plan.cell_lines:
                continue
            box = _clip_box(_table_box(table), w, h)
            job = self._det_job(index, t, page, box, claimed)
            if job is not None:
                plan.det_jobs.append(job)
            claimed.append(box)
        if self.options.text_regions:
            for region in grid.layout.regions:
                if region.kind not in TEXT_KINDS:
                    continue
                box = _clip_box(region.bbox_px, w, h)
                job = self._det_job(index, None, page, box, claimed)
                if job is not None:
                    plan.det_jobs.append(job)
                claimed.append(box)
            # 单位：万元 sits right above a table, often too small or faint for the layout model to box it (the
            # bundled sample's 三公 table, page 5): read the unclaimed band above each table too.
            band = round(UNIT_BAND_IN * page.ref.dpi)
            for table in grid.tables:
                x0, y0, x1, _ = _clip_box(_table_box(table), w, h)
                if y0 < 8:
                    continue
                box = (x0, max(0, y0 - band), x1, y0)
                job = self._det_job(index, None, page, box, claimed)
                if job is not None:
                    plan.det_jobs.append(job)
                claimed.append(box)
        return plan

    @staticmethod
    def _det_job(
        index: int,
        table: int | None,
        page: PageImage,
        box: tuple[int, int, int, int],
        claimed: Sequence[tuple[int, int, int, int]],
    ) -> _DetJob | None:
        x0, y0, x1, y1 = box
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        crop = page.image[y0:y1, x0:x1]
        whiten = [o for c in claimed if (o := _overlap(box, c)) is not None]
        if whiten:
            crop = crop.copy()
            for ox0, oy0, ox1, oy1 in whiten:
                crop[oy0 - y0 : oy1 - y0, ox0 - x0 : ox1 - x0] = 255
        if ((crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)) < 128).sum() < 12:
            return None  # nothing left to read (e.g. a text box inside a table)
        m = REGION_MARGIN_PX
        padded = cv2.copyMakeBorder(crop, m, m, m, m, cv2.BORDER_CONSTANT, value=(255, 255, 255))
        return _DetJob(index, table, (x0 - m, y0 - m), box, padded)

    def _detect(self, jobs: Sequence[_DetJob]) -> None:
        if not jobs:
            return
        det = self.region_detector
        if self.options.device == "cuda" and len(jobs) > 1:
            results = det.detect_batch([job.image for job in jobs])
        else:
            results = [det(job.image) for job in jobs]
        for job, (quads, _scores) in zip(jobs, results, strict=False):
            job.quads = quads

    # -- assembly -------------------------------------------------------------------------------------------------
    def _assemble(self, plan: _PagePlan, cell_texts: Iterator[RecLine], det_texts: Iterator[RecLine]) -> OcrResult:
        grid = plan.grid
        per_table_tokens: dict[int, list[Token]] = {}
        free: list[Token] = []
        for job in plan.det_jobs:
            assert job.quads is not None
            ox, oy = job.origin
            for quad in job.quads:
                line: RecLine = next(det_texts)
                if not line.text.strip() or line.score < self.options.text_score:
                    continue
                bx0, by0, bx1, by1 = job.box
                xs = np.clip(quad[:, 0] + ox, bx0, bx1)
                ys = np.clip(quad[:, 1] + oy, by0, by1)
                tok = Token(line.text, (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())), line.score)
                if job.table is None:
                    free.append(tok)
                else:
                    per_table_tokens.setdefault(job.table, []).append(tok)

        tables: list[TableOcr] = []
        for t, table in enumerate(grid.tables):
            if t in plan.cell_lines:
                cells = []
                for cell, lines in zip(table.grid.cells, plan.cell_lines[t], strict=False):  # type: ignore[union-attr]
                    recs = [next(cell_texts) for _ in lines]
                    tokens = tuple(
                        Token(r.text, line.bbox_px, r.score)
                        for r, line in zip(recs, lines, strict=False)
                        if r.text.strip()
                    )
                    text = join_tokens(tokens)
                    conf = min((tok.confidence for tok in tokens), default=1.0)
                    cells.append(CellText(cell, text, conf, tokens))
                tables.append(TableOcr(table.region, table.grid, tuple(cells), ()))
            elif table.grid is not None:
                toks = per_table_tokens.get(t, [])
                tables.append(TableOcr(table.region, table.grid, assign_tokens_to_cells(table.grid, toks), tuple(toks)))
            else:
                tables.append(TableOcr(table.region, None, (), tuple(per_table_tokens.get(t, []))))
        return OcrResult(grid.page, page_regions(grid), tuple(tables), tuple(free))


def _gray(page: PageImage) -> np.ndarray:
    image = page.image
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


# ---------------------------------------------------------------------------------------------------------------
# Full-page OCR (the raw peer baseline) and Tesseract


def full_page_ocr(
    image: np.ndarray, kind: str = "ppocr_v6", *, threads: int = 1, engine: PpOcrEngine | None = None
) -> list[Token]:
    """Plain det + rec over a whole RGB page with rapidocr's defaults: the "raw PP-OCR" (or Tesseract) peer.

    Pass ``engine`` (a ``PpOcrEngine`` of the same kind) to reuse its sessions across pages; without it the
    models load on every call.
    """
    if kind == "tesseract":
        return tesseract_tokens(image, threads=threads)
    if kind not in ("ppocr_v6", "ppocr_v4"):
        raise ConfigError(f"unknown OCR kind {kind!r}; known: {', '.join(registry.kinds('ocr'))}")
    if engine is None:
        engine = PpOcrEngine(kind, threads)
    elif engine.kind != kind:
        raise ConfigError(f"engine is {engine.kind!r}, asked for {kind!r}")
    tokens = []
    for line in engine.ocr(image):
        xs, ys = line.quad[:, 0], line.quad[:, 1]
        tokens.append(
            Token(line.text, (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())), line.score)
        )
    return tokens


def tesseract_tokens(
    image: np.ndarray, *, lang: str = "chi_sim", psm: int = 4, threads: int = 1, dpi: int = 200
) -> list[Token]:
    """Tesseract (CLI, TSV) word runs in page pixels: words of one Tesseract line closer than half a text height
    are joined (chi_sim splits every CJK character into a word), so a run is a phrase or a number, not a row.

    ``--psm 4`` reads table rows best on 200 dpi 决算 pages (psm 6 drops decimal points, psm 11 loses rows).
    """
    exe = shutil.which("tesseract")
    if exe is None:
        raise ConfigError("tesseract is not installed (apt install tesseract-ocr tesseract-ocr-chi-sim)")
    ok, png = cv2.imencode(".png", image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("cannot encode the page as PNG for tesseract")
    env = dict(os.environ, OMP_THREAD_LIMIT=str(max(threads, 1)))
    proc = subprocess.run(
        [exe, "stdin", "stdout", "-l", lang, "--psm", str(psm), "--dpi", str(dpi), "tsv"],
        input=png.tobytes(),
        capture_output=True,
        check=False,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"tesseract failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-300:]}")
    return parse_tesseract_tsv(proc.stdout.decode("utf-8", errors="replace"))


def parse_tesseract_tsv(tsv: str) -> list[Token]:
    """Words (level 5) of Tesseract's TSV grouped by line and joined into runs (see ``tesseract_tokens``)."""
    from juesuan.lexicon import is_cjk

    lines: dict[tuple[str, str, str, str], list[tuple[str, BBox, float]]] = {}
    for row in tsv.splitlines()[1:]:
        parts = row.split("\t")
        if len(parts) < 12 or parts[0] != "5" or not parts[11].strip():
            continue
        left, top, width, height = (float(v) for v in parts[6:10])
        conf = max(float(parts[10]), 0.0) / 100.0
        key = (parts[1], parts[2], parts[3], parts[4])
        lines.setdefault(key, []).append((parts[11].strip(), (left, top, left + width, top + height), conf))
    tokens: list[Token] = []
    for words in lines.values():
        run: list[tuple[str, BBox, float]] = []
        for word in [*words, None]:
            if run and word is not None:
                prev = run[-1]
                gap = word[1][0] - prev[1][2]
                height = max(prev[1][3] - prev[1][1], word[1][3] - word[1][1], 1.0)
                if gap <= 0.5 * height:
                    run.append(word)
                    continue
            if run:
                text = run[0][0]
                for (a, abox, _), (b, bbox, _) in itertools.pairwise(run):
                    spaced = not (is_cjk(a[-1]) or is_cjk(b[0])) and bbox[0] - abox[2] > 0.25 * (abox[3] - abox[1])
                    text += (" " if spaced else "") + b
                box = (
                    min(w[1][0] for w in run),
                    min(w[1][1] for w in run),
                    max(w[1][2] for w in run),
                    max(w[1][3] for w in run),
                )
                tokens.append(Token(text, box, min(w[2] for w in run)))
            run = [word] if word is not None else []
    return tokens


class TesseractOcr:
    """Tesseract 5 ``chi_sim`` over each whole page, tokens distributed into tables like the text layer: the peer
    baseline behind the same stage interface as ``PpOcr``."""

    def __init__(self, options: OcrOptions | None = None) -> None:
        self.options = options or OcrOptions(kind="tesseract")
        if self.options.kind != "tesseract":
            raise ConfigError(f"TesseractOcr runs kind tesseract, not {self.options.kind!r}")

    def __call__(self, grids: Sequence[GridResult]) -> list[OcrResult]:
        out = []
        for grid in grids:
            page = grid.page
            if page.text_layer is not None:
                tokens: Sequence[Token] = page.text_layer
            else:
                tokens = tesseract_tokens(page.image, threads=max(self.options.threads, 1), dpi=page.ref.dpi)
            out.append(distribute_tokens(grid, tokens))
        return out
