"""Assembler on real finance-bureau pages (text-layer words in the ruled grid) and on a tiny hand-made grid.

Facts checked against the PDF's text layer (pdftotext -layout, pages 6-9): 收入支出决算总表 continues on page 7
without a header; 收入决算表 row 2010601 行政运行 本年收入合计 1,511.90, 合计 2,946.25, continued on page 9.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from shared_data import fax_copy_outcomes, needs_shared

from juesuan.datamodel.document import Table
from juesuan.datamodel.page import (
    GridCell,
    OcrResult,
    PageImage,
    PageRef,
    Region,
    RegionKind,
    TableGrid,
    TableOcr,
    Token,
)
from juesuan.evaluation.textlayer import text_layer_page
from juesuan.inference.assemble import SIDE_HEADER, Assembler
from juesuan.inference.cells import assign_tokens_to_cells
from juesuan.inference.grid import RuledGrid


def _real_page(pdf_path: Path, index: int) -> OcrResult:
    return text_layer_page(pdf_path, index, 200, RuledGrid())


@pytest.fixture(scope="module")
def finance_tables(finance_pdf: Path) -> list[Table]:
    return Assembler()([_real_page(finance_pdf, i) for i in (5, 6, 7, 8)])


def _value(table: Table, code: str | None, name: str | None, header: str) -> float | None:
    col = next(c.index for c in table.columns if c.header == header)
    for row in table.rows:
        if (code is None or row.code == code) and (name is None or row.name == name):
            cell = row.cell(col)
            return None if cell is None else cell.value
    raise AssertionError(f"no row {code} {name}")


def test_income_table_rows_codes_and_headers(finance_tables: list[Table]) -> None:
    assert [t.id for t in finance_tables] == ["t1", "t2"]
    income = finance_tables[1]
    assert income.title == "收入决算表"
    assert income.unit == "万元"
    assert income.pages == [7, 8]
    headers = [c.header for c in income.columns]
    assert headers[:4] == [
        "项目/支出功能分类/科目编码/类",
        "项目/支出功能分类/科目编码/款",
        "项目/支出功能分类/科目编码/项",
        "项目/科目名称",
    ]
    assert headers[4] == "本年收入合计"
    assert _value(income, "2010601", "行政运行", "本年收入合计") == 1511.90
    assert _value(income, "2010601", "行政运行", "其他收入") == 0.01
    assert _value(income, None, "合计", "本年收入合计") == 2946.25
    total = next(r for r in income.rows if r.name == "合计")
    assert total.kind == "total"
    assert all(r.kind != "header" for r in income.rows)
    wrapped = next(r for r in income.rows if r.code == "2080505")
    assert wrapped.name == "机关事业单位基本养老保险缴费支出"
    # page 9 rows follow page 8 rows in the same table
    assert {c.page for r in income.rows for c in r.cells} == {7, 8}


def test_dual_summary_table_is_stacked_and_continued(finance_tables: list[Table]) -> None:
    summary = finance_tables[0]
    assert summary.title == "收入支出决算总表"
    assert summary.pages == [5, 6]
    assert [c.header for c in summary.columns] == [SIDE_HEADER, "项目", "决算数"]
    sides = {r.cells[0].text for r in summary.rows}
    assert sides == {"收入", "支出"}
    income_total = next(r for r in summary.rows if r.name == "本年收入合计")
    assert income_total.cells[0].text == "收入"
    assert income_total.cells[2].value == 2946.25
    spend = next(r for r in summary.rows if r.name == "八、社会保障和就业支出")
    assert spend.cells[0].text == "支出"
    assert spend.cells[2].value == 326.71
    # 总计 rows from the continuation page (no header, no title there)
    totals = [r for r in summary.rows if r.name == "总计"]
    assert [r.cells[2].value for r in totals] == [2995.39, 2995.39]
    assert all(r.kind == "total" for r in totals)


def _hand_page(
    index: int, texts: list[list[str]], title: str | None, cols: tuple[float, ...] = (0.0, 100.0, 300.0, 400.0)
) -> OcrResult:
    rows = tuple(100.0 + 40 * k for k in range(len(texts) + 1))
    cells, tokens = [], []
    for r, line in enumerate(texts):
        for c, text in enumerate(line):
            cells.append(GridCell(r, c, 1, 1, (cols[c], rows[r], cols[c + 1], rows[r + 1])))
            if text:
                tokens.append(Token(text, (cols[c] + 5, rows[r] + 10, cols[c] + 5 + 12 * len(text), rows[r] + 30)))
    grid = TableGrid((0, rows[0], cols[-1], rows[-1]), rows, cols, tuple(cells), ruled=True)
    region = Region(RegionKind.TABLE, grid.bbox_px, 1.0, "lines")
    table = TableOcr(region, grid, assign_tokens_to_cells(grid, tokens), tuple(tokens))
    page_tokens = (Token(title, (100, 20, 300, 60)),) if title else ()
    import numpy as np

    page = PageImage(ref=PageRef("hand.pdf", index, 200), image=np.zeros((10, 10, 3), np.uint8))
    return OcrResult(page=page, regions=(region,), tables=(table,), tokens=page_tokens)


def test_continuation_needs_the_next_page_and_no_own_title() -> None:
    first = [["科目编码", "科目名称", "决算数"], ["201", "一般公共服务支出", "10.00"]]
    cont = [["20101", "人大事务", "—"], ["", "合计", "10.00"]]
    merged = Assembler()([_hand_page(0, first, "支出决算表"), _hand_page(1, cont, None)])
    assert len(merged) == 1
    assert [(r.code, r.kind) for r in merged[0].rows] == [("201", "item"), ("20101", "item"), (None, "total")]
    assert merged[0].rows[1].cells[2].value is None  # — is an empty amount
    separate = Assembler()([_hand_page(0, first, "支出决算表"), _hand_page(1, cont, "项目支出决算表")])
    assert [t.title for t in separate] == ["支出决算表", "项目支出决算表"]
    skipped = Assembler()([_hand_page(0, first, "支出决算表"), _hand_page(2, cont, None)])
    assert len(skipped) == 2


def test_headerless_page_starting_with_empty_numbered_items_has_no_header() -> None:
    """Bug pinned: a 续表 page whose first rows (十四、…) have no amounts became header rows."""
    rows = [
        ["十四、资源勘探工业信息等支出", "", ""],
        ["十五、商业服务业等支出", "", ""],
        ["十九、住房保障支出", "", "445.69"],
    ]
    tables = Assembler()([_hand_page(4, rows, None)])
    assert [r.name for r in tables[0].rows] == [
        "十四、资源勘探工业信息等支出",
        "十五、商业服务业等支出",
        "十九、住房保障支出",
    ]
    assert tables[0].rows[2].cells[2].value == 445.69
    assert all(c.header == "" for c in tables[0].columns)


def test_headerless_page_starting_with_split_code_and_no_amount_has_no_header() -> None:
    """Bug pinned: finance-bureau 2024 page 17 (基本支出 续表) starts ``303 | 05 | 生活补助 | (empty)``; read alone
    (``--pages 17``) that row became the header and its rows were lost."""
    rows = [["303", "05", "生活补助", ""], ["310", "03", "专用设备购置", "12.00"]]
    tables = Assembler()([_hand_page(0, rows, None, cols=(0.0, 60.0, 120.0, 300.0, 400.0))])
    assert [(r.code, r.name) for r in tables[0].rows] == [("30305", "生活补助"), ("31003", "专用设备购置")]
    assert tables[0].rows[1].cells[3].value == 12.0


def test_headerless_dual_groups_below_an_empty_row_are_split() -> None:
    """Bug pinned: finance-bureau 2024 page 17 (基本支出 续表) has an empty top grid row; its two column groups
    (人员经费 | 公用经费) were joined into one row with codes like 3030530225."""
    rows = [
        ["", "", "", "", "", "", "", ""],
        ["303", "05", "生活补助", "", "302", "25", "专用燃料费", ""],
        ["303", "07", "医疗费补助", "", "302", "26", "劳务费", "2.01"],
        ["303", "09", "奖励金", "0.31", "302", "28", "工会经费", "24.42"],
    ]
    cols = (0.0, 60.0, 120.0, 300.0, 400.0, 460.0, 520.0, 700.0, 800.0)
    table = Assembler()([_hand_page(0, rows, None, cols=cols)])[0]
    assert ("30226", "劳务费") in [(r.code, r.name) for r in table.rows]
    by_code = {r.code: r for r in table.rows}
    assert [c.value for c in by_code["30228"].cells if c.value is not None and c.col > 0] == [24.42]
    assert [c.value for c in by_code["30309"].cells if c.value is not None and c.col > 0] == [0.31]
    assert all(r.code is None or len(r.code) <= 7 for r in table.rows)


def test_text_blocks_group_tokens_by_region_and_line() -> None:
    """Text outside tables becomes one block per layout region (titles, the unit line, 情况说明), lines joined."""
    import numpy as np

    title = Region(RegionKind.TITLE, (100.0, 40.0, 900.0, 90.0), 0.9, "detector")
    page = PageImage(ref=PageRef("hand.pdf", 2, 200), image=np.zeros((10, 10, 3), np.uint8))
    tokens = (
        Token("支出决算表", (420.0, 50.0, 600.0, 80.0)),
        Token("2024年度", (200.0, 52.0, 400.0, 82.0)),
        Token("单位：万元", (700.0, 120.0, 880.0, 140.0)),
        Token("Page", (60.0, 1500.0, 120.0, 1520.0)),
        Token("3", (130.0, 1500.0, 140.0, 1520.0)),
    )
    result = OcrResult(page=page, regions=(title,), tables=(), tokens=tokens)
    blocks = Assembler().text_blocks([result])
    assert [(b["kind"], b["text"]) for b in blocks] == [("title", "2024年度支出决算表"), ("text", "单位：万元Page 3")]
    assert blocks[0]["page"] == 2
    assert blocks[1]["bbox"] == [60.0, 120.0, 880.0, 1520.0]


def test_letter_read_for_a_digit_in_a_code_part() -> None:
    """Bug pinned: finance-bureau 2024 决算 page 11 at 150 dpi `fax` read 项 ``01`` as ``o1``; the code part was
    dropped and 2101101 became 21011 (`juesuan evaluate … --dpi 150 --degrade fax`: no_row)."""
    rows = [["类", "款", "项", "科目名称", "决算数"], ["210", "11", "o1", "行政单位医疗", "60.99"]]
    tables = Assembler()([_hand_page(0, rows, "支出决算表", cols=(0.0, 60.0, 120.0, 180.0, 300.0, 400.0))])
    assert [(r.code, r.name) for r in tables[0].rows] == [("2101101", "行政单位医疗")]


def test_project_list_rows_are_named_by_the_project_not_the_unit(shared_real: Path) -> None:
    """Issue 12, Hangzhou 2026 表11 项目支出绩效表 (单位名称 | 项目名称 | 金额 | 绩效目标): its continuation page
    (page 40, no header) named every row by the unit (杭州市南郊监狱 ×4), so no amount was in its project's row (0 % at
    200 dpi `scan`). Checked against the PDF's text layer: 罪犯改造管理 489.12, 狱政设施建设 12,898.00,
    法律援助 317.82."""
    pdf = shared_real.parent / "real-wide" / "hangzhou_justice_2026_部门预算.pdf"
    needs_shared(pdf)
    for pages in ([39], [38, 39]):
        tables = Assembler()([_real_page(pdf, i) for i in pages])
        got = {(r.name, c.value) for t in tables for r in t.rows for c in r.cells if c.value is not None}
        assert {("罪犯改造管理", 489.12), ("狱政设施建设", 12898.0), ("法律援助", 317.82)} <= got
        assert not any(name and name.startswith("杭州市") for name, _ in got)


def test_an_amount_over_several_rows_starts_the_data(shared_real: Path) -> None:
    """Issue 12, Chongqing 2026 项目绩效目标表 (page 24): each project's 金额 (8,534.17) is one cell beside all its
    indicator rows, so no one-row cell held a number until the fourth indicator; the first three indicator rows
    were read as header rows and their 指标值/权重 lost (9 of 23 cells). Checked against the PDF's text layer."""
    pdf = shared_real.parent / "real-wide" / "chongqing_gov-office_2026_部门预算.pdf"
    needs_shared(pdf)
    (table,) = Assembler()([_real_page(pdf, 23)])
    assert [c.header for c in table.columns][:3] == ["序号", "项目名称", "当年财政拨款预算金额"]
    first = table.rows[0]
    assert first.name == "市政府办公厅业务及日常运行项目"
    assert [c.value for c in first.cells if c.value is not None] == [1.0, 8534.17, 70.0, 15.0]


