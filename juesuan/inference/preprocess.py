"""Image-level preprocessing of scanned pages: red seal suppression, 90/180/270 rotation, small-angle deskew.

Pure functions over H x W x 3 uint8 RGB (or H x W gray) arrays; deterministic. The only model is the PP-OCR text
direction classifier (:class:`TextDirectionClassifier`), used to tell 0 from 180 degrees, loaded on first use from
the ``rapidocr`` wheel.
"""

from __future__ import annotations

import logging
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


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink mask (bool, True = ink) by Otsu; a blank page gives no ink instead of noise."""
    if int(gray.max()) - int(gray.min()) < 32:
        return np.zeros(gray.shape, dtype=bool)
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
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
    if image.ndim != 3 or image.shape[2] < 3:
        return image
    rgb = image[:, :, :3]
    r = rgb[:, :, 0].astype(np.int16)
    other = np.maximum(rgb[:, :, 1], rgb[:, :, 2]).astype(np.int16)
    red = (r - other) > margin
    if not red.any():
        return image
    out = rgb.copy()
    out[red] = rgb[:, :, 0][red][:, None]
    return out


def rotate(image: np.ndarray, degrees: int) -> np.ndarray:
    """Turn counter-clockwise by a multiple of 90 degrees (``PageImage.rotation`` records this number)."""
    k = (int(degrees) // 90) % 4
    if k == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=k))


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


def estimate_skew(image: np.ndarray, max_deg: float = 5.0) -> float:
    """Small tilt of the page content in degrees, counter-clockwise positive, within ``±max_deg``.

    Projection-profile search over ink pixels: text lines and horizontal rules give the sharpest row profile when
    level. Coarse 0.25 degree steps, then 0.02 degree steps around the best; on a 1000-pixel copy, so an A4 page at
    200 dpi takes a few hundredths of a second. Returns 0.0 for a blank page.
    """
    if max_deg <= 0:
        return 0.0
    small, _ = _work_copy(to_gray(image))
    mask = binarize(small)
    xs, ys = _ink_points(mask)
    if len(xs) < 200:
        return 0.0
    n_bins = int(np.hypot(*small.shape)) + 2
    ys = ys + small.shape[1] * np.sin(np.radians(max_deg + 1))  # keep projections non-negative
    coarse = np.arange(-max_deg, max_deg + 1e-9, 0.25)
    scores = [_profile_score(xs, ys, a, n_bins) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - 0.25, best + 0.25 + 1e-9, 0.02)
    fine = fine[np.abs(fine) <= max_deg + 1e-9]
    scores = [_profile_score(xs, ys, a, n_bins) for a in fine]
    # in this y-down frame, projecting with +a levels content turned counter-clockwise (as cv2 turns it) by +a
    angle = float(fine[int(np.argmax(scores))])
    if max(scores) < 1.002 * _profile_score(xs, ys, 0.0, n_bins):  # flat optimum (sparse page): leave it alone
        return 0.0
    return round(angle, 2) if abs(angle) > 1e-9 else 0.0


def _remove_rules(mask: np.ndarray) -> np.ndarray:
    """Ink without long horizontal and vertical ruling lines (they say nothing about text direction)."""
    u8 = mask.astype(np.uint8)
    length = max(15, min(mask.shape) // 12)
    horiz = cv2.morphologyEx(u8, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    vert = cv2.morphologyEx(u8, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return (u8 & ~(horiz | vert)).astype(bool)


def _glyph_stats(mask: np.ndarray) -> tuple[np.ndarray, float]:
    """Connected components (x, y, w, h, area) of the ink and the median glyph size in pixels (0 if too few)."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    stats = stats[1:]
    sizes = np.maximum(stats[:, 2], stats[:, 3])
    sizes = sizes[sizes >= 4]
    if len(sizes) < 10:
        return stats, 0.0
    return stats, float(np.median(sizes))


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


def text_lines_horizontal(image: np.ndarray) -> tuple[bool, float]:
    """Whether text lines run left-right (0/180) rather than up-down (90/270), and the evidence (log-odds).

    Two cues on the ink without ruling lines: glyphs smeared along a line merge into long runs
    (:func:`_run_score`), and upright glyph parts are more often tall than wide (:func:`_tall_score`). On the 180
    real pages of ../shared/data/real (150 dpi), each turned 0 and 90 degrees, the sum is wrong on 4 of 360, all
    nearly blank pages. A weak signal (|evidence| < 0.5) keeps the page as it is: most pages are upright.
    """
    small, _ = _work_copy(to_gray(image))
    text = _remove_rules(binarize(small))
    stats, char = _glyph_stats(text)
    if char == 0.0:
        return True, 0.0
    evidence = _run_score(text, char) + _tall_score(stats, char)
    return evidence > -0.5, evidence


def text_line_crops(image: np.ndarray, max_lines: int = 12) -> list[np.ndarray]:
    """Gray crops of the widest horizontal text lines (chars smeared together), for the direction classifier."""
    gray = to_gray(image)
    small, scale = _work_copy(gray)
    text = _remove_rules(binarize(small))
    _, char = _glyph_stats(text)
    if char == 0.0:
        return []
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
    for w, x, y, h in lines[:max_lines]:
        pad = max(1, h // 4)
        x0, y0 = int((x - pad) / scale), int((y - pad) / scale)
        x1, y1 = int((x + w + pad) / scale) + 1, int((y + h + pad) / scale) + 1
        crops.append(gray[max(0, y0) : y1, max(0, x0) : x1])
    return crops


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
        probs = session.run(None, {session.get_inputs()[0].name: batch})[0]
        return np.asarray(probs[:, 1], dtype=np.float64)


def detect_rotation(image: np.ndarray, classifier: TextDirectionClassifier | None = None) -> int:
    """Counter-clockwise degrees (0/90/180/270) that make a scanned page upright.

    90 vs 0: text-line projection (:func:`text_lines_horizontal`). 180: the median upside-down probability of the
    PP-OCR direction classifier over the page's widest text lines (needs at least 2 lines; else 0 is kept).
    Without a classifier only 0/90 are decided.
    """
    horizontal, _ = text_lines_horizontal(image)
    candidate = image if horizontal else rotate(image, 90)
    if classifier is None:
        return 0 if horizontal else 90
    crops = text_line_crops(candidate)
    upside_down = len(crops) >= 2 and float(np.median(classifier.prob_180(crops))) > 0.5
    base = 0 if horizontal else 90
    return (base + (180 if upside_down else 0)) % 360
