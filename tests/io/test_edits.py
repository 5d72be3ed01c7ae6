"""Human edits win: a value a person gave is never repaired, and `juesuan validate` shows it in every export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from juesuan.cli import main
from juesuan.datamodel.document import Document
from juesuan.io.edits import MACHINE_KEY, apply_human_edits, stamp
from juesuan.io.export import write_document_outputs
from juesuan.validation.check import annotate_and_validate


def test_a_cell_marked_human_is_never_repaired(misread_doc: Document) -> None:
    doc = misread_doc.model_copy(deep=True)
    doc.tables[0].rows[3].cells[2].source = "human"  # a person says 17.00 is right
    checked = annotate_and_validate(doc)
    assert checked.validation.repairs == []
    assert checked.tables[0].rows[3].cells[2].value == 17.0
    assert [v.rule for v in checked.validation.violations if v.severity == "error"] == ["hierarchy"]


def test_edits_are_found_against_the_machine_record(clean_doc: Document) -> None:
    written = stamp(clean_doc)
    assert written.meta[MACHINE_KEY]["t1"]["3:2"] == "12.0 12.00"
    assert written.meta[MACHINE_KEY]["t1"]["3:1"] == " 行政运行"  # no value
    edited = written.model_copy(deep=True)
    edited.tables[0].rows[3].cells[2].value = 1234.5  # value edited, text left as OCR read it
    edited.tables[0].rows[6].cells[2].text = "19.00"  # text edited, value left stale
    doc, n = apply_human_edits(edited)
    assert n == 2
    value_cell, text_cell = doc.tables[0].rows[3].cells[2], doc.tables[0].rows[6].cells[2]
    assert (value_cell.source, value_cell.text, value_cell.value) == ("human", "1,234.50", 1234.5)
    assert (text_cell.source, text_cell.text, text_cell.value) == ("human", "19.00", 19.0)
    assert [c.source for r in doc.tables[0].rows for c in r.cells].count("human") == 2
    assert apply_human_edits(written)[1] == 0  # an untouched file has no edits


def _edit_value(path: Path, code: str, value: float) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    row = next(r for r in data["tables"][0]["rows"] if r["code"] == code)
    row["cells"][2]["value"] = value
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_human_edit_survives_validate_and_shows_in_every_export(
    tmp_path: Path, misread_doc: Document, capsys: pytest.CaptureFixture[str]
) -> None:
    # the machine read 17.00 and repaired it to 12.00; a person who checked the paper says 17.00 after all
    out = write_document_outputs(annotate_and_validate(misread_doc), tmp_path / "bureau")
    assert json.loads((out / "document.json").read_text())["tables"][0]["rows"][3]["cells"][2]["value"] == 12.0
    _edit_value(out / "document.json", "2010601", 17.0)
    assert main(["validate", str(out)]) == 3  # the person's value breaks 20106 = Σ项: reported, not repaired
    assert "FAILED" in capsys.readouterr().out
    doc = Document.load(out / "document.json")
    cell = doc.tables[0].rows[3].cells[2]
    assert (cell.value, cell.text, cell.source, cell.repair) == (17.0, "17.00", "human", None)
    assert doc.validation.repairs == []
    t1 = list(csv.reader((out / "tables" / "t1.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert t1[4][3:] == ["2010601", "行政运行", "17.00"]
    facts = list(csv.DictReader((out / "facts.csv").read_text(encoding="utf-8-sig").splitlines()))
    row = next(r for r in facts if r["subject_code"] == "2010601")
    assert (row["value"], row["value_yuan"], row["human"], row["repaired"]) == ("17.00", "170000", "true", "false")
    assert "| 2010601 | 行政运行 | 17.00‡ |" in (out / "document.md").read_text(encoding="utf-8")
    assert 'class="human num" title="given by a person">17.00</td>' in (out / "document.html").read_text()
    ws = load_workbook(out / "tables.xlsx").worksheets[0]
    assert ws.cell(row=6, column=6).value == pytest.approx(17.0)
    assert ws.cell(row=6, column=6).fill.fgColor.rgb.endswith("CFE3FF")
    # a second validate finds no new edit and still keeps the person's value
    assert main(["validate", str(out), "--fail-on", "never"]) == 0
    assert Document.load(out / "document.json").tables[0].rows[3].cells[2].value == 17.0


def test_validate_on_an_output_root_rewrites_the_batch_facts(tmp_path: Path, clean_doc: Document) -> None:
    import pandas as pd

    from juesuan.io.facts import write_batch_facts

    docs = [(name, annotate_and_validate(clean_doc)) for name in ("a", "b")]
    for name, doc in docs:
        write_document_outputs(doc, tmp_path / name)
    write_batch_facts(tmp_path, docs)
    _edit_value(tmp_path / "b" / "document.json", "2080501", 18.5)
    assert main(["validate", str(tmp_path), "--fail-on", "never"]) == 0
    facts = pd.read_parquet(tmp_path / "facts.parquet")
    edited = facts[(facts.document == "b") & (facts.subject_code == "2080501")].iloc[0]
    assert (edited.value, edited.human) == (18.5, True)
    assert facts[(facts.document == "a") & (facts.subject_code == "2080501")].value.tolist() == [18.0]
    assert len(pd.read_csv(tmp_path / "facts.csv", encoding="utf-8-sig")) == 14
