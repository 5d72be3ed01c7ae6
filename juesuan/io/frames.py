"""Tables as pandas DataFrames (pandas is imported only here, on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from juesuan.datamodel.document import Table


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def table_frame(table: Table) -> Any:
    """row_code, row_name, row_kind, then each column under its header; amounts are floats, other cells text.

    ``frame.attrs`` carries id, title, unit, type and 1-based pages, so the numbers never travel without their unit.
    """
    import pandas as pd

    ncols = max([c.index for c in table.columns] + [c.col for r in table.rows for c in r.cells] + [-1]) + 1
    headers = {c.index: c.header for c in table.columns}
    names = _unique(["row_code", "row_name", "row_kind", *[headers.get(i) or f"col{i + 1}" for i in range(ncols)]])
    records = []
    for row in table.rows:
        values: list[Any] = [row.code, row.name, row.kind] + [None] * ncols
        for cell in row.cells:
            if 0 <= cell.col < ncols:
                values[3 + cell.col] = cell.value if cell.value is not None else (cell.text or None)
        records.append(values)
    frame = pd.DataFrame.from_records(records, columns=names)
    frame.attrs.update(
        {
            "id": table.id,
            "title": table.title,
            "unit": table.unit,
            "type": table.type,
            "pages": [p + 1 for p in table.pages],
        }
    )
    return frame
