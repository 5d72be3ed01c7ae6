"""The CPU-budget fast paths (issue 14) give what the plain versions gave: same pixels, same segments, same crops.

Each test keeps the plain implementation it replaced as the reference, so a later "optimisation" that changes an
answer fails here, not in an accuracy run an hour later.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from juesuan.inference import grid
from juesuan.inference import preprocess as pp


def _suppress_red_reference(image: np.ndarray, margin: int = 40) -> np.ndarray:
    rgb = image[:, :, :3]
    r = rgb[:, :, 0].astype(np.int16)
    other = np.maximum(rgb[:, :, 1], rgb[:, :, 2]).astype(np.int16)
    red = (r - other) > margin
    if not red.any():
        return image
    out = rgb.copy()
    out[red] = rgb[:, :, 0][red][:, None]
    return out


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("margin", [0, 1, 40, 214, 215, 254, 255])
def test_suppress_red_equals_the_int16_reference(channels: int, margin: int) -> None:
    rng = np.random.default_rng(margin)
    image = rng.integers(0, 256, (120, 90, channels), dtype=np.uint8)
    image[:10, :10, 0], image[:10, :10, 1:3] = 255, 0  # saturated red: the uint8 overflow corner
    got, want = pp.suppress_red(image, margin), _suppress_red_reference(image, margin)
    assert got.shape == want.shape and np.array_equal(got, want)


def test_suppress_red_leaves_a_page_without_red_as_it_is() -> None:
    page = np.full((50, 40, 3), 250, dtype=np.uint8)
    page[10:20, 5:35] = (20, 20, 20)
    assert pp.suppress_red(page) is page


def _thin_reference(mask: np.ndarray, horizontal: bool, max_thick: int) -> tuple[np.ndarray, list[grid.Segment]]:
    """The loop over int32 components that :func:`grid._thin_components` replaced."""
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    segs = []
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        length = w if horizontal else h
        if area / max(length, 1) > max_thick:
            continue
        keep[i] = True
        pos = float(centroids[i][1] if horizontal else centroids[i][0])
        segs.append(grid.Segment(pos, float(x if horizontal else y), float((x + w) if horizontal else (y + h))))
    return np.where(keep, 255, 0).astype(np.uint8)[labels], segs


def _line_mask(height: int, width: int, seed: int) -> np.ndarray:
    """Rules of 1-3 px, a few broken, plus thick blobs (text glued by a closing) that must be dropped."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((height, width), dtype=np.uint8)
    for _ in range(40):
        y, x, length, thick = rng.integers(0, height - 4), rng.integers(0, width // 2), rng.integers(40, 400), 1
        mask[y : y + thick + rng.integers(0, 3), x : x + length] = 255
        mask[rng.integers(0, height - 30) :][:20, x : x + 60] = 255  # blob
    mask[:, :3] = 255  # a rule along the page edge
    return mask


@pytest.mark.parametrize("horizontal", [True, False])
@pytest.mark.parametrize("min_len", [40, 1])  # 40: 16-bit labels; 1: the 32-bit fallback
def test_thin_components_match_the_reference(horizontal: bool, min_len: int) -> None:
    mask = _line_mask(1200, 900, seed=7)
    mask = mask if horizontal else np.ascontiguousarray(mask.T)
    assert cv2.countNonZero(mask) > np.iinfo(np.uint16).max  # with min_len=1, 16-bit labels could overflow
    rules, segs = grid._thin_components(mask, horizontal, max_thick=8, min_len=min_len)
    want_mask, want_segs = _thin_reference(mask, horizontal, max_thick=8)
    assert rules.labels.dtype == (np.uint16 if min_len == 40 else np.int32)
    assert segs == want_segs and len(segs) > 10
    assert np.array_equal(rules.mask(), want_mask)


class _Recorder:
    """Stands in for the direction classifier: records the crops it is shown, says "upright"."""

    def __init__(self) -> None:
        self.crops: list[np.ndarray] = []

    def prob_180(self, crops: list[np.ndarray]) -> np.ndarray:
        self.crops.extend(crops)
        return np.zeros(len(crops))


def _upright_page(font_path: Path) -> np.ndarray:
    img = Image.new("RGB", (1654, 1200), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(font_path), 34)
    for i in range(16):
        y = 120 + 60 * i
        draw.text((150, y), "一般公共服务支出 2,112.86 财政事务 1,511.90", font=font, fill=(0, 0, 0))
        draw.line((120, y - 12, 1530, y - 12), fill=(0, 0, 0), width=2)
    return np.asarray(img).copy()


def test_orient_reuses_its_analysis_of_an_untouched_page(cjk_font: Path) -> None:
    """An upright, level page: the 0-vs-180 crops come from the analysis made for 0-vs-90, not a second one."""
    page = _upright_page(cjk_font)
    shown = _Recorder()
    out, rotation, skew = pp.orient(page, shown)  # type: ignore[arg-type]
    assert out is page and rotation == 0 and skew == 0.0
    work = pp._Work.of(page)  # the plain path: a fresh work copy of the (unchanged) page
    fresh = _Recorder()
    pp._upside_down(pp._Work(pp.to_gray(page), work.small, pp.binarize(work.small), work.scale), fresh)  # type: ignore[arg-type]
    assert len(shown.crops) == len(fresh.crops) > 0
    assert all(np.array_equal(a, b) for a, b in zip(shown.crops, fresh.crops, strict=True))
