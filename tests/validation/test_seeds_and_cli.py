import json
from pathlib import Path

import pytest

from juesuan.cli import main
from juesuan.datasets.seeds import load_seed_document
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate

SHARED_SEEDS = Path(__file__).resolve().parents[3] / "shared" / "data" / "seeds"
VENDORED_SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "seeds"  # a copy: tests stand alone
DAZHOU = (SHARED_SEEDS if SHARED_SEEDS.is_dir() else VENDORED_SEEDS) / "dazhou-hrss-info-center_2024_预算.txt"


@pytest.fixture(scope="module")
def dazhou():
    if not DAZHOU.exists():
        pytest.fail(f"{DAZHOU} missing: tests/fixtures/real/seeds holds a copy")
    return load_seed_document(DAZHOU)


def test_seed_tables_parse_into_typed_tables(dazhou) -> None:
    titles = [t.title for t in dazhou.tables]
    assert "部门支出总表" in titles
    t = next(t for t in dazhou.tables if t.title == "部门支出总表")
    row = next(r for r in t.rows if r.code == "2080505")
    assert row.name and row.name.replace(" ", "") == "机关事业单位基本养老保险缴费支出"
    assert [c.text for c in row.cells][5:7] == ["69.30", "69.30"]
    summary = dazhou.tables[0]
    assert summary.columns[0].header == "分组" and {r.cells[0].text for r in summary.rows} == {"收 入", "支 出"}


def test_seed_document_validates_without_errors(dazhou) -> None:
    doc = annotate_and_validate(dazhou, ValidationOptions())
    assert doc.validation.passed and doc.validation.repairs == []
    assert doc.validation.checks > 100
    types = {t.title: t.type for t in doc.tables}
    assert types["部门收支总表"] == "budget.summary" and types["财政拨款支出预算表"] == "budget.fiscal_expenditure"


def test_cli_validate_rewrites_document_and_writes_report(dazhou, tmp_path: Path) -> None:
    doc = dazhou.model_copy(deep=True)
    t = next(t for t in doc.tables if t.title == "部门支出总表")
    cell = next(r for r in t.rows if r.code == "2080505").cell(6)
    cell.text = "89.30"  # a person's typo (6→8), the kind repair undoes
    out = tmp_path / "doc" / "document.json"
    out.parent.mkdir()
    out.write_text(doc.to_json(), encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["validation"]["repairs"][0]["original_text"] == "89.30"
    report = (out.parent / "validation.md").read_text(encoding="utf-8")
    assert "## Repairs" in report and "89.30" in report and "69.30" in report
    assert main(["validate", "--no-repair", str(out)]) == 0
    again = json.loads(out.read_text(encoding="utf-8"))
    assert again["validation"]["repairs"] == []  # the corrected value is kept; nothing left to repair
