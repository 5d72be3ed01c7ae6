"""Issue 12 measurement: families/split config, seeded page sampling, defect counts, raw ceiling, SLANet+ rows."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from juesuan.datamodel.document import Cell, Column, Document, PageInfo, Row, Source, Table
from juesuan.datamodel.page import Token
from juesuan.errors import ConfigError
from juesuan.evaluation.defects import ceiling_hits, document_defects, looks_numeric, ocr_values, pooled
from juesuan.evaluation.families import load_families
from juesuan.evaluation.harness import sample_pages
from juesuan.evaluation.peers import slanet_rows
from juesuan.evaluation.truth import TruthPage

ROOT = Path(__file__).resolve().parents[2]
WIDE = ROOT / "configs" / "eval" / "wide.yaml"
SHARED = ROOT.parent / "shared" / "data"


def test_every_shared_document_has_one_family_and_a_split() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"needs {SHARED} (../shared beside the checkout; CI has it)")
    split = load_families(WIDE)
    listed = {Path(p).name for p in split.paths(Path("."))}
    on_disk = {p.name for p in (SHARED / "real").glob("*.pdf")} | {p.name for p in (SHARED / "real-wide").glob("*.pdf")}
    assert len(on_disk) == 39
    assert listed == on_disk
    assert {f.split for f in split.families.values()} == {"dev", "held_out"}
    # split by region: Shanghai (where every earlier threshold was tuned) is dev; the central template is held out
    assert split.split_of("shanghai-putuo-commerce_2025_部门预算.pdf") == "dev"
    assert split.family_of("yantai_audit_2026_部门预算.pdf") == "yantai"
    assert split.split_of("yantai_audit_2026_部门预算.pdf") == "held_out"
    assert split.excluded("national-template_部门决算模板.pdf")
    assert split.family_of("unknown.pdf") == "(no family)"


def test_a_document_in_two_families_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "f.yaml"
    bad.write_text(
        "families:\n"
        "  a: {region: x, split: dev, documents: [real/a.pdf]}\n"
        "  b: {region: y, split: held_out, documents: [real-wide/a.pdf]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"a\.pdf"):
        load_families(bad)


def _tp(doc: str, page: int) -> TruthPage:
    return TruthPage(doc=doc, page=page, dpi=200, width=10, height=10, tables=(), cells=())


def test_page_sample_is_seeded_per_document_and_independent_of_the_others() -> None:
    a = [_tp("a.pdf", i) for i in range(12)]
    b = [_tp("b.pdf", i) for i in range(3)]
    one = sample_pages(a + b, 2, seed=7)
    alone = sample_pages(a, 2, seed=7)
    assert [p.page for p in one if p.doc == "a.pdf"] == [p.page for p in alone]
    assert [p.page for p in one if p.doc == "b.pdf"] == [0, 1]  # page order kept
    assert len(one) == 4
    assert sample_pages(a, 2, seed=7) == alone


@pytest.mark.parametrize(
    ("text", "numeric"),
    [("202:24", True), ("1O5.00", True), ("12;291,733.0", True), ("3,4l2.00", True), ("201", True)],
)
def test_ocr_confusables_look_numeric(text: str, numeric: bool) -> None:
    assert looks_numeric(text) is numeric


@pytest.mark.parametrize("text", ["一般公共服务支出", "", "，,", "-", "合计 12"])
def test_words_and_dashes_do_not_look_numeric(text: str) -> None:
    assert looks_numeric(text) is False


def _doc() -> Document:
    rows = [
        Row(index=0, kind="header", cells=[Cell(col=1, text="2025", value=2025.0)]),
        Row(
            index=1,
            code="201",
            name="一般公共服务支出",
            cells=[Cell(col=0, text="201", label="CODE"), Cell(col=2, text="1,204.50", value=1204.5, label="AMOUNT")],
        ),
        Row(
            index=2, cells=[Cell(col=2, text="88.00", value=88.0, label="AMOUNT"), Cell(col=3, text="7.00", value=7.0)]
        ),
        Row(index=3, name="人大事务", cells=[Cell(col=2, text="202:24", value=None, label="AMOUNT")]),
    ]
    table = Table(id="t1", pages=[0], bbox=[0, 0, 100, 100], rows=rows, orphans=1)
    return Document(
        source=Source(path="x.png", sha256="", pages=1),
        pages=[PageInfo(index=0, width=100, height=100, dpi=200)],
        tables=[table],
    )


def test_defects_count_orphans_and_numeric_nulls_as_shares_of_amounts() -> None:
    counts = document_defects(_doc())
    # amounts: 1,204.50 + 88.00 + 7.00 + the null 202:24; the header's 2025 and the CODE cell are not amounts
    assert counts == {"amounts": 4, "orphans": 2, "null_numeric": 1, "orphans_reported": 1, "null_numeric_reported": 0}
    shares = pooled([{**counts, "cells": 10, "ok": 9}])
    assert shares["orphan_share"] == 0.5 and shares["null_numeric_share"] == 0.25 and shares["value_accuracy"] == 0.9


def test_group_and_line_number_columns_and_one_row_records_are_not_defects() -> None:
    """Merged-tree `scan` run (1 page per document): 17 orphans and 20 numeric nulls counted, 2 and 0 reported by the
    pipeline. The nulls were the ``分组`` cells (``1``) of side-by-side tables; the orphans were 三公经费 records (one
    unlabelled row of amounts under the headers), which the pipeline's Table.orphans rightly does not count."""
    side = Table(
        id="t1",
        pages=[0],
        bbox=[0, 0, 100, 100],
        columns=[Column(index=i, header=h) for i, h in enumerate(["分组", "项目", "行次", "金额"])],
        rows=[
            Row(
                index=i,
                name=name,
                cells=[
                    Cell(col=0, text="1"),
                    Cell(col=1, text=name, label="NAME"),
                    Cell(col=2, text=str(i + 1), value=float(i + 1)),
                    Cell(col=3, text="5.00", value=5.0, label="AMOUNT"),
                ],
            )
            for i, name in enumerate(["一、一般公共服务支出", "二、外交支出"])
        ]
        + [Row(index=2, cells=[Cell(col=0, text="1"), Cell(col=2, text="3", value=3.0)])],
    )
    record = Table(
        id="t2",
        pages=[0],
        bbox=[0, 0, 100, 100],
        rows=[Row(index=0, cells=[Cell(col=0, text="346.30", value=346.3), Cell(col=1, text="288.70", value=288.7)])],
    )
    doc = Document(
        source=Source(path="x.png", sha256="", pages=1),
        pages=[PageInfo(index=0, width=100, height=100, dpi=200)],
        tables=[side, record],
    )
    side.rows[0].code = "201"
    side.rows[0].cells.append(Cell(col=4, text="201"))  # an unlabelled 类 code cell: no value on purpose
    counts = document_defects(doc)
    assert (counts["amounts"], counts["orphans"], counts["null_numeric"]) == (4, 0, 0)
    # the same record next to a labelled row is a row of orphans again
    record.rows.append(Row(index=1, name="合计", cells=[Cell(col=0, text="1.00", value=1.0)]))
    assert document_defects(doc)["orphans"] == 2


