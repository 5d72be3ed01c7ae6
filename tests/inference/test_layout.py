"""Layout stage: CDLA PicoDet regions, class mapping, duplicate removal, lines-only fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from juesuan.datamodel.page import PageImage, PageRef, Region, RegionKind
from juesuan.errors import ConfigError
from juesuan.inference import registry
from juesuan.inference.layout import LinesOnlyLayout, PicoDetLayout, regions_from_detections
from juesuan.inference.rasterize import Rasterizer, text_layer_tokens
from juesuan.models.picodet import CDLA_LABELS, Detection, hard_nms
from juesuan.options import LayoutOptions, RasterizeOptions


def _page(width: int = 300, height: int = 200) -> PageImage:
    return PageImage(PageRef("x.png", 0, 200), np.full((height, width, 3), 255, dtype=np.uint8))


def test_stage_dict_and_build() -> None:
    assert registry.kinds("layout") == ("lines_only", "picodet_cdla")
    assert isinstance(registry.build("layout", LayoutOptions(kind="lines_only")), LinesOnlyLayout)
    assert isinstance(registry.build("layout", LayoutOptions()), PicoDetLayout)
    with pytest.raises(ConfigError, match="picodet_cdla"):
        PicoDetLayout(LayoutOptions(kind="lines_only"))


def test_lines_only_is_one_full_page_region_per_page() -> None:
    pages = [_page(300, 200), _page(120, 400)]
    results = LinesOnlyLayout(LayoutOptions(kind="lines_only"))(pages)
    assert [r.page for r in results] == pages
    assert results[1].regions == (Region(RegionKind.OTHER, (0.0, 0.0, 120.0, 400.0), 1.0, "page"),)
    assert results[0].tables() == ()


def test_every_cdla_class_maps_and_duplicates_collapse() -> None:
    assert len(CDLA_LABELS) == 10
    dets = [Detection(label, 0.9, (0.0, 100.0 * i, 50.0, 100.0 * i + 40)) for i, label in enumerate(CDLA_LABELS)]
    regions = regions_from_detections(dets)
    assert [r.kind for r in regions] == [
        RegionKind.TEXT,
        RegionKind.TITLE,
        RegionKind.FIGURE,
        RegionKind.TEXT,
        RegionKind.TABLE,
        RegionKind.TABLE_CAPTION,
        RegionKind.HEADER,
        RegionKind.FOOTER,
        RegionKind.TEXT,
        RegionKind.OTHER,
    ]
    # the unit line 单位：万元 seen as both table_caption and text: one region, the specific kind
    unit = [
        Detection("text", 0.95, (1452.0, 346.0, 1604.0, 375.0)),
        Detection("table_caption", 0.86, (1450.0, 345.0, 1604.0, 376.0)),
        Detection("table", 0.99, (21.0, 407.0, 1624.0, 2120.0)),
    ]
    kinds = [r.kind for r in regions_from_detections(unit)]
    assert kinds == [RegionKind.TABLE_CAPTION, RegionKind.TABLE]


def test_hard_nms_keeps_best_of_overlaps() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], dtype=np.float64)
    scores = np.array([0.6, 0.9, 0.7])
    assert hard_nms(boxes, scores, 0.5, top_k=100).tolist() == [1, 2]
    assert hard_nms(boxes, scores, 0.5, top_k=1).tolist() == [1]


def test_wrong_input_size_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="800"):
        PicoDetLayout(LayoutOptions(input_size=640))([_page()])
    with pytest.raises(ConfigError, match="does not exist"):
        PicoDetLayout(LayoutOptions(model_path="/nonexistent/layout.onnx"))([_page()])


@pytest.mark.slow
def test_income_table_page_has_one_table_holding_the_total_row(finance_pdf_full: Path) -> None:
    pdf = finance_pdf_full
    pages = Rasterizer(RasterizeOptions())([(pdf, 7), (pdf, 0), (pdf, 15)])
    results = PicoDetLayout(LayoutOptions())(pages)
    assert [r.page.ref.index for r in results] == [7, 0, 15]
    tables = results[0].tables()
    assert len(tables) == 1
    x0, y0, x1, y1 = tables[0].bbox_px
    tokens = text_layer_tokens(pdf, 7, 200)
    for text in ("合计", "2,946.25", "2,940.05", "一般公共服务支出", "6.20"):
        token = next(t for t in tokens if t.text == text)
        cx, cy = (token.bbox_px[0] + token.bbox_px[2]) / 2, (token.bbox_px[1] + token.bbox_px[3]) / 2
        assert x0 <= cx <= x1 and y0 <= cy <= y1, text
    title = next(t for t in tokens if t.text == "收入决算表")
    assert title.bbox_px[3] < y0  # the title is outside the table box
    assert results[1].tables() == ()  # the cover page
    assert len(results[2].tables()) == 1  # portrait 一般公共预算财政拨款基本支出决算表
