"""Structure hypotheses on real pages (text-layer words in the ruled grid, header cells misread as on the fax copies
of issue 12) and on small hand-made role patterns.

Facts checked against the PDF's text layer (pypdfium2 get_text_range, shanghai-putuo-commerce 2025 预算 page 9):
财务收支预算总表, 本年支出 side 一、一般公共服务支出 21,601,733.00, 支出总计 371,514,655.00.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from shared_data import needs_shared
from test_assemble import _real_page

from juesuan.datamodel.page import OcrResult, TableOcr
from juesuan.inference.assemble import SIDE_HEADER, Assembler
from juesuan.inference.hypotheses import (
    Grouping,
    canonical_header,
    choose_grouping,
    column_roles,
    fold_variants,
    header_role,
    is_line_numbers,
    score_grouping,
)


def test_misread_header_words_match_fuzzily() -> None:
    assert canonical_header("科日编码") == "科目编码"
    assert canonical_header("決算数") == "决算数"
    assert canonical_header("项H") == "项目"
    assert canonical_header("项次") == "项次"  # a real word: a CJK substitution of a 2-character word is no match
    assert header_role("本年支出/项H") == "name"
    assert header_role("经济分类/科日编码") == "code"
    assert header_role("決算数") == "amount"
    assert header_role("备注") is None
    assert fold_variants("功能分类科日编码") == "功能分类科目编码"  # commerce 2025 page 15, 150 dpi fax
    assert fold_variants("項日支出") == "项目支出"
    assert fold_variants("日期") == "日期"


def test_side_by_side_groups_beat_one_group_and_a_split_leaving_orphans() -> None:
    """基本支出决算表 pattern: code | name | amount, three times across (finance-bureau 2024 决算 page 16)."""
    roles = ["code", "name", "amount"] * 3
    rows = [["301", "工资福利支出", "1,204.50", "302", "商品和服务支出", "92.10", "303", "对个人和家庭的补助", "5.00"]]
    rows += [["30101", "基本工资", "300.00", "30201", "办公费", "4.20", "30301", "离休费", ""]]
    choice = choose_grouping(roles, [""] * 9, [], rows)
    assert choice.grouping.groups == ((0, 1, 2), (3, 4, 5), (6, 7, 8))
    assert choice.orphans == 0
    single = score_grouping(Grouping((tuple(range(9)),), "single"), roles, rows)
    assert single.misattached == 3  # the amounts right of the second name would be attached to the first name
    broken = score_grouping(Grouping(((0, 1), (2, 3, 4), (5,), (6, 7, 8)), "content"), roles, rows)
    assert broken.orphans == 3 or not broken.valid


def test_performance_target_form_is_one_group_although_words_follow_its_amount_column() -> None:
    """项目绩效目标表 (central petitions 2026 预算 p.31): 项目资金 rows hold an amount in column 4; the indicator rows
    below leave it empty and end in 指标值 (words: ≥1本, 明显改善) and 分值 (an amount). The words after the amount
    column finish the indicator's row; splitting there put every 分值 into a second "side" with no indicator."""
    roles = ["name", "name", "name", "name", "amount", "name", "amount"]
    rows = [["项目资金", "", "年度资金总额：", "", "2,706.79", "", "执行率分值(10)"]]
    rows += [["", "产出指标", "数量指标", "舆情报告报送量", "", "≥55期", "8"]]
    rows += [["", "", "质量指标", "购买货物一次性验收通过率", "", "≥95%", "4"]]
    rows += [["", "效益指标", "社会效益指标", "接访环境", "", "明显改善", "10"]]
    choice = choose_grouping(roles, [""] * 7, [], rows)
    assert choice.grouping.groups == (tuple(range(7)),)
    # a row that does hold an amount before the words is still two logical rows (收支总表: 收入 | 支出)
    rows[1][4] = "12.00"
    single = score_grouping(Grouping((tuple(range(7)),), "single"), roles, rows)
    assert single.misattached == 1


def test_table_with_two_text_columns_is_not_split() -> None:
    """项目名称 | 单位名称 | amounts: two word columns side by side, no amount between them: one group."""
    roles = ["name", "name", "amount", "amount"]
    rows = [["办公楼维修", "区财政局", "12.00", "12.00"], ["信息系统运维", "区财政局", "3.50", "3.50"]]
    choice = choose_grouping(roles, ["项目名称", "单位名称", "合计", "财政拨款"], [], rows)
    assert choice.grouping.groups == ((0, 1, 2, 3),)


@pytest.fixture(scope="module")
def commerce_summary(shared_real: Path) -> OcrResult:
    return _real_page(shared_real / "shanghai-putuo-commerce_2025_部门预算.pdf", 8)


def _misread(page: OcrResult, old: str, new: str) -> OcrResult:
    """The page with every header cell reading ``old`` read as ``new`` (the fax misread of issue 12)."""
    tables = []
    for t in page.tables:
        cells = tuple(dataclasses.replace(c, text=new) if "".join(c.text.split()) == old else c for c in t.cells)
        tables.append(TableOcr(t.region, t.grid, cells, t.tokens))
    return dataclasses.replace(page, tables=tuple(tables))