def _read_income_table(rows: list[list[str]]) -> tuple[Table, dict[tuple[str | None, int], tuple[str, Any, float]]]:
    """A hand-made 收入预算表 (code, name, remark, two amount columns) assembled; its cells by (row code, column)."""
    cols = (0.0, 100.0, 300.0, 380.0, 480.0, 580.0)
    table = Assembler()([_hand_page(0, rows, "收入预算表", cols=cols)])[0]
    return table, {(r.code, c.col): (c.text, c.value, c.confidence) for r in table.rows for c in r.cells}


def test_a_zero_read_as_letters_in_an_amount_column_is_zero() -> None:
    """Issue 12, fax copies: a printed ``0``/``0.00`` whose strokes dropped out reads ``C``, ``G,00``, ``一0.00``.
    In an amount column it is the number 0, kept as read and marked unsure; in a text column it stays text."""
    rows = [
        ["科目编码", "科目名称", "备注", "合计", "其他收入"],
        ["201", "一般公共服务支出", "C", "10.00", "G,00"],
        ["20101", "人大事务", "说明", "180,000.C0", "C"],
        ["2010101", "行政运行", "说明", "10.00", "一0.00"],
        ["", "合计", "", "20.00", "3.00"],
    ]
    table, got = _read_income_table(rows)
    assert got[("201", 4)] == ("G,00", 0.0, 0.5)
    assert got[("20101", 4)] == ("C", 0.0, 0.5)
    assert got[("2010101", 4)] == ("一0.00", 0.0, 0.5)
    assert got[("20101", 3)] == ("180,000.C0", 180000.0, 0.5)
    assert got[("201", 2)] == ("C", None, 1.0)  # 备注 holds words: a text column
    assert got[("2010101", 3)] == ("10.00", 10.0, 1.0)  # readings that parse are untouched
    assert table.orphans == 0


