"""RuledGrid on a rendered ruled table (truth comes with the drawing) and on a real 收入决算表 page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from juesuan.datamodel.page import LayoutResult, PageImage, PageRef, Region, RegionKind
from juesuan.inference.grid import RuledGrid
from juesuan.options import GridOptions

COLS = [100, 220, 520, 700, 880]  # 4 columns
ROWS = [100, 160, 210, 260, 310, 360]  # 5 rows: 2 header rows, 3 body rows


def _render(font_path: Path, dashed: bool = False, noise: bool = False) -> np.ndarray:
    img = Image.new("RGB", (1000, 500), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(font_path), 26)
    x0, x1, y0, y1 = COLS[0], COLS[-1], ROWS[0], ROWS[-1]
    for y in ROWS:
        if y == ROWS[1]:
            d.line([(COLS[2], y), (x1, y)], fill="black", width=2)  # header: cols 0-1 merged over 2 rows
        elif dashed and y == ROWS[3]:
            for x in range(x0, x1, 14):
                d.line([(x, y), (min(x + 10, x1), y)], fill="black", width=2)
        else:
            d.line([(x0, y), (x1, y)], fill="black", width=2)
    for x in COLS:
        if x == COLS[3]:
            d.line([(x, ROWS[1]), (x, y1)], fill="black", width=2)  # top header cell spans cols 2-3
        elif x == COLS[1]:
            d.line([(x, ROWS[2]), (x, y1)], fill="black", width=2)  # 科目名称 spans cols 0-1
        else:
            d.line([(x, y0), (x, y1)], fill="black", width=2)
    d.text((120, 140), "科目名称", font=font, fill="black")
    d.text((640, 112), "支出", font=font, fill="black")
    d.text((560, 170), "基本支出", font=font, fill="black")
    d.text((740, 170), "项目支出", font=font, fill="black")
    d.text((110, 220), "201", font=font, fill="black")
    d.text((230, 220), "一般公共服务支出", font=font, fill="black")
    d.text((580, 220), "1,204.50", font=font, fill="black")
    # a long glyph-like stroke inside a cell must not become a column
    d.line([(400, 272), (400, 300)], fill="black", width=2)
    arr = np.asarray(img).copy()
    if noise:
        rng = np.random.default_rng([7, 1])
        img = img.rotate(0.25, fillcolor="white", resample=Image.BICUBIC).filter(ImageFilter.GaussianBlur(0.8))
        arr = np.asarray(img).astype(np.int16)
        arr = np.clip(arr + rng.normal(0, 12, arr.shape), 0, 255).astype(np.uint8)
    return arr


def _layout(image: np.ndarray, regions: tuple[Region, ...] = ()) -> LayoutResult:
    return LayoutResult(page=PageImage(ref=PageRef("synthetic.png", 0, 200), image=image), regions=regions)


@pytest.mark.parametrize(("dashed", "noise"), [(False, False), (True, False), (False, True)])
def test_synthetic_grid_shape_and_spans(cjk_font: Path, dashed: bool, noise: bool) -> None:
    result = RuledGrid(GridOptions())([_layout(_render(cjk_font, dashed, noise))])[0]
    assert len(result.tables) == 1
    cand = result.tables[0]
    assert cand.region.source == "lines"
    grid = cand.grid
    assert grid is not None
    assert (grid.n_rows, grid.n_cols) == (5, 4)
    assert max(abs(a - b) for a, b in zip(grid.col_edges, COLS, strict=True)) <= 4
    assert max(abs(a - b) for a, b in zip(grid.row_edges, ROWS, strict=True)) <= 4
    spans = {(c.row, c.col): (c.row_span, c.col_span) for c in grid.cells}
    assert spans[(0, 0)] == (2, 2)  # 科目名称 over two header rows and two columns
    assert spans[(0, 2)] == (1, 2)  # 支出 over 基本支出 | 项目支出
    assert spans[(1, 2)] == (1, 1)
    assert spans[(2, 0)] == (1, 1)
    assert len(grid.cells) == 1 + 1 + 2 + 3 * 4


def test_detector_region_is_kept_and_empty_region_is_borderless(cjk_font: Path) -> None:
    image = _render(cjk_font)
    ruled = Region(RegionKind.TABLE, (90, 90, 890, 370), 0.9)
    borderless = Region(RegionKind.TABLE, (100, 400, 900, 480), 0.8)
    result = RuledGrid()([_layout(image, (ruled, borderless))])[0]
    sources = sorted((c.region.source, c.grid is None) for c in result.tables)
    assert sources == [("both", False), ("picodet", True)]
    assert sum(r.kind is RegionKind.TABLE for r in result.layout.regions) == 2


def test_real_income_table_grid(finance_pdf: Path) -> None:
    """finance-bureau page 8 (index 7), 收入决算表: 3 header rows with merged cells, 15 body rows, 11 columns."""
    pdf = pdfium.PdfDocument(str(finance_pdf))
    image = pdf[7].render(scale=200 / 72).to_numpy()[:, :, :3].copy()
    result = RuledGrid()([_layout(image)])[0]
    assert len(result.tables) == 1
    grid = result.tables[0].grid
    assert grid is not None
    assert (grid.n_rows, grid.n_cols) == (18, 11)
    spans = {(c.row, c.col): (c.row_span, c.col_span) for c in grid.cells}
    assert spans[(0, 0)] == (1, 4)  # 项目
    assert spans[(1, 0)] == (1, 3)  # 支出功能分类
    assert spans[(1, 3)] == (2, 1)  # 科目名称
    assert spans[(0, 4)] == (3, 1)  # 本年收入合计
    assert spans[(10, 3)] == (1, 1)


def test_real_page_scan_and_photo_degradation_keeps_the_grid(finance_pdf: Path) -> None:
    """Bug pinned: a warped (perspective) page merged header cells, and a stroke past the frame added a column."""
    from juesuan.datasets.synth.degrade import degrade_with_transform
    from juesuan.inference import preprocess

    pdf = pdfium.PdfDocument(str(finance_pdf))
    clean = pdf[7].render(scale=200 / 72).to_numpy()[:, :, :3].copy()
    for preset in ("scan", "heavy"):
        image = degrade_with_transform(clean, np.random.default_rng([7, 7]), preset).image
        image = preprocess.rotate_small(image, preprocess.estimate_skew(image, 5.0))
        grid = RuledGrid()([_layout(image)])[0].tables[0].grid
        assert grid is not None
        assert (grid.n_rows, grid.n_cols) == (18, 11), preset
        spans = {(c.row, c.col): (c.row_span, c.col_span) for c in grid.cells}
        assert spans[(1, 3)] == (2, 1), preset  # 科目名称
        assert spans[(2, 0)] == (1, 3), preset  # 科目编码


def _fax_page(pdf: Path, index: int, seed: int) -> np.ndarray:
    """A real page rendered at a true 150 dpi and degraded by the ``fax`` preset (1-bit, drop-outs), seeded."""
    import zlib

    from juesuan.datasets.synth.degrade import PRESETS, degrade

    doc = pdfium.PdfDocument(str(pdf))
    try:
        image = doc[index].render(scale=150 / 72).to_numpy()[:, :, :3].copy()
    finally:
        doc.close()
    return degrade(image, np.random.default_rng([seed, zlib.crc32(pdf.name.encode()), index]), PRESETS["fax"])


@pytest.mark.parametrize("seed", [7, 8])
def test_dashed_rules_of_a_fax_copy_are_rebuilt(shared_real: Path, seed: int) -> None:
    """commerce 2025 page 14 (财政拨款收支预算总表, 16 rows x 7 columns) as a fax: its 1-2 px rules come out as dashes
    that wander between two pixel rows; without rebuilding them the table fell apart into three structures and
    pairs of rows merged (13 amounts in no row)."""
    page = _fax_page(shared_real / "shanghai-putuo-commerce_2025_部门预算.pdf", 13, seed)
    layout = LayoutResult(page=PageImage(ref=PageRef("fax.png", 13, 150), image=page), regions=())
    found = RuledGrid(GridOptions())([layout])[0]
    shapes = [(t.grid.n_rows, t.grid.n_cols) for t in found.tables if t.grid is not None]
    assert shapes == [(16, 7)]
    old = RuledGrid(GridOptions(recover_rules_max_dpi=0))([layout])[0]
    assert [(t.grid.n_rows, t.grid.n_cols) for t in old.tables if t.grid is not None] != [(16, 7)]


def test_rule_rebuilding_keeps_text_out(shared_real: Path) -> None:
    """Aligned strokes of a title or a cell's text, joined by the closing, are no rule: on two one-table fax pages
    the rebuilt grid is one structure with no column narrower than a cell can be."""
    pages = [("shanghai-putuo-justice-bureau_2026_部门预算.pdf", 19), ("shanghai-putuo-wanli-street_2024_预算.pdf", 11)]
    for name, index in pages:
        page = _fax_page(shared_real / name, index, 7)
        layout = LayoutResult(page=PageImage(ref=PageRef("fax.png", index, 150), image=page), regions=())
        grids = [t.grid for t in RuledGrid(GridOptions())([layout])[0].tables if t.grid is not None]
        assert len(grids) == 1, name
        widths = np.diff(grids[0].col_edges)
        assert widths.min() >= 0.15 * 150, (name, widths)