def test_misread_name_header_still_splits_the_summary_table(commerce_summary: OcrResult) -> None:
    """Fax copy of commerce 2025 预算 page 9 at 150 dpi: the 本年收入 side's 项目 read as 项H, and the whole 本年支出
    side (8 amounts) was attached to the 收入 names (`juesuan evaluate … --dpi 150 --degrade fax`: no_row)."""
    assert any("".join(c.text.split()) == "项目" for t in commerce_summary.tables for c in t.cells)
    page = _misread(commerce_summary, "项目", "项H")
    tables = Assembler()([page])
    table = next(t for t in tables if t.columns and t.columns[0].header == SIDE_HEADER)
    names = {r.name for r in table.rows}
    assert "一、一般公共服务支出" in names
    row = next(r for r in table.rows if r.name == "支出总计")
    assert row.cells[2].value == pytest.approx(371514655.00)
    assert table.orphans == 0
    assert 0.8 <= (table.confidence or 0) <= 1.0


def test_unreadable_names_still_split_by_content() -> None:
    """finance-bureau 2024 决算 page 16 at 150 dpi `fax`: names and headers are unreadable glyph soup, codes and
    amounts are read; 类 | 款 | name | amount twice across must stay two groups (codes 30101, not 30101302)."""
    roles = ["code", "code", "name", "amount", "code", "code", "name", "amount"]
    rows = [
        ["301", "01", "事：：", "262.33", "302", "01", "”藝", "21.21"],
        ["301", "02", "P", "1.238.58", "302", "02", "年年", "7.61"],
    ]
    choice = choose_grouping(roles, ["1-/1H编的"] * 8, [], rows)
    assert choice.grouping.groups == ((0, 1, 2, 3), (4, 5, 6, 7))


def test_code_part_columns_are_codes_whatever_the_labels_say() -> None:
    """finance-bureau 2024 决算 page 16 at 150 dpi `fax`: with the second group's 类/款 columns (302, 01) taken for
    amounts, (code code name amount amount amount | name amount) looked valid and joined codes to 30101302."""
    cells = {
        0: [("301", "CODE"), ("301", "CODE")],
        1: [("01", "CODE"), ("02", "CODE")],
        2: [("事：：", "NAME"), ("P", "NAME")],
        3: [("262.33", "AMOUNT"), ("1.238.58", "AMOUNT")],
        4: [("302", "AMOUNT"), ("302", "AMOUNT")],
        5: [("01", "AMOUNT"), ("02", "AMOUNT")],
        6: [("”藝", "NAME"), ("年年", "NAME")],
        7: [("21.21", "AMOUNT"), ("7.61", "AMOUNT")],
    }
    roles = column_roles(8, lambda c: cells[c], [""] * 8)
    assert roles == ["code", "code", "name", "amount", "code", "code", "name", "amount"]


def test_ragged_groups_without_a_header_split_stay_one_row() -> None:
    """项目编码 | 项目名称 | 金额 | 实施单位 | 金额: a word column after an amount, but the would-be groups do not
    repeat one pattern (code name amount | name amount) and no header names two 项目 columns: one logical row."""
    roles = ["code", "name", "amount", "name", "amount"]
    rows = [["301", "办公楼维修", "12.00", "区财政局", "3.00"], ["302", "信息系统运维", "3.50", "区财政局", "1.00"]]
    choice = choose_grouping(roles, ["项目编码", "项目名称", "金额", "实施单位", "金额"], [], rows)
    assert choice.grouping.groups == ((0, 1, 2, 3, 4),)


def test_a_speck_read_as_a_word_does_not_split_the_table() -> None:
    """Issue 12, wuxi education 2026 政府采购预算表 (continuation page) as a `fax` copy: a speck in an empty column read
    as ``八`` made it a name column after an amount; every row counted its last amount as misattached, so the split
    there won and orphaned that whole column (11 amounts). Only a row with a word in that column starts a second
    logical row."""
    roles = ["name", "name", "name", "amount", "empty", "name", "amount"]
    rows = [["", f"物业管理费{k}", "集中采购", "100.00", "", "", "100.00"] for k in range(9)]
    rows += [["无锡市第一中学", "", "", "121.38", "", "", "121.38"]]
    rows[3][5] = "八"
    choice = choose_grouping(roles, [""] * 7, [], rows)
    assert choice.grouping.groups == (tuple(range(7)),)
    assert choice.orphans == 0


def test_a_table_of_one_unlabelled_row_has_no_orphans() -> None:
    """commerce 2025 预算 page 21: 三公经费和机关运行经费预算表 is one row of amounts under its headers; it was
    reported with 3 orphans and confidence 0 on the 150 dpi fax copy."""
    from juesuan.datamodel.document import Cell, Row
    from juesuan.inference.assemble import count_orphans

    rows = [["1.00", "", "1.00", "", "", "", "171.01"]]
    choice = choose_grouping(["amount", "empty", "amount", "empty", "empty", "empty", "amount"], [""] * 7, [], rows)
    assert (choice.orphans, choice.confidence) == (0, 1.0)
    record = [Row(index=0, cells=[Cell(col=0, text="1.00", value=1.0)])]
    assert count_orphans(record) == 0
    labelled = [*record, Row(index=1, name="合计", cells=[Cell(col=0, text="1.00", value=1.0)])]
    assert count_orphans(labelled) == 1


