"""Which cells a reader should look at: repaired by validation, given by a person, or named by a failed identity.

One place decides this for every export (XLSX fills, HTML classes, Markdown footnotes, facts columns), so they
never disagree about a cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from juesuan.datamodel.document import Document


CellKey = tuple[str, int, int]  # (table id, Row.index, Cell.col)
_SEVERITY_RANK = {"error": 2, "warning": 1, "info": 0}


@dataclass(frozen=True, slots=True)
class CellMark:
    repaired: bool = False
    human: bool = False
    violation: str | None = None  # the worst severity ("error", "warning") of identities that target this cell
    rules: tuple[str, ...] = ()


def cell_marks(doc: Document) -> dict[CellKey, CellMark]:
    """Marks for every cell that has one; rounding notes (info) do not mark a cell."""
    marks: dict[CellKey, CellMark] = {}
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                if cell.repair is not None or cell.source == "human":
                    marks[(table.id, row.index, cell.col)] = CellMark(
                        repaired=cell.repair is not None, human=cell.source == "human"
                    )
    for v in doc.validation.violations:
        target = v.target
        if v.severity == "info" or not v.table or target is None:
            continue
        key = (v.table, int(target.row), int(target.col))
        old = marks.get(key, CellMark())
        worst = old.violation
        if worst is None or _SEVERITY_RANK[v.severity] > _SEVERITY_RANK[worst]:
            worst = v.severity
        marks[key] = CellMark(old.repaired, old.human, worst, (*old.rules, v.rule))
    return marks
