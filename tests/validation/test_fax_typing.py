"""Issue 12, fax copies: a table gets its type and identities although OCR garbled its title and headers, so that
repair can undo a 4 read 1 (docs/robustness.md, "Fax copies, session 6"). Tables are hand-made; the misreadings are
the ones seen on the 150 dpi 1-bit copies of runs/eval-wide-s5/fax."""

from __future__ import annotations

import pytest
from validation_tables import document_of, make_table

from juesuan.datamodel.document import Cell, Column, Row, Table
from juesuan.models.type_classifier import TableTypeClassifier
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate, annotate_tables
from juesuan.validation.rules import (
    TableView,
    garbled_kuan_column,
    garbled_total_columns,
    header_rows_fields,
    is_numbering_row,
)
from juesuan.validation.schema import load_schema

# 部门收入预算总表 in 万元: 合计 = 财政拨款收入 + 事业收入 + 其他收入 on every row, 类 = Σ款 = Σ项 down the rows
INCOME_ROWS: list[tuple[str | None, str, list[str]]] = [
    ("204", "公共安全支出", ["1,000.00", "1,000.00", "0.00", "0.00"]),
    ("20406", "司法", ["1,000.00", "1,000.00", "0.00", "0.00"]),
    ("2040601", "行政运行", ["600.00", "600.00", "0.00", "0.00"]),
    ("2040604", "基层司法业务", ["400.00", "400.00", "0.00", "0.00"]),
    ("208", "社会保障和就业支出", ["345.60", "300.00", "45.60", "0.00"]),
    ("20805", "行政事业单位养老支出", ["345.60", "300.00", "45.60", "0.00"]),
    ("2080505", "机关事业单位基本养老保险缴费支出", ["345.60", "300.00", "45.60", "0.00"]),
    (None, "合计", ["1,345.60", "1,300.00", "45.60", "0.00"]),
]
GARBLED = [
    "收入预算/dil",
    "收入预算/财政拨款收人",
    "收入预算/事业收人",
    "收入预算/其他收人",
]  # 合计 read dil, 入 read 人


def _income(headers: list[str], changes: dict[tuple[int, int], str] | None = None):
    rows = [(c, n, list(a)) for c, n, a in INCOME_ROWS]
    for (r, k), text in (changes or {}).items():
        rows[r][2][k] = text
    return make_table("t1", "部门收入预算总表", headers, rows, unit="万元")


def test_a_header_one_character_off_is_read_unless_another_field_is_as_close() -> None:
    schema = load_schema()
    assert schema.canonical_field("在业收入") == "institution_income"  # 事 read 在
    assert schema.canonical_field("上单结余、结转") == "carryover"
    assert schema.canonical_field("国有日本始营预算拔款收入") == "state_capital_income"
    assert schema.canonical_field("对政专户管理资金") == "fiscal_special_account"
    assert schema.canonical_field("其他支出") == "other_expenditure"  # its own field, not 其他收入 one slip away
    assert schema.canonical_field("经营收出") is None  # as close to 经营收入 as to 经营支出: not read


def test_a_garbled_total_column_is_found_by_its_sums_and_a_4_read_1_is_repaired() -> None:
    [typed] = annotate_tables([_income(GARBLED)], load_schema(), TableTypeClassifier())
    assert [c.field for c in typed.columns[2:]] == [
        "total",
        "fiscal_appropriation_income",
        "institution_income",
        "other_income",
    ]
    # 基层司法业务's 财政拨款收入 printed 400.00, read 100.00: the hierarchy alone cannot tell it from 600 → 900
    doc = annotate_and_validate(document_of(_income(GARBLED, {(3, 1): "100.00"})), ValidationOptions(narrative=False))
    assert [(r["row"], r["col"], r["corrected_text"]) for r in doc.validation.repairs] == [(3, 3, "400.00")]
    assert doc.validation.passed


def test_a_column_that_is_not_the_sum_stays_unnamed() -> None:
    rows = [(c, n, list(a)) for c, n, a in INCOME_ROWS]
    for r in rows:
        r[2][0] = "12.00"  # the first column holds something else
    table = make_table("t1", "部门收入预算总表", GARBLED, rows)
    [typed] = annotate_tables([table], load_schema(), TableTypeClassifier())
    assert typed.columns[2].field is None
    assert garbled_total_columns(TableView.build(typed, load_schema())) == []


def test_the_kuan_column_is_the_one_between_lei_and_xiang() -> None:
    headers = [
        "项目/功能/类",
        "项目/科目编码/紫",
        "项目/科目编码/项",
        "项目/功能分类科目名称",
        "收入预算/合计",
    ]  # 款 read 紫
    table = Table(
        id="t1",
        pages=[0],
        bbox=[0, 0, 1, 1],
        title="部门收入预算总表",
        columns=[Column(index=i, header=h) for i, h in enumerate(headers)],
    )
    [typed] = annotate_tables([table], load_schema(), TableTypeClassifier())
    assert [c.field for c in typed.columns[:3]] == ["code_lei", "code_kuan", "code_xiang"]
    assert garbled_kuan_column(typed) is None  # named now: nothing left to infer
    two = ["类", "紫", "示", "项", "科目名称"]  # two unnamed columns between 类 and 项: neither is taken for 款
    other = Table(
        id="t2",
        pages=[0],
        bbox=[0, 0, 1, 1],
        title="部门收入预算总表",
        columns=[Column(index=i, header=h) for i, h in enumerate(two)],
    )
    [typed] = annotate_tables([other], load_schema(), TableTypeClassifier())
    assert [c.field for c in typed.columns[:4]] == ["code_lei", None, None, "code_xiang"]


