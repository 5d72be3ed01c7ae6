"""document.md, document.html, facts.csv/parquet and the XLSX marks, on a table whose identities are known."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from juesuan.datamodel.document import Document
from juesuan.io.export import formats_overrides, write_document_outputs
from juesuan.io.facts import FACT_COLUMNS, document_facts, unit_factor, write_batch_facts
from juesuan.options import ExportOptions
from juesuan.validation.check import annotate_and_validate


def _facts(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


def test_unit_factor_knows_the_printed_units() -> None:
    assert unit_factor("万元") == Decimal(10000)
    assert unit_factor("单位：元") == Decimal(1)
    assert unit_factor("亿元") == Decimal(10**8)
    assert unit_factor(None) is None
    assert unit_factor("美元") is None  # unknown units are never guessed


def test_facts_one_row_per_amount_with_document_and_yuan(tmp_path: Path, clean_doc: Document) -> None:
    out = write_document_outputs(annotate_and_validate(clean_doc), tmp_path / "bureau")
    rows = _facts(out / "facts.csv")
    assert list(rows[0]) == list(FACT_COLUMNS)
    assert len(rows) == 7  # seven amounts, codes and names are not facts
    row = next(r for r in rows if r["subject_code"] == "2010601")
    assert row["document"] == "bureau"
    assert (row["issuer"], row["year"], row["kind"]) == ("上海市普陀区财政局", "2024", "决算")
    assert (row["table_type"], row["unit"], row["page"]) == ("final.general_budget_expenditure", "万元", "1")
    assert (row["subject_name"], row["column"], row["column_header"]) == ("行政运行", "final_amount", "决算数")
    assert (row["value"], row["value_yuan"]) == ("12.00", "120000")
    assert (row["repaired"], row["human"], row["violated"]) == ("false", "false", "false")


def test_repaired_cell_is_marked_in_facts_markdown_html_and_xlsx(tmp_path: Path, misread_doc: Document) -> None:
    checked = annotate_and_validate(misread_doc)
    assert len(checked.validation.repairs) == 1
    out = write_document_outputs(checked, tmp_path / "bureau", previews={0: b"png"})
    row = next(r for r in _facts(out / "facts.csv") if r["subject_code"] == "2010601")
    assert (row["value"], row["repaired"]) == ("12.00", "true")
    md = (out / "document.md").read_text(encoding="utf-8")
    assert "| 2010601 | 行政运行 | 12.00† |" in md
    assert "单位 unit: 万元 · pages 1" in md
    assert "repaired row 4, col 3: 17.00 → 12.00" in md
    html = (out / "document.html").read_text(encoding="utf-8")
    assert '<td class="repaired num" title="repaired: OCR read 17.00">12.00</td>' in html
    assert '<a href="pages/page-001.png">1</a>' in html
    ws = load_workbook(out / "tables.xlsx").worksheets[0]
    cell = ws.cell(row=3 + 3, column=4 + 2)  # title line, header line, rows 0..3; row_code/name/kind first
    assert cell.value == pytest.approx(12.0)
    assert cell.fill.fgColor.rgb.endswith("FFF3B0")
    assert "17.00" in cell.comment.text


def test_violated_cell_is_marked_everywhere(tmp_path: Path, misread_doc: Document) -> None:
    from juesuan.options import ValidationOptions

    checked = annotate_and_validate(misread_doc, ValidationOptions(repair=False))
    errors = [v for v in checked.validation.violations if v.severity == "error"]
    assert [v.rule for v in errors] == ["hierarchy"]
    out = write_document_outputs(checked, tmp_path / "bureau")
    violated = [r["subject_code"] for r in _facts(out / "facts.csv") if r["violated"] == "true"]
    assert violated == ["20106"]  # the identity's target: 20106 should be the sum of its 项
    md = (out / "document.md").read_text(encoding="utf-8")
    assert "| 20106 | 财政事务 | 12.00⚠ |" in md
    assert "- **error** `hierarchy`" in md
    html = (out / "document.html").read_text(encoding="utf-8")
    assert 'class="error num" title="error: hierarchy">12.00</td>' in html
    assert "pages/page-" not in html  # no previews written, so nothing to link to
    ws = load_workbook(out / "tables.xlsx").worksheets[0]
    assert ws.cell(row=3 + 2, column=6).fill.fgColor.rgb.endswith("FFC9C9")


def test_batch_facts_load_with_pandas_one_row_per_amount(tmp_path: Path, clean_doc: Document) -> None:
    other = clean_doc.model_copy(update={"info": clean_doc.info.model_copy(update={"year": 2025})})
    paths = write_batch_facts(tmp_path, [("a", clean_doc), ("b", other)])
    assert [p.name for p in paths] == ["facts.csv", "facts.parquet"]
    frame = pd.read_parquet(tmp_path / "facts.parquet")
    assert len(frame) == 14
    assert list(frame.columns) == list(FACT_COLUMNS)
    assert frame.groupby("year")["value_yuan"].sum().to_dict() == {2024: 1_200_000.0, 2025: 1_200_000.0}
    from_csv = pd.read_csv(tmp_path / "facts.csv", encoding="utf-8-sig", dtype={"subject_code": str})
    assert len(from_csv) == 14
    assert from_csv.loc[from_csv.subject_code == "2010601", "value_yuan"].tolist() == [120000, 120000]


def test_rates_get_no_yuan_value(clean_doc: Document) -> None:
    doc = clean_doc.model_copy(deep=True)
    doc.tables[0].rows[1].cells[2].text = "95.5%"
    doc.tables[0].rows[1].cells[2].value = 95.5
    facts = {f["subject_code"]: f for f in document_facts(doc)}
    assert facts["201"]["value_yuan"] is None
    assert facts["2010601"]["value_yuan"] == Decimal("120000")


def test_formats_choose_the_exports(tmp_path: Path, clean_doc: Document) -> None:
    options = ExportOptions(**formats_overrides("md,facts"))
    out = write_document_outputs(clean_doc, tmp_path / "bureau", previews={0: b"png"}, options=options)
    assert sorted(p.name for p in out.iterdir()) == ["document.json", "document.md", "facts.csv"]
    with pytest.raises(ValueError, match="unknown format"):
        formats_overrides("csv,pdf")


def test_api_views(clean_doc: Document) -> None:
    frame = clean_doc.tables[0].to_pandas()
    assert list(frame.columns) == ["row_code", "row_name", "row_kind", "科目编码", "科目名称", "决算数"]
    assert frame.loc[frame.row_code == "2080501", "决算数"].tolist() == [18.0]
    assert frame.attrs["unit"] == "万元" and frame.attrs["pages"] == [1]
    md = clean_doc.to_markdown()
    assert md.startswith("# 上海市普陀区财政局2024年度部门决算\n\n上海市普陀区财政局 · 2024 · 决算")
    assert "<table>" in clean_doc.to_html() and "pages/page-" not in clean_doc.to_html()
    assert clean_doc.facts()["value_yuan"].sum() == pytest.approx(1_200_000)
