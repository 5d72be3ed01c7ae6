"""Per-document outputs: document.json, one CSV per table (UTF-8 with BOM so Excel opens it), tables.xlsx, previews.

Everything is built in a temp folder and swapped in whole (``atomic_dir``): a crash never leaves half a document.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from juesuan.datamodel.document import Document, Table
from juesuan.io.atomic import atomic_dir
from juesuan.options import ExportOptions

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def table_matrix(table: Table) -> list[list[str]]:
    """Header line + one line per row: row code/name/kind, then each column (number without separators, or text)."""
    ncols = max([c.index for c in table.columns] + [c.col for r in table.rows for c in r.cells] + [-1]) + 1
    headers = {c.index: c.header for c in table.columns}
    lines = [["row_code", "row_name", "row_kind", *[headers.get(i, f"col{i}") for i in range(ncols)]]]
    for row in table.rows:
        vals = [""] * ncols
        for cell in row.cells:
            if 0 <= cell.col < ncols:
                vals[cell.col] = _plain(cell.value) if cell.value is not None else cell.text
        lines.append([row.code or "", row.name or "", row.kind, *vals])
    return lines


def _plain(value: float) -> str:
    """A float from document.json back to the two-decimal text it came from (no thousands separators)."""
    d = Decimal(repr(value))
    return format(d.quantize(Decimal("0.01")) if d == d.quantize(Decimal("0.01")) else d, "f")


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def _sheet_name(table: Table, used: set[str]) -> str:
    base = _SHEET_BAD.sub("_", f"{table.id} {table.title or ''}".strip())[:31]
    name, n = base, 2
    while name in used:
        suffix = f"~{n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _xlsx_bytes(doc: Document) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    if not doc.tables:
        wb.create_sheet("no tables")
    for table in doc.tables:
        ws = wb.create_sheet(_sheet_name(table, used))
        ws.append(
            [
                f"{table.title or ''}",
                f"unit: {table.unit or ''}",
                f"type: {table.type or ''}",
                f"pages: {', '.join(str(p + 1) for p in table.pages)}",
            ]
        )
        matrix = table_matrix(table)
        ws.append(matrix[0])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row_obj, line in zip(table.rows, matrix[1:], strict=False):
            values: list[object] = list(line[:3])
            by_col = {c.col: c for c in row_obj.cells}
            for i, text in enumerate(line[3:]):
                c = by_col.get(i)
                values.append(c.value if c is not None and c.value is not None else text)
            ws.append(values)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_document_outputs(
    doc: Document,
    outdir: Path,
    previews: Mapping[int, bytes] | None = None,
    options: ExportOptions | None = None,
    keep: Sequence[str] = (),
) -> Path:
    """Write ``outdir`` (= OUTDIR/<stem>) atomically; document.json is written last inside the temp folder.

    ``keep`` names entries of the existing folder carried into the new one unless rewritten here (the review tool
    keeps ``pages/`` and its ``corrections.jsonl`` while every export is rebuilt from the edited document).
    """
    options = options or ExportOptions()
    with atomic_dir(Path(outdir)) as tmp:
        for name in keep:
            old = Path(outdir) / name
            if old.is_dir():
                shutil.copytree(old, tmp / name)
            elif old.is_file():
                shutil.copy2(old, tmp / name)
        if options.csv:
            (tmp / "tables").mkdir()
            for table in doc.tables:
                (tmp / "tables" / f"{table.id}.csv").write_bytes(_csv_bytes(table_matrix(table)))
        if options.xlsx:
            (tmp / "tables.xlsx").write_bytes(_xlsx_bytes(doc))
        if options.previews and previews:
            (tmp / "pages").mkdir(exist_ok=True)
            for index, png in sorted(previews.items()):
                (tmp / "pages" / f"page-{index + 1:03d}.png").write_bytes(png)
        if doc.validation.checks or doc.validation.violations:
            from juesuan.validation.report import render

            (tmp / "validation.md").write_text(render(doc), encoding="utf-8")
        (tmp / "document.json").write_text(doc.to_json(), encoding="utf-8")
    return Path(outdir)
