"""Token-label entity F1: exact numbers on a hand-made case; gold labels from a real page's text layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from juesuan.datamodel.document import Cell, Document, PageInfo, Row, Source, Table
from juesuan.datamodel.labelled import LabelledToken
from juesuan.evaluation.gold import GoldLabel
from juesuan.evaluation.labels import gold_cells, label_metrics, match_labels


def _doc(cells: list[Cell]) -> Document:
    return Document(
        source=Source(path="x.png", sha256="", pages=1),
        pages=[PageInfo(index=0, width=1000, height=1000, dpi=200)],
        tables=[Table(id="t1", pages=[0], bbox=[0, 0, 1000, 1000], rows=[Row(index=0, cells=cells)])],
    )


def test_one_mislabelled_cell_gives_exact_scores() -> None:
    gold = [
        GoldLabel(0, 1, 0, "NAME", (10, 110, 90, 130), "工资福利支出"),
        GoldLabel(0, 1, 1, "AMOUNT", (110, 110, 190, 130), "1.00"),
        GoldLabel(0, 2, 1, "AMOUNT", (110, 210, 190, 230), "2.00"),  # no predicted cell here: a miss
        GoldLabel(0, 0, 0, "HEADER", (10, 10, 90, 30), "项目"),  # not a document cell: unscored
    ]
    doc = _doc(
        [
            Cell(col=0, text="工资福利支出", label="NAME", bbox=[0, 100, 100, 140]),
            Cell(col=1, text="1.00", label="CODE", bbox=[100, 100, 200, 140]),  # wrong label
        ]
    )
    outcomes = match_labels("x.png", 0, gold, doc)
    assert [o.predicted for o in outcomes] == ["NAME", "CODE", None, None]
    m = label_metrics(outcomes)
    # TP: NAME 1. FN: AMOUNT 2 (one mislabelled, one uncovered). FP: CODE 1.
    assert m["label_cells"] == 3
    assert m["label_uncovered"] == 1
    assert m["label_precision"] == 0.5
    assert m["label_recall"] == round(1 / 3, 6)
    assert m["label_f1"] == 0.4  # 2*1 / (2*1 + 1 + 2)
    assert m["per_label"]["NAME"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "support": 1,
        "tp": 1,
        "fp": 0,
        "fn": 0,
    }
    assert m["per_label"]["AMOUNT"]["recall"] == 0.0 and m["per_label"]["AMOUNT"]["support"] == 2
    assert m["per_label"]["CODE"]["precision"] == 0.0 and m["per_label"]["CODE"]["support"] == 0
    assert "HEADER" not in m["per_label"]


def test_body_cell_labelled_header_costs_precision() -> None:
    gold = [GoldLabel(0, 1, 0, "NAME", (10, 110, 90, 130), "工资福利支出")]
    outcomes = match_labels("x.png", 0, gold, _doc([Cell(col=0, text="x", label="HEADER", bbox=[0, 100, 100, 140])]))
    m = label_metrics(outcomes)
    assert m["label_f1"] == 0.0 and m["label_body_as_header"] == 1 and m["label_uncovered"] == 0


def test_header_read_as_body_is_a_false_positive_and_scale_maps_boxes() -> None:
    gold = [GoldLabel(0, 0, 0, "HEADER", (10, 10, 90, 30), "项目")]
    doc = _doc([Cell(col=0, text="项目", label="NAME", bbox=[0, 0, 200, 80])])  # doc at twice the gold dpi
    outcomes = match_labels("x.png", 0, gold, doc, scale=2.0)
    assert outcomes[0].predicted == "NAME"
    m = label_metrics(outcomes)
    assert m["label_cells"] == 0 and m["per_label"]["NAME"]["fp"] == 1 and m["label_precision"] == 0.0


def test_gold_cells_join_the_lines_of_one_cell() -> None:
    tokens = [
        LabelledToken(text="一般公共", bbox=[10, 10, 50, 20], label="NAME", table=0, row=3, col=1),
        LabelledToken(text="服务支出", bbox=[10, 22, 48, 32], label="NAME", table=0, row=3, col=1),
        LabelledToken(text="12.00", bbox=[60, 10, 90, 20], label="AMOUNT", table=0, row=3, col=2),
        LabelledToken(text="单位：万元", bbox=[0, 0, 40, 8], label="UNIT"),  # outside tables: not an entity
    ]
    gold = gold_cells(tokens)
    assert [(g.label, g.text, g.bbox_px) for g in gold] == [
        ("NAME", "一般公共服务支出", (10, 10, 50, 32)),
        ("AMOUNT", "12.00", (60, 10, 90, 20)),
    ]


@pytest.mark.slow
def test_label_f1_on_a_real_finance_page(finance_pdf: Path, tmp_path: Path) -> None:
    from juesuan.evaluation.harness import EvaluateOptions, evaluate

    options = EvaluateOptions(dpi=150, degrade="clean", max_pages=1, mlflow=False, worst_pages=0)
    result = evaluate([finance_pdf], tmp_path, options)
    m = result["metrics"]
    assert m["label_cells"] >= 30  # page 6: 34 names, 8 amounts, 2 totals
    assert {"NAME", "AMOUNT"} <= set(m["labels"])
    assert m["label_f1"] > 0.9
    assert "token-label micro F1" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_labelled_page_truth_carries_gold_and_mlflow_gets_label_f1() -> None:
    from juesuan.datamodel.labelled import LabelledCell, LabelledPage, LabelledTable
    from juesuan.evaluation.harness import _flat_metrics
    from juesuan.evaluation.truth import labelled_page_truth

    tokens = [
        LabelledToken(text="项目", bbox=[10, 10, 90, 30], label="HEADER", table=0, row=0, col=0),
        LabelledToken(text="合计", bbox=[10, 110, 90, 130], label="TOTAL_LABEL", table=0, row=1, col=0),
        LabelledToken(text="3.00", bbox=[110, 110, 190, 130], label="AMOUNT", table=0, row=1, col=1),
    ]
    cells = [LabelledCell(row=t.row, col=t.col, bbox=t.bbox, text=t.text, header=t.row == 0) for t in tokens]
    page = LabelledPage(
        id="s#0",
        image="s.png",
        sha256="",
        width=200,
        height=200,
        dpi=100,
        source="synth",
        document="s",
        tokens=tokens,
        tables=[LabelledTable(bbox=[0, 0, 200, 200], n_rows=2, n_cols=2, cells=cells)],
    )
    truth = labelled_page_truth(page)
    assert [(g.label, g.text) for g in truth.labels] == [
        ("HEADER", "项目"),
        ("TOTAL_LABEL", "合计"),
        ("AMOUNT", "3.00"),
    ]
    doc = _doc([Cell(col=0, text="合计", label="TOTAL_LABEL", bbox=[0, 200, 200, 280])])  # doc at 200 dpi
    m = label_metrics(match_labels("s", 0, truth.labels, doc, scale=2.0))
    assert m["label_recall"] == 0.5 and m["label_precision"] == 1.0
    flat = _flat_metrics({**m, "labels": m.pop("per_label")})
    assert flat["label_f1"] == round(2 / 3, 6) and flat["label_f1_TOTAL_LABEL"] == 1.0 and "label_f1_AMOUNT" in flat
