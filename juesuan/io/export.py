"""Per-document outputs: document.json, one CSV per table (UTF-8 with BOM so Excel opens it), tables.xlsx, previews,
document.md, document.html and facts.csv (long format, one row per amount). ``--formats`` picks which.

Everything is built in a temp folder and swapped in whole (``atomic_dir``): a crash never leaves half a document.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from juesuan.datamodel.document import Document, Table
from juesuan.io.atomic import atomic_dir
from juesuan.options import ExportOptions

_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")  # Excel forbids these in sheet names, XML the controls


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


FORMATS = ("csv", "xlsx", "md", "html", "facts", "previews")
_FORMAT_FIELD = {"md": "markdown"}


def formats_overrides(formats: str) -> dict[str, bool]:
    """``"csv,md"`` → ExportOptions fields (document.json is always written: it is the record everything else is
    rebuilt from)."""
    chosen = {f.strip() for f in formats.split(",") if f.strip()} - {"json"}
    unknown = chosen - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(sorted(unknown))}; known: json, {', '.join(FORMATS)}")
    return {_FORMAT_FIELD.get(f, f): f in chosen for f in FORMATS}


def _xlsx_safe(values: list[object]) -> list[object]:
    """XLSX cannot hold C0 control characters, which some PDF text layers carry (a ``\\x02`` inside a sentence of
    shenzhen_water_2026_部门预算.pdf); drop them from the workbook only (document.json and CSV keep the text)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]


def _xlsx_bytes(doc: Document) -> bytes:
    """A sheet per table; repaired cells yellow, person-given blue, identity errors red (warnings orange), with a
    comment saying why, so the marks survive a print-out as well as the screen."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    from juesuan.io.marks import cell_marks

    fills = {
        "repaired": PatternFill("solid", fgColor="FFF3B0"),
        "human": PatternFill("solid", fgColor="CFE3FF"),
        "error": PatternFill("solid", fgColor="FFC9C9"),
        "warning": PatternFill("solid", fgColor="FFE2B8"),
    }
    marks = cell_marks(doc)

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    if not doc.tables:
        wb.create_sheet("no tables")
    for table in doc.tables:
        ws = wb.create_sheet(_sheet_name(table, used))
        ws.append(
            _xlsx_safe(
                [
                    f"{table.title or ''}",
                    f"unit: {table.unit or ''}",
                    f"type: {table.type or ''}",
                    f"pages: {', '.join(str(p + 1) for p in table.pages)}",
                ]
            )
        )
        matrix = table_matrix(table)
        ws.append(_xlsx_safe(list(matrix[0])))
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row_obj, line in zip(table.rows, matrix[1:], strict=False):
            values: list[object] = list(line[:3])
            by_col = {c.col: c for c in row_obj.cells}
            for i, text in enumerate(line[3:]):
                c = by_col.get(i)
                values.append(c.value if c is not None and c.value is not None else text)
            ws.append(_xlsx_safe(values))
            for col, c in by_col.items():
                mark = marks.get((table.id, row_obj.index, col))
                if mark is None:
                    continue
                target = ws.cell(row=ws.max_row, column=4 + col)
                why = []
                if mark.repaired:
                    target.fill = fills["repaired"]
                    why.append(f"repaired; OCR read {(c.repair or {}).get('original_text')}")
                if mark.human:
                    target.fill = fills["human"]
                    why.append("given by a person")
                if mark.violation:
                    target.fill = fills[mark.violation]
                    why.append(f"{mark.violation}: {', '.join(mark.rules)}")
                target.comment = Comment("; ".join(why), "juesuan")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write_exports(doc: Document, folder: Path, name: str, options: ExportOptions, linked: bool) -> None:
    """Every export except previews into ``folder``; document.json last. ``linked``: pages/*.png exist."""
    if options.csv:
        (folder / "tables").mkdir()
        for table in doc.tables:
            (folder / "tables" / f"{table.id}.csv").write_bytes(_csv_bytes(table_matrix(table)))
    if options.xlsx:
        (folder / "tables.xlsx").write_bytes(_xlsx_bytes(doc))
    if options.markdown:
        from juesuan.io.markdown import document_markdown

        (folder / "document.md").write_text(document_markdown(doc), encoding="utf-8")
    if options.html:
        from juesuan.io.html import document_html, preview_href

        (folder / "document.html").write_text(document_html(doc, preview_href if linked else None), encoding="utf-8")
    if options.facts:
        from juesuan.io.facts import document_facts, facts_csv_bytes

        (folder / "facts.csv").write_bytes(facts_csv_bytes(document_facts(doc, name)))
    if doc.validation.checks or doc.validation.violations:
        from juesuan.validation.report import render

        (folder / "validation.md").write_text(render(doc), encoding="utf-8")
    (folder / "document.json").write_text(doc.to_json(), encoding="utf-8")


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
    from juesuan.io.edits import stamp

    options = options or ExportOptions()
    doc = stamp(doc)  # the baseline that tells a person's later edits apart (juesuan/io/edits.py)
    with atomic_dir(Path(outdir)) as tmp:
        for name in keep:
            old = Path(outdir) / name
            if old.is_dir():
                shutil.copytree(old, tmp / name)
            elif old.is_file():
                shutil.copy2(old, tmp / name)
        if options.previews and previews:
            (tmp / "pages").mkdir(exist_ok=True)
            for index, png in sorted(previews.items()):
                (tmp / "pages" / f"page-{index + 1:03d}.png").write_bytes(png)
        linked = options.previews and (tmp / "pages").is_dir()
        _write_exports(doc, tmp, Path(outdir).name, options, linked)
    return Path(outdir)


def rewrite_document_outputs(doc: Document, outdir: Path, options: ExportOptions | None = None) -> Path:
    """After ``juesuan validate``: rewrite every export of an existing ``outdir`` from ``doc``, keeping pages/.

    Each file is built in a temp folder beside it and renamed into place, document.json last, so a crash leaves
    the old file or the new one, never half of one. Exports that exist but were not asked for are left alone.
    """
    import shutil
    import tempfile

    from juesuan.io.edits import stamp

    options = options or ExportOptions()
    outdir = Path(outdir)
    doc = stamp(doc)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", suffix=".tmp", dir=outdir.parent))
    try:
        _write_exports(doc, tmp, outdir.name, options, (outdir / "pages").is_dir())
        names = [*sorted(p.name for p in tmp.iterdir() if p.name != "document.json"), "document.json"]
        for name in names:
            target = outdir / name
            if (tmp / name).is_dir():
                old = outdir / f".{name}.old"
                shutil.rmtree(old, ignore_errors=True)
                if target.exists():
                    os.replace(target, old)
                os.replace(tmp / name, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp / name, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return outdir
