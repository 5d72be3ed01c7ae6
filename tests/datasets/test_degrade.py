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
