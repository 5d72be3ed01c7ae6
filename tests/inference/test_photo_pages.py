"""Photographed pages (the ``photo`` preset, seeded as the evaluation harness seeds it) read cell by cell.

Real pages from ../shared, rendered and degraded at test time (issue 12). Two causes of merged or shifted cells:
a running header's underline taken for the table frame (perspective left unrectified, rows drifted by a whole row
across the table), and a photo's blurred rule edges counted as text sliced by the grid (the whole table went to
text detection, whose boxes ran two amounts either side of a rule into one cell).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from shared_data import needs_shared

from juesuan.datamodel.page import LayoutResult
from juesuan.evaluation.harness import deskew_matrix, page_seed
from juesuan.inference import preprocess
from juesuan.inference.grid import RuledGrid
from juesuan.inference.ocr import MAX_CUT_FRACTION, MAX_FILLED_FRACTION, CellCropper, CellCrops
from juesuan.inference.rasterize import Rasterizer
from juesuan.options import RasterizeOptions

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
WUXI_HR = SHARED / "real-wide" / "wuxi_hr-social-security_2026_部门预算.pdf"  # 财政拨款基本支出表, grey-filled cells
CENTRAL_2024 = SHARED / "real-wide" / "central_state-petitions-bureau_2024_部门决算.pdf"  # 收入决算表, grey cells
PUTUO_UNIT = SHARED / "real" / "shanghai-putuo-gov-office_2025_单位预算.pdf"  # 收入预算总表, amounts against rules


def _photo_page(pdf: Path, index: int, folder: Path) -> Path:
    """The page as ``juesuan evaluate --degrade photo`` (seed 7) feeds it to the pipeline: a 200 dpi PNG."""
    from juesuan.datasets.synth.degrade import degrade_with_transform

    needs_shared(pdf)
    doc = pdfium.PdfDocument(str(pdf))
    try:
        clean = np.asarray(doc[index].render(scale=200 / 72).to_pil().convert("RGB"), dtype=np.uint8).copy()
    finally:
        doc.close()
    image = degrade_with_transform(clean, page_seed(7, pdf.name, index), "photo").image
    target = folder / f"{pdf.stem}-p{index}.png"
    Image.fromarray(image).save(target, dpi=(200, 200))
    return target


def _prepared(png: Path) -> LayoutResult:
    """Red seal washed out, deskewed and rectified as the rasterize stage does (orientation is known: upright)."""
    page = Rasterizer(RasterizeOptions(rotate=False))([(png, 0)])[0]
    return LayoutResult(page=page, regions=())


def _crops(layout: LayoutResult) -> CellCrops:
    tables = [t for t in RuledGrid()([layout])[0].tables if t.grid is not None]
    assert len(tables) == 1
    return CellCropper(200)(preprocess.to_gray(layout.page.image), tables[0].grid)


@pytest.mark.slow
def test_a_header_underline_is_not_the_frame_and_a_steep_photo_is_rectified(tmp_path: Path) -> None:
    """The running header's underline spans the page like the table: taken for the frame's top it measured a
    7.2-degree keystone, rectify refused the page (limit 6) and the amounts drifted a whole row across the table
    (``3.78`` read as ``9.04``'s neighbour). The table's own frame measures 6.2 degrees, within a hand-held photo."""
    png = _photo_page(WUXI_HR, 26, tmp_path)
    image = np.asarray(Image.open(png).convert("RGB"))
    quad = preprocess._outer_quad(preprocess.binarize(preprocess.to_gray(image)))
    assert quad is not None
    assert quad[0][1] > 0.1 * image.shape[0]  # the table's top rule, not the header's underline near the page top
    assert 6.0 < preprocess._keystone_deg(quad) < preprocess.MAX_KEYSTONE_DEG
    layout = _prepared(png)
    after = preprocess._outer_quad(preprocess.binarize(preprocess.to_gray(layout.page.image)))
    assert after is not None and preprocess._keystone_deg(after) < preprocess.MIN_KEYSTONE_DEG
    assert _crops(layout).filled_fraction > MAX_FILLED_FRACTION  # grey cells: its table is read by text detection
    # the homography is recorded, so boxes on the rectified page map back to the photo (and the truth onto them)
    assert layout.page.homography is not None
    deskewed = deskew_matrix(layout.page.skew_deg, image.shape[1], image.shape[0])  # deskew runs first
    corner = np.asarray(layout.page.homography) @ deskewed @ np.array([*quad[2], 1.0])  # the frame's bottom-right
    assert corner[:2] / corner[2] == pytest.approx(after[2], abs=3.0)


@pytest.mark.slow
def test_blurred_rule_edges_are_not_text_sliced_by_the_grid(tmp_path: Path) -> None:
    """Amounts printed against the rule between 合计 and 财政拨款收入: read by text detection, one box held both
    (``82,096,797.4282,096,797.42``) and the next cell stayed empty. The photo's rules are 5-7 px of grey ramp;
    1-3 px of it inside the crop inset counted as sliced text in 21% of the cells (limit 20%)."""
    crops = _crops(_prepared(_photo_page(PUTUO_UNIT, 8, tmp_path)))
    assert crops.cut_fraction <= MAX_CUT_FRACTION and crops.filled_fraction <= MAX_FILLED_FRACTION


@pytest.mark.slow
def test_grey_filled_cells_send_a_photographed_table_to_text_detection(tmp_path: Path) -> None:
    """The 收入决算表's empty cells are grey; under a photo's light the table-wide ink threshold takes the fill for
    ink, so cell crops read fill and lose digits next to rules (9 of 55 cells once the rule edges no longer sent the
    table to detection). Cells inked in every row mark it; such tables are read by text detection."""
    crops = _crops(_prepared(_photo_page(CENTRAL_2024, 7, tmp_path)))
    assert crops.cut_fraction <= MAX_CUT_FRACTION  # the rule edges alone no longer send it to detection
    assert crops.filled_fraction > MAX_FILLED_FRACTION  # its grey cells do
