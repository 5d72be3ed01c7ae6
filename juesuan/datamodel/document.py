"""document.json, schema_version "1": the product's output contract. Extend, don't break.

These are pydantic models because the file is a boundary: ``juesuan validate`` reads back a document a person edited.
Pages are 0-based, boxes in page pixels at the page's dpi, amounts as floats only here (checks use Decimal).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"

RowKind = Literal["item", "total", "subtotal", "header", "other"]


class _Model(BaseModel):
    # extra: later schema additions must not break older readers; NaN/inf written as json.dumps writes them
    model_config = ConfigDict(extra="allow", ser_json_inf_nan="constants")


class _Record(_Model):
    """A typed record that still reads like the dict it replaced (``r["page"]``, ``r.get("page")``), so code and
    notebooks written against older document.json dicts keep working."""

    def __getitem__(self, key: str) -> Any:
        if key in type(self).model_fields:
            return getattr(self, key)
        extra = self.model_extra or {}
        if key in extra:
            return extra[key]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


class Repair(_Record):
    """An OCR reading that validation corrected because the identities pin the value down (``Cell.repair``)."""

    original_text: str  # what OCR read
    corrected_value: float
    edit: str  # the kind of slip undone: confusion, dropped_digit, extra_point, ...
    score: float  # how much likelier this edit is than the runner-up
    identities: list[str] = Field(default_factory=list)  # rule ids that pass after the edit


class RepairRecord(Repair):
    """One entry of ``Validation.repairs``: the repair plus where it happened and what it reads as now."""

    table: str
    row: int  # Row.index
    col: int
    page: int | None = None
    corrected_text: str
    original_value: float | None = None
    identity_labels: list[str] = Field(default_factory=list)  # the identities as people read them (zh)


class CellAt(_Record):
    """A cell of the violation's table: ``Row.index`` and column."""

    row: int
    col: int


class CellInTable(CellAt):
    """A cell of another table (cross-table checks)."""

    table: str


class TextBlock(_Record):
    """Text outside tables, one block per layout region: titles, the unit line, 情况说明 narrative."""

    page: int  # 0-based
    kind: str = "text"  # the layout region kind (title, text, ...), "text" when no region holds it
    bbox: list[float] = Field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    text: str = ""
    # OCR only (None/empty for a text layer): the lowest token confidence, and [start, end, confidence] of each
    # token read below 1.0 (character offsets in ``text``), so a rule can tell which figure of a sentence is unsure.
    confidence: float | None = None
    spans: list[tuple[int, int, float]] = Field(default_factory=list)


class Source(_Model):
    path: str
    sha256: str
    pages: int


class PageInfo(_Model):
    index: int
    width: int
    height: int
    dpi: int
    rotation: int = 0
    skew_deg: float = 0.0
    # a photo's perspective undone after deskew (3x3, deskewed pixels -> the pixels every box is in); None: none
    homography: list[list[float]] | None = None
    text_layer: bool | None = None  # read from the PDF's text layer (True) or by OCR (False); None: older file


class Cell(_Model):
    col: int
    text: str
    value: float | None = None
    label: str | None = None
    bbox: list[float] = Field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    page: int = 0
    confidence: float = 1.0
    # Set by repair (validation): the OCR text before the correction and why it was changed.
    repair: Repair | None = None
    # Who gave the value: None = the machine (OCR or text layer); "human" = a person (review tool, edited
    # document.json, import). Repair never changes a human cell.
    source: Literal["human"] | None = None


class Row(_Model):
    index: int
    code: str | None = None
    name: str | None = None
    kind: RowKind = "item"
    cells: list[Cell] = Field(default_factory=list)

    def cell(self, col: int) -> Cell | None:
        for c in self.cells:
            if c.col == col:
                return c
        return None


class Column(_Model):
    index: int
    header: str
    field: str | None = None


