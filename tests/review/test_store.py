"""Review edits applied to document.json: value, label, position; identities re-checked; exports and log written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from juesuan.datamodel.document import Document
from juesuan.review import log as corrections
from juesuan.review.store import CellEdit, EditError, ReviewStore, SaveRequest, apply_edits

FIX = CellEdit(table="t1", row=2, col=2, text="84.65")


def _errors(doc: Document) -> list[str]:
    return sorted(v.rule for v in doc.validation.violations if v.severity == "error")


def test_planted_value_fails_and_the_fix_passes_without_writing(review_out: Path) -> None:
    store = ReviewStore(review_out)
    assert list(store.documents()) == ["finance"]
    before = (review_out / "finance" / "document.json").read_bytes()
    assert _errors(store.load("finance")) == ["column_total", "hierarchy"]
    checked = store.check("finance", [FIX])
    assert _errors(checked) == []
    assert (review_out / "finance" / "document.json").read_bytes() == before  # check writes nothing


def test_save_marks_the_cell_human_rewrites_exports_and_logs(review_out: Path) -> None:
    store = ReviewStore(review_out)
    folder = review_out / "finance"
    store.save("finance", SaveRequest(edits=[FIX], confirm_tables=["t1"], reviewer="tester"))
    doc = Document.load(folder / "document.json")
    cell = doc.tables[0].rows[2].cell(2)
    assert (cell.text, cell.value, cell.source) == ("84.65", 84.65, "human")
    assert doc.validation.passed and _errors(doc) == []
    assert doc.meta["review"]["edits"] == 1 and doc.meta["review"]["confirmed"] == ["t1"]
    with (folder / "tables" / "t1.csv").open(encoding="utf-8-sig") as fh:
        line = next(r for r in csv.reader(fh) if r[0] == "2080501")
    assert line[5] == "84.65"
    assert (folder / "pages" / "page-001.png").is_file()  # kept through the atomic rewrite
    records = list(corrections.read(folder))
    assert [r.kind for r in records] == ["edit", "confirm"]
    assert records[0].before.text == "94.65" and records[0].after.text == "84.65"
    assert records[0].reviewer == "tester" and records[0].pages == [0] and records[0].document == "finance"
    store.save("finance", SaveRequest(confirm_tables=["t1"]))  # a second save appends, never truncates
    assert [r.kind for r in corrections.read(folder)] == ["edit", "confirm", "confirm"]


def test_label_and_position_edits(review_out: Path) -> None:
    doc = ReviewStore(review_out).load("finance")
    edited, records = apply_edits(doc, [CellEdit(table="t1", row=5, col=3, label="TOTAL_LABEL", to_col=4)])
    row = edited.tables[0].rows[5]
    assert row.cell(4).text == "0.94" and row.cell(4).label == "TOTAL_LABEL" and row.cell(4).source == "human"
    assert row.cell(3).text == "" and row.cell(3).source is None  # an empty cell stays where it was
    assert (records[0].before.col, records[0].after.col) == (3, 4)
    renamed, _ = apply_edits(doc, [CellEdit(table="t1", row=3, col=1, text="基本养老保险缴费")])
    assert renamed.tables[0].rows[3].name == "基本养老保险缴费"  # the row name follows its cell
    with pytest.raises(EditError, match="not empty"):
        apply_edits(doc, [CellEdit(table="t1", row=5, col=3, to_col=2)])
    with pytest.raises(EditError, match="no row 99"):
        apply_edits(doc, [CellEdit(table="t1", row=99, col=0, text="x")])
    assert doc.tables[0].rows[5].cell(3).text == "0.94"  # the input document is never changed


def test_failing_tables_come_first(review_out: Path, tmp_path: Path) -> None:
    from juesuan.io.export import write_document_outputs

    store = ReviewStore(review_out)
    fixed = store.check("finance", [FIX])
    write_document_outputs(fixed, review_out / "a-clean")  # sorts before "finance" by name
    summary = store.summary()
    assert [d["id"] for d in summary] == ["finance", "a-clean"]
    assert summary[0]["errors"] == 2 and summary[1]["errors"] == 0
    assert json.loads((review_out / "a-clean" / "document.json").read_text(encoding="utf-8"))["tables"]


def test_repair_never_reverts_a_human_value(review_out: Path) -> None:
    """Bug (issue 16): `validate` and every save re-ran repair, which 'fixed' a value a person had typed."""
    from juesuan.options import ValidationOptions
    from juesuan.validation.check import annotate_and_validate

    store = ReviewStore(review_out)
    doc = store.load("finance")
    machine = annotate_and_validate(doc, ValidationOptions(repair=True))
    assert machine.tables[0].rows[2].cell(2).text == "84.65"  # repair alone fixes the planted 94.65
    human, _ = apply_edits(doc, [CellEdit(table="t1", row=2, col=2, text="94.65")])  # a person insists
    checked = annotate_and_validate(human, ValidationOptions(repair=True))
    assert checked.tables[0].rows[2].cell(2).text == "94.65" and _errors(checked) == ["column_total", "hierarchy"]