BASIC_HEADER = (
    "项目/经济分类科目编码/类 项目/经济分类科目编码/款 项目/部门经济分类科目名称 "
    "一般公共预算基本支出/合计 一般公共预算基本支出/人员经费 一般公共预算基本支出/公用经费"
)


@pytest.mark.parametrize("family", ["budget", "final"])
def test_the_document_family_decides_between_twin_types(family: str) -> None:
    """Title lost (a unit line read as the title), header alone: 一般公共预算基本支出 of a 预算 or of a 决算 is a coin
    toss for the model, the document's cover is not."""
    pred = TableTypeClassifier().predict("编制单位：上海钻石交易联合管理办公室", BASIC_HEADER, family=family)
    assert pred.type_id == f"{family}.general_budget_basic" and pred.probability >= 0.5


def test_a_running_heading_is_not_a_table_title() -> None:
    assert TableTypeClassifier().predict("无锡市教育局2026年度部门预算公开", "", family="budget").type_id is None


def test_a_misread_zero_in_a_column_of_zeros_is_repaired_and_its_neighbour_left_alone() -> None:
    """quanzhou police 2026 收入预算总表 on a fax copy: 上级补助收入 0.00 read 0.20; 一般公共预算 1,890.97 → 1,890.77
    (a 9 read 7) fits the row as well and was taken until a column of zeros made the zero likelier."""
    rows = [
        (None, "单位一", ["2,175.97", "1,890.97", "0.20", "285.00"]),
        (None, "单位二", ["533.30", "533.30", "0.00", "0.00"]),
        (None, "单位三", ["1,593.72", "1,593.72", "0.00", "0.00"]),
        (None, "单位四", ["6,478.80", "6,016.60", "0.00", "462.20"]),
        (None, "单位五", ["4,269.87", "4,269.87", "0.00", "0.00"]),
    ]
    table = make_table("t1", "部门收入预算总表", ["总计", "一般公共预算拨款收入", "上级补助收入", "上年结转"], rows)
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False))
    assert [(r["row"], r["col"], r["corrected_text"]) for r in doc.validation.repairs] == [(0, 4, "0.00")]
    assert doc.tables[0].rows[0].cell(3).text == "1,890.97"


def test_a_misread_numbering_row_is_still_a_numbering_row() -> None:
    """hangzhou meteorology 2026 三公 table on a fax copy: 栏次 1 2 3 4 5 6 read ``1十 1 2 3 千 5 6``; read as amounts,
    its 小计 = 购置费 + 运行费 (3 = 5) failed once the table was typed."""
    texts = ["1十", "1", "2", "3", "千", "5", "6"]
    row = Row(index=0, cells=[Cell(col=i, text=t, page=0) for i, t in enumerate(texts)])
    assert is_numbering_row(row)
    amounts = ["合计", "24.02", "", "18.00", "", "18.00", "6.02"]
    assert not is_numbering_row(Row(index=1, cells=[Cell(col=i, text=t, page=0) for i, t in enumerate(amounts)]))
    short = ["1", "2", "3", "9", "5"]  # numbers that are not their column's: a real row
    assert not is_numbering_row(Row(index=2, cells=[Cell(col=i, text=t, page=0) for i, t in enumerate(short)]))


def test_header_lines_left_in_the_body_name_the_columns() -> None:
    """quanzhou police 2026 一般公共预算拨款支出预算表 on a fax copy: the header lines came out as the first two body
    rows and every column header empty; 小计 = 基本支出 + 项目支出 still holds, and pins a 0.00 read 6.00."""
    rows: list[tuple[str | None, str, list[str]]] = [
        ("科目编码", "科貝名称", ["小计", "其中", ""]),
        ("", "", ["", "基本支出", "项目支出"]),
        ("2040201", "行政运行", ["34148.58", "34148.58", "0.00"]),
        ("2040220", "执法办案", ["12172.00", "6.00", "12172.00"]),  # 基本支出 0.00 read 6.00
        ("2040250", "事业运行", ["4825.87", "4825.87", "0.00"]),
        ("2080501", "行政单位离退休", ["1778.21", "1778.21", "0.00"]),
    ]
    table = make_table("t1", "2026年度一般公共预算拨款支出预算表", ["", "", ""], rows)
    for c in table.columns:
        c.header = ""
    assert header_rows_fields(table, load_schema()) == {2: "total", 3: "basic_expenditure", 4: "project_expenditure"}
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False))
    assert [(r["row"], r["col"], r["corrected_text"]) for r in doc.validation.repairs] == [(3, 3, "0.00")]
    # a first row with amounts is body, not header: nothing is read from it
    assert header_rows_fields(make_table("t2", "x", ["", "", ""], rows[2:]), load_schema()) == {}


def test_a_surely_typed_table_under_a_unit_line_counts_as_present() -> None:
    """Completeness: a title without 表 was taken for a chart or a paragraph, so the table typed from its header
    (编制单位：XX局 caught as its title on a scan) was reported missing once it was typed (gov-office 2025 单位预算)."""
    from juesuan.validation.completeness import _not_a_table

    table = _income(GARBLED).model_copy(
        update={"title": "编制单位：上海市普陀区人民政府办公室", "type": "budget.income", "type_confidence": 0.95}
    )
    assert not _not_a_table(table, typed=True)
    assert _not_a_table(table)  # the other checks (目录 order, empty-table notes) keep the old reading
    unsure = table.model_copy(update={"type_confidence": 0.6})
    assert _not_a_table(unsure, typed=True)
    chart = table.model_copy(update={"title": "图2：一般公共预算支出比重图"})
    assert _not_a_table(chart, typed=True)
