"""Image-level preprocessing of scanned pages: red seal suppression, 90/180/270 rotation, small-angle deskew,
perspective rectification of photographed pages.

Pure functions over H x W x 3 uint8 RGB (or H x W gray) arrays; deterministic. The only model is the PP-OCR text
direction classifier (:class:`TextDirectionClassifier`), used to tell 0 from 180 degrees, loaded on first use from
the ``rapidocr`` wheel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)

MIN_DESKEW_DEG = 0.1  # below this a rotation costs sharpness and gains nothing
_WORK_WIDTH = 1000  # analyses run on a copy this wide (about 120 dpi for A4 portrait)


def to_gray(image: np.ndarray) -> np.ndarray:
    """RGB (or already gray) uint8 → H x W uint8 gray."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def flatten_background(gray: np.ndarray) -> np.ndarray:
    """Divide out uneven lighting (photographed pages, shadows): each pixel relative to the local paper white.

    The paper level is a max filter over about 1/25 of the page at 1/4 scale, smoothed; ink is darker than it.
    """
    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(3, (max(small.shape) // 25) | 1)
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.GaussianBlur(paper, (0, 0), k / 2)
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    flat = gray.astype(np.float32) * 255.0 / np.maximum(paper, 1.0)
    return np.clip(flat, 0, 255).astype(np.uint8)


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink mask (bool, True = ink): Otsu after :func:`flatten_background`; a blank page gives no ink, not noise."""
    flat = flatten_background(gray)
    if int(flat.max()) - int(flat.min()) < 32:
        return np.zeros(gray.shape, dtype=bool)
    _, mask = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return mask.astype(bool)


def _work_copy(gray: np.ndarray, width: int = _WORK_WIDTH) -> tuple[np.ndarray, float]:
    """Downscaled gray copy for analysis and its scale factor (work pixels per page pixel)."""
    long_side = max(gray.shape)
    if long_side <= width:
        return gray, 1.0
    scale = width / long_side
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return small, scale


def suppress_red(image: np.ndarray, margin: int = 40) -> np.ndarray:
    """Wash out red ink (公章 seals, red stamps) and keep black text printed under it.

    A pixel whose red exceeds both green and blue by more than ``margin`` is red ink; it is replaced by its red
    channel in all three channels. Red ink is bright in the red channel (→ near white) while black text under the
    seal is dark in every channel, so it is not red-dominant and keeps its darkness.
    """
    return clean_colour(image, margin, grey=False)


def clean_colour(image: np.ndarray, margin: int = 40, *, red: bool = True, grey: bool = True) -> np.ndarray:
    """:func:`suppress_red` (``red``), then one grey channel for a page whose pixels all have R = G = B (``grey``).

    Renders of black-and-white PDFs and grey scans are achromatic: as a 2-D array the page is a third of the bytes
    to send between processes, and no stage converts it again. Every stage reads a grey page exactly as it reads
    the equal-channel RGB page (the grey conversion of R = G = B is that value; resizing and warping run per
    channel), so outputs do not change (``tests/inference/test_fast_paths.py``). One OpenCV split serves both.
    """
    if image.ndim != 3 or image.shape[2] < 3 or not (red or grey):
        return image
    planes = cv2.split(image)
    r, g, b = planes[0], planes[1], planes[2]
    if red:
        # r - max(g, b) > margin  <=>  r > min(max(g, b), 255 - margin) + margin, in uint8 without overflow
        limit = cv2.max(g, b)
        cv2.min(limit, 255 - margin, dst=limit)
        cv2.add(limit, margin, dst=limit)
        mask = cv2.compare(r, limit, cv2.CMP_GT)
        if cv2.countNonZero(mask):
            out = np.array(image[:, :, :3])
            hit = mask.astype(bool)
            out[hit] = r[hit][:, None]
            return clean_colour(out, margin, red=False, grey=grey)  # the washed-out seal is grey now
    if grey and len(planes) == 3 and not (cv2.countNonZero(cv2.absdiff(r, g)) or cv2.countNonZero(cv2.absdiff(g, b))):
        return g
    return image


def rotate(image: np.ndarray, degrees: int) -> np.ndarray:
    """Turn counter-clockwise by a multiple of 90 degrees (``PageImage.rotation`` records this number)."""
    k = (int(degrees) // 90) % 4
    if k == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=k))


def upscale(image: np.ndarray, factor: float) -> np.ndarray:
    """Enlarge by ``factor`` (bicubic). At 100 dpi table ruling lines are 1 px and cell text ~12 px tall: the grid
    loses rules and recognition loses characters; at a 200 dpi working size both read as at a real 200 dpi scan."""
    if factor <= 1.0:
        return image
    h, w = image.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)


def rotate_small(image: np.ndarray, skew_deg: float) -> np.ndarray:
    """Undo a small counter-clockwise tilt of ``skew_deg`` degrees (what :func:`estimate_skew` returns).

    The page keeps its size; corners that come into view are white.
    """
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), -skew_deg, 1.0)
    border = (255, 255, 255) if image.ndim == 3 else 255
    return cv2.warpAffine(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def _ink_points(mask: np.ndarray, max_points: int = 40_000) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.nonzero(mask)
    if len(xs) > max_points:  # evenly strided subsample: deterministic and enough for a profile
        step = len(xs) // max_points + 1
        ys, xs = ys[::step], xs[::step]
    return xs.astype(np.float64), ys.astype(np.float64)


def _profile_score(xs: np.ndarray, ys: np.ndarray, angle_deg: float, n_bins: int) -> float:
    """Sharpness of the horizontal projection after tilting points by ``angle_deg``: high when lines are level."""
    theta = np.radians(angle_deg)
    proj = ys * np.cos(theta) + xs * np.sin(theta)
    hist = np.bincount(np.clip(proj, 0, n_bins - 1).astype(np.int64), minlength=n_bins).astype(np.float64)
    return float(np.dot(hist, hist))


@dataclass(frozen=True, slots=True, eq=False)
class _Work:
    """One page analysed once: full-size gray, a downscaled copy, its ink mask and the scale between them."""

    gray: np.ndarray
    small: np.ndarray
    ink: np.ndarray
    scale: float  # work pixels per page pixel

    @classmethod
    def of(cls, image: np.ndarray) -> _Work:
        gray = to_gray(image)
        small, scale = _work_copy(gray)
        return cls(gray, small, binarize(small), scale)

    def turned(self, degrees: int) -> _Work:
        if degrees % 360 == 0:
            return self
        return _Work(rotate(self.gray, degrees), rotate(self.small, degrees), rotate(self.ink, degrees), self.scale)


def _skew_of_mask(mask: np.ndarray, max_deg: float) -> float:
    if max_deg <= 0:
        return 0.0
    xs, ys = _ink_points(mask)
    if len(xs) < 200:
        return 0.0
    n_bins = int(np.hypot(*mask.shape)) + 2
    ys = ys + mask.shape[1] * np.sin(np.radians(max_deg + 1))  # keep projections non-negative
    coarse = np.arange(-max_deg, max_deg + 1e-9, 0.25)
    scores = [_profile_score(xs, ys, a, n_bins) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - 0.25, best + 0.25 + 1e-9, 0.02)
    fine = fine[np.abs(fine) <= max_deg + 1e-9]
    scores = [_profile_score(xs, ys, a, n_bins) for a in fine]
    # in this y-down frame, projecting with +a levels content turned counter-clockwise (as cv2 turns it) by +a
    angle = float(fine[int(np.argmax(scores))])
    if abs(angle) > max_deg - 0.05:  # the best is the edge of the range: the evidence is a blob, not lines
        return 0.0
    if max(scores) < 1.002 * _profile_score(xs, ys, 0.0, n_bins):  # flat optimum (sparse page): leave it alone
        return 0.0
    return round(angle, 2) if abs(angle) > 1e-9 else 0.0


def estimate_skew(image: np.ndarray, max_deg: float = 5.0) -> float:
    """Small tilt of the page content in degrees, counter-clockwise positive, within ``±max_deg``.

    Projection-profile search over ink pixels: text lines and horizontal rules give the sharpest row profile when
    level. Coarse 0.25 degree steps, then 0.02 degree steps around the best; on a 1000-pixel copy, so an A4 page at
    200 dpi takes well under 0.1 s. Returns 0.0 for a blank page or when no angle is clearly better than level.
    """
    return _skew_of_mask(_Work.of(image).ink, max_deg)


def _remove_rules(mask: np.ndarray, char: float = 0.0) -> np.ndarray:
    """Ink without horizontal and vertical ruling lines (they say nothing about text direction).

    Without a glyph size only long rules go (1/12 of the page); with one, any straight run over 2.5 chars (cell
    borders of a single row), since no stroke of a CJK char is that long. A 2x2 closing first heals strokes broken
    by binarisation (fax) so glyphs stay whole.
    """
    u8 = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((2, 2), np.uint8))
    length = max(10, round(2.5 * char)) if char > 0 else max(15, min(mask.shape) // 12)
    horiz = cv2.morphologyEx(u8, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    vert = cv2.morphologyEx(u8, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return (u8 & ~(horiz | vert)).astype(bool)


def _glyph_stats(mask: np.ndarray) -> tuple[np.ndarray, float]:
    """Connected components (x, y, w, h, area) of the ink, specks dropped, and the median glyph size (0: too few).

    Specks (noise, broken fax strokes) are under 4 px or 6 px² on the work copy; a 10 pt char there is ~12 px.
    """
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    stats = stats[1:]
    stats = stats[(np.maximum(stats[:, 2], stats[:, 3]) >= 4) & (stats[:, 4] >= 6)]
    if len(stats) < 10:
        return stats, 0.0
    # upper quartile: a glyph may fall apart into radicals (and broken fax strokes), never into bigger pieces
    return stats, float(np.percentile(np.maximum(stats[:, 2], stats[:, 3]), 75))


def _run_score(text: np.ndarray, char: float) -> float:
    """log(ink in left-right runs / ink in up-down runs) after smearing glyphs along each axis by 0.6 char.

    Chars of a line merge into long flat runs along the reading direction; across it the line gap keeps them apart.
    """
    k = max(2, round(char * 0.6))
    totals = []
    for kernel in ((k, 1), (1, k)):
        smeared = cv2.dilate(text.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        _, _, stats, _ = cv2.connectedComponentsWithStats(smeared, connectivity=8)
        w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
        along, across = (w, h) if kernel[1] == 1 else (h, w)
        keep = (across <= 2.0 * char) & (across >= 0.4 * char) & (along >= 3 * across)  # not rules, not blocks
        totals.append(float(area[keep].sum()))
    return float(np.log((totals[0] + 1) / (totals[1] + 1)))


def _tall_score(stats: np.ndarray, char: float) -> float:
    """log(tall glyph parts / wide glyph parts): digits and the halves of 左右结构 chars are tall when upright."""
    w, h = stats[:, 2].astype(np.float64), stats[:, 3].astype(np.float64)
    size = np.maximum(w, h)
    keep = (size >= 0.4 * char) & (size <= 1.5 * char) & (np.minimum(w, h) >= 0.15 * char)
    tall = int(((h >= 1.5 * w) & keep).sum())
    wide = int(((w >= 1.5 * h) & keep).sum())
    return float(np.log((tall + 1) / (wide + 1)))


RUN_CLEAR = 0.4  # |run score| beyond which the run cue decides alone


def _horizontal(text: np.ndarray, glyphs: tuple[np.ndarray, float] | None = None) -> tuple[bool, float]:
    stats, char = _glyph_stats(text) if glyphs is None else glyphs
    if char == 0.0:
        return True, 0.0
    run = _run_score(text, char)
    if abs(run) >= RUN_CLEAR:
        return run > 0, run
    evidence = run + _tall_score(stats, char)
    return evidence > -0.5, evidence


def text_lines_horizontal(image: np.ndarray) -> tuple[bool, float]:
    """Whether text lines run left-right (0/180) rather than up-down (90/270), and the evidence (log-odds).

    Two cues on the ink without ruling lines: glyphs smeared along a line merge into long runs
    (:func:`_run_score`), and upright glyph parts are more often tall than wide (:func:`_tall_score`). The run cue
    decides alone when it is clear (|log-odds| ≥ 0.4): small table text merges into wide blobs on the work copy,
    which flips the tall cue (the sum turned 19 of 120 synthetic table pages, upright or turned, the wrong way;
    this rule 2, and 0 of 342 real scan-degraded 200 dpi pages of ../shared/data/real turned 0 and 90 degrees).
    Otherwise the sum decides, and a weak signal (evidence > -0.5) keeps the page as it is: most pages are upright.
    """
    return _horizontal(_remove_rules(_Work.of(image).ink))


def _line_crops(work: _Work, text: np.ndarray, max_lines: int, char: float | None = None) -> list[np.ndarray]:
    """Gray crops of the widest text lines; lines are smeared glyphs after every rule over 2.5 chars is removed.

    ``char``: the glyph size of ``text`` when the caller has measured it already."""
    char = _glyph_stats(text)[1] if char is None else char
    if char == 0.0:
        return []
    text = _remove_rules(work.ink, char)  # also the short borders of one-row cells
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(2, round(char * 0.8)), 1))
    smeared = cv2.dilate(text.astype(np.uint8), kernel)
    n, _, stats, _ = cv2.connectedComponentsWithStats(smeared, connectivity=8)
    lines = []
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i][:4])
        if 0.6 * char <= h <= 4 * char and w >= 3 * h:
            lines.append((w, x, y, h))
    lines.sort(key=lambda item: (-item[0], item[2], item[1]))
    crops = []
    scale = work.scale
    for w, x, y, h in lines[:max_lines]:
        pad = max(1, h // 6)
        x0, y0 = int(max(0, x - pad) / scale), int(max(0, y - pad) / scale)
        x1, y1 = int((x + w + pad) / scale) + 1, int((y + h + pad) / scale) + 1
        crops.append(work.gray[y0:y1, x0:x1])
    return crops


def text_line_crops(image: np.ndarray, max_lines: int = 12) -> list[np.ndarray]:
    """Gray crops of the widest horizontal text lines (chars smeared together), for the direction classifier."""
    work = _Work.of(image)
    return _line_crops(work, _remove_rules(work.ink), max_lines)


def _default_cls_model() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("rapidocr is not installed: pip install rapidocr==3.10.0")
    return Path(spec.origin).parent / "models" / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"


class TextDirectionClassifier:
    """PP-OCR text-line direction classifier (0 vs 180 degrees), ``ch_ppocr_mobile_v2.0_cls_mobile.onnx``.

    Shipped in the rapidocr wheel; loaded on first call. Input: gray or RGB crops of horizontal text lines.
    """

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        self.model_path = model_path
        self.threads = threads
        self._session: Any = None

    def _load(self) -> Any:
        import onnxruntime as ort

        path = self.model_path or _default_cls_model()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        return self._session

    @staticmethod
    def _prepare(crop: np.ndarray) -> np.ndarray:
        height, width = 48, 192
        rgb = crop if crop.ndim == 3 else cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)
        h, w = rgb.shape[:2]
        new_w = min(width, int(np.ceil(height * w / max(h, 1))))
        resized = cv2.resize(rgb, (max(new_w, 1), height), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        out = np.zeros((3, height, width), dtype=np.float32)
        out[:, :, : resized.shape[1]] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
        return out

    def prob_180(self, crops: list[np.ndarray]) -> np.ndarray:
        """Probability that each crop is upside down."""
        if not crops:
            return np.zeros(0)
        session = self._session or self._load()
        batch = np.stack([self._prepare(c) for c in crops])
        from juesuan.models.clock import MODEL_CLOCK

        with MODEL_CLOCK:
            probs = session.run(None, {session.get_inputs()[0].name: batch})[0]
        return np.asarray(probs[:, 1], dtype=np.float64)


# The classifier reads 48 x 192 px: a longer line is squeezed to fit, and a 40:1 narrative line squeezed 10 times is
# noise to it (shanghai-putuo-gov-office 2025 部门预算 page 6, `scan` at 200 dpi: 5 of 8 whole lines voted "upside
# down" on an upright page, which was turned). Lines are cut into pieces of the input's 4:1 aspect instead.
CLS_ASPECT = 4
CLS_PIECES_PER_LINE = 4
CLS_SURE = 0.9  # a piece votes only when the classifier is this sure either way


def line_pieces(crops: list[np.ndarray], per_line: int = CLS_PIECES_PER_LINE) -> list[np.ndarray]:
    """Each line crop cut left to right into up to ``per_line`` pieces of the classifier's 4:1 aspect."""
    pieces = []
    for crop in crops:
        h, w = crop.shape[:2]
        step = CLS_ASPECT * max(h, 1)
        for k in range(min(per_line, max(1, w // step))):
            pieces.append(crop[:, k * step : (k + 1) * step])
    return pieces


def upside_down_vote(probs: np.ndarray) -> bool:
    """Turn by 180 only on strong evidence: most pages are upright, and turning one loses the whole page.

    Sure pieces vote (p > 0.9 upside down, p < 0.1 upright); the page turns when at least 3 pieces say upside down
    and they outnumber the upright ones 3 to 1. A page with one or two pieces (a cover line) needs all of them sure.
    """
    if len(probs) == 0:
        return False
    down = int((probs > CLS_SURE).sum())
    up = int((probs < 1 - CLS_SURE).sum())
    if len(probs) <= 2:
        return down == len(probs)
    return down >= 3 and down >= 3 * up


def _upside_down(
    work: _Work, classifier: TextDirectionClassifier, text: np.ndarray | None = None, char: float | None = None
) -> bool:
    """``text``: ``work.ink`` without long rules, ``char`` its glyph size, when the caller has them already."""
    text = _remove_rules(work.ink) if text is None else text
    pieces = line_pieces(_line_crops(work, text, max_lines=12, char=char))
    return upside_down_vote(classifier.prob_180(pieces))


def orient(
    image: np.ndarray,
    classifier: TextDirectionClassifier | None,
    *,
    detect_turn: bool = True,
    max_skew_deg: float = 5.0,
) -> tuple[np.ndarray, int, float]:
    """Upright, deskewed page and what was done: ``(image, rotation, skew_deg)``.

    Order matters for reliability: 0 vs 90 first (glyph and line shape, :func:`text_lines_horizontal`, tolerant of
    skew), then the skew on that turned ink mask (rules included: long rules are the best evidence), then 0 vs 180
    with the PP-OCR direction classifier on the 8 widest text lines of the *deskewed* page (a tilted rule breaks
    into steps that look like text lines). Turning by 180 keeps a level page level, so the recorded ``skew_deg``
    holds in the final frame. A skew under :data:`MIN_DESKEW_DEG` is not corrected and reported as 0.
    """
    work = _Work.of(image)
    base = 0
    text, char = None, None
    if detect_turn:
        text = _remove_rules(work.ink)
        glyphs = _glyph_stats(text)
        char = glyphs[1]
        base = 0 if _horizontal(text, glyphs)[0] else 90
    skew = _skew_of_mask(rotate(work.ink, base), max_skew_deg)
    if abs(skew) < MIN_DESKEW_DEG:
        skew = 0.0
    out = rotate(image, base)
    if skew:
        out = rotate_small(out, skew)
    rotation = base
    if detect_turn and classifier is not None:
        if out is image:  # neither turned nor deskewed: the analysis above holds as it is
            upside_down = _upside_down(work, classifier, text, char)
        else:
            small = rotate(work.small, base)  # the work copy turned like the page: no second full-size resize
            if skew:
                small = rotate_small(small, skew)
            upside_down = _upside_down(_Work(to_gray(out), small, binarize(small), work.scale), classifier)
    else:
        upside_down = False
    if upside_down:
        out = rotate(out, 180)
        rotation = base + 180
    return out, rotation, skew


def detect_rotation(image: np.ndarray, classifier: TextDirectionClassifier | None = None) -> int:
    """Counter-clockwise degrees (0/90/180/270) that make a scanned page upright (see :func:`orient`).

    Without a classifier only 0/90 are decided.
    """
    return orient(image, classifier)[1]


# -- perspective (photographed pages) ----------------------------------------------------------------------------

MAX_KEYSTONE_DEG = 10.0  # beyond a hand-held photo (corners moved 3% of the page: up to 9.7 deg): not the frame
MIN_KEYSTONE_DEG = 0.3  # opposite rules closer to parallel: left alone (scans measure up to 0.16; a photo 0.4-1.9)
GATE_POOL = 3  # the first look's min-pooling (see _maybe_keystoned)
GATE_MARGIN_DEG = 0.2  # its allowance below MIN_KEYSTONE_DEG


def _rule_lines(ink: np.ndarray, vertical: bool) -> list[tuple[float, float, float, float]]:
    """Long straight rules as ``(slope, offset, start, end)``: ``y = slope*x + offset`` over ``x`` in [start, end]
    for horizontal rules (``vertical``: ``x = slope*y + offset`` over ``y``). Fitted on each long run of ink left
    by an opening with a short line element, short enough to keep a rule tilted by a few degrees in one piece."""
    mask = ink.T if vertical else ink
    w = mask.shape[1]
    k = max(15, w // 80)
    opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    lines = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if bw < 0.3 * w or bh > 0.1 * bw + 8 or area > bw * max(4.0, w / 300):  # thick: a paper edge, not a rule
            continue
        ys, xs = np.nonzero(labels[y : y + bh, x : x + bw] == i)
        (slope, offset), residual, *_ = np.polyfit(xs + x, ys + y, 1, full=True)
        if residual.size and residual[0] / len(xs) > 2.0:  # not one straight rule: two rules joined by strokes
            continue
        lines.append((float(slope), float(offset), float(x), float(x + bw - 1)))
    return lines


def _cross(row: tuple[float, ...], col: tuple[float, ...]) -> tuple[float, float]:
    """(x, y) where a horizontal rule ``y = a x + b`` meets a vertical one ``x = c y + d`` (see :func:`_rule_lines`)."""
    a, b, c, d = row[0], row[1], col[0], col[1]
    y = (a * d + b) / (1.0 - a * c)
    return c * y + d, y


def _framed(
    rows: list[tuple[float, float, float, float]], cols: list[tuple[float, float, float, float]], tol: float
) -> list[tuple[float, float, float, float]]:
    """The horizontal rules that a vertical rule reaches, when at least two are reached: a running header's
    underline above the table (as long as the table is wide) is no side of its frame, and taken for the top it
    tilts the quadrilateral by the angle between the two (a 7-degree "keystone" that ``rectify`` then refuses)."""

    def meets(row: tuple[float, ...], col: tuple[float, ...]) -> bool:
        x, y = _cross(row, col)
        return row[2] - tol <= x <= row[3] + tol and col[2] - tol <= y <= col[3] + tol

    kept = [r for r in rows if any(meets(r, c) for c in cols)]
    return kept if len(kept) >= 2 else rows


def _outer_quad(ink: np.ndarray) -> np.ndarray | None:
    """Corners (TL, TR, BR, BL; x, y) of the largest ruled table: its top and bottom long horizontal rules cut by
    its leftmost and rightmost long vertical rules (the horizontal rules' own ends where the sides are open)."""
    rows = _rule_lines(ink, vertical=False)
    if len(rows) < 2:
        return None
    longest = max(r[3] - r[2] for r in rows)
    rows = [r for r in rows if r[3] - r[2] >= 0.6 * longest]
    h, w = ink.shape
    verticals = _rule_lines(ink, vertical=True)
    rows = _framed(rows, verticals, 0.01 * h)
    mid = w / 2.0
    rows.sort(key=lambda r: r[0] * mid + r[1])
    top, bottom = rows[0], rows[-1]
    span = (bottom[0] * mid + bottom[1]) - (top[0] * mid + top[1])
    if span < 0.2 * h:
        return None
    lo, hi = min(top[2], bottom[2]) - 0.02 * w, max(top[3], bottom[3]) + 0.02 * w  # the table's sides, not the paper's
    cols = [c for c in verticals if c[3] - c[2] >= 0.6 * span and lo <= c[0] * (h / 2.0) + c[1] <= hi]
    left = right = None
    if len(cols) >= 2:
        cols.sort(key=lambda c: c[0] * (h / 2.0) + c[1])
        left, right = cols[0], cols[-1]
        if (right[0] * h / 2 + right[1]) - (left[0] * h / 2 + left[1]) < 0.6 * (top[3] - top[2]):
            left = right = None
    if left is None:  # open sides: the corners are the rules' own ends, so both must span the same table
        overlap = min(top[3], bottom[3]) - max(top[2], bottom[2])
        if overlap < 0.9 * max(top[3] - top[2], bottom[3] - bottom[2]):
            return None

    def cut(row: tuple[float, ...], col: tuple[float, ...] | None, end: float) -> tuple[float, float]:
        if col is None:
            return end, row[0] * end + row[1]
        return _cross(row, col)

    corners = [(top, left, top[2]), (top, right, top[3]), (bottom, right, bottom[3]), (bottom, left, bottom[2])]
    quad = [cut(row, col, end) for row, col, end in corners]
    return np.array(quad, dtype=np.float32)


def _maybe_keystoned(gray: np.ndarray, min_keystone_deg: float, pool: int = GATE_POOL) -> bool:
    """A cheap first look on a ``pool``-times min-pooled copy (a 1-px rule stays dark; 1/9 of the pixels): False
    when the table's opposite rules are parallel there well within the threshold, so a flatbed page (every scan and
    PDF render) pays ~1/6 of the full measurement. Rules fitted on the pooled copy lose precision (on the 291 pages
    of the wide evaluation's scan/fax/photo runs and the Shanghai table renders, ``benchmarks/rectify_gate.py``:
    95 % within 0.16 degrees of the full measurement at pool 3, against 0.10 at pool 2, at half its CPU), so the
    first look is trusted only ``GATE_MARGIN_DEG`` below the threshold; every page the full measurement rectifies
    there passes it."""
    h, w = gray.shape
    if h < 8 * pool or w < 8 * pool:
        return True
    # the minimum of each pool x pool block (erode, then every pool-th pixel): OpenCV's erode is ~20x numpy's min
    pooled = cv2.erode(gray, np.ones((pool, pool), np.uint8))[::pool, ::pool]
    quad = _outer_quad(binarize(pooled))
    return quad is not None and _keystone_deg(quad) >= min_keystone_deg - GATE_MARGIN_DEG


def _keystone_deg(quad: np.ndarray) -> float:
    """Largest angle between opposite sides of ``quad``: 0 for a rectangle turned by any angle."""

    def angle(p: np.ndarray, q: np.ndarray) -> float:
        return float(np.degrees(np.arctan2(q[1] - p[1], q[0] - p[0])))

    tl, tr, br, bl = quad
    horizontal = abs(angle(tl, tr) - angle(bl, br))
    vertical = abs(angle(tl, bl) - angle(tr, br))
    return max(horizontal, vertical)


def rectify(image: np.ndarray, min_keystone_deg: float = MIN_KEYSTONE_DEG) -> tuple[np.ndarray, float]:
    """Undo the perspective of a photographed page: ``(image, keystone_deg)`` (see :func:`rectify_with_matrix`)."""
    out, keystone, _matrix = rectify_with_matrix(image, min_keystone_deg)
    return out, keystone


def rectify_with_matrix(
    image: np.ndarray, min_keystone_deg: float = MIN_KEYSTONE_DEG
) -> tuple[np.ndarray, float, np.ndarray | None]:
    """Undo the perspective of a photographed page: ``(image, keystone_deg, homography)``; the 3x3 homography
    maps the input's pixels to the output's (None where the page is left as it is), so boxes found on the output
    can be compared with the input's.

    A phone photo turns the table's rectangle into a quadrilateral whose opposite rules are no longer parallel, so
    a deskew (one angle) leaves the rows of one side half a row above those of the other and cells merge. The
    outer rules of the largest table give four corners; a homography maps them back to a rectangle of the mean side
    lengths. A page whose opposite rules are parallel within ``min_keystone_deg`` (every flatbed scan) is returned
    as it is, with 0."""
    gray = to_gray(image)
    if not _maybe_keystoned(gray, min_keystone_deg):
        return image, 0.0, None
    ink = binarize(gray)
    quad = _outer_quad(ink)
    if quad is None:
        return image, 0.0, None
    keystone = _keystone_deg(quad)
    if not min_keystone_deg <= keystone <= MAX_KEYSTONE_DEG:
        return image, 0.0, None
    tl, tr, br, bl = quad
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2.0
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2.0
    x0, y0 = float((tl[0] + bl[0]) / 2.0), float((tl[1] + tr[1]) / 2.0)
    target = np.array([[x0, y0], [x0 + width, y0], [x0 + width, y0 + height], [x0, y0 + height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    h, w = image.shape[:2]
    border = (255, 255, 255) if image.ndim == 3 else 255
    out = cv2.warpPerspective(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )
    return out, keystone, matrix
