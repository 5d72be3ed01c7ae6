"""Hand-made tables copied from the text layer of ../shared/data/real/shanghai-putuo-finance-bureau_2024_决算.pdf."""

from __future__ import annotations

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Cell, Column, Document, Row, Source, Table


def make_table(
    table_id: str, title: str, headers: list[str], rows: list[tuple[str | None, str, list[str]]], unit: str = "万元"
) -> Table:
    """rows: (code, name, amounts); columns: 科目编码, 科目名称, then one per header."""
    columns = [Column(index=0, header="科目编码"), Column(index=1, header="科目名称")]
    columns += [Column(index=k + 2, header=h) for k, h in enumerate(headers)]
    out = []
    for i, (code, name, amounts) in enumerate(rows):
        cells = [Cell(col=0, text=code or "", page=3), Cell(col=1, text=name, page=3)]
        for k, a in enumerate(amounts):
            v = parse_amount(a)
            cells.append(
                Cell(
                    col=k + 2,
                    text=a,
                    value=float(v) if v is not None else None,
                    page=3,
                    bbox=[100.0 + 80 * k, 200.0 + 20 * i, 170.0 + 80 * k, 215.0 + 20 * i],
                )
            )
        kind = "total" if name in ("合计", "总计") else "item"
        out.append(Row(index=i, code=code, name=name, kind=kind, cells=cells))
    return Table(id=table_id, pages=[3], bbox=[0, 0, 1000, 1000], title=title, unit=unit, columns=columns, rows=out)


# 一般公共预算财政拨款支出决算表, page 5 of the finance bureau's 2024 决算 (万元).
GBE_ROWS: list[tuple[str | None, str, list[str]]] = [
    ("201", "一般公共服务支出", ["2,106.66", "1,503.52", "603.14"]),
    ("20106", "财政事务", ["2,106.66", "1,503.52", "603.14"]),
    ("2010601", "行政运行", ["1,511.89", "1,503.52", "8.37"]),
    ("2010602", "一般行政管理事务", ["10.00", "", "10.00"]),
    ("2010607", "信息化建设", ["135.25", "", "135.25"]),
    ("2010608", "财政委托业务支出", ["449.52", "", "449.52"]),
    ("208", "社会保障和就业支出", ["326.72", "326.72", ""]),
    ("20805", "行政事业单位养老支出", ["326.72", "326.72", ""]),
    ("2080501", "行政单位离退休", ["84.65", "84.65", ""]),
    ("2080505", "机关事业单位基本养老保险缴费支出", ["160.75", "160.75", ""]),
    ("2080506", "机关事业单位职业年金缴费支出", ["80.38", "80.38", ""]),
    ("2080599", "其他行政事业单位养老支出", ["0.94", "0.94", ""]),
    ("210", "卫生健康支出", ["60.99", "60.99", ""]),
    ("21011", "行政事业单位医疗", ["60.99", "60.99", ""]),
    ("2101101", "行政单位医疗", ["60.99", "60.99", ""]),
    ("221", "住房保障支出", ["445.69", "445.69", ""]),
    ("22102", "住房改革支出", ["445.69", "445.69", ""]),
    ("2210201", "住房公积金", ["187.19", "187.19", ""]),
    ("2210203", "购房补贴", ["258.50", "258.50", ""]),
    (None, "合计", ["2,940.05", "2,336.91", "603.14"]),
]


def document_of(*tables: Table, text: list[str] | None = None) -> Document:
    return Document(
        source=Source(path="test.pdf", sha256="0" * 64, pages=20),
        tables=list(tables),
        text=[{"page": 10, "bbox": [0, 0, 0, 0], "text": t} for t in (text or [])],
    )
