"""Rasterize stage: PDF text layer, rendering, images, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from juesuan.datamodel.page import Token
from juesuan.inference.rasterize import Rasterizer, rotate_box, text_layer_tokens
from juesuan.options import RasterizeOptions

INCOME_PAGE = 7  # 收入决算表 of the finance bureau 决算 (landscape)


def _ink_fraction(image: np.ndarray, box: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = (round(v) for v in box)
    crop = image[y0:y1, x0:x1].mean(axis=2)
    return float((crop < 128).mean())


def _find(tokens: tuple[Token, ...], text: str) -> Token:
    hits = [t for t in tokens if t.text == text]
    assert len(hits) >= 1, f"{text!r} not among {[t.text for t in tokens][:40]}"
    return hits[0]


def test_text_layer_number_is_one_token_over_its_ink(finance_pdf: Path) -> None:
    page = Rasterizer(RasterizeOptions(text_layer="auto"))([(finance_pdf, INCOME_PAGE)])[0]
    assert page.text_layer is not None
    assert (page.width, page.height) == (2339, 1653)  # landscape A4 at 200 dpi
    token = _find(page.text_layer, "2,946.25")
    x0, y0, x1, y1 = token.bbox_px
    assert 80 < x1 - x0 < 160 and 15 < y1 - y0 < 45  # one number, not a row or a char
    assert _ink_fraction(page.image, token.bbox_px) > 0.1
    # the box holds the number's ink: a margin of 4 px around it adds almost no dark pixels
    grown = (x0 - 4, y0 - 4, x1 + 4, y1 + 4)
    inner = _ink_fraction(page.image, token.bbox_px) * (x1 - x0) * (y1 - y0)
    outer = _ink_fraction(page.image, grown) * (x1 - x0 + 8) * (y1 - y0 + 8)
    assert outer - inner < 0.1 * inner
    # the public function gives the same tokens
    assert text_layer_tokens(finance_pdf, INCOME_PAGE, 200) == page.text_layer


def test_text_layer_cjk_run_and_row(finance_pdf: Path) -> None:
    tokens = text_layer_tokens(finance_pdf, INCOME_PAGE, 200)
    title = _find(tokens, "收入决算表")
    total = _find(tokens, "合计")
    amount = _find(tokens, "2,946.25")
    assert title.bbox_px[3] < total.bbox_px[1]  # y grows downwards
    assert abs((total.bbox_px[1] + total.bbox_px[3]) / 2 - (amount.bbox_px[1] + amount.bbox_px[3]) / 2) < 6
    assert _find(tokens, "一般公共服务支出").bbox_px[0] < amount.bbox_px[0]


def test_text_layer_text_dpi_scales_boxes(finance_pdf: Path) -> None:
    at200 = _find(text_layer_tokens(finance_pdf, INCOME_PAGE, 200), "2,946.25").bbox_px
    at100 = _find(text_layer_tokens(finance_pdf, INCOME_PAGE, 100), "2,946.25").bbox_px
    assert np.allclose(np.array(at100) * 2, at200, atol=1.5)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_text_layer_follows_page_rotate(finance_pdf: Path, tmp_path: Path, rotation: int) -> None:
    """A /Rotate over upright content: the page is turned back upright and the words still sit on their ink."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(finance_pdf))
    pdf[INCOME_PAGE].set_rotation(rotation)
    rotated = tmp_path / "rotated.pdf"
    pdf.save(str(rotated))
    pdf.close()
    plain = text_layer_tokens(finance_pdf, INCOME_PAGE, 200)
    page = Rasterizer(RasterizeOptions(text_layer="auto"))([(rotated, INCOME_PAGE)])[0]
    assert page.text_layer is not None
    assert page.rotation == rotation  # /Rotate turns clockwise; we turn counter-clockwise by the same amount
    assert (page.width, page.height) == (2339, 1653)
    assert sorted(t.text for t in page.text_layer) == sorted(t.text for t in plain)  # pdfium may reorder
    token = _find(page.text_layer, "2,946.25")
    assert np.allclose(token.bbox_px, _find(plain, "2,946.25").bbox_px, atol=1.5)
    assert _ink_fraction(page.image, token.bbox_px) > 0.1


def test_rotate_box_round_trip() -> None:
    box = (10.0, 20.0, 30.0, 60.0)
    w, h = 100, 200
    assert rotate_box(rotate_box(box, 90, w, h), 270, h, w) == box
    assert rotate_box(rotate_box(box, 180, w, h), 180, w, h) == box
    image = np.zeros((h, w), dtype=np.uint8)
    image[20:60, 10:30] = 1
    from juesuan.inference.preprocess import rotate

    for degrees in (90, 180, 270):
        turned = rotate(image, degrees)
        ys, xs = np.nonzero(turned)
        assert rotate_box(box, degrees, w, h) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
