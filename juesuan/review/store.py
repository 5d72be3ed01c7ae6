"""The review tool's data side: find documents under OUT, apply a person's cell edits, re-check, save.

No web imports here, so the HTTP layer (app.py) stays thin and everything a browser can do is testable from Python.
Documents are addressed by their folder relative to OUT as found by :meth:`ReviewStore.documents` — never by a path
taken from a request — so nothing outside OUT can be read or written whatever a URL says.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Cell, Document, Table
from juesuan.errors import InputError
from juesuan.review import log as corrections

log = logging.getLogger(__name__)

KEEP = ("pages", corrections.LOG_NAME)  # carried over when every export is rewritten on save


class CellEdit(BaseModel):
    """One correction: new text (the value is parsed from it), a new label, and/or a new row/column position."""

    model_config = ConfigDict(extra="forbid")
    table: str
    row: int  # Row.index
    col: int
    text: str | None = None
    label: str | None = None
    to_row: int | None = None
    to_col: int | None = None


class SaveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edits: list[CellEdit] = []
    confirm_tables: list[str] = []  # tables a person reviewed (edited or not): their pages count as confirmed
    reviewer: str | None = None


class EditError(ValueError):
    """An edit that does not fit the document (unknown table, row or column; moving onto a filled cell)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _value(text: str) -> float | None:
    amount = parse_amount(text) if text.strip() else None
    return float(amount) if isinstance(amount, Decimal) else None


def _table(doc: Document, table_id: str) -> Table:
    for table in doc.tables:
        if table.id == table_id:
            return table
    raise EditError(f"no table {table_id!r}")


def apply_edits(doc: Document, edits: Sequence[CellEdit]) -> tuple[Document, list[corrections.CorrectionRecord]]:
    """A copy of ``doc`` with the edits applied (each edited cell marked ``source: "human"``) and one log record
    per edit (document and sha256 left for the caller). Row code/name follow an edit of the cell they came from."""
    doc = doc.model_copy(deep=True)
    records: list[corrections.CorrectionRecord] = []
    for edit in edits:
        table = _table(doc, edit.table)
        rows = {r.index: r for r in table.rows}
        row = rows.get(edit.row)
        if row is None:
            raise EditError(f"table {edit.table}: no row {edit.row}")
        cell = row.cell(edit.col)
        if cell is None:
            page = table.pages[0] if table.pages else 0
            cell = Cell(col=edit.col, text="", page=page)
            row.cells.append(cell)
            row.cells.sort(key=lambda c: c.col)
        before = corrections.CellState(row=row.index, col=cell.col, text=cell.text, value=cell.value, label=cell.label)
        if edit.text is not None and edit.text != cell.text:
            old = cell.text.strip()
            cell.text = edit.text
            cell.value = _value(edit.text)
            if row.name is not None and old and row.name.strip() == old:
                row.name = edit.text.strip()
            if row.code is not None and old and row.code.replace(" ", "") == old.replace(" ", ""):
                row.code = edit.text.strip()
        if edit.label is not None:
            cell.label = edit.label
        target_row, target_col = row, cell.col
        if edit.to_row is not None or edit.to_col is not None:
            target_row = rows.get(edit.to_row if edit.to_row is not None else row.index)  # type: ignore[assignment]
            if target_row is None:
                raise EditError(f"table {edit.table}: no row {edit.to_row} to move the cell to")
            target_col = edit.to_col if edit.to_col is not None else cell.col
            occupant = target_row.cell(target_col)
            if occupant is not None and occupant is not cell and occupant.text.strip():
                raise EditError(f"table {edit.table}: row {target_row.index} col {target_col} is not empty")
            row.cells.remove(cell)
            if occupant is not None and occupant is not cell:
                target_row.cells.remove(occupant)
            if target_row is not row or target_col != cell.col:  # leave an empty cell where it was
                row.cells.append(Cell(col=cell.col, text="", bbox=list(cell.bbox), page=cell.page))
                row.cells.sort(key=lambda c: c.col)
            cell.col = target_col
            target_row.cells.append(cell)
            target_row.cells.sort(key=lambda c: c.col)
        cell.source = "human"
        cell.confidence = 1.0
        after = corrections.CellState(
            row=target_row.index, col=cell.col, text=cell.text, value=cell.value, label=cell.label
        )
        records.append(
            corrections.CorrectionRecord(
                kind="edit",
                time=_now(),
                document="",
                sha256="",
                table=table.id,
                pages=[cell.page],
                before=before,
                after=after,
            )
        )
    return doc, records


def revalidate(doc: Document) -> Document:
    """Identities and checks again, with the options the document was extracted with (repair never moves a human
    cell, so a person's value stands even where an identity disagrees)."""
    from juesuan.options import ValidationOptions
    from juesuan.validation.check import annotate_and_validate

    stored = (doc.meta.get("options") or {}).get("validation") or {}
    try:
        options = ValidationOptions.model_validate(stored)
    except ValueError:
        options = ValidationOptions()
    if not options.enabled:
        options = ValidationOptions()
    return annotate_and_validate(doc, options)


def table_status(doc: Document) -> list[dict[str, Any]]:
    """Per table: error/warning counts, review flags; failing and needs-review tables first."""
    errors: dict[str | None, int] = {}
    warnings: dict[str | None, int] = {}
    for v in doc.validation.violations:
        if v.severity == "error":
            errors[v.table] = errors.get(v.table, 0) + 1
        elif v.severity == "warning":
            warnings[v.table] = warnings.get(v.table, 0) + 1
    rows = [
        {
            "id": t.id,
            "title": t.title,
            "type": t.type,
            "pages": t.pages,
            "rows": len(t.rows),
            "needs_review": t.needs_review,
            "review_reasons": t.review_reasons,
            "errors": errors.get(t.id, 0),
            "warnings": warnings.get(t.id, 0),
            "human_cells": sum(c.source == "human" for r in t.rows for c in r.cells),
        }
        for t in doc.tables
    ]
    return sorted(rows, key=lambda r: (-(r["errors"] > 0), -int(r["needs_review"]), -r["errors"]))


