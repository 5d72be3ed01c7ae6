"""A reviewable output folder built in code: one 决算 table with a planted wrong amount, its page image on disk.

The rows are page 5 of ../shared/data/real/shanghai-putuo-finance-bureau_2024_决算.pdf (一般公共预算财政拨款支出决算表,
万元); 行政单位离退休 reads 94.65 instead of 84.65, which breaks two identities (the row's total column and its 款).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Cell, Column, Document, PageInfo, Row, Source, Table
from juesuan.io.export import write_document_outputs

ROWS: list[tuple[str | None, str, list[str]]] = [
    ("208", "社会保障和就业支出", ["326.72", "326.72", ""]),
    ("20805", "行政事业单位养老支出", ["326.72", "326.72", ""]),
    ("2080501", "行政单位离退休", ["94.65", "84.65", ""]),  # planted: the PDF says 84.65
    ("2080505", "机关事业单位基本养老保险缴费支出", ["160.75", "160.75", ""]),
    ("2080506", "机关事业单位职业年金缴费支出", ["80.38", "80.38", ""]),
    ("2080599", "其他行政事业单位养老支出", ["0.94", "0.94", ""]),
    ("221", "住房保障支出", ["445.69", "445.69", ""]),
    ("22102", "住房改革支出", ["445.69", "445.69", ""]),
    ("2210201", "住房公积金", ["187.19", "187.19", ""]),
    ("2210203", "购房补贴", ["258.50", "258.50", ""]),
    (None, "合计", ["772.41", "772.41", ""]),
]
X = [60, 200, 560, 700, 840, 980]  # column edges (page pixels at 100 dpi)
TOP, ROW_H = 200, 40
PLANTED = (2, 2)  # (row index, column) of the wrong amount


def build_document(source: Path) -> Document:
    cells_rows = []
    for i, (code, name, amounts) in enumerate(ROWS):
        y0 = TOP + 40 + ROW_H * i
        texts = [code or "", name, *amounts]
        labels = ["CODE", "TOTAL_LABEL" if name == "合计" else "NAME"] + ["AMOUNT"] * 3
        cells = []
        for col, (text, label) in enumerate(zip(texts, labels, strict=True)):
            value = parse_amount(text) if col >= 2 and text else None
            cells.append(
                Cell(
                    col=col,
                    text=text,
                    value=float(value) if value is not None else None,
                    label=label if text else None,
                    bbox=[float(X[col]), float(y0), float(X[col + 1]), float(y0 + ROW_H)],
                    page=0,
                )
            )
        cells_rows.append(Row(index=i, code=code, name=name, kind="total" if code is None else "item", cells=cells))
    headers = ["科目编码", "科目名称", "合计", "基本支出", "项目支出"]
    table = Table(
        id="t1",
        pages=[0],
        bbox=[float(X[0]), float(TOP), float(X[-1]), float(TOP + 40 + ROW_H * len(ROWS))],
        title="一般公共预算财政拨款支出决算表",
        unit="万元",
        columns=[Column(index=i, header=h) for i, h in enumerate(headers)],
        rows=cells_rows,
    )
    return Document(
        source=Source(path=str(source), sha256="ab" * 32, pages=1),
        pages=[PageInfo(index=0, width=1000, height=1000, dpi=100)],
        tables=[table],
        meta={"options": {"validation": {"repair": False}}},
    )


def draw_page(doc: Document, path: Path, font: Path) -> None:
    """The table printed on a white page (what the reviewer sees and what label --from-corrections crops)."""
    img = Image.new("RGB", (1000, 1000), "white")
    draw = ImageDraw.Draw(img)
    face = ImageFont.truetype(str(font), 18)
    for row in doc.tables[0].rows:
        for cell in row.cells:
            draw.rectangle(cell.bbox, outline="black")
            draw.text((cell.bbox[0] + 4, cell.bbox[1] + 8), cell.text, fill="black", font=face)
    img.save(path, dpi=(100, 100))


@pytest.fixture()
def review_out(tmp_path: Path, cjk_font: Path) -> Path:
    """OUT/finance/ with document.json (validated, failing), exports and pages/page-001.png; the source is a PNG."""
    from juesuan.review.store import revalidate

    source = tmp_path / "finance-page.png"
    doc = build_document(source)
    draw_page(doc, source, cjk_font)
    out = tmp_path / "out"
    previews = {0: source.read_bytes()}
    write_document_outputs(revalidate(doc), out / "finance", previews=previews)
    return out