def test_a_number_with_a_stray_mark_in_an_amount_column_is_that_number() -> None:
    """Issue 12, photo and fax copies: a seal stroke, shadow or rule dash glued to a well-read amount (``π 20.00``,
    ``通0.00``, ``—— 3.00``) gives the amount, kept as read and marked unsure; the same text in a words column, a
    name, or two numbers run together in one cell stay without a value."""
    rows = [
        ["科目编码", "科目名称", "备注", "合计", "其他收入"],
        ["201", "一般公共服务支出", "说明", "20.00", "3.00"],
        ["20101", "人大事务", "甲 5", "π 20.00", "通0.00"],
        ["2010101", "行政运行2", "说明", "10.0010.00", "—— 3.00"],
        ["", "合计", "", "20.00", "3.00"],
    ]
    table, got = _read_income_table(rows)
    assert got[("20101", 3)] == ("π 20.00", 20.0, 0.5)
    assert got[("20101", 4)] == ("通0.00", 0.0, 0.5)
    assert got[("2010101", 4)] == ("—— 3.00", 3.0, 0.5)
    assert got[("201", 3)] == ("20.00", 20.0, 1.0)  # readings that parse are untouched
    assert got[("20101", 2)] == ("甲 5", None, 1.0)  # 备注 holds words: a text column
    assert got[("2010101", 1)][1] is None  # a name is no amount
    assert got[("2010101", 3)] == ("10.0010.00", None, 1.0)  # two reads of one cell: left for structure
    assert table.orphans == 0