def test_line_number_columns_are_labels_and_the_summary_still_splits() -> None:
    """central_state-petitions-bureau 2024 部门决算 收支总表 (200 dpi `scan`): 项目 | 行次 | 金额 twice across. The 行次
    values (1, 2, … and 32, 33, …) were taken for amounts, so 收入 rows below 八、其他收入 (行次 only) counted as
    orphans and the one-group reading won: every 支出 amount was attached to a 收入 name."""
    assert is_line_numbers(["1", "2", "3", "4", "5"]) and is_line_numbers(["32", "33", "34", "35"])
    assert not is_line_numbers(["12", "7", "305", "1"])
    cells = {
        0: [("一、一般公共预算财政拨款收入", None), ("二、政府性基金预算财政拨款收入", None), ("", None), ("", None)],
        1: [("1", "AMOUNT"), ("2", "AMOUNT"), ("3", "AMOUNT"), ("4", "AMOUNT")],
        2: [("19,572.91", "AMOUNT"), ("", None), ("", None), ("", None)],
        3: [("一、一般公共服务支出", None), ("二、外交支出", None), ("三、国防支出", None), ("四、公共安全支出", None)],
        4: [("32", "AMOUNT"), ("33", "AMOUNT"), ("34", "AMOUNT"), ("35", "AMOUNT")],
        5: [("10,685.56", "AMOUNT"), ("", None), ("", None), ("180.03", "AMOUNT")],
    }
    headers = ["收入/项目", "收入/行次", "收入/金额", "支出/项目", "支出/行次", "支出/金额"]
    roles = column_roles(6, lambda c: cells[c], headers)
    assert roles == ["name", "code", "amount", "name", "code", "amount"]
    rows = [[cells[c][r][0] for c in range(6)] for r in range(4)]
    choice = choose_grouping(roles, headers, [0, 3], rows)
    assert choice.grouping.groups == ((0, 1, 2), (3, 4, 5))


def test_a_name_spilling_into_the_next_column_does_not_block_the_split() -> None:
    """central_state-petitions-bureau 2024 部门决算 收支总表: 收入 项目 spans 4 grid columns and 七、附属单位 wraps
    二缴收入 into the second; that column of words made the 收入 group look like two name columns."""
    roles = ["name", "name", "empty", "empty", "code", "amount", "name", "code", "amount"]
    rows = [
        ["一、一般公共预算财政拨款收入", "", "", "", "1", "19,572.91", "一、一般公共服务支出", "32", "10,685.56"],
        ["七、附属单位", "二缴收入", "", "", "7", "", "七、文化旅游体育与传媒支出", "38", ""],
        ["八、其他收入", "", "", "", "8", "878.44", "八、社会保障和就业支出", "39", "2,228.57"],
    ]
    choice = choose_grouping(
        roles, ["收入/项目"] * 4 + ["收入/行次", "收入/金额", "支出/项目", "支出/行次", "支出/金额"], [0, 1, 6], rows
    )
    assert choice.grouping.groups == ((0, 1, 2, 3, 4, 5), (6, 7, 8))


def test_line_numbers_are_not_orphan_amounts() -> None:
    """central 2024 部门决算 收支总表 at 200 dpi `scan`: the 收入 side's 行次 9…30 below its last item were counted as
    20 orphan amounts."""
    from juesuan.datamodel.document import Cell, Row
    from juesuan.inference.assemble import count_orphans

    rows = [
        Row(index=0, name="八、其他收入", cells=[Cell(col=0, text="8", value=8.0), Cell(col=1, text="1.0", value=1.0)]),
        Row(index=1, cells=[Cell(col=0, text="9", value=9.0), Cell(col=1, text="")]),
    ]
    assert count_orphans(rows) == 1
    assert count_orphans(rows, line_cols={0}) == 0


def test_a_total_label_across_two_groups_names_the_later_groups_amount(shared_real: Path) -> None:
    """Issue 12, Jiangsu 2019 收支预算总表 (收入 | 支出 功能分类 | 支出 支出用途): 当年支出小计 and 支出合计 are written
    across both 支出 name columns and their amount stands in the 支出用途 金额 column, so the 支出用途 group read them
    as two unlabelled rows (2 orphans at 200 dpi `scan`). Checked against the PDF's text layer: both 24,169.74."""
    pdf = shared_real.parent / "real-wide" / "jiangsu_procuratorate_2019_部门预算.pdf"
    needs_shared(pdf)
    (table,) = Assembler()([_real_page(pdf, 13)])
    assert table.orphans == 0
    valued = {(r.name, c.value) for r in table.rows for c in r.cells[1:] if c.value is not None}
    assert {("当年支出小计", 24169.74), ("支出合计", 24169.74), ("一、基本支出", 15844.04)} <= valued
