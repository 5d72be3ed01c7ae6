"""Long-format facts: one row per extracted amount, with what an analyst needs to stack 500 reports in pandas.

Each row carries the document (issuer, year, kind), the table (type, title, unit), where the amount was read (page,
counted from 1), the row's 科目编码/科目名称, the column field, the value as printed and in 元 (``value_yuan``:
unit-normalised, only for amount columns; rates and scores keep it empty), and what a reviewer needs: the cell's
confidence, whether validation repaired it, whether a person gave it, whether an identity failed on it, and the
table's ``needs_review``. Values stay in ``Decimal`` until written, so 1511.89 万元 is exactly 15118900 元.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from juesuan.io.marks import cell_marks

if TYPE_CHECKING:
    from juesuan.datamodel.document import Document, Table

FACT_COLUMNS = (
    "document",
    "issuer",
    "year",
    "kind",
    "table_id",
    "table_type",
    "title",
    "unit",
    "page",
    "subject_code",  # 科目编码
    "subject_name",  # 科目名称
    "row_kind",
    "column",
    "column_header",
    "value",
    "value_yuan",
    "confidence",
    "repaired",
    "human",
    "violated",
    "needs_review",
)

# 单位 as printed → multiplier to 元
UNIT_TO_YUAN = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10_000), "百万元": Decimal(10**6)}
UNIT_TO_YUAN["亿元"] = Decimal(10**8)
_NOT_AMOUNT_ROLES = {"rate", "score", "max_score", "text", "code", "name"}


def unit_factor(unit: str | None) -> Decimal | None:
    """元 per printed unit; None when the unit is unknown (then ``value_yuan`` stays empty, never guessed)."""
    if not unit:
        return None
    return UNIT_TO_YUAN.get(unit.replace(" ", "").removeprefix("单位：").removeprefix("单位:"))


def _roles(table: Table) -> dict[int, str | None]:
    from juesuan.validation.schema import load_schema

    schema = load_schema()
    return {c.index: schema.role(c.field) for c in table.columns}


def _decimal(value: float) -> Decimal:
    """The float from document.json back to the amount as printed (two decimals when it has at most two)."""
    try:
        d = Decimal(repr(value))
    except InvalidOperation:  # pragma: no cover - floats from JSON are always finite
        return Decimal(0)
    cents = d.quantize(Decimal("0.01"))
    return cents if d == cents else d


def _yuan(value: Decimal, factor: Decimal) -> Decimal:
    """1511.89 万元 → 15118900 元 (no trailing zeros; fractions of a 元 kept)."""
    out = value * factor
    return out.quantize(Decimal(1)) if out == out.to_integral_value() else out.normalize()


def document_facts(doc: Document, name: str | None = None) -> list[dict[str, Any]]:
    """One dict per cell that holds a value, in table/row/column order."""
    name = name or Path(doc.source.path).stem
    marks = cell_marks(doc)
    out: list[dict[str, Any]] = []
    for table in doc.tables:
        roles = _roles(table)
        columns = {c.index: c for c in table.columns}
        factor = unit_factor(table.unit)
        for row in table.rows:
            for cell in row.cells:
                if cell.value is None:
                    continue
                column = columns.get(cell.col)
                role = roles.get(cell.col)
                value = _decimal(cell.value)
                is_amount = role not in _NOT_AMOUNT_ROLES and not cell.text.strip().endswith(("%", "％"))
                mark = marks.get((table.id, row.index, cell.col))
                out.append(
                    {
                        "document": name,
                        "issuer": doc.info.issuer,
                        "year": doc.info.year,
                        "kind": doc.info.kind,
                        "table_id": table.id,
                        "table_type": table.type,
                        "title": table.title,
                        "unit": table.unit,
                        "page": cell.page + 1,
                        "subject_code": row.code,
                        "subject_name": row.name,
                        "row_kind": row.kind,
                        "column": column.field if column is not None else None,
                        "column_header": column.header if column is not None else None,
                        "value": value,
                        "value_yuan": _yuan(value, factor) if is_amount and factor is not None else None,
                        "confidence": round(cell.confidence, 5),
                        "repaired": bool(mark and mark.repaired),
                        "human": bool(mark and mark.human),
                        "violated": bool(mark and mark.violation),
                        "needs_review": table.needs_review,
                    }
                )
    return out


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def facts_csv_bytes(rows: Iterable[dict[str, Any]]) -> bytes:
    """UTF-8 with BOM (Excel opens it as Chinese text), CRLF, a header line even when there are no facts."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(FACT_COLUMNS)
    for row in rows:
        writer.writerow([_csv_text(row[c]) for c in FACT_COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def facts_table(rows: Sequence[dict[str, Any]]) -> Any:
    """A pyarrow Table with fixed column types (decimals as float64, the year as int)."""
    import pyarrow as pa

    schema = pa.schema(
        [
            ("document", pa.string()),
            ("issuer", pa.string()),
            ("year", pa.int32()),
            ("kind", pa.string()),
            ("table_id", pa.string()),
            ("table_type", pa.string()),
            ("title", pa.string()),
            ("unit", pa.string()),
            ("page", pa.int32()),
            ("subject_code", pa.string()),
            ("subject_name", pa.string()),
            ("row_kind", pa.string()),
            ("column", pa.string()),
            ("column_header", pa.string()),
            ("value", pa.float64()),
            ("value_yuan", pa.float64()),
            ("confidence", pa.float64()),
            ("repaired", pa.bool_()),
            ("human", pa.bool_()),
            ("violated", pa.bool_()),
            ("needs_review", pa.bool_()),
        ]
    )
    columns = {
        name: [float(r[name]) if isinstance(r[name], Decimal) else r[name] for r in rows] for name in FACT_COLUMNS
    }
    return pa.table(columns, schema=schema)


def write_batch_facts(root: Path, documents: Sequence[tuple[str, Document]]) -> list[Path]:
    """``root/facts.csv`` and ``root/facts.parquet`` over every document of a batch (written atomically)."""
    import pyarrow.parquet as pq

    from juesuan.io.atomic import atomic_path, write_bytes

    rows = [fact for name, doc in documents for fact in document_facts(doc, name)]
    root = Path(root)
    write_bytes(root / "facts.csv", facts_csv_bytes(rows))
    with atomic_path(root / "facts.parquet") as tmp:
        pq.write_table(facts_table(rows), tmp)
    return [root / "facts.csv", root / "facts.parquet"]
