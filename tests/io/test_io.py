import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from juesuan.datamodel.document import Cell, Column, Document, Row, Source, Table
from juesuan.io.atomic import atomic_dir, write_text
from juesuan.io.export import table_matrix, write_document_outputs
from juesuan.io.inputs import find_inputs, output_names, parse_pages
from juesuan.options import ValidationOptions


def test_parse_pages_counts_from_one() -> None:
    assert parse_pages("3-5") == [2, 3, 4]
    assert parse_pages("1,4,6-7") == [0, 3, 5, 6]
    assert parse_pages(None) is None
    for bad in ["0", "5-3", "x"]:
        with pytest.raises(ValueError):
            parse_pages(bad)


def test_find_inputs_recurses_and_reports_missing(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "a" / "notes.txt").write_text("skip me")
    (tmp_path / "b.png").write_bytes(b"\x89PNG")
    files, problems = find_inputs([tmp_path / "a", tmp_path / "b.png", tmp_path / "missing.pdf"])
    assert [f.name for f in files] == ["x.pdf", "b.png"]
    assert problems == [(tmp_path / "missing.pdf", "no such file or folder")]


def test_output_names_are_unique() -> None:
    names = output_names([Path("a/r.pdf"), Path("b/r.pdf"), Path("c/s.pdf")])
    assert sorted(names.values()) == ["r", "r-2", "s"]


def test_atomic_write_leaves_old_file_on_error(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "out") as tmp:
        (tmp / "half.json").write_text("half")
        raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def _table(title: str, rows: list[Row]) -> Table:
    """A 科目编码 | 科目名称 | 决算数 table in 万元."""
    columns = [Column(index=0, header="科目编码"), Column(index=1, header="科目名称"), Column(index=2, header="决算数")]
    return Table(id="t1", pages=[0], bbox=[0, 0, 10, 10], title=title, unit="万元", columns=columns, rows=rows)


def _doc() -> Document:
    table = _table(
        "收入决算表",
        [
            Row(
                index=0,
                code="2010601",
                name="行政运行",
                cells=[
                    Cell(col=0, text="2010601"),
                    Cell(col=1, text="行政运行"),
                    Cell(col=2, text="1,511.90", value=1511.9),
                ],
            ),
            Row(index=1, name="合计", kind="total", cells=[Cell(col=1, text="合计"), Cell(col=2, text="—")]),
        ],
    )
    return Document(source=Source(path="x.pdf", sha256="ab", pages=1), tables=[table])


def test_exports_csv_with_bom_xlsx_and_json(tmp_path: Path) -> None:
    out = write_document_outputs(_doc(), tmp_path / "x", previews={0: b"\x89PNGfake"})
    raw = (out / "tables" / "t1.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["row_code", "row_name", "row_kind", "科目编码", "科目名称", "决算数"]
    assert rows[1] == ["2010601", "行政运行", "item", "2010601", "行政运行", "1511.90"]
    assert rows[2][2:] == ["total", "", "合计", "—"]
    ws = load_workbook(out / "tables.xlsx")["t1 收入决算表"]
    assert ws.cell(row=3, column=6).value == pytest.approx(1511.9)
    assert json.loads((out / "document.json").read_text())["tables"][0]["rows"][0]["code"] == "2010601"
    assert (out / "pages" / "page-001.png").read_bytes() == b"\x89PNGfake"


def test_table_matrix_pads_missing_cells() -> None:
    m = table_matrix(_doc().tables[0])
    assert all(len(line) == 6 for line in m)


def test_validation_report_is_written_next_to_the_document(tmp_path: Path) -> None:
    from juesuan.validation.check import annotate_and_validate

    def row(i: int, code: str | None, name: str, amount: str, kind: str = "item") -> Row:
        cells = [Cell(col=0, text=code or ""), Cell(col=1, text=name), Cell(col=2, text=amount, value=float(amount))]
        return Row(index=i, code=code, name=name, kind=kind, cells=cells)

    table = _table(
        "一般公共预算财政拨款支出决算表",
        [
            row(0, None, "合计", "30.00", "total"),
            row(1, "201", "一般公共服务支出", "12.00"),
            row(2, "20106", "财政事务", "12.00"),
            row(3, "2010601", "行政运行", "12.00"),
            row(4, "208", "社会保障和就业支出", "18.00"),
            row(5, "20805", "行政事业单位养老支出", "18.00"),
            row(6, "2080501", "行政单位离退休", "18.00"),
        ],
    )
    bad = table.model_copy(deep=True)
    # 合计 less than its rows is an error (a larger one could be rows continued on the next page: a warning)
    bad.rows[0].cells[2] = Cell(col=2, text="29.00", value=29.0)
    doc = annotate_and_validate(
        Document(source=Source(path="x.pdf", sha256="ab", pages=1), tables=[bad]), ValidationOptions(repair=False)
    )
    assert doc.validation.checks > 0
    assert any(v.severity == "error" for v in doc.validation.violations)
    out = write_document_outputs(doc, tmp_path / "v")
    assert "t1" in (out / "validation.md").read_text(encoding="utf-8")