def test_a_stray_mark_in_a_one_row_record_under_an_amount_header() -> None:
    """Issue 12, Chongqing 2026 三公经费 table on a fax copy: one row of amounts, a rule dash read before its 合计
    (``—— 394.49``). No other cell of the column can vouch for it; its header names an amount, so it is one."""
    rows = [["合计", "因公出国（境）费", "公务接待费"], ["—— 394.49", "184.49", "210.00"]]
    (table,) = Assembler()([_hand_page(0, rows, "“三公”经费预算表", cols=(0.0, 100.0, 200.0, 300.0))])
    (row,) = table.rows
    assert [(c.value, c.confidence) for c in row.cells] == [(394.49, 0.5), (184.49, 1.0), (210.0, 1.0)]
    rows = [["说明", "因公出国（境）费", "公务接待费"], ["—— 394.49", "184.49", "210.00"]]
    (table,) = Assembler()([_hand_page(0, rows, "“三公”经费预算表", cols=(0.0, 100.0, 200.0, 300.0))])
    assert table.rows[0].cells[0].value is None  # a header that names no amount vouches for nothing


def test_zero_confusables_need_an_amount_column() -> None:
    """One number among letters is no amount column: ``C`` beside it stays text."""
    rows = [["编号", "名称", "等级"], ["1", "甲", "C"], ["2", "乙", "B"], ["3", "丙", "A"], ["", "合计", "5.00"]]
    table = Assembler()([_hand_page(0, rows, "表", cols=(0.0, 60.0, 200.0, 300.0))])[0]
    assert all(c.value is None for r in table.rows for c in r.cells if c.text in ("C", "B", "A"))


