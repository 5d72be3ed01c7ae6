"""document.json declares every field juesuan writes: produced documents pass the strict (extra="forbid") models."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from juesuan.datamodel.document import Cell, Document, Repair, RepairRecord, Row, Source, Table, TextBlock, Violation
from juesuan.datamodel.strict import StrictDocument, undeclared_fields
from juesuan.inference.pipeline import Pipeline
from juesuan.options import ValidationOptions, load_options
from juesuan.validation.check import annotate_and_validate


def _dump(doc: Document) -> dict:
    return json.loads(doc.to_json())


def test_strict_models_refuse_an_undeclared_key_at_any_depth() -> None:
    doc = Document(
        source=Source(path="x.pdf", sha256="0" * 64, pages=1),
        tables=[Table(id="t1", pages=[0], bbox=[0, 0, 1, 1], rows=[Row(index=0, cells=[Cell(col=0, text="1")])])],
    )
    data = _dump(doc)
    assert undeclared_fields(data) == []
    data["tables"][0]["rows"][0]["cells"][0]["ocr_guess"] = "7"
    data["validation"]["shade"] = 1
    assert undeclared_fields(data) == ["tables.0.rows.0.cells.0.ocr_guess", "validation.shade"]
    Document.model_validate(data)  # the reading models still accept it: old and new files load


def test_records_are_typed_and_still_read_like_dicts() -> None:
    repair = Repair(original_text="180.75", corrected_value=160.75, edit="confusion", score=12.0, identities=["a"])
    record = RepairRecord(**repair.model_dump(), table="t1", row=2, col=2, page=0, corrected_text="160.75")
    violation = Violation(rule="total_row", target={"row": 2, "col": 2}, cells=[[2, 2], [3, 2]], page=0)
    block = TextBlock(page=3, text="单位：万元")
    assert record["original_text"] == "180.75" and record.get("page") == 0 and record.get("nope", 5) == 5
    assert violation.target is not None and violation.target["row"] == 2 and violation.target.col == 2
    assert block["kind"] == "text" and block.get("text") == "单位：万元"
    with pytest.raises(KeyError):
        block["nope"]
    doc = Document(source=Source(path="x.pdf", sha256="", pages=4), text=[block])
    doc.validation.violations.append(violation)
    doc.validation.repairs.append(record)
    assert undeclared_fields(_dump(doc)) == []


@pytest.fixture(scope="module")
def text_layer_doc(finance_pdf_full: Path) -> Document:
    """收入决算表 + 续表, 三公经费, and the 情况说明 page of the finance bureau's 决算, read from its text layer."""
    pipeline = Pipeline(load_options(None, {"rasterize": {"text_layer": "auto"}, "export": {"previews": False}}))
    return pipeline.run_document(finance_pdf_full, pages=[7, 8, 17, 21])  # pages the trimmed copy leaves blank


@pytest.mark.slow
def test_text_layer_extraction_is_fully_declared(text_layer_doc: Document) -> None:
    data = _dump(text_layer_doc)
    assert [t["title"] for t in data["tables"]] == ["收入决算表", "财政拨款“三公”经费支出决算表"]
    assert data["text"] and data["validation"]["violations"]  # text blocks and (rounding) violations are covered
    assert undeclared_fields(data) == []
    StrictDocument.model_validate(data)


@pytest.mark.slow
def test_repaired_extraction_is_fully_declared(text_layer_doc: Document) -> None:
    """A slip put into one amount: the repair (Cell.repair, Validation.repairs) and, with repair off, the violation
    (target, cells, page) are all declared fields."""
    doc = text_layer_doc.model_copy(deep=True)
    income = doc.tables[0]
    row = next(r for r in income.rows if r.code == "2010601")  # 行政运行: 1,511.90 | 1,511.89 (checked in the PDF)
    cell = next(c for c in row.cells if c.value is not None and Decimal(str(c.value)) == Decimal("1511.89"))
    cell.text, cell.value = "1,571.89", 1571.89  # 1 read as 7
    repaired = annotate_and_validate(doc, ValidationOptions())
    assert [(r.original_text, r.corrected_value) for r in repaired.validation.repairs] == [("1,571.89", 1511.89)]
    flagged = annotate_and_validate(doc, ValidationOptions(repair=False))
    errors = [v for v in flagged.validation.violations if v.severity == "error"]
    assert errors and all(v.target is not None and v.cells and v.page == 7 for v in errors)
    for checked in (repaired, flagged):
        assert undeclared_fields(_dump(checked)) == []


def test_document_json_is_what_json_dumps_wrote() -> None:
    """to_json uses pydantic's encoder for speed: the text must read back as json.dumps's did (CJK unescaped,
    indent 1, NaN kept, tiny floats, extra keys), and equal it byte for byte where floats print the same."""
    cell = Cell(col=0, text="一般公共服务支出", value=float("nan"), confidence=0.00001)
    doc = Document(
        source=Source(path="x.pdf", sha256="-", pages=1),
        tables=[Table(id="p1:t1", pages=[1], bbox=[0, 0, 10.5, 20], rows=[Row(index=0, cells=[cell])])],
        meta={"timings": {"ocr": 1e-05, "grid": 0.25}, "note": "单位：万元", "nested": [[1, 2.5], {"k": None}]},
        later_field={"a": 1},
    )
    reference = json.dumps(doc.model_dump(mode="json"), ensure_ascii=False, indent=1)
    got = doc.to_json()
    assert "单位：万元" in got and "NaN" in got and got.startswith('{\n "schema_version"')
    assert json.loads(got, parse_constant=str) == json.loads(reference, parse_constant=str)
    assert got.replace("0.00001", "1e-05") == reference