class Table(_Model):
    id: str
    pages: list[int]
    bbox: list[float]
    type: str | None = None
    title: str | None = None
    unit: str | None = None
    columns: list[Column] = Field(default_factory=list)
    rows: list[Row] = Field(default_factory=list)
    type_confidence: float | None = None
    # Structure quality, so people know which tables to look at (filled by assemble/validation):
    confidence: float | None = None  # 0..1, how clearly the chosen structure beat its alternatives
    needs_review: bool = False
    review_reasons: list[str] = Field(default_factory=list)  # short machine-readable reasons, e.g. "orphans:3"
    orphans: int = 0  # amounts attached to no row with a code or a name
    null_numeric: int = 0  # numeric-looking cells left without a value

    def to_pandas(self) -> Any:
        """A pandas DataFrame: row_code, row_name, row_kind, then one column per header (amounts as floats)."""
        from juesuan.io.frames import table_frame

        return table_frame(self)


class Violation(_Model):
    rule: str
    table: str | None = None
    rows: list[int] = Field(default_factory=list)
    cols: list[int] = Field(default_factory=list)
    expected: float | None = None
    found: float | None = None
    difference: float | None = None
    severity: Literal["error", "warning", "info"] = "error"
    message_zh: str = ""
    message_en: str = ""
    target: CellAt | None = None  # the cell the identity computes (its expected value is ``expected``)
    page: int | None = None  # 0-based page of the target cell or of the narrative sentence
    cells: list[list[int]] = Field(default_factory=list)  # every [row, col] the identity reads
    tables: list[str] = Field(default_factory=list)  # cross-table checks: both table ids
    other: CellInTable | None = None  # cross-table checks: the cell of the other table
    text: str | None = None  # narrative checks: the sentence (first 160 characters)
    # Set when a cell or sentence the rule read may be an OCR misread (low confidence, repaired, unreadable, table
    # to review): which one and why. The severity was lowered (error → warning) because the scan, not the document,
    # may be wrong (validation/uncertainty.py).
    ocr_uncertain: str | None = None


class Validation(_Model):
    passed: bool = True
    checks: int = 0
    violations: list[Violation] = Field(default_factory=list)
    repairs: list[RepairRecord] = Field(default_factory=list)


class DocumentInfo(_Model):
    """What the document is, read from its cover and titles (None when not found)."""

    issuer: str | None = None  # the department or unit, e.g. 上海市普陀区财政局
    year: int | None = None  # the reporting year (the budget/final-accounts year, not the publication date)
    kind: Literal["决算", "预算"] | None = None
    title: str | None = None


class Document(_Model):
    schema_version: str = SCHEMA_VERSION
    source: Source
    info: DocumentInfo = Field(default_factory=DocumentInfo)
    pages: list[PageInfo] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    validation: Validation = Field(default_factory=Validation)
    text: list[TextBlock] = Field(default_factory=list)  # non-table text blocks
    meta: dict[str, Any] = Field(default_factory=dict)  # options, timings, versions

    def to_json(self) -> str:
        """document.json, indented by one space. pydantic's encoder writes what ``json.dumps(self.model_dump(mode=
        "json"), ensure_ascii=False, indent=1)`` wrote (a float under 1e-4 as ``0.00001``, not ``1e-05``), ~8x faster:
        Python's json encoder is pure Python once it indents."""
        return self.model_dump_json(indent=1)

    def to_markdown(self) -> str:
        """document.md: each table under its title, unit and pages, violations beneath (juesuan/io/markdown.py)."""
        from juesuan.io.markdown import document_markdown

        return document_markdown(self)

    def to_html(self) -> str:
        """document.html without preview links: repaired, person-given and violated cells marked."""
        from juesuan.io.html import document_html

        return document_html(self, href=None)

    def facts(self) -> Any:
        """facts.csv as a pandas DataFrame: one row per amount, with issuer, year, unit and value in 元."""
        import pandas as pd

        from juesuan.io.facts import FACT_COLUMNS, document_facts

        rows = document_facts(self)
        frame = pd.DataFrame(rows, columns=list(FACT_COLUMNS))
        for col in ("value", "value_yuan"):
            frame[col] = pd.to_numeric(frame[col].map(lambda v: None if v is None else float(v)))
        return frame

    @classmethod
    def load(cls, path: Path) -> Document:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))