@pytest.mark.slow
def test_zeros_read_as_letters_on_a_real_fax_page(shared_real: Path, tmp_path: Path) -> None:
    """Issue 12: justice-bureau 2026 部门预算 page 11 as the evaluation's fax copy (150 dpi, 1-bit, seed 7) prints its
    empty income kinds as ``0.00``; OCR reads several as ``G,00``/``O.GO``/``0.Cò``. Scored against the PDF's text
    layer, each cell read as a zero confusable is right, in its row, and marked unsure."""
    from juesuan.datamodel.amounts import zero_confusable

    pdf_path = shared_real / "shanghai-putuo-justice-bureau_2026_部门预算.pdf"
    run, outcomes = fax_copy_outcomes(pdf_path, 10, tmp_path)
    zeros = [o for o in outcomes if o.predicted_text and zero_confusable(o.predicted_text) is not None]
    assert len(zeros) >= 5 and sum(o.truth.value == 0 for o in zeros) >= 4
    assert all(o.ok for o in zeros), [(o.predicted_text, o.status) for o in zeros]
    doc = run.documents[0]
    assert doc is not None
    marked = [c for t in doc.tables for r in t.rows for c in r.cells if zero_confusable(c.text) is not None]
    assert all(c.value is not None and c.confidence <= 0.5 for c in marked if c.repair is None)


@pytest.mark.slow
def test_a_rule_dash_before_an_amount_on_a_real_fax_page(shared_real: Path, tmp_path: Path) -> None:
    """Issue 12: Chongqing gov-office 2026 部门预算 page 20 (三公经费预算表, one row of amounts) as the evaluation's
    fax copy (150 dpi, 1-bit, seed 7): OCR reads the rule left of the 2026 合计 as ``——`` (``—— 394.49``). Scored
    against the PDF's text layer, every cell read as a glued amount is right, and marked unsure."""
    from juesuan.datamodel.amounts import glued_amount

    pdf_path = shared_real.parent / "real-wide" / "chongqing_gov-office_2026_部门预算.pdf"
    run, outcomes = fax_copy_outcomes(pdf_path, 19, tmp_path)
    glued = [o for o in outcomes if o.predicted_text and glued_amount(o.predicted_text) is not None]
    assert glued, [o.predicted_text for o in outcomes]
    assert all(o.ok for o in glued), [(o.predicted_text, o.status) for o in glued]
    doc = run.documents[0]
    assert doc is not None
    marked = [c for t in doc.tables for r in t.rows for c in r.cells if glued_amount(c.text) is not None]
    assert marked and all(c.value is not None and c.confidence <= 0.5 for c in marked if c.repair is None)
