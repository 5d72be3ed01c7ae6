"""Page-level contracts: a rasterized page, its layout regions, OCR tokens, table grids.

Hot-path data are frozen dataclasses; stages return new objects and never mutate their input.
Every box is ``(x0, y0, x1, y1)`` in page pixels at ``PageRef.dpi`` after rotation/deskew (``bbox_px``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class PageRef:
    """Where a page came from: source file and 0-based page index."""

    path: str
    index: int
    dpi: int

    def where(self) -> str:
        """``file, page N`` with N counted from 1, for messages people read."""
        return f"{self.path}, page {self.index + 1}"


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of text with its box: one OCR line, one text-layer word, or one cell line."""

    text: str
    bbox_px: BBox
    confidence: float = 1.0
    label: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class PageImage:
    """One rasterized page, upright. ``image`` is H x W x 3 uint8 RGB."""

    ref: PageRef
    image: np.ndarray
    rotation: int = 0  # degrees (0/90/180/270) turned to make the page upright
    skew_deg: float = 0.0  # small angle removed by deskew
    # a photo's perspective undone after deskew: 3x3 row-major homography, deskewed pixels -> these pixels
    homography: tuple[tuple[float, ...], ...] | None = None
    # Words from a PDF text layer in page pixels (only with ``--text-layer auto`` and a digital PDF), else None.
    text_layer: tuple[Token, ...] | None = None

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


class RegionKind(str, Enum):
    """Layout classes we keep (CDLA's 10 classes mapped down)."""

    TABLE = "table"
    TABLE_CAPTION = "table_caption"
    TITLE = "title"
    TEXT = "text"
    FIGURE = "figure"
    HEADER = "header"
    FOOTER = "footer"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Region:
    """A layout region. ``source`` says which evidence found it: the detector, ruling lines, or both."""

    kind: RegionKind
    bbox_px: BBox
    score: float
    source: str = "picodet"  # "picodet" | "lines" | "both" | "page"


@dataclass(frozen=True, slots=True, eq=False)
class LayoutResult:
    page: PageImage
    regions: tuple[Region, ...]

    def tables(self) -> tuple[Region, ...]:
        return tuple(r for r in self.regions if r.kind is RegionKind.TABLE)


@dataclass(frozen=True, slots=True)
class GridCell:
    """One (possibly merged) cell of a table grid; row/col are the top-left grid position."""

    row: int
    col: int
    row_span: int
    col_span: int
    bbox_px: BBox


@dataclass(frozen=True, slots=True)
class TableGrid:
    """Row and column separators of one table, and its cells (merged cells appear once, with spans)."""

    bbox_px: BBox
    row_edges: tuple[float, ...]  # n_rows + 1 y positions, top to bottom
    col_edges: tuple[float, ...]  # n_cols + 1 x positions, left to right
    cells: tuple[GridCell, ...]
    ruled: bool  # True: from ruling lines; False: inferred from text alignment (borderless)

    @property
    def n_rows(self) -> int:
        return len(self.row_edges) - 1

    @property
    def n_cols(self) -> int:
        return len(self.col_edges) - 1


@dataclass(frozen=True, slots=True, eq=False)
class TableCandidate:
    """A table region and, when ruling lines were found, its grid (None: borderless, built after OCR)."""

    region: Region
    grid: TableGrid | None


@dataclass(frozen=True, slots=True, eq=False)
class GridResult:
    layout: LayoutResult
    tables: tuple[TableCandidate, ...]

    @property
    def page(self) -> PageImage:
        return self.layout.page


@dataclass(frozen=True, slots=True)
class CellText:
    """The text of one grid cell. ``tokens`` are its lines, top to bottom; ``text`` joins them (no CJK separator)."""

    cell: GridCell
    text: str
    confidence: float
    tokens: tuple[Token, ...] = ()
    label: str | None = None  # filled by the token labeller (configs/labels.yaml)


@dataclass(frozen=True, slots=True, eq=False)
class TableOcr:
    """OCR of one table region: cell texts when a grid is known, else the raw tokens inside the region."""

    region: Region
    grid: TableGrid | None
    cells: tuple[CellText, ...]
    tokens: tuple[Token, ...]


@dataclass(frozen=True, slots=True, eq=False)
class OcrResult:
    """All text of a page: tables (by region) and the tokens outside tables (titles, unit lines, narrative)."""

    page: PageImage
    regions: tuple[Region, ...]
    tables: tuple[TableOcr, ...]
    tokens: tuple[Token, ...] = field(default=())

    @property
    def ref(self) -> PageRef:
        return self.page.ref
