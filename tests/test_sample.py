"""The README's first command extracts the bundled scanned sample: pin what a person checked against the source PDF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from juesuan.cli import main
from juesuan.datamodel.strict import undeclared_fields

SAMPLE = Path(__file__).resolve().parent.parent / "datasets" / "samples" / "finance-bureau-2024_scan.pdf"


@pytest.mark.slow
def test_bundled_sample_extracts_three_clean_tables(tmp_path: Path) -> None:
    assert main(["extract", str(SAMPLE), "-o", str(tmp_path), "--no-previews"]) == 0
    doc = json.loads((tmp_path / "finance-bureau-2024_scan" / "document.json").read_text(encoding="utf-8"))
    titles = [t["title"] for t in doc["tables"]]
    assert titles == ["收入决算表", "一般公共预算财政拨款基本支出决算表", "财政拨款“三公”经费支出决算表"]
    income = doc["tables"][0]
    assert income["pages"] == [0, 1]  # 续表 merged
    row = next(r for r in income["rows"] if r["code"] == "2010601")
    assert row["name"] == "行政运行"
    assert [c["value"] for c in row["cells"] if c["value"] is not None][:2] == [1511.90, 1511.89]
    basic = doc["tables"][1]
    assert basic["pages"] == [2, 3]
    assert any(r["code"] == "30226" and r["name"] == "劳务费" for r in basic["rows"])
    assert [v for v in doc["validation"]["violations"] if v["severity"] == "error"] == []
    assert (tmp_path / "finance-bureau-2024_scan" / "validation.md").is_file()
    # analyst outputs (issue 15): the 三公 table keeps the 单位：万元 printed above it on page 5
    assert [t["unit"] for t in doc["tables"]] == ["万元", "万元", "万元"]
    assert doc["info"]["kind"] == "决算"  # no cover in the sample: from the table titles
    for name in ("document.md", "document.html", "facts.csv", "tables.xlsx"):
        assert (tmp_path / "finance-bureau-2024_scan" / name).is_file()
    import pandas as pd

    facts = pd.read_parquet(tmp_path / "facts.parquet")
    amounts = sum(c["value"] is not None for t in doc["tables"] for r in t["rows"] for c in r["cells"])
    assert len(facts) == amounts
    row = facts[(facts.subject_code == "2010601") & (facts.column == "income_total")].iloc[0]
    assert (row.value, row.value_yuan, row.page) == (1511.90, 15_119_000.0, 1)
    assert undeclared_fields(doc) == []  # every field of the OCR extraction is declared (tests/test_document_schema.py)
