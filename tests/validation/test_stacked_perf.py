"""A 绩效自评表 read as stacked row groups (a 分组 column; headers of the groups joined with |): a column is a score
column only when every group says so, and a section sum that may miss an item of another group is a warning.
Rows from central_state-petitions-bureau 2024 决算's 资产运行维护项目绩效自评表 (p. 34) as the text layer gives them."""

from __future__ import annotations

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Cell, Column, Document, Row, Source, Table
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate

HEADERS = [
    "分组",
    "项目资金（万元）|国家信访局/全年预算数",
    "项目资金（万元）|国家信访局/全年执行数|国家信访局/得分",
    "国家信访局/分值",
    "国家信访局/执行率",
]
ROWS = [
    ["资产运行维护", "120.00", "120.00", "10.0", "100%"],
    ["资产运行维护", "年度指标值", "实际完成值", "分值", "得分"],
    ["资产运行维护", "≤120万元", "120万元", "20", "20"],
    ["资产运行维护", "9562平方米", "9562平方米", "70", "68"],
    ["资产运行维护", "总分", "", "100", "98"],
]


def _doc(rows: list[list[str]]) -> Document:
    out = []
    for i, texts in enumerate(rows):
        cells = []
        for k, t in enumerate(texts):
            v = parse_amount(t) if k else None
            cells.append(Cell(col=k, text=t, value=float(v) if v is not None else None, page=33))
        out.append(Row(index=i, name=texts[1], kind="item", cells=cells))
    table = Table(
        id="t16",
        pages=[33],
        bbox=[0, 0, 1000, 1000],
        title="资产运行维护项目绩效自评表",
        columns=[Column(index=k, header=h) for k, h in enumerate(HEADERS)],
        rows=out,
    )
    return Document(source=Source(path="x.pdf", sha256="3" * 64, pages=40), tables=[table])


def _found(rows: list[list[str]]) -> list[tuple[str, str]]:
    out = annotate_and_validate(_doc(rows), ValidationOptions(repair=False))
    return [(v.rule, v.severity) for v in out.validation.violations if v.rule.startswith("score_")]


def test_a_stacked_column_is_no_score_column_unless_every_group_says_so() -> None:
    # 120.00 (全年执行数 in this group) against 10.0 is no 得分 > 分值
    assert ("score_le_max", "error") not in _found(ROWS)


def test_stacked_section_sum_is_a_warning_and_an_item_slip_is_still_seen() -> None:
    found = _found(ROWS)
    assert ("score_total", "warning") in found  # 20 + 70 = 90 ≠ 100: the 10 of 执行率 sits in the other group
    slipped = [*ROWS[:3], ["资产运行维护", "9562平方米", "9562平方米", "70", "72"], ROWS[4]]
    assert ("score_le_max", "error") in _found(slipped)  # a score above its weight inside the section
