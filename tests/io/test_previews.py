"""Page previews: a palette PNG at most max_width wide, the page in grey, boxes in their colours where they belong."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
from PIL import Image

from juesuan.datamodel.page import (
    GridCell,
    OcrResult,
    PageImage,
    PageRef,
    Region,
    RegionKind,
    TableGrid,
    TableOcr,
    Token,
)
from juesuan.io.previews import draw_preview, preview_base, render_preview


def _result(width: int = 2000, height: int = 1000) -> OcrResult:
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    image[400:410, 100:900] = (20, 20, 20)  # a dark bar: must stay dark in the preview
    cell = GridCell(0, 0, 1, 1, (1200.0, 100.0, 1400.0, 300.0))
    grid = TableGrid((1200.0, 100.0, 1400.0, 300.0), (100.0, 300.0), (1200.0, 1400.0), (cell,), True)
    table = TableOcr(Region(RegionKind.TABLE, (1000.0, 100.0, 1800.0, 900.0), 0.9), grid, (), ())
    page = PageImage(PageRef("doc.pdf", 0, 200), image)
    return OcrResult(page, (), (table,), (Token("标题", (100.0, 600.0, 500.0, 700.0)),))


def _decode(png: bytes) -> tuple[Image.Image, np.ndarray]:
    img = Image.open(io.BytesIO(png))
    return img, np.asarray(img.convert("RGB"))


def test_preview_is_a_small_palette_png_with_boxes_in_place() -> None:
    result = _result()
    img, rgb = _decode(render_preview(result.page, result, max_width=1000))
    assert img.format == "PNG" and img.mode == "P" and img.size == (1000, 500)  # scale 0.5
    assert tuple(rgb[5, 5]) == (255, 255, 255)  # paper stays white
    assert rgb[202:205, 100:450].max() < 40  # the dark bar, scaled to y 200-205
    assert tuple(rgb[50, 700]) == (0, 60, 230)  # table region outline (blue), top edge at y 100 * 0.5
    assert tuple(rgb[100, 600]) == (0, 170, 0)  # cell outline (green): left edge x 1200 * 0.5, y 50..150
    assert tuple(rgb[300, 150]) == (150, 150, 150)  # token outline (grey), top edge y 600 * 0.5


def test_base_is_grey_and_never_upscaled() -> None:
    result = _result(width=600, height=300)
    base, scale = preview_base(result.page.image, max_width=1400)
    assert base.shape == (300, 600) and base.dtype == np.uint8 and scale == 1.0
    img, _ = _decode(draw_preview(base, scale, result))
    assert img.size == (600, 300)


def test_preview_pages_option_and_flag() -> None:
    from juesuan.cli import build_parser
    from juesuan.cli.extract import _overrides
    from juesuan.inference.pipeline import wants_preview
    from juesuan.options import load_options

    with_table, without = _result(), dataclasses.replace(_result(), tables=())
    assert wants_preview(with_table, "tables") and not wants_preview(without, "tables")
    assert wants_preview(without, "all")

    def export(*flags: str) -> tuple[bool, str]:
        args = build_parser("extract").parse_args(["extract", "x.pdf", "-o", "out", *flags])
        opts = load_options(None, _overrides(args)).export
        return opts.previews, opts.preview_pages

    assert export() == (True, "all")
    assert export("--previews", "tables") == (True, "tables")
    assert export("--previews", "none") == (False, "all")
    assert export("--no-previews") == (False, "all")
