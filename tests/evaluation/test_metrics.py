"""Metrics on tiny hand-made truth/prediction pairs whose answers are known."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from juesuan.datamodel.document import Cell, Column, Document, PageInfo, Row, Source, Table, Validation, Violation
from juesuan.evaluation.metrics import (
    MatchOptions,
    cell_metrics,
    edit_distance,
    identity_metrics,
    match_page,
    name_similarity,
    page_scores,
    row_key_matches,
    summarize,
    table_metrics,
    timing_metrics,
)
from juesuan.evaluation.truth import RowKey, TruthCell, TruthPage, TruthTable


def _truth_cell(code: str | None, name: str | None, x: float, y: float, value: str, table: int = 0) -> TruthCell:
    return TruthCell(
        doc="a.pdf",
        page=0,
        table=table,
        row_key=RowKey(code, name),
        column="决算数",
        x_centre=x,
        y_centre=y,
        value=Decimal(value),
        text=value,
        bbox_px=(x - 20, y - 8, x + 20, y + 8),
        cell_px=(x - 40, y - 12, x + 40, y + 12),
    )


TRUTH = TruthPage(
    doc="a.pdf",
    page=0,
    dpi=200,
    width=1000,
    height=1400,
    tables=(TruthTable(page=0, index=0, bbox_px=(0, 0, 900, 400), n_values=4),),
    cells=(
        _truth_cell("2010601", "行政运行", 500, 100, "1511.89"),
        _truth_cell("2010601", "行政运行", 700, 100, "8.37"),
        _truth_cell("2010602", "一般行政管理事务", 500, 140, "10.00"),
        _truth_cell(None, "合计", 500, 180, "2940.05"),
    ),
)


def _cell(col: int, text: str, x: float, y: float) -> Cell:
    return Cell(col=col, text=text, value=None, bbox=[x - 50, y - 12, x + 50, y + 12], page=0)


def _doc(rows: list[Row], dpi: int = 200) -> Document:
    table = Table(
        id="t1",
        pages=[0],
        bbox=[0, 0, 900, 400],
        columns=[
            Column(index=0, header="科目名称"),
            Column(index=1, header="决算数"),
            Column(index=2, header="项目支出"),
        ],
        rows=rows,
    )
    return Document(
        source=Source(path="/x/a.pdf", sha256="0", pages=1),
        pages=[PageInfo(index=0, width=1000, height=1400, dpi=dpi)],
        tables=[table],
    )


def _good_rows(scale: float = 1.0) -> list[Row]:
    s = scale
    return [
        Row(
            index=0,
            code="2010601",
            name="行政运行",
            cells=[_cell(1, "1,511.89", 500 * s, 100 * s), _cell(2, "8.37", 700 * s, 100 * s)],
        ),
        Row(index=1, code="2010602", name="一般行政管理事务", cells=[_cell(1, "10.00", 500 * s, 140 * s)]),
        Row(index=2, code=None, name="合计", kind="total", cells=[_cell(1, "2,940.05", 500 * s, 180 * s)]),
    ]


def test_perfect_prediction_scores_one() -> None:
    outcomes = match_page(TRUTH, _doc(_good_rows()))
    m = cell_metrics(outcomes)
    assert [o.status for o in outcomes] == ["ok"] * 4
    assert m["value_accuracy"] == 1.0
    assert m["ocr_char_accuracy"] == pytest.approx(
        1 - 2 / 23
    )  # "1,511.89" and "2,940.05" each add a comma to 23 truth chars
    assert m["row_exactness"] == 1.0
    # Predicted cells are 100 x 24 px, truth ruled cells 80 x 24 around the same centre: IoU 0.8.
    assert m["cell_box_iou_mean"] == pytest.approx(0.8) and m["cell_box_iou_50"] == 1.0


def test_wrong_value_wrong_column_and_missing_row() -> None:
    rows = _good_rows()
    rows[0].cells[1] = _cell(2, "8.31", 700, 100)  # misread
    rows[1].cells[0] = _cell(2, "10.00", 700, 140)  # right value, wrong column
    del rows[2]  # 合计 row missing
    outcomes = match_page(TRUTH, _doc(rows))
    assert [o.status for o in outcomes] == ["ok", "wrong_value", "no_cell", "no_row"]
    m = cell_metrics(outcomes)
    assert m["value_accuracy"] == 0.25
    assert m["row_exactness"] == 0.0  # 行政运行 has one wrong cell; the other rows are not found
    assert m["cer"] == pytest.approx(2 / 11)  # located: "1511.89"→"1,511.89" (1) and "8.37"→"8.31" (1) of 11 chars


def test_name_noise_and_code_fallback() -> None:
    rows = _good_rows()
    rows[0] = rows[0].model_copy(update={"code": "2O10601", "name": "行政运行"})  # code misread: name still matches
    rows[1] = rows[1].model_copy(update={"code": None, "name": "一般行政管埋事务"})  # one character misread
    outcomes = match_page(TRUTH, _doc(rows))
    assert [o.status for o in outcomes] == ["ok"] * 4
    assert cell_metrics(outcomes)["row_code_accuracy"] == 0.0  # 3 located cells have a truth code; none exact
    assert cell_metrics(match_page(TRUTH, _doc(_good_rows())))["row_code_accuracy"] == 1.0
    assert not row_key_matches(RowKey("2010602", "一般行政管理事务"), None, "住房公积金")
    assert name_similarity("一、一般公共服务支出", "一般公共服务支出") == 1.0


def test_duplicate_names_pick_nearest_row() -> None:
    rows = _good_rows()
    rows.append(Row(index=3, code=None, name="合计", cells=[_cell(1, "1.00", 500, 380)]))  # another 合计 far below
    outcomes = match_page(TRUTH, _doc(rows))
    assert outcomes[3].status == "ok" and outcomes[3].row_index == 2


def test_dpi_scaling() -> None:
    outcomes = match_page(TRUTH, _doc(_good_rows(scale=1.5), dpi=300))
    assert cell_metrics(outcomes)["value_accuracy"] == 1.0
    assert cell_metrics(match_page(TRUTH, _doc(_good_rows(scale=1.5), dpi=200)))["value_accuracy"] < 1.0


def test_header_requirement() -> None:
    opts = MatchOptions(require_header=True)
    doc = _doc(_good_rows())  # truth says 决算数 for every cell; the 8.37 sits under 项目支出 in the prediction
    assert cell_metrics(match_page(TRUTH, doc, opts))["value_accuracy"] == 0.75
    assert cell_metrics(match_page(TRUTH, doc))["value_accuracy"] == 1.0


def test_table_recall_precision_and_type() -> None:
    page = TruthPage(
        doc="a.pdf",
        page=0,
        dpi=200,
        width=1000,
        height=1400,
        tables=(
            TruthTable(
                page=0, index=0, bbox_px=(0, 0, 900, 400), n_values=4, type="expenditure", title="2024年支出决算表"
            ),
            TruthTable(page=0, index=1, bbox_px=(0, 500, 900, 900), n_values=1),
            TruthTable(page=0, index=2, bbox_px=(0, 1000, 900, 1100), n_values=0),
        ),
        cells=(*TRUTH.cells, _truth_cell(None, "其他收入", 500, 700, "6.20", table=1)),
    )
    doc = _doc(_good_rows())
    doc.tables[0].type = "expenditure"
    doc.tables[0].title = "支出决算表（续）"
    doc.tables.append(
        Table(
            id="t2",
            pages=[0],
            bbox=[0, 1200, 900, 1300],
            rows=[Row(index=0, name="x", cells=[_cell(1, "5.00", 500, 1250)])],
        )
    )
    outcomes = match_page(page, doc)
    m = table_metrics([page], outcomes, [doc])
    assert (m["tables"], m["tables_found"], m["tables_without_values"]) == (2, 1, 1)
    assert m["table_recall"] == 0.5
    assert m["predicted_tables"] == 2 and m["table_precision"] == 0.5
    assert m["table_type_accuracy"] == 1.0 and m["table_type_checked"] == 1
    assert m["table_title_accuracy"] == 1.0 and m["table_title_checked"] == 1
    doc.tables[0].title = "编制部门：上海市普陀区司法局"
    assert table_metrics([page], outcomes, [doc])["table_title_accuracy"] == 0.0


def test_identities_and_timings() -> None:
    after = _doc(_good_rows())
    after.validation = Validation(
        passed=False, checks=10, violations=[Violation(rule="sum"), Violation(rule="w", severity="warning")]
    )
    before = _doc(_good_rows())
    before.validation = Validation(
        passed=False, checks=10, violations=[Violation(rule="a"), Violation(rule="b"), Violation(rule="c")]
    )
    m = identity_metrics([after], [before])
    assert m["after_repair"]["pass_rate"] == 0.9
    assert m["before_repair"]["pass_rate"] == 0.7
    after.meta = {"timings": {"ocr": 6.0, "layout": 2.0}, "pages_processed": 4}
    t = timing_metrics([after])
    assert t["seconds_per_page"] == {"ocr": 1.5, "layout": 0.5} and t["total_per_page"] == 2.0


def test_summary_and_worst_pages() -> None:
    rows = _good_rows()
    del rows[2]
    doc = _doc(rows)
    outcomes = match_page(TRUTH, doc)
    s = summarize([TRUTH], outcomes, [doc])
    assert s["value_accuracy"] == 0.75
    assert s["per_document"]["a.pdf"]["value_accuracy"] == 0.75
    assert page_scores(outcomes) == [("a.pdf", 0, 0.75, 4)]


def test_edit_distance() -> None:
    assert edit_distance("1511.89", "1,511.89") == 1
    assert edit_distance("", "abc") == 3
    assert edit_distance("kitten", "sitting") == 3


def test_a_row_named_by_another_column_still_holds_the_truth_label() -> None:
    """Wuxi 2026 采购预算表 (issue 12): truth names a row by the nearest word left of the value (采购方式
    ``集中采购机构采购``), the pipeline by its 项目 column. The row holding that label cell is the truth's row; a row
    that does not hold it is not, and a truth code still has to match as a code."""
    truth = TruthPage(
        doc="a.pdf",
        page=0,
        dpi=200,
        width=1000,
        height=1400,
        tables=(TruthTable(page=0, index=0, bbox_px=(0, 0, 900, 400), n_values=2),),
        cells=(
            _truth_cell(None, "集中采购机构采购", 500, 100, "120.00"),
            _truth_cell(None, "分散采购", 500, 140, "1.00"),
        ),
    )
    rows = [
        Row(
            index=0,
            name="师专物业管理费",
            cells=[_cell(0, "集中采购机构采购", 300, 100), _cell(1, "120.00", 500, 100)],
        ),
        Row(index=1, name="商品和服务支出", cells=[_cell(0, "", 300, 140), _cell(1, "1.00", 500, 140)]),
    ]
    outcomes = match_page(truth, _doc(rows))
    assert [o.status for o in outcomes] == ["ok", "no_row"]
    assert cell_metrics(outcomes)["row_name_agreement"] == 0.0  # found through 集中采购机构采购, named 师专物业管理费
    coded = dataclasses.replace(truth, cells=(_truth_cell("2010601", "集中采购机构采购", 500, 100, "120.00"),))
    assert [o.status for o in match_page(coded, _doc(rows))] == ["no_row"]
