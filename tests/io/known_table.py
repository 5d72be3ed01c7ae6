"""A small 支出决算表 whose identities hold (合计 = Σ类, 类 = Σ款, 款 = Σ项), for the export and edit tests."""

from __future__ import annotations

from juesuan.datamodel.document import Cell, Column, Document, DocumentInfo, Row, Source, Table

AMOUNTS = [
    (None, "合计", "30.00", "total"),
    ("201", "一般公共服务支出", "12.00", "item"),
    ("20106", "财政事务", "12.00", "item"),
    ("2010601", "行政运行", "12.00", "item"),
    ("208", "社会保障和就业支出", "18.00", "item"),
    ("20805", "行政事业单位养老支出", "18.00", "item"),
    ("2080501", "行政单位离退休", "18.00", "item"),
]


def make_doc(overrides: dict[str, str] | None = None) -> Document:
    """The table above; ``overrides`` maps a 科目编码 to the amount text OCR read instead (a misreading)."""
    overrides = overrides or {}
    rows = []
    for i, (code, name, amount, kind) in enumerate(AMOUNTS):
        text = overrides.get(code or "", amount)
        cells = [
            Cell(col=0, text=code or "", page=0),
            Cell(col=1, text=name, page=0),
            Cell(col=2, text=text, value=float(text.replace(",", "")), page=0, confidence=0.97),
        ]
        rows.append(Row(index=i, code=code, name=name, kind=kind, cells=cells))  # type: ignore[arg-type]
    columns = [
        Column(index=0, header="科目编码", field="subject_code"),
        Column(index=1, header="科目名称", field="subject_name"),
        Column(index=2, header="决算数", field="final_amount"),
    ]
    table = Table(
        id="t1",
        pages=[0],
        bbox=[0, 0, 10, 10],
        title="一般公共预算财政拨款支出决算表",
        unit="万元",
        columns=columns,
        rows=rows,
    )
    return Document(
        source=Source(path="bureau.pdf", sha256="ab", pages=1),
        info=DocumentInfo(
            issuer="上海市普陀区财政局", year=2024, kind="决算", title="上海市普陀区财政局2024年度部门决算"
        ),
        tables=[table],
    )
