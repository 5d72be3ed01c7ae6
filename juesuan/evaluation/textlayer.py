"""One page as OCR would give it if OCR were perfect: the PDF text layer's words in the ruled grid's cells.

Isolates the structure stages (grid → assemble) from OCR: benchmarks/structure_textlayer.py scores every table page
this way, and the assembler's tests build real pages with it.
"""

from __future__ import annotations

from pathlib import Path

from juesuan.datamodel.page import LayoutResult, OcrResult, PageImage, PageRef, TableOcr
from juesuan.inference.cells import assign_tokens_to_cells
from juesuan.inference.grid import RuledGrid
from juesuan.inference.rasterize import text_layer_tokens


def text_layer_page(pdf_path: Path, index: int, dpi: int, grid: RuledGrid) -> OcrResult:
    """One page as OCR would give it if OCR were perfect: text-layer words placed in the ruled grid's cells."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    image = pdf[index].render(scale=dpi / 72).to_numpy()[:, :, :3].copy()
    page = PageImage(ref=PageRef(str(pdf_path), index, dpi), image=image)
    tokens = text_layer_tokens(pdf_path, index, dpi)
    grids = grid([LayoutResult(page=page, regions=())])[0]
    tables, inside = [], set()
    for cand in grids.tables:
        if cand.grid is None:
            continue
        x0, y0, x1, y1 = cand.grid.bbox_px
        mine = tuple(
            t
            for t in tokens
            if x0 <= (t.bbox_px[0] + t.bbox_px[2]) / 2 <= x1 and y0 <= (t.bbox_px[1] + t.bbox_px[3]) / 2 <= y1
        )
        inside.update(id(t) for t in mine)
        tables.append(TableOcr(cand.region, cand.grid, assign_tokens_to_cells(cand.grid, mine), mine))
    rest = tuple(t for t in tokens if id(t) not in inside)
    return OcrResult(page=page, regions=grids.layout.regions, tables=tuple(tables), tokens=rest)
