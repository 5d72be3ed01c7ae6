"""Speed work must not move a value: document.json of two real pages, pinned (issue 14, the CPU budget).

The golden file holds what a reader of document.json sees on the finance bureau 决算's 收入支出决算总表 (pages 5
and 6 at 200 dpi, the default scan settings): every table's rows and cells (text, value, label, box) and each
page's rotation and skew. It was written by the tree *before* the CPU-budget changes (16-bit grid labels, uint8 red
test, shared orientation analyses), so it shows they change nothing. A change that is meant to move outputs
(better rule recovery, a new model) regenerates it on purpose and says so in its commit:

    PYTHONPATH=. python tests/inference/test_page_outputs_golden.py --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "finance-bureau-2024-p5-6.json"
PAGES = (5, 6)


def page_outputs(pdf: Path) -> dict[str, Any]:
    """The parts of document.json that speed work must keep: tables (rows, cells) and page geometry."""
    from juesuan.inference.pipeline import Pipeline
    from juesuan.options import load_options

    doc = Pipeline(load_options()).run_document(pdf, pages=PAGES, sha256="-")
    return {
        "pages": [{"index": p.index, "rotation": p.rotation, "skew_deg": p.skew_deg} for p in doc.pages],
        "tables": [
            {
                "pages": t.pages,
                "bbox": [round(v, 1) for v in t.bbox],
                "rows": [
                    {
                        "code": r.code,
                        "name": r.name,
                        "kind": r.kind,
                        "cells": [[c.col, c.text, c.value, c.label, [round(v, 1) for v in c.bbox]] for c in r.cells],
                    }
                    for r in t.rows
                ],
            }
            for t in doc.tables
        ],
    }


def test_the_golden_file_is_not_rewritten_by_tests() -> None:
    assert "--write" not in sys.argv  # only the command in the docstring writes it


@pytest.mark.slow
def test_two_real_pages_give_the_pinned_outputs(finance_pdf: Path) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = json.loads(json.dumps(page_outputs(finance_pdf), ensure_ascii=False))  # tuples → lists, as stored
    assert got["pages"] == expected["pages"]
    assert len(got["tables"]) == len(expected["tables"])
    for g, e in zip(got["tables"], expected["tables"], strict=True):
        assert g["bbox"] == e["bbox"]
        assert [r["name"] for r in g["rows"]] == [r["name"] for r in e["rows"]]
        assert g["rows"] == e["rows"]
    assert sum(len(r["cells"]) for t in expected["tables"] for r in t["rows"]) > 50  # the pages really were read


if __name__ == "__main__":  # regenerate on purpose (see the module docstring)
    if "--write" in sys.argv:
        root = Path(__file__).resolve().parents[2]
        pdf = root.parent / "shared" / "data" / "real" / "shanghai-putuo-finance-bureau_2024_决算.pdf"
        if not pdf.exists():
            pdf = root / "tests" / "fixtures" / "real" / "finance-bureau-2024" / pdf.name
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(page_outputs(pdf), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {GOLDEN}")