class ReviewStore:
    """Documents under one output folder. One lock serialises saves (the server runs handlers in threads)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise InputError(self.root, "not a folder (give the output folder of juesuan extract)")
        self._lock = threading.Lock()

    def documents(self) -> dict[str, Path]:
        """``{relative folder: folder}`` of every document.json under the root (temp and hidden folders skipped)."""
        found: dict[str, Path] = {}
        for path in sorted(self.root.rglob("document.json")):
            rel = path.parent.relative_to(self.root)
            if any(part.startswith(".") for part in rel.parts):
                continue
            found[rel.as_posix() if rel.parts else "."] = path.parent
        return found

    def require_documents(self) -> None:
        """Refuse to serve a folder with nothing to review: no document.json, or none that reads (the first error
        named). Stops at the first readable one, so a large batch folder starts at once; the listing warns about
        the unreadable ones."""
        docs = self.documents()
        if not docs:
            raise InputError(self.root, "no document.json under it (give the output folder of juesuan extract)")
        first: InputError | None = None
        for doc_id in docs:
            try:
                self.load(doc_id)
                return
            except InputError as exc:
                first = first or exc
        assert first is not None
        raise first

    def folder(self, doc_id: str) -> Path:
        """The folder of a listed document; anything else (``../x``, an absolute path) is a KeyError."""
        docs = self.documents()
        if doc_id not in docs:
            raise KeyError(doc_id)
        return docs[doc_id]

    def load(self, doc_id: str) -> Document:
        path = self.folder(doc_id) / "document.json"
        try:
            return Document.load(path)
        except ValueError as exc:
            raise InputError(path, f"not a juesuan document.json ({str(exc).splitlines()[0]})") from exc

    def summary(self) -> list[dict[str, Any]]:
        """Every document with its tables' status, documents with failing or flagged tables first."""
        out = []
        for doc_id in self.documents():
            try:
                doc = self.load(doc_id)
            except InputError as exc:
                log.warning("%s", exc)
                continue
            tables = table_status(doc)
            out.append(
                {
                    "id": doc_id,
                    "source": Path(doc.source.path).name,
                    "title": doc.info.title,
                    "passed": doc.validation.passed,
                    "tables": tables,
                    "errors": sum(t["errors"] for t in tables),
                    "needs_review": sum(t["needs_review"] for t in tables),
                    "corrections": sum(1 for _ in corrections.read(self.folder(doc_id))),
                }
            )
        return sorted(out, key=lambda d: (-(d["errors"] > 0), -(d["needs_review"] > 0), d["id"]))

    def check(self, doc_id: str, edits: Sequence[CellEdit]) -> Document:
        """The document as it would be saved with ``edits`` (nothing written): the live identity re-check."""
        doc, _ = apply_edits(self.load(doc_id), edits)
        return revalidate(doc)

    def save(self, doc_id: str, request: SaveRequest) -> tuple[Document, list[corrections.CorrectionRecord]]:
        """Apply, re-check, rewrite document.json and every export, then append the corrections log."""
        from juesuan.io.export import write_document_outputs
        from juesuan.options import ExportOptions

        with self._lock:
            folder = self.folder(doc_id)
            original = self.load(doc_id)
            doc, records = apply_edits(original, request.edits)
            doc = revalidate(doc)
            known = {t.id: t for t in doc.tables}
            for table_id in dict.fromkeys(request.confirm_tables):
                if table_id not in known:
                    raise EditError(f"no table {table_id!r} to confirm")
                records.append(
                    corrections.CorrectionRecord(
                        kind="confirm",
                        time=_now(),
                        document="",
                        sha256="",
                        table=table_id,
                        pages=list(known[table_id].pages),
                    )
                )
            for r in records:
                r.document, r.sha256, r.reviewer = doc_id, doc.source.sha256, request.reviewer
            stored = (doc.meta.get("options") or {}).get("export") or {}
            try:
                export = ExportOptions.model_validate(stored)
            except ValueError:
                export = ExportOptions()
            reviewed = doc.meta.setdefault("review", {"edits": 0, "confirmed": []})
            reviewed["edits"] = int(reviewed.get("edits", 0)) + sum(r.kind == "edit" for r in records)
            reviewed["confirmed"] = sorted({*reviewed.get("confirmed", []), *request.confirm_tables})
            reviewed["last"] = _now()
            write_document_outputs(doc, folder, previews=None, options=export, keep=KEEP)
            corrections.append(folder, records)
        log.info("%s: saved %d edits, %d confirmations", doc_id, len(request.edits), len(request.confirm_tables))
        return doc, records

    def page_png(self, doc_id: str, page: int) -> bytes:
        """The page image: the extraction preview when there is one, else the source page rendered again."""
        doc = self.load(doc_id)
        info = next((p for p in doc.pages if p.index == page), None)
        if info is None:
            raise KeyError(f"{doc_id} page {page}")
        preview = self.folder(doc_id) / "pages" / f"page-{page + 1:03d}.png"
        if preview.is_file():
            return preview.read_bytes()
        import io

        from PIL import Image

        from juesuan.inference.page_image import render_page

        image = render_page(doc, page)
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="PNG")
        return buf.getvalue()
