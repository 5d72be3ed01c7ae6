"""Human edits win: find the cells a person changed in document.json since the machine last wrote it.

Every write of document.json stores ``meta["machine_cells"]``: each non-empty cell's value and text as written,
one short string per cell so the indented file grows by one line a cell (``{"t1": {"3:4": "1511.9 1,511.90"}}``,
keyed by Row.index and Cell.col; the value before the first space, empty for none). ``juesuan validate`` compares
the file against that record: a cell whose text or value differs, or that a person marked ``"source": "human"``,
becomes a human cell: its text and value are made to agree (an edited value rewrites the text, an edited text
re-parses the value), its repair record is dropped, and repair never touches it again (``validation/repair.py``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from juesuan.datamodel.amounts import format_amount, parse_amount
from juesuan.datamodel.document import Cell, Document

MACHINE_KEY = "machine_cells"


def _entry(text: str, value: float | None) -> str:
    return f"{'' if value is None else repr(value)} {text}"


def _parse_entry(entry: object) -> tuple[str, float | None]:
    if isinstance(entry, list) and len(entry) == 2:  # tolerate the list form
        return str(entry[0] or ""), None if entry[1] is None else float(entry[1])
    value, _, text = str(entry).partition(" ")
    return text, float(value) if value else None


def machine_record(doc: Document) -> dict[str, dict[str, str]]:
    """What the machine wrote for every non-empty cell (the baseline the next ``validate`` compares with)."""
    record: dict[str, dict[str, str]] = {}
    for table in doc.tables:
        cells = {
            f"{row.index}:{cell.col}": _entry(cell.text, cell.value)
            for row in table.rows
            for cell in row.cells
            if cell.text or cell.value is not None
        }
        record[table.id] = cells
    return record


def stamp(doc: Document) -> Document:
    """A copy of ``doc`` whose meta holds the machine record of its current cells."""
    return doc.model_copy(update={"meta": {**doc.meta, MACHINE_KEY: machine_record(doc)}})


def _synced(cell: Cell, text_changed: bool, value_changed: bool) -> Cell:
    update: dict[str, Any] = {"source": "human", "repair": None}
    if value_changed and not text_changed:
        update["text"] = "" if cell.value is None else format_amount(Decimal(repr(cell.value)))
    elif text_changed:
        parsed = parse_amount(cell.text) if cell.text else None
        update["value"] = None if parsed is None else float(parsed)
    return cell.model_copy(update=update)


def apply_human_edits(doc: Document) -> tuple[Document, int]:
    """Mark cells a person changed (or marked) as ``source="human"``; returns the new document and how many changed.

    Without a machine record (a document.json written before this existed) only explicit marks count.
    """
    record = doc.meta.get(MACHINE_KEY)
    record = record if isinstance(record, dict) else None
    changed = 0
    tables = []
    for table in doc.tables:
        seen = record.get(table.id, {}) if record is not None else None
        rows = []
        for row in table.rows:
            cells = []
            for cell in row.cells:
                new = cell
                if seen is not None:
                    text, value = _parse_entry(seen.get(f"{row.index}:{cell.col}", " "))
                    text_changed = (cell.text or "") != (text or "")
                    value_changed = cell.value != value
                    if text_changed or value_changed:
                        new = _synced(cell, text_changed, value_changed)
                        changed += cell.source != "human"
                    elif cell.source == "human" and cell.repair is not None:
                        new = cell.model_copy(update={"repair": None})
                elif cell.source == "human" and cell.repair is not None:
                    new = cell.model_copy(update={"repair": None})
                cells.append(new)
            rows.append(row.model_copy(update={"cells": cells}))
        tables.append(table.model_copy(update={"rows": rows}))
    return doc.model_copy(update={"tables": tables}), changed
