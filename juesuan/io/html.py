"""document.html: one self-contained page a reviewer opens in a browser, no scripts, no external files but previews.

Each table shows its title, unit and pages, each page number linking to its preview (``pages/page-NNN.png``, the
image with the found tables and cells drawn on it); repaired cells are yellow, cells a person gave are blue, cells
an identity fails on are red (warnings orange), each with a tooltip saying why. Violations are listed under the table.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

from juesuan.io.markdown import _amount
from juesuan.io.marks import CellMark, cell_marks

if TYPE_CHECKING:
    from juesuan.datamodel.document import Document, Table

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:13px}
th,td{border:1px solid #999;padding:2px 6px}th{background:#eee}td.num{text-align:right}
td.repaired{background:#fff3b0}td.human{background:#cfe3ff}td.error{background:#ffc9c9}td.warning{background:#ffe2b8}
.meta{color:#555}.legend span{padding:0 6px;margin-right:6px}
"""


def preview_href(page: int) -> str:
    """Where write_document_outputs puts the preview of 0-based ``page``."""
    return f"pages/page-{page + 1:03d}.png"


def _classes(mark: CellMark | None) -> list[str]:
    if mark is None:
        return []
    out = []
    if mark.repaired:
        out.append("repaired")
    if mark.human:
        out.append("human")
    if mark.violation:
        out.append(mark.violation)
    return out


def table_html(
    doc: Document,
    table: Table,
    marks: dict[tuple[str, int, int], CellMark] | None = None,
    href: Callable[[int], str] | None = preview_href,
) -> str:
    marks = cell_marks(doc) if marks is None else marks
    ncols = max([c.index for c in table.columns] + [c.col for r in table.rows for c in r.cells] + [-1]) + 1
    headers = {c.index: c.header for c in table.columns}
    repairs = {(r["row"], r["col"]): r for r in doc.validation.repairs if r.get("table") == table.id}
    pages = ", ".join(
        f'<a href="{escape(href(p))}">{p + 1}</a>' if href is not None else str(p + 1) for p in table.pages
    )
    review = f" · <b>needs review</b> ({escape(', '.join(table.review_reasons))})" if table.needs_review else ""
    out = [
        f'<h2 id="{escape(table.id)}">{escape(table.id)} {escape(table.title or "(untitled)")}</h2>',
        f'<p class="meta">单位 unit: {escape(table.unit or "—")} · pages {pages} · type '
        f"{escape(table.type or '—')}{review}</p>",
        "<table><thead><tr>" + "".join(f"<th>{escape(headers.get(i, f'col{i + 1}'))}</th>" for i in range(ncols)),
        "</tr></thead><tbody>",
    ]
    for row in table.rows:
        cells = {c.col: c for c in row.cells}
        tds = []
        for i in range(ncols):
            cell = cells.get(i)
            if cell is None:
                tds.append("<td></td>")
                continue
            mark = marks.get((table.id, row.index, i))
            classes = _classes(mark) + (["num"] if cell.value is not None else [])
            tips = []
            if mark is not None and mark.repaired:
                original = repairs.get((row.index, i), cell.repair or {}).get("original_text")
                tips.append(f"repaired: OCR read {original}")
            if mark is not None and mark.human:
                tips.append("given by a person")
            if mark is not None and mark.violation:
                tips.append(f"{mark.violation}: {', '.join(mark.rules)}")
            text = _amount(cell.value) if cell.value is not None else cell.text
            cls = f' class="{" ".join(classes)}"' if classes else ""
            title = f' title="{escape("; ".join(tips))}"' if tips else ""
            tds.append(f"<td{cls}{title}>{escape(text)}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>")
    found = [v for v in doc.validation.violations if v.table == table.id and v.severity != "info"]
    if found:
        out.append(
            "<ul>"
            + "".join(
                f"<li><b>{escape(v.severity)}</b> <code>{escape(v.rule)}</code>: {escape(v.message_zh)} "
                f"({escape(v.message_en)})</li>"
                for v in found
            )
            + "</ul>"
        )
    return "\n".join(out)


def document_html(doc: Document, href: Callable[[int], str] | None = preview_href) -> str:
    """The whole document as one HTML page; ``href=None`` leaves page numbers unlinked (no previews written)."""
    marks = cell_marks(doc)
    info = doc.info
    title = info.title or doc.source.path
    v = doc.validation
    errors = sum(x.severity == "error" for x in v.violations)
    warnings = sum(x.severity == "warning" for x in v.violations)
    who = " · ".join(p for p in (info.issuer, str(info.year) if info.year else None, info.kind) if p)
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(who)}</p>' if who else "",
        f'<p class="meta">Validation: <b>{"passed" if v.passed else "FAILED"}</b> — {v.checks} checks, '
        f"{errors} errors, {warnings} warnings, {len(v.repairs)} repairs.</p>",
        '<p class="legend"><span class="repaired" style="background:#fff3b0">repaired</span>'
        '<span style="background:#cfe3ff">given by a person</span>'
        '<span style="background:#ffc9c9">identity error</span><span style="background:#ffe2b8">warning</span></p>',
        *[table_html(doc, t, marks, href) for t in doc.tables],
    ]
    loose = [x for x in v.violations if x.table is None and x.severity != "info"]
    if loose:
        body.append("<h2>Document checks</h2><ul>")
        body += [f"<li><b>{escape(x.severity)}</b> {escape(x.message_zh)} ({escape(x.message_en)})</li>" for x in loose]
        body.append("</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(b for b in body if b)
        + "\n</body></html>\n"
    )
