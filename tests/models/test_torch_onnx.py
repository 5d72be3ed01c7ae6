"""The torch backend (juesuan/models/torch_onnx.py) computes what onnxruntime computes, on every shipped graph.

Tolerances: outputs are probabilities or scores in [0, 1] (PicoDet box logits are bin distances); we require
max |torch - onnxruntime| ≤ 1e-4 in float32 (measured on these inputs: ≤ 6e-6 for the recogniser, ≤ 3e-7 for the
others), and the same decoded text for rendered lines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from juesuan.errors import ConfigError
from juesuan.models.picodet import PicoDetRunner, default_cdla_model
from juesuan.models.ppocr import PpOcrEngine, create_session, find_model_files
from juesuan.models.torch_onnx import TorchSession

torch = pytest.importorskip("torch")
ATOL = 1e-4


def _inputs(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


@pytest.mark.parametrize(
    ("which", "shape"),
    [("rec", (3, 3, 48, 200)), ("rec", (1, 3, 48, 37)), ("cls", (2, 3, 48, 192)), ("det", (1, 3, 96, 160))],
)
def test_ppocr_graphs_match_onnxruntime(which: str, shape: tuple[int, ...]) -> None:
    path = getattr(find_model_files("ppocr_v6"), which)
    ort, ts = create_session(path, 1), TorchSession(path, threads=1)
    name = ort.get_inputs()[0].name
    assert [i.name for i in ts.get_inputs()] == [name]
    assert ts.get_modelmeta().custom_metadata_map == ort.get_modelmeta().custom_metadata_map
    x = _inputs(len(shape) + shape[-1], shape)
    (want,), (got,) = ort.run(None, {name: x}), ts.run(None, {name: x})
    assert got.shape == want.shape and got.dtype == np.float32
    assert np.abs(got - want).max() <= ATOL


@pytest.mark.slow
def test_picodet_graph_matches_onnxruntime() -> None:
    path = default_cdla_model()
    ort, ts = create_session(path, 1), TorchSession(path, threads=1)
    x = _inputs(3, (1, 3, 800, 608))
    want, got = ort.run(None, {"image": x}), ts.run(None, {"image": x})
    assert len(got) == len(want) == 8
    for w, g in zip(want, got, strict=True):
        assert g.shape == w.shape
        assert np.abs(g - w).max() <= ATOL


@pytest.mark.slow
def test_layout_runner_same_detections_with_torch(fixture_page: np.ndarray) -> None:
    a = PicoDetRunner(threads=1, fit="stretch").detect(fixture_page)
    b = PicoDetRunner(threads=1, fit="stretch", backend="torch").detect(fixture_page)
    assert [d.label for d in a] == [d.label for d in b] and a
    for da, db in zip(a, b, strict=True):
        assert abs(da.score - db.score) < 1e-3
        assert np.allclose(da.bbox_px, db.bbox_px, atol=0.5)


@pytest.mark.slow
def test_engine_reads_the_same_text_with_torch(fixture_page: np.ndarray) -> None:
    ort, ts = PpOcrEngine(), PpOcrEngine(backend="torch")
    want = ort.ocr(fixture_page)
    got = ts.ocr(fixture_page)
    assert [line.text for line in got] == [line.text for line in want] and want
    assert all(abs(g.score - w.score) < 1e-3 for g, w in zip(got, want, strict=True))


@pytest.mark.slow
def test_bfloat16_recognition_reads_the_same_text(fixture_page: np.ndarray) -> None:
    """bf16 weights and activations (the GPU option ``ocr.precision: bfloat16``) on the CPU: same text, scores within
    0.01. float16 is CUDA-only (a CPU run keeps float32) and is checked by bench_gpu.py's accuracy comparison."""
    from juesuan.models.ppocr import crop_quad

    ort = PpOcrEngine()
    crops = [crop_quad(fixture_page, q) for q in ort.detect(fixture_page)]
    want = ort.recognise(crops)
    got = PpOcrEngine(backend="torch", precision="bfloat16").recognise(crops)
    assert len(want) >= 5
    assert [g.text for g in got] == [w.text for w in want]
    assert max(abs(g.score - w.score) for g, w in zip(got, want, strict=True)) < 0.01


def test_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown inference backend"):
        create_session(find_model_files("ppocr_v6").cls, backend="tensorrt")


@pytest.fixture(scope="module")
def fixture_page() -> np.ndarray:
    """The top third of a real table page (the finance bureau's first table page, rendered at 100 dpi)."""
    real = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
    pdfs = sorted(real.glob("shanghai-putuo-finance-bureau*.pdf"))
    if not pdfs:
        pytest.skip("../shared/data/real is not available")
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdfs[0]))
    try:
        page = pdf[5]
        image = np.asarray(page.render(scale=100 / 72, rev_byteorder=True).to_numpy()[:, :, :3]).copy()
        page.close()
    finally:
        pdf.close()
    return image[: image.shape[0] // 3]


def test_extract_backend_flag_reaches_ocr_and_layout_options() -> None:
    from juesuan.cli import build_parser
    from juesuan.cli.extract import _overrides
    from juesuan.options import load_options

    args = build_parser("extract").parse_args(["extract", "x.pdf", "-o", "out", "--backend", "torch"])
    opts = load_options(None, _overrides(args))
    assert (opts.ocr.backend, opts.layout.backend) == ("torch", "torch")
    default = load_options(None, _overrides(build_parser("extract").parse_args(["extract", "x.pdf", "-o", "out"])))
    assert (default.ocr.backend, default.layout.backend, default.ocr.precision) == (
        "onnxruntime",
        "onnxruntime",
        "float32",
    )
