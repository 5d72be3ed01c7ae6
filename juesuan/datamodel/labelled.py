"""Labelled-page format: one JSON object per page in a JSONL manifest per split (datasets/README.md).

Shared by the synthetic generator, text-layer auto-labelling, Label Studio import/export and training.
Boxes are page pixels at ``dpi``; the classifier sees them normalised to 0-1000 (``bbox_1000``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelledToken(_Model):
    text: str
    bbox: list[float]  # x0, y0, x1, y1 page pixels
    label: str  # one of configs/labels.yaml
    field: str | None = None  # canonical column field for AMOUNT-like cells (决算数, 基本支出, ...)
    row: int | None = None  # grid position when the token lies in a table cell
    col: int | None = None
    table: int | None = None  # index into LabelledPage.tables


class LabelledCell(_Model):
    row: int
    col: int
    row_span: int = 1
    col_span: int = 1
    bbox: list[float]
    header: bool = False
    text: str = ""


class LabelledTable(_Model):
    bbox: list[float]
    type: str | None = None
    n_rows: int
    n_cols: int
    cells: list[LabelledCell] = Field(default_factory=list)
    ruled: bool = True
    title: str | None = None


class LabelledPage(_Model):
    id: str  # stable: "<source stem>#<page index>" or "synth-<seed>-<n>"
    image: str  # path relative to the manifest's folder
    sha256: str  # of the image file
    width: int
    height: int
    dpi: int
    source: str  # "synth" | "text-layer" | "label-studio" | ...
    document: str  # documents never straddle splits
    page_index: int = 0
    tokens: list[LabelledToken] = Field(default_factory=list)  # reading order
    tables: list[LabelledTable] = Field(default_factory=list)
    fields: dict[str, str] = Field(default_factory=dict)  # 单位名称 (unit_name), 年度 (year), 金额单位 (amount_unit)
