"""OCR stage: cell crops on a rendered ruled table, det+rec on text regions and borderless tables, the text layer,
Tesseract, and one real 收入决算表 page checked against the PDF's own text layer."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from juesuan.datamodel.page import (
    GridCell,
    GridResult,
    LayoutResult,
    OcrResult,
    PageImage,
    PageRef,
    Region,
    RegionKind,
    TableCandidate,
    TableGrid,
    Token,
)
from juesuan.errors import ConfigError
from juesuan.inference.ocr import (
    MAX_CUT_FRACTION,
    CellCropper,
    PpOcr,
    TesseractOcr,
    crop_variants,
    doubtful_number,
    erase_rule_remnants,
    full_page_ocr,
    group_lines,
    parse_tesseract_tsv,
    stray_specks,
    tesseract_tokens,
)
from juesuan.options import OcrOptions

# ---------------------------------------------------------------------------------------------------------------
# A ruled table rendered with a CJK font at known boxes (about 200 dpi: 28 px text)

COL_EDGES = (40, 200, 620, 820)
# (row height, cells as (col, col_span, lines)); a blank cell is simply absent from its row
ROWS: list[tuple[int, list[tuple[int, int, list[str]]]]] = [
    (56, [(0, 2, ["项目"]), (2, 1, ["决算数"])]),
    (56, [(0, 1, ["201"]), (1, 1, ["一般公共服务支出"]), (2, 1, ["2,946.25"])]),
    (96, [(0, 1, ["2080505"]), (1, 1, ["机关事业单位基本养老保险", "缴费支出"]), (2, 1, ["160.75"])]),
    (56, [(0, 1, ["20101"]), (1, 1, ["人大事务"])]),
    (56, [(1, 1, ["合计"]), (2, 1, ["1,204.50"])]),
]
TITLE = "收入决算表"
UNIT = "单位：万元"


@dataclass(frozen=True)
class RenderedTable:
    image: np.ndarray
    grid: TableGrid
    truth: dict[tuple[int, int], list[str]]  # (row, col) -> lines
    title_box: tuple[float, float, float, float]
    unit_box: tuple[float, float, float, float]


def render_ruled_table(font_path: Path, top: int = 140, seed: int = 0) -> RenderedTable:
    """Draw the table in ROWS with 2 px rules, text left-aligned (numbers right-aligned), plus a title and unit."""
    font = ImageFont.truetype(str(font_path), 28)
    row_edges = [top]
    for height, _ in ROWS:
        row_edges.append(row_edges[-1] + height)
    img = Image.new("RGB", (860, row_edges[-1] + 60), "white")
    draw = ImageDraw.Draw(img)
    cells: list[GridCell] = []
    truth: dict[tuple[int, int], list[str]] = {}
    for r, (_, row_cells) in enumerate(ROWS):
        spans = {c: (span, lines) for c, span, lines in row_cells}
        c = 0
        while c < 3:
            span, lines = spans.get(c, (1, []))
            box = (COL_EDGES[c], row_edges[r], COL_EDGES[c + span], row_edges[r + 1])
            cells.append(GridCell(r, c, 1, span, tuple(float(v) for v in box)))  # type: ignore[arg-type]
            truth[(r, c)] = lines
            y = (box[1] + box[3]) / 2 - 18 * len(lines) + 4
            for line in lines:
                x0, _, x1, _ = font.getbbox(line)
                numeric = bool(re.fullmatch(r"[\d,.\-]+", line)) and c == 2
                x = box[2] - 12 - (x1 - x0) if numeric else box[0] + 10
                draw.text((x, y), line, font=font, fill="black")
                y += 36
            c += span
    # rules: every row edge across the table; column edges except inside the merged header cell
    for y in row_edges:
        draw.line([(COL_EDGES[0], y), (COL_EDGES[-1], y)], fill="black", width=2)
    for x in COL_EDGES:
        y_start = row_edges[1] if x == COL_EDGES[1] else row_edges[0]
        draw.line([(x, y_start), (x, row_edges[-1])], fill="black", width=2)
    draw.text((330, 40), TITLE, font=font, fill="black")
    tb = font.getbbox(TITLE)
    draw.text((650, 96), UNIT, font=font, fill="black")
    ub = font.getbbox(UNIT)
    grid = TableGrid(
        bbox_px=(COL_EDGES[0], row_edges[0], COL_EDGES[-1], row_edges[-1]),
        row_edges=tuple(float(v) for v in row_edges),
        col_edges=tuple(float(v) for v in COL_EDGES),
        cells=tuple(cells),
        ruled=True,
    )
    return RenderedTable(
        np.array(img),
        grid,
        truth,
        (330 + tb[0], 40 + tb[1], 330 + tb[2], 40 + tb[3]),
        (650 + ub[0], 96 + ub[1], 650 + ub[2], 96 + ub[3]),
    )


def grid_result(
    table: RenderedTable,
    *,
    with_grid: bool = True,
    text_layer: tuple[Token, ...] | None = None,
    extra: tuple[Region, ...] = (),
    index: int = 0,
) -> GridResult:
    page = PageImage(PageRef("rendered.png", index, 200), table.image, text_layer=text_layer)
    table_region = Region(RegionKind.TABLE, table.grid.bbox_px, 0.9)
    regions = (
        Region(RegionKind.TITLE, table.title_box, 0.9),
        Region(RegionKind.TEXT, table.unit_box, 0.8),
        table_region,
        *extra,
    )
    candidate = TableCandidate(table_region, table.grid if with_grid else None)
    return GridResult(LayoutResult(page, regions), (candidate,))


@pytest.fixture(scope="module")
def ruled(cjk_font: Path) -> RenderedTable:
    return render_ruled_table(cjk_font)


@pytest.fixture(scope="module")
def stage() -> PpOcr:
    return PpOcr(OcrOptions())


@pytest.fixture(scope="module")
def ocr_ruled(stage: PpOcr, ruled: RenderedTable) -> OcrResult:
    return stage([grid_result(ruled)])[0]


def _cells(result: OcrResult) -> dict[tuple[int, int], object]:
    return {(c.cell.row, c.cell.col): c for c in result.tables[0].cells}


# ---------------------------------------------------------------------------------------------------------------
# Cell crops


def test_every_cell_reads_exactly(ocr_ruled: OcrResult, ruled: RenderedTable) -> None:
    cells = _cells(ocr_ruled)
    assert len(cells) == len(ruled.grid.cells)
    got = {key: cell.text for key, cell in cells.items()}  # type: ignore[attr-defined]
    want = {key: "".join(lines) for key, lines in ruled.truth.items()}
    assert got == want


def test_wrapped_cell_gives_one_token_per_line(ocr_ruled: OcrResult, ruled: RenderedTable) -> None:
    cell = _cells(ocr_ruled)[(2, 1)]
    assert [t.text for t in cell.tokens] == ["机关事业单位基本养老保险", "缴费支出"]  # type: ignore[attr-defined]
    (x0, y0, x1, y1) = cell.cell.bbox_px  # type: ignore[attr-defined]
    first, second = cell.tokens  # type: ignore[attr-defined]
    assert first.bbox_px[3] < second.bbox_px[1]  # top to bottom, not overlapping
    for tok in cell.tokens:  # type: ignore[attr-defined]
        assert x0 <= tok.bbox_px[0] < tok.bbox_px[2] <= x1 and y0 <= tok.bbox_px[1] < tok.bbox_px[3] <= y1
    assert 0.5 < cell.confidence <= 1.0  # type: ignore[attr-defined]


def test_blank_cells_have_no_tokens_and_full_confidence(ocr_ruled: OcrResult) -> None:
    blank = _cells(ocr_ruled)[(3, 2)]
    assert (blank.text, blank.tokens, blank.confidence) == ("", (), 1.0)  # type: ignore[attr-defined]


def test_title_and_unit_are_page_tokens_and_table_text_is_not(ocr_ruled: OcrResult) -> None:
    texts = [t.text for t in ocr_ruled.tokens]
    assert texts == [TITLE, UNIT]
    assert ocr_ruled.tables[0].tokens == ()
    assert {r.kind for r in ocr_ruled.regions} == {RegionKind.TITLE, RegionKind.TEXT, RegionKind.TABLE}


def test_a_text_region_over_the_table_is_not_read_twice(stage: PpOcr, ruled: RenderedTable) -> None:
    h, w = ruled.image.shape[:2]
    whole = Region(RegionKind.TEXT, (0.0, 0.0, float(w), float(h)), 0.6)
    result = stage([grid_result(ruled, extra=(whole,))])[0]
    joined = "".join(t.text for t in result.tokens)
    assert "2,946.25" not in joined and "一般公共服务支出" not in joined
    assert _cells(result)[(1, 2)].text == "2,946.25"  # type: ignore[attr-defined]


def test_borderless_table_gets_detected_tokens_not_cells(stage: PpOcr, ruled: RenderedTable) -> None:
    result = stage([grid_result(ruled, with_grid=False)])[0]
    table = result.tables[0]
    assert table.grid is None and table.cells == ()
    texts = [t.text for t in table.tokens]
    assert "2,946.25" in texts and "1,204.50" in texts
    gx0, gy0, gx1, gy1 = ruled.grid.bbox_px
    assert all(
        gx0 <= t.bbox_px[0] and gy0 <= t.bbox_px[1] and t.bbox_px[2] <= gx1 and t.bbox_px[3] <= gy1
        for t in table.tokens
    )
    assert TITLE not in texts


def test_batch_keeps_length_and_order(stage: PpOcr, cjk_font: Path, ruled: RenderedTable) -> None:
    lower = render_ruled_table(cjk_font, top=200)
    batch = [grid_result(lower, index=0), grid_result(ruled, index=1)]
    results = stage(batch)
    assert [r.page.ref.index for r in results] == [0, 1]
    assert [r.page is g.page for r, g in zip(results, batch, strict=True)] == [True, True]
    first, second = (_cells(r)[(1, 2)] for r in results)
    assert first.text == second.text == "2,946.25"  # type: ignore[attr-defined]
    assert first.tokens[0].bbox_px[1] == pytest.approx(second.tokens[0].bbox_px[1] + 60, abs=2)  # type: ignore[attr-defined]


def test_detect_and_assign_mode_reads_the_same_cells(ruled: RenderedTable) -> None:
    result = PpOcr(OcrOptions(cell_crops=False))([grid_result(ruled)])[0]
    got = {k: c.text for k, c in _cells(result).items()}  # type: ignore[attr-defined]
    assert got[(1, 2)] == "2,946.25" and got[(4, 2)] == "1,204.50" and got[(1, 1)] == "一般公共服务支出"


def test_a_grid_that_slices_text_falls_back_to_detection(stage: PpOcr, ruled: RenderedTable) -> None:
    """A warped scan: the straight grid sits half a row off the text, so cell crops would cut glyphs in two."""
    shift = 26.0
    g = ruled.grid
    cells = tuple(
        replace(c, bbox_px=(c.bbox_px[0], c.bbox_px[1] + shift, c.bbox_px[2], c.bbox_px[3] + shift)) for c in g.cells
    )
    shifted = replace(
        g,
        bbox_px=(g.bbox_px[0], g.bbox_px[1] + shift, g.bbox_px[2], g.bbox_px[3] + shift),
        row_edges=tuple(y + shift for y in g.row_edges),
        cells=cells,
    )
    gray = ruled.image[:, :, 0]
    assert CellCropper(200)(gray, shifted).cut_fraction > MAX_CUT_FRACTION >= CellCropper(200)(gray, g).cut_fraction
    result = stage([grid_result(replace(ruled, grid=shifted))])[0]
    texts = {c.text for c in result.tables[0].cells}
    assert {"2,946.25", "160.75", "一般公共服务支出"} <= texts
    assert len(result.tables[0].tokens) >= 10  # the detected lines are kept with the table


def test_ppocr_v4_reads_the_numbers(ruled: RenderedTable) -> None:
    result = PpOcr(OcrOptions(kind="ppocr_v4", text_regions=False))([grid_result(ruled)])[0]
    got = {k: c.text for k, c in _cells(result).items()}  # type: ignore[attr-defined]
    assert (got[(1, 2)], got[(2, 2)], got[(4, 2)]) == ("2,946.25", "160.75", "1,204.50")
    assert result.tokens == ()  # text_regions=False


def test_cuda_options_read_the_same_on_any_machine(ruled: RenderedTable, caplog: pytest.LogCaptureFixture) -> None:
    """device=cuda: batched region detection and full recognition batches; without a GPU it runs on the CPU."""
    import onnxruntime as ort

    result = PpOcr(OcrOptions(device="cuda", rec_batch_size=64))([grid_result(ruled)])[0]
    got = {k: c.text for k, c in _cells(result).items()}  # type: ignore[attr-defined]
    assert got == {key: "".join(lines) for key, lines in ruled.truth.items()}
    assert [t.text for t in result.tokens] == [TITLE, UNIT]  # two regions: one batched detection call
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        assert "no CUDAExecutionProvider" in caplog.text


def test_ppocr_refuses_the_tesseract_kind() -> None:
    with pytest.raises(ConfigError, match="ppocr_v6 or ppocr_v4"):
        PpOcr(OcrOptions(kind="tesseract"))


# ---------------------------------------------------------------------------------------------------------------
# Text layer: no OCR at all


def test_text_layer_replaces_ocr(ruled: RenderedTable) -> None:
    layer = (
        Token("收入决算表", ruled.title_box),
        Token("2,946.25", (700.0, 210.0, 800.0, 236.0)),
        Token("机关事业单位基本养老保险", (210.0, 262.0, 570.0, 290.0)),
        Token("缴费支出", (210.0, 298.0, 330.0, 326.0)),
    )
    stage = PpOcr(OcrOptions())
    result = stage([grid_result(ruled, text_layer=layer)])[0]
    assert stage._engine is None  # no model was loaded
    cells = _cells(result)
    assert cells[(1, 2)].text == "2,946.25"  # type: ignore[attr-defined]
    assert cells[(2, 1)].text == "机关事业单位基本养老保险缴费支出"  # type: ignore[attr-defined]
    assert [t.text for t in result.tokens] == ["收入决算表"]


# ---------------------------------------------------------------------------------------------------------------
# Pieces of the cell cropper


def test_group_lines_keeps_gapped_glyphs_and_splits_wrapped_names() -> None:
    # 三 alone: three strokes with gaps, one line
    assert group_lines([(10, 13), (20, 23), (31, 34)], line_h=26) == [(10, 34)]
    # two wrapped lines 28 px tall with an 8 px gap
    assert group_lines([(5, 33), (41, 69)], line_h=28) == [(5, 33), (41, 69)]


def test_rule_remnants_are_erased_but_text_is_kept() -> None:
    ink = np.zeros((40, 100), dtype=bool)
    ink[0, :] = True  # remnant of the rule above
    ink[:, 98] = True  # remnant of the rule on the right
    ink[15:25, 30:40] = True  # a glyph
    rows, cols = erase_rule_remnants(ink, band=6)
    assert rows.nonzero()[0].tolist() == [0] and cols.nonzero()[0].tolist() == [98]


# one ruled row of two cells on a 300 x 200 page: x 20-150 and 150-280, y 50-150
TWO_CELLS = TableGrid(
    (20.0, 50.0, 280.0, 150.0),
    (50.0, 150.0),
    (20.0, 150.0, 280.0),
    (GridCell(0, 0, 1, 1, (20.0, 50.0, 150.0, 150.0)), GridCell(0, 1, 1, 1, (150.0, 50.0, 280.0, 150.0))),
    True,
)


def test_cropper_skips_specks_and_blank_cells() -> None:
    gray = np.full((200, 300), 255, dtype=np.uint8)
    gray[50, :] = gray[150, :] = 0  # rules
    gray[:, 20] = gray[:, 280] = 0
    gray[90, 100] = gray[120, 200] = 0  # scan noise
    gray[95:120, 60:80] = 0  # ink in the left half only
    crops = CellCropper(200)(gray, TWO_CELLS)
    left, right = crops.lines
    assert crops.cut_fraction == 0.0
    assert right == []
    assert len(left) == 1 and left[0].bbox_px == (60.0, 95.0, 80.0, 120.0)


def test_cell_whose_paper_is_darker_than_the_tables_threshold_reads_its_own_ink() -> None:
    """A photo's dark corner (shenzhen water 2026 p.96: paper 191 under a table threshold of 195): paper falling
    from 250 to 170 across the table, blurred text and rules at 110; the table-wide threshold (200 here) takes the
    right cell's paper for ink. That cell is thresholded on its own: one line crop around its glyphs, glyphs kept
    (not painted over as a rule remnant)."""
    gray = np.tile(np.linspace(250, 170, 300).astype(np.uint8), (200, 1))  # light falling off to the right
    gray[50, 20:280] = gray[150, 20:280] = 110  # rules
    gray[50:151, 20] = gray[50:151, 150] = gray[50:151, 280] = 110
    gray[90:110, 60:66] = gray[90:110, 70:76] = gray[90:110, 80:86] = 110  # three glyphs, left cell
    gray[90:110, 200:206] = gray[90:110, 210:216] = 110  # two glyphs, right cell
    crops = CellCropper(200)(gray, TWO_CELLS)
    left, right = crops.lines
    assert len(left) == 1 and left[0].bbox_px == (60.0, 90.0, 86.0, 110.0)
    assert len(right) == 1 and right[0].bbox_px == (200.0, 90.0, 216.0, 110.0)
    assert (right[0].image == 110).sum() == 2 * 20 * 6  # both glyphs whole
    assert crops.filled_fraction == 0.5  # still counted as a fill for the table's detection fallback


def test_stray_specks_beside_a_number_go_but_its_point_stays() -> None:
    ink = np.zeros((20, 120), dtype=bool)
    for x in (20, 30, 40, 60, 70):  # five 6 x 10 px digits
        ink[5:15, x : x + 6] = True
    ink[13:15, 52:54] = True  # the decimal point between them: 4 px, inside
    ink[12:14, 8:10] = True  # fax speckle before the number (read as a leading point)
    ink[2, 100] = True  # and one after it
    ink[0:2, 33:35] = True  # above the digits (3 px clear of them)
    ink[10, 18] = True  # a piece a drop-out broke off the first digit: 1 px from it, kept
    stray = stray_specks(ink, max_area=4, min_gap=3)
    assert stray[12:14, 8:10].all() and stray[2, 100] and stray[0:2, 33:35].all()
    assert not stray[13:15, 52:54].any() and not stray[5:15, 20:26].any() and not stray[10, 18]
    assert stray.sum() == 4 + 1 + 4
    assert not stray_specks(np.zeros((5, 5), dtype=bool), 4).any()


def test_cropper_paints_stray_specks_only_when_asked() -> None:
    gray = np.full((100, 200), 255, dtype=np.uint8)
    gray[40:60, 80:92] = gray[40:60, 100:112] = 0  # two glyphs
    gray[55:57, 60:62] = 0  # a speck 18 px before them
    gray[50, 76] = 0  # and a 1-px one 3 px before them (too small for the line box, still in the pixels)
    grid = TableGrid(
        (0.0, 0.0, 200.0, 100.0), (0.0, 100.0), (0.0, 200.0), (GridCell(0, 0, 1, 1, (0.0, 0.0, 200.0, 100.0)),), True
    )
    plain = CellCropper(150)(gray, grid).lines[0]
    clean = CellCropper(150, stray_specks=True)(gray, grid).lines[0]
    assert plain[0].bbox_px[0] == 60.0  # the speck starts the line
    assert clean[0].bbox_px == (80.0, 40.0, 112.0, 60.0)
    assert (clean[0].image < 128).sum() == 2 * 20 * 12


@pytest.mark.parametrize(
    ("text", "doubtful"),
    [
        *[("G,00", True), ("82,096,79712", True), (".5,000.00", True), ("202:24", True), ("C", True)],
        *[("0.00", False), ("1,234.56", False), ("2010301", False), ("一般公共服务", False), ("—", False), ("", False)],
    ],
)
def test_doubtful_numbers_are_the_readings_that_should_be_numbers(text: str, doubtful: bool) -> None:
    assert doubtful_number(text) is doubtful


def test_crop_variants_keep_the_text_where_it_is() -> None:
    crop = np.full((20, 40), 255, dtype=np.uint8)
    crop[5:15, 10:12] = 0
    crop[9, 10:12] = 255  # a drop-out across the stroke
    smooth, closed, large = crop_variants(crop)
    assert smooth.shape == closed.shape == crop.shape and large.shape == (40, 80)
    assert (closed[6:14, 10:12] == 0).any(axis=1).all()  # the drop-out across the stroke is filled
    assert smooth[10, 11] < 128 and smooth[2, 30] == 255


@pytest.mark.slow
def test_doubtful_numbers_of_a_real_fax_page_are_read_again(shared_real: Path) -> None:
    """gov-office 2025 单位预算 page 9 as a fax (150 dpi, 1-bit): a second reading of the numbers the first reading
    garbled leaves fewer of them garbled and none that were well-formed changed."""
    import zlib

    import pypdfium2 as pdfium

    from juesuan.datasets.synth.degrade import PRESETS, degrade
    from juesuan.inference.grid import RuledGrid

    name, index = "shanghai-putuo-gov-office_2025_单位预算.pdf", 8
    doc = pdfium.PdfDocument(str(shared_real / name))
    image = doc[index].render(scale=150 / 72).to_numpy()[:, :, :3].copy()
    doc.close()
    page = degrade(image, np.random.default_rng([7, zlib.crc32(name.encode()), index]), PRESETS["fax"])
    layout = LayoutResult(page=PageImage(ref=PageRef(name, index, 150), image=page), regions=())
    grid = RuledGrid()([layout])
    once = PpOcr(OcrOptions(text_regions=False, reread_max_dpi=0))(grid)[0]
    twice = PpOcr(OcrOptions(text_regions=False))(grid)[0]
    pairs = [
        (a.text, b.text)
        for ta, tb in zip(once.tables, twice.tables, strict=True)
        for a, b in zip(ta.cells, tb.cells, strict=True)
    ]
    assert sum(doubtful_number(a) for a, _ in pairs) >= 3
    assert sum(doubtful_number(b) for _, b in pairs) < sum(doubtful_number(a) for a, _ in pairs)
    assert all(a == b for a, b in pairs if not doubtful_number(a))


# ---------------------------------------------------------------------------------------------------------------
# Full-page peer and Tesseract


def test_full_page_ocr_reads_title_and_numbers(ruled: RenderedTable) -> None:
    texts = [t.text for t in full_page_ocr(ruled.image, "ppocr_v6")]
    assert TITLE in texts and "2,946.25" in texts and "1,204.50" in texts


def test_parse_tesseract_tsv_joins_cjk_words_and_keeps_columns_apart() -> None:
    head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "5\t1\t1\t1\t1\t1\t100\t50\t28\t30\t96.0\t一般",
        "5\t1\t1\t1\t1\t2\t130\t50\t56\t30\t91.5\t公共服务",
        "5\t1\t1\t1\t1\t3\t600\t52\t110\t26\t88.0\t2,946.25",
        "4\t1\t1\t1\t2\t0\t100\t100\t50\t30\t-1\t",
        "5\t1\t1\t1\t2\t1\t100\t100\t50\t30\t-1\t ",
    ]
    tokens = parse_tesseract_tsv("\n".join([head, *rows]))
    assert [(t.text, t.bbox_px) for t in tokens] == [
        ("一般公共服务", (100.0, 50.0, 186.0, 80.0)),
        ("2,946.25", (600.0, 52.0, 710.0, 78.0)),
    ]
    assert tokens[0].confidence == pytest.approx(0.915)


needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract CLI not installed")


@needs_tesseract
def test_tesseract_returns_tokens_in_page_pixels(ruled: RenderedTable) -> None:
    tokens = tesseract_tokens(ruled.image)
    assert len(tokens) >= 5
    h, w = ruled.image.shape[:2]
    assert all(0 <= t.bbox_px[0] < t.bbox_px[2] <= w and 0 <= t.bbox_px[1] < t.bbox_px[3] <= h for t in tokens)
    digits = "".join(re.sub(r"\D", "", t.text) for t in tokens)
    assert "294625" in digits


@needs_tesseract
def test_tesseract_stage_fills_cells(ruled: RenderedTable) -> None:
    result = TesseractOcr(OcrOptions(kind="tesseract"))([grid_result(ruled)])[0]
    cells = _cells(result)
    assert len(cells) == len(ruled.grid.cells)
    assert re.sub(r"\D", "", cells[(1, 2)].text) == "294625"  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------------------
# A real page: 收入决算表 of the finance bureau's 2024 决算, numbers checked against the PDF text layer


@pytest.mark.slow
def test_real_income_table_numbers_match_the_text_layer(finance_pdf: Path) -> None:
    import pypdfium2 as pdfium

    from juesuan.inference.grid import RuledGrid
    from juesuan.options import GridOptions

    pdf = pdfium.PdfDocument(str(finance_pdf))
    page = pdf[7]  # 收入决算表
    scale = 200 / 72
    image = np.array(page.render(scale=scale).to_pil().convert("RGB"))
    text_page = page.get_textpage()
    page_h = page.get_height()
    numbers: list[tuple[str, float, float]] = []
    for m in re.finditer(r"\d[\d,]*\.\d\d", text_page.get_text_range()):
        boxes = [text_page.get_charbox(i) for i in range(m.start(), m.end())]
        cx = (min(b[0] for b in boxes) + max(b[2] for b in boxes)) / 2 * scale
        cy = (page_h - (min(b[1] for b in boxes) + max(b[3] for b in boxes)) / 2) * scale
        numbers.append((m.group(), cx, cy))
    assert len(numbers) == 35  # 15 rows of amounts: 2,946.25 2,940.05 6.20 in 合计 ...

    layout = LayoutResult(PageImage(PageRef(str(finance_pdf), 7, 200), image), ())
    grids = RuledGrid(GridOptions())([layout])
    result = PpOcr(OcrOptions())(grids)[0]
    cells = [c for t in result.tables for c in t.cells]
    found = 0
    for text, cx, cy in numbers:
        holder = [
            c
            for c in cells
            if c.cell.bbox_px[0] <= cx <= c.cell.bbox_px[2] and c.cell.bbox_px[1] <= cy <= c.cell.bbox_px[3]
        ]
        found += bool(holder) and holder[0].text == text
    assert found / len(numbers) >= 0.99