def test_raw_ceiling_matches_values_as_a_multiset() -> None:
    tokens = [Token("一般公共服务支出 1,204.50", (0, 0, 200, 20)), Token("88.00 88", (0, 30, 100, 50))]
    assert ocr_values(tokens)[Decimal("88")] == 2
    truth = [Decimal("1204.50"), Decimal("88.00"), Decimal("88.00"), Decimal("88.00"), Decimal("3.10")]
    assert ceiling_hits(truth, tokens) == 3


def test_slanet_rows_fill_cells_with_ocr_and_keep_row_keys() -> None:
    structure = (
        "<tbody>",
        "<tr>",
        "<td></td>",
        "<td></td>",
        "<td></td>",
        "</tr>",
        "<tr>",
        "<td></td>",
        "<td></td>",
        "<td></td>",
        "</tr>",
        "</tbody>",
    )
    cells = np.array(
        [[0, 0, 50, 20], [50, 0, 200, 20], [200, 0, 300, 20], [0, 20, 50, 40], [50, 20, 200, 40], [200, 20, 300, 40]],
        dtype=float,
    )
    pieces = [
        Token("201", (5, 3, 40, 17)),
        Token("一般公共服务支出", (60, 3, 190, 17)),
        Token("1,204.50", (210, 3, 290, 17)),
        Token("20101", (5, 23, 45, 37)),
        Token("人大事务", (60, 23, 120, 37)),
        Token("88.00", (230, 23, 290, 37)),
        Token("stray", (400, 400, 420, 410)),
    ]
    rows = slanet_rows(structure, cells, pieces)
    assert [(r.code, r.name, [c.text for c in r.cells]) for r in rows] == [
        ("201", "一般公共服务支出", ["1,204.50"]),
        ("20101", "人大事务", ["88.00"]),
    ]
    assert rows[1].cells[0].bbox == [200.0, 20.0, 300.0, 40.0]  # the cell's box, not the OCR line's


def _run(tmp: Path, name: str, degrade: str, docs: dict[str, dict[str, object]]) -> Path:
    import json

    path = tmp / f"{name}.json"
    metrics = {"groups": {"by_document": docs}}
    path.write_text(json.dumps({"options": {"degrade": degrade, "dpi": 150}, "metrics": metrics}), encoding="utf-8")
    return path


def test_wide_table_merges_runs_of_one_preset_and_drops_excluded(tmp_path: Path) -> None:
    from juesuan.evaluation.wide import load_runs, markdown

    row = {"documents": 1, "pages": 1, "amounts": 10, "orphans": 1, "null_numeric": 0, "ceiling_cells": 10}
    a = _run(
        tmp_path,
        "a",
        "fax",
        {"a.pdf": {**row, "cells": 10, "ok": 9, "ceiling_hits": 10, "family": "f", "split": "dev"}},
    )
    b = _run(
        tmp_path,
        "b",
        "fax",
        {
            "b.pdf": {**row, "cells": 30, "ok": 15, "ceiling_hits": 5, "family": "g", "split": "held_out"},
            "bad.pdf": {**row, "cells": 5, "ok": 0, "family": "g", "split": "held_out"},
        },
    )
    ((name, metrics),) = load_runs([a, b], exclude=("bad.pdf",))
    assert name == "fax 150"
    groups = metrics["groups"]
    assert groups["all"]["cells"] == 40 and groups["all"]["value_accuracy"] == 0.6
    assert groups["by_split"]["held_out"]["raw_ceiling"] == 0.5
    assert groups["by_family"]["f"]["worst_document_accuracy"] == 0.9
    table = markdown([(name, metrics)])
    assert "| f | dev | 1 | 1 | 10 | 90.00% (100.00%) |" in table
    assert "bad.pdf" not in table and "| b.pdf | g | 50.00% (50.00%) |" in table
