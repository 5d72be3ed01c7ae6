"""Text-layer auto-labelling: rules on synthetic cells, and one real 收入决算表 page checked against its PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from juesuan.datasets.autolabel import (
    AutolabelOptions,
    autolabel_page,
    cell_label,
    column_role,
    is_amount_text,
    outside_label,
)


def test_column_roles_from_header_paths() -> None:
    assert column_role(("项目", "支出功能分类科目编码", "类")) == "CODE"
    assert column_role(("项目", "科目名称")) == "NAME"
    assert column_role(("收入", "项目")) == "NAME"
    assert column_role(("本年支出", "基本支出")) == "AMOUNT"
    assert column_role(("序号",)) == "OTHER"
    assert column_role(("备注",)) == "TEXT"


@pytest.mark.parametrize(
    ("text", "role", "label"),
    [
        ("2,946.25", "AMOUNT", "AMOUNT"),
        ("0", "AMOUNT", "AMOUNT"),
        ("—", "AMOUNT", "AMOUNT"),
        ("98.50%", "AMOUNT", "RATE"),
        ("合计", "NAME", "TOTAL_LABEL"),
        ("本年支出合计", "NAME", "TOTAL_LABEL"),
        ("201", "CODE", "CODE"),
        ("类", "CODE", "HEADER"),
        ("行政运行", "NAME", "NAME"),
        ("1", "OTHER", "OTHER"),
        ("…", "CODE", "OTHER"),
        ("。。。", "NAME", "OTHER"),
        ("……", "AMOUNT", "OTHER"),
    ],
)
def test_cell_labels(text: str, role: str, label: str) -> None:
    assert cell_label(text, role) == label


def test_outside_labels() -> None:
    assert outside_label("单位：万元", 20, 20, False, 0.1) == "UNIT"
    assert outside_label("编制部门：上海市普陀区司法局", 20, 20, False, 0.1) == "UNIT"
    assert outside_label("收入决算表", 20, 20, True, 0.05) == "TITLE"
    assert outside_label("- 12 -", 20, 20, True, 0.95) == "OTHER"
    assert outside_label("一、收入支出决算总体情况说明", 20, 20, False, 0.2) == "TITLE"
    assert outside_label("2024年度收入总计2,995.39万元。", 20, 20, False, 0.3) == "TEXT"
    assert not is_amount_text("3") and is_amount_text("2,995.39")


@pytest.mark.slow
def test_real_revenue_table_page(finance_pdf: Path) -> None:
    # Page 8 of the PDF (index 7): 收入决算表, checked by hand against the text layer (pdftotext -layout).
    opts = AutolabelOptions(dpi=150, degrade="scan")
    image, page, paths = autolabel_page(finance_pdf, 7, opts)
    by_text = {}
    for tok in page.tokens:
        by_text.setdefault(tok.text, tok)
    assert by_text["收入决算表"].label == "TITLE"
    assert by_text["单位：万元"].label == "UNIT"
    assert by_text["合计"].label == "TOTAL_LABEL"
    assert by_text["类"].label == "HEADER"
    assert by_text["201"].label == "CODE"
    # 类 | 款 | 项 share the 合计 row here; they still make their columns code columns (bug at 150 dpi: 201 → AMOUNT)
    assert {t.label for t in page.tokens if t.text in ("201", "208", "06", "01")} == {"CODE"}
    assert by_text["行政运行"].label == "NAME"
    total = by_text["2,946.25"]
    assert (total.label, total.field) == ("AMOUNT", "本年收入合计")
    assert page.tables and page.tables[0].type == "收入决算表"
    assert image.shape[:2] == (page.height, page.width)
    # The next page continues the table without a header: its amounts inherit the column fields.
    _, nxt, _ = autolabel_page(finance_pdf, 8, opts, inherited=paths)
    amounts = [t for t in nxt.tokens if t.label == "AMOUNT"]
    assert amounts and {t.field for t in amounts} <= {"本年收入合计", "财政拨款收入"}


@pytest.mark.slow
def test_titled_table_after_another_table_keeps_its_header(finance_pdf_full: Path) -> None:
    # Bug seen on page 6 (index 5, 收入支出决算总表): it followed the 单位构成 table of page 5 and was taken for a
    # headerless 续表, so 收入/支出/项目/决算数 became NAME. A table with a title above it is never a continuation.
    opts = AutolabelOptions(dpi=100, degrade="clean")
    _, _, heads = autolabel_page(finance_pdf_full, 4, opts)
    _, page, _ = autolabel_page(finance_pdf_full, 5, opts, inherited=heads)
    labels = {t.text: t.label for t in page.tokens}
    assert labels["项目"] == "HEADER" and labels["决算数"] == "HEADER" and labels["收入"] == "HEADER"
    assert labels["本年收入合计"] == "TOTAL_LABEL"


def test_paragraph_first_line_is_not_a_heading() -> None:
    # finance-bureau 决算 page 5: "（十）执行国家和本市债务管理的制度和政策，……" runs to the right margin: TEXT.
    line = "（十）执行国家和本市债务管理的制度和政策，建立规范合理的政府债务管理及"
    assert outside_label(line, 20, 20, False, 0.1, full_line=True) == "TEXT"
    assert outside_label("（一）机关运行经费支出情况", 20, 20, False, 0.1, full_line=False) == "TITLE"


@pytest.mark.slow
def test_empty_template_tables(shared_real: Path) -> None:
    # 部门决算模板: the 三公 table (index 11) has no data rows: every cell down to 预算数 | 决算数 is header (was NAME);
    # the 收入决算表 (index 5) prints "…" rows for "more like these": OTHER, not NAME.
    pdf = shared_real / "national-template_部门决算模板.pdf"
    opts = AutolabelOptions(dpi=100, degrade="clean")
    _, sangong, _ = autolabel_page(pdf, 11, opts)
    in_table = [t for t in sangong.tokens if t.table is not None]
    assert in_table and {t.label for t in in_table} == {"HEADER"}
    _, revenue, _ = autolabel_page(pdf, 5, opts)
    marks = [t for t in revenue.tokens if t.text.strip() in ("…", "……", "………")]
    assert marks and {t.label for t in marks} == {"OTHER"}
    assert {t.label for t in revenue.tokens if t.text == "205"} == {"CODE"}
