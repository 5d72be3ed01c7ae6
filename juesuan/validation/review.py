"""Which tables a person should look at: per-table confidence, ``needs_review`` and its reasons (issue 12).

The assembler already set ``Table.orphans`` (amounts in no row with a code or a name) and a structure confidence
(how clearly the chosen column grouping beat its alternatives, :mod:`juesuan.inference.hypotheses`). After repair we
add what only validation knows: identities that still fail and numeric-looking cells left without a value
(``202:2A`` that no identity could pin). A table needs review when any of these is non-zero or the structure
choice was close.
"""

from __future__ import annotations

from collections.abc import Sequence

from juesuan.datamodel.document import Table, Violation
from juesuan.validation.rules import TableView

STRUCTURE_REVIEW_BELOW = 0.8  # the same threshold the assembler uses for "structure_close"


def null_numeric(view: TableView) -> int:
    """Cells of amount columns whose text has digits but no value (not empty, not a dash, no CJK)."""
    return sum(1 for ref in view.unreadable if ref.col in view.amount_cols)


def review_table(table: Table, view: TableView, violations: Sequence[Violation], checks: int) -> Table:
    """A copy of ``table`` with confidence, needs_review, review_reasons and null_numeric filled in.

    A shallow copy: those four fields are replaced on it, never changed in place, so ``table`` stays untouched
    without copying every row and cell again (a deep copy was a sixth of validation's CPU)."""
    t = table.model_copy()
    errors = sum(1 for v in violations if v.severity == "error" and v.table == table.id)
    t.null_numeric = null_numeric(view)
    reasons = [r for r in t.review_reasons if not r.startswith(("identity_errors:", "null_numeric:", "orphans:"))]
    if t.orphans:
        reasons.insert(0, f"orphans:{t.orphans}")
    if errors:
        reasons.append(f"identity_errors:{errors}")
    if t.null_numeric:
        reasons.append(f"null_numeric:{t.null_numeric}")
    structure = 1.0 if t.confidence is None else t.confidence
    identities = 1.0 - errors / checks if checks else 1.0
    t.confidence = round(max(0.0, structure * identities), 4)
    t.review_reasons = reasons
    t.needs_review = bool(reasons) or t.confidence < STRUCTURE_REVIEW_BELOW
    return t


def orphan_warning(table: Table) -> Violation | None:
    """validation.md shows orphans as a warning: the amounts were read but belong to no row."""
    if not table.orphans:
        return None
    page = table.pages[0] if table.pages else 0
    return Violation(
        rule="orphan_amounts",
        table=table.id,
        severity="warning",
        message_zh=f"{table.orphans} 个金额不属于任何有编码或名称的行，请核对表格结构",
        message_en=f"{table.orphans} amounts belong to no row with a code or name; check the table's structure",
        page=page,
    )
