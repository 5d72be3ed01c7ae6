"""Scan simulation: geometry matrix maps ink correctly, presets keep size, seeds reproduce."""

from __future__ import annotations

import numpy as np
import pytest

from juesuan.datasets.synth.degrade import PRESETS, DegradeOptions, degrade, degrade_with_transform, transform_boxes


def _page() -> np.ndarray:
    img = np.full((400, 300), 255, np.uint8)
    img[100:120, 50:150] = 0  # one black "token"
    return img


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_keep_size_and_are_deterministic(preset: str) -> None:
    a = degrade(_page(), np.random.default_rng([3, 1]), preset)
    b = degrade(_page(), np.random.default_rng([3, 1]), preset)
    assert a.shape[:2] == (400, 300)
    assert np.array_equal(a, b)


def test_input_not_modified() -> None:
    page = _page()
    before = page.copy()
    degrade(page, np.random.default_rng(0), "heavy")
    assert np.array_equal(page, before)


def test_scan_rotation_at_most_one_degree() -> None:
    for i in range(20):
        m = degrade_with_transform(_page(), np.random.default_rng([i]), "scan").matrix
        angle = np.degrees(np.arctan2(m[1, 0], m[0, 0]))
        assert abs(angle) <= 1.0 + 1e-9


def test_matrix_maps_the_black_box() -> None:
    opts = DegradeOptions(rotation_deg=5.0, perspective=0.02)
    out = degrade_with_transform(_page(), np.random.default_rng(7), opts)
    assert not np.allclose(out.matrix, np.eye(3))
    box = transform_boxes([[50, 100, 150, 120]], out.matrix, 300, 400)[0]
    ys, xs = np.nonzero(out.image < 128)
    # all dark pixels lie inside the mapped box (1 px tolerance for interpolation)
    assert xs.min() >= box[0] - 1 and xs.max() <= box[2] + 1
    assert ys.min() >= box[1] - 1 and ys.max() <= box[3] + 1
    # and the box is tight: the ink reaches near each side
    assert xs.min() - box[0] < 3 and box[2] - xs.max() < 3


def test_unknown_preset_lists_known() -> None:
    with pytest.raises(ValueError, match="scan"):
        degrade(_page(), np.random.default_rng(0), "bogus")


def test_photo_stamp_adds_red() -> None:
    out = degrade(_page(), np.random.default_rng(1), "photo_stamp")
    assert out.ndim == 3
    red = (out[:, :, 0].astype(int) - out[:, :, 2].astype(int)) > 60
    assert red.sum() > 50


# ---------------------------------------------------------------------------------- issue 12: fax and photo


def _ruled_page() -> np.ndarray:
    """A 150-dpi-sized page with 1-px rules, as a 0.5-pt table rule renders at 150 dpi."""
    img = np.full((600, 1200), 255, np.uint8)
    img[300, 100:1100] = 0  # horizontal rule, 1000 px
    img[50:550, 600] = 0  # vertical rule, 500 px
    return img


def _runs(line: np.ndarray) -> int:
    """Number of separate ink runs along a 1-D 0/1 profile."""
    ink = line.astype(bool).astype(np.int8)
    return int(ink[0]) + int((np.diff(ink) == 1).sum())


def test_fax_renders_at_150_dpi_and_breaks_one_pixel_rules() -> None:
    fax = PRESETS["fax"]
    assert fax.dpi == 150 and fax.binarize and fax.resample_factor == (1.0, 1.0)
    still = fax.model_copy(update={"rotation_deg": 0.0, "pen_probability": 0.0})  # keep the rules where they were
    out = degrade(_ruled_page(), np.random.default_rng([7, 12]), still)
    assert set(np.unique(out)) <= {0, 255}
    horizontal = (out[299:302, 100:1100] == 0).any(axis=0)
    vertical = (out[50:550, 599:602] == 0).any(axis=1)
    # the rule is still mostly there, but cut into pieces: a grid finder must bridge the gaps
    assert horizontal.mean() > 0.8 and vertical.mean() > 0.8
    assert _runs(horizontal) >= 4 and _runs(vertical) >= 2
    clean = degrade(_ruled_page(), np.random.default_rng([7, 12]), "clean")
    assert _runs((clean[299:302, 100:1100] == 0).any(axis=0)) == 1


def test_fax_adds_speckle_on_white() -> None:
    still = PRESETS["fax"].model_copy(update={"rotation_deg": 0.0, "pen_probability": 0.0})
    out = degrade(np.full((600, 800), 255, np.uint8), np.random.default_rng(3), still)
    specks = int((out == 0).sum())
    assert 600 * 800 * 1e-4 < specks < 600 * 800 * 3e-3


def _dot_page() -> tuple[np.ndarray, list[tuple[int, int]]]:
    img = np.full((1400, 1000, 3), 255, np.uint8)
    centres = [(x, y) for x in (120, 500, 880) for y in (150, 700, 1250)]
    for x, y in centres:
        img[y - 7 : y + 8, x - 7 : x + 8] = 0  # a 15-px "glyph"
    return img, centres


def test_photo_maps_truth_points_onto_their_glyphs() -> None:
    page, centres = _dot_page()
    out = degrade_with_transform(page, np.random.default_rng([7, 5]), "photo")
    assert abs(out.matrix[2, 0]) + abs(out.matrix[2, 1]) > 0  # a real perspective, not only a rotation
    grey = out.image.astype(float).mean(axis=2)
    for x, y in centres:
        px, py = (out.matrix @ np.array([x, y, 1.0]))[:2] / (out.matrix @ np.array([x, y, 1.0]))[2]
        moved = np.hypot(px - x, py - y)
        ix, iy = round(px), round(py)
        surround = np.median(grey[max(0, iy - 40) : iy + 41, max(0, ix - 40) : ix + 41])
        assert grey[iy - 2 : iy + 3, ix - 2 : ix + 3].mean() < 0.6 * surround, (x, y, moved)
    # the perspective moves some corner glyph by more than a glyph: an unmapped truth would miss it
    assert (
        max(
            np.hypot(*((out.matrix @ np.array([x, y, 1.0]))[:2] / (out.matrix @ np.array([x, y, 1.0]))[2] - (x, y)))
            for x, y in centres
        )
        > 15
    )


def test_photo_puts_a_red_seal_over_the_middle() -> None:
    blank = np.full((700, 500, 3), 255, np.uint8)
    for seed in range(2):
        out = degrade(blank, np.random.default_rng([seed]), "photo")
        red = (out[:, :, 0].astype(int) - out[:, :, 2].astype(int)) > 40  # JPEG and dim light mute the red
        ys, xs = np.nonzero(red)
        assert red.sum() > 200
        assert 0.2 * 700 < ys.mean() < 0.8 * 700 and 0.2 * 500 < xs.mean() < 0.8 * 500
