"""Perspective rectification of photographed pages (issue 12, `photo` preset): rows must stay rows."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from juesuan.inference import preprocess as pp

NAME = "shanghai-putuo-gov-office_2025_单位预算.pdf"
INDEX = 8  # a ruled budget table filling the page width


def _rule_angles(image: np.ndarray) -> np.ndarray:
    """Angles (degrees) of the page's long horizontal rules."""
    lines = pp._rule_lines(pp.binarize(pp.to_gray(image)), vertical=False)
    return np.degrees(np.arctan([slope for slope, *_ in lines]))


@pytest.fixture(scope="module")
def page(shared_real: Path) -> np.ndarray:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(shared_real / NAME))
    image = pdf[INDEX].render(scale=200 / 72).to_numpy()[:, :, :3].copy()
    pdf.close()
    return image


def _degraded(page: np.ndarray, preset: str) -> np.ndarray:
    from juesuan.datasets.synth.degrade import degrade

    image = degrade(page, np.random.default_rng([7, zlib.crc32(NAME.encode()), INDEX]), preset)
    image, _, _ = pp.orient(pp.suppress_red(image), None, detect_turn=False)
    return image


def test_rectify_makes_the_rules_of_a_photographed_table_parallel(page: np.ndarray) -> None:
    """Deskewed, the photo still has rules up to a degree apart (the right ends of the rows lift by half a row, the
    cells merge); rectified, every long rule is level within 0.1 degree and the table keeps its rules."""
    photo = _degraded(page, "photo")
    before = _rule_angles(photo)
    assert np.ptp(before) > 0.3
    out, keystone = pp.rectify(photo)
    assert keystone > 0.3 and out.shape == photo.shape
    after = _rule_angles(out)
    assert len(after) >= len(before) - 1
    assert np.abs(after).max() < 0.1
    assert pp.rectify(out)[1] == 0.0  # done once, nothing left to do


@pytest.mark.parametrize("preset", ["clean", "scan"])
def test_rectify_leaves_flat_pages_alone(page: np.ndarray, preset: str) -> None:
    """A render or a flatbed scan (rotation only: opposite rules stay parallel) is returned untouched."""
    image = page if preset == "clean" else _degraded(page, "scan")
    out, keystone = pp.rectify(image)
    assert keystone == 0.0 and out is image


def test_rectify_ignores_pages_without_a_ruled_table() -> None:
    blank = np.full((600, 400, 3), 255, dtype=np.uint8)
    assert pp.rectify(blank) == (blank, 0.0)
