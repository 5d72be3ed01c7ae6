"""validation.md: what a person reads after a run — every violation with its table, page and cell, then repairs."""

from __future__ import annotations

from juesuan.datamodel.document import Document, Table, Violation

_ORDER = {"error": 0, "warning": 1, "info": 2}


def _cell_ref(table: Table | None, v: Violation) -> str:
    target = v.target
    if table is None or target is None:
        return ""
    row = next((r for r in table.rows if r.index == target.row), None)
    header = next((c.header for c in table.columns if c.index == target.col), "") or f"col {target.col + 1}"
    label = (row.code or row.name or "") if row else ""
    return f"row {target.row + 1} ({label}) × {header}"


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def render(doc: Document, info_limit: int = 50) -> str:
    """Markdown report; info-level rounding notes are capped at ``info_limit`` lines (counted in the summary)."""
    val = doc.validation
    tables = {t.id: t for t in doc.tables}
    counts = {s: sum(v.severity == s for v in val.violations) for s in _ORDER}
    lines = [
        f"# Validation — {doc.source.path}",
        "",
        f"- result: **{'passed' if val.passed else 'FAILED'}** ({val.checks} checks)",
        f"- errors: {counts['error']}, warnings: {counts['warning']}, rounding notes: {counts['info']}, "
        f"repairs: {len(val.repairs)}",
        "",
        "## Tables",
        "",
        "| table | pages | type | title |",
        "| --- | --- | --- | --- |",
    ]
    for t in doc.tables:
        pages = ",".join(str(p + 1) for p in t.pages)
        conf = f" ({t.type_confidence:.2f})" if t.type_confidence is not None else ""
        lines.append(f"| {t.id} | {pages} | {t.type or '—'}{conf} | {(t.title or '').replace('|', '/')} |")
    review = [t for t in doc.tables if t.needs_review]
    if review:
        lines += ["", f"Tables to review: {len(review)}", ""]
        for t in review:
            conf = "" if t.confidence is None else f" (confidence {t.confidence:.2f})"
            lines.append(f"- {t.id}{conf}: {', '.join(t.review_reasons) or 'low confidence'}")
    lines += ["", "## Violations", ""]
    if not val.violations:
        lines.append("None.")
    else:
        lines += [
            "| severity | rule | table | page | cell | expected | found | difference | message |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        shown_info = 0
        for v in sorted(val.violations, key=lambda v: _ORDER[v.severity]):
            if v.severity == "info":
                shown_info += 1
                if shown_info > info_limit:
                    continue
            page = v.page
            page_s = str(page + 1) if isinstance(page, int) else ""
            msg = f"{v.message_zh}<br>{v.message_en}".replace("|", "/")
            lines.append(
                f"| {v.severity} | {v.rule} | {v.table or ''} | {page_s} | "
                f"{_cell_ref(tables.get(v.table or ''), v)} | {_fmt(v.expected)} | {_fmt(v.found)} | "
                f"{_fmt(v.difference)} | {msg} |"
            )
        if shown_info > info_limit:
            lines.append(f"\n… and {shown_info - info_limit} more rounding notes (see document.json).")
    lines += ["", "## Repairs", ""]
    if not val.repairs:
        lines.append("None.")
    else:
        lines += [
            "| table | page | row | col | OCR text | corrected | edit | score | identities |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in val.repairs:
            page = r.get("page")
            lines.append(
                f"| {r['table']} | {'' if page is None else int(page) + 1} | {int(r['row']) + 1} | "
                f"{r['col']} | {r['original_text']} | {r['corrected_text']} | {r['edit']} | {r['score']} | "
                f"{', '.join(r['identities'])} |"
            )
    return "\n".join(lines) + "\n"
