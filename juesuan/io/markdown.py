"""document.md: every table as a Markdown table under its title, unit and pages, its violations right beneath it.

For reading and diffing, not for loading (that is facts.csv). Marked cells get a suffix a reader can see in plain
text: ``†`` repaired by validation, ``‡`` given by a person, ``⚠`` named by a failed identity.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from juesuan.io.marks import CellMark, cell_marks

if TYPE_CHECKING:
    from juesuan.datamodel.document import Document, Table


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _amount(value: float) -> str:
    d = Decimal(repr(value))
    return f"{d:,.2f}" if d == d.quantize(Decimal("0.01")) else f"{d:,}"


def _suffix(mark: CellMark | None) -> str:
    if mark is None:
        return ""
    return ("†" if mark.repaired else "") + ("‡" if mark.human else "") + ("⚠" if mark.violation else "")


def _info_line(doc: Document) -> str:
    info = doc.info
    parts = [p for p in (info.issuer, str(info.year) if info.year else None, info.kind) if p]
    return " · ".join(parts)


def table_markdown(doc: Document, table: Table, marks: dict[tuple[str, int, int], CellMark] | None = None) -> str:
    marks = cell_marks(doc) if marks is None else marks
    ncols = max([c.index for c in table.columns] + [c.col for r in table.rows for c in r.cells] + [-1]) + 1
    headers = {c.index: c.header for c in table.columns}
    pages = ", ".join(str(p + 1) for p in table.pages)
    lines = [
        f"## {table.id} {_esc(table.title or '(untitled)')}",
        "",
        f"单位 unit: {table.unit or '—'} · pages {pages} · type {table.type or '—'}"
        + (f" · needs review ({', '.join(table.review_reasons)})" if table.needs_review else ""),
        "",
        "| " + " | ".join(_esc(headers.get(i, f"col{i + 1}")) or " " for i in range(ncols)) + " |",
        "|" + " --- |" * ncols,
    ]
    for row in table.rows:
        vals = [""] * ncols
        for cell in row.cells:
            if 0 <= cell.col < ncols:
                text = _amount(cell.value) if cell.value is not None else cell.text
                vals[cell.col] = _esc(text) + _suffix(marks.get((table.id, row.index, cell.col)))
        lines.append("| " + " | ".join(vals) + " |")
    found = [v for v in doc.validation.violations if v.table == table.id and v.severity != "info"]
    repairs = [r for r in doc.validation.repairs if r.get("table") == table.id]
    if found or repairs:
        lines.append("")
    for v in found:
        lines.append(f"- **{v.severity}** `{v.rule}`: {v.message_zh} ({v.message_en})")
    for r in repairs:
        lines.append(
            f"- repaired row {int(r['row']) + 1}, col {int(r['col']) + 1}: "
            f"{r.get('original_text')} → {r.get('corrected_text')} ({', '.join(r.get('identities', []))})"
        )
    return "\n".join(lines) + "\n"


def document_markdown(doc: Document) -> str:
    """The whole document: a heading with issuer/year/kind, then each table; document-level violations last."""
    marks = cell_marks(doc)
    title = doc.info.title or doc.source.path
    head = [f"# {_esc(title)}", ""]
    if _info_line(doc):
        head += [_info_line(doc), ""]
    v = doc.validation
    errors = sum(x.severity == "error" for x in v.violations)
    warnings = sum(x.severity == "warning" for x in v.violations)
    head += [
        f"Validation: {'passed' if v.passed else 'FAILED'} — {v.checks} checks, {errors} errors, {warnings} warnings, "
        f"{len(v.repairs)} repairs. † repaired, ‡ given by a person, ⚠ an identity fails on this cell.",
        "",
    ]
    parts = ["\n".join(head)] + [table_markdown(doc, t, marks) for t in doc.tables]
    loose = [x for x in v.violations if x.table is None and x.severity != "info"]
    if loose:
        parts.append(
            "## Document checks\n\n"
            + "\n".join(f"- **{x.severity}** `{x.rule}`: {x.message_zh} ({x.message_en})" for x in loose)
            + "\n"
        )
    return "\n".join(parts)
