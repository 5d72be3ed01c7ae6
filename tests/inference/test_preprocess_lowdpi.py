"""Low-resolution pages are worked on at a working dpi: sizes, reported dpi, and values read at 100 dpi."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from juesuan.inference import preprocess as pp
from juesuan.inference.rasterize import Rasterizer
from juesuan.options import RasterizeOptions


def test_upscale_factor_and_no_op() -> None:
    img = np.full((50, 40, 3), 255, np.uint8)
    img[20:30, 10:30] = 0
    big = pp.upscale(img, 2.0)
    assert big.shape == (100, 80, 3) and big.dtype == np.uint8
    assert big[50, 40].tolist() == [0, 0, 0] and big[5, 5].tolist() == [255, 255, 255]
    assert pp.upscale(img, 1.0) is img


def test_low_dpi_image_is_upscaled_and_reports_the_working_dpi(tmp_path: Path) -> None:
    from PIL import Image

    low, ok = tmp_path / "low.png", tmp_path / "ok.png"
    Image.new("RGB", (300, 400), "white").save(low, dpi=(100, 100))
    Image.new("RGB", (300, 400), "white").save(ok, dpi=(150, 150))
    a, b = Rasterizer(RasterizeOptions(rotate=False, deskew=False))([(low, 0), (ok, 0)])
    assert (a.ref.dpi, a.width, a.height) == (200, 600, 800)
    assert (b.ref.dpi, b.width, b.height) == (150, 300, 400)  # at min_dpi: left alone
    off = Rasterizer(RasterizeOptions(rotate=False, deskew=False, min_dpi=0))([(low, 0)])[0]
    assert (off.ref.dpi, off.width) == (100, 300)


def test_low_dpi_pdf_renders_at_the_working_dpi(finance_pdf: Path) -> None:
    page = Rasterizer(RasterizeOptions(dpi=100, rotate=False, deskew=False, text_layer="auto"))([(finance_pdf, 0)])[0]
    assert page.ref.dpi == 200 and (page.width, page.height) == (1653, 2339)
    assert page.text_layer  # text-layer boxes are at the same working dpi
    assert max(t.bbox_px[2] for t in page.text_layer) > 1000


@pytest.mark.slow
def test_values_of_a_real_table_page_read_at_100_dpi(finance_pdf: Path, tmp_path: Path) -> None:
    """Page 8 (收入决算表, 35 values): at 100 dpi the grid lost rules and recognition lost digits (15% read)."""
    from juesuan.evaluation.harness import EvaluateOptions, prepare_pages, run_juesuan, score
    from juesuan.evaluation.truth import pdf_truth
    from juesuan.options import PipelineOptions

    options = EvaluateOptions(dpi=100, degrade="scan", mlflow=False)
    truth = pdf_truth(finance_pdf, 100, pages=[7])
    assert len(truth[0].cells) >= 30
    pages = prepare_pages(truth, tmp_path / "pages", options)
    pipeline = PipelineOptions.model_validate({"export": {"previews": False}})
    run = run_juesuan(pages, tmp_path / "extract", pipeline)
    summary, _, _ = score(pages, run, options, pipeline)
    assert run.documents[0] is not None and run.documents[0].pages[0].dpi == 200
    assert summary["value_accuracy"] >= 0.95


def test_orientation_is_decided_on_the_page_as_scanned(shared_real: Path, tmp_path: Path) -> None:
    """A landscape 100 dpi scan (收入预算表) that the 0-vs-90 test misread as sideways once it was upscaled first."""
    from juesuan.evaluation.harness import EvaluateOptions, prepare_pages
    from juesuan.evaluation.truth import pdf_truth

    pdf = shared_real / "shanghai-putuo-justice-bureau_2026_部门预算.pdf"
    options = EvaluateOptions(dpi=100, degrade="scan", seed=7, labels=False)
    prepared = prepare_pages(pdf_truth(pdf, 100, pages=[10]), tmp_path, options)[0]
    page = Rasterizer(RasterizeOptions())([(prepared.image, 0)])[0]
    assert page.rotation == 0 and page.ref.dpi == 200
    assert abs(page.skew_deg) < 2 and page.width > page.height
