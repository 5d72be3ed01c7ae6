"""Truth from the PDF text layer and rulings: facts checked by hand against pdftotext -layout of the shared PDFs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from juesuan.datamodel.labelled import LabelledCell, LabelledPage, LabelledTable
from juesuan.evaluation.truth import RowKey, labelled_page_truth, pdf_page_truth, table_boxes


def _find(page, code=None, name=None, column_part=None):
    return [
        c
        for c in page.cells
        if (code is None or c.row_key.code == code)
        and (name is None or c.row_key.name == name)
        and (column_part is None or (c.column and column_part in c.column))
    ]


def test_expenditure_table_codes_joined_and_columns(finance_pdf: Path) -> None:
    # Page 8 (0-based 7) 收入决算表: 201 06 01 行政运行 | 1,511.90 | 1,511.89 | 0.01
    page = pdf_page_truth(finance_pdf, 7, dpi=200)
    assert len(page.tables) == 1 and page.tables[0].n_values == 35
    assert (page.tables[0].title, page.tables[0].type) == ("收入决算表", "final.income")
    cells = _find(page, code="2010601")
    assert [c.value for c in sorted(cells, key=lambda c: c.x_centre)] == [
        Decimal("1511.90"),
        Decimal("1511.89"),
        Decimal("0.01"),
    ]
    assert {c.row_key.name for c in cells} == {"行政运行"}
    assert _find(page, code="2010601", column_part="财政拨款")[0].value == Decimal("1511.89")
    # A code column is never an amount.
    assert not [c for c in page.cells if c.value in (Decimal(201), Decimal(6), Decimal(1))]


def test_wrapped_name_and_dual_layout(finance_pdf: Path) -> None:
    # Page 6 收入支出决算总表: 收入 and 支出 side by side, each with its own 项目 label.
    page = pdf_page_truth(finance_pdf, 5, dpi=150)
    assert _find(page, name="八、其他收入")[0].value == Decimal("6.20")
    assert _find(page, name="八、社会保障和就业支出")[0].value == Decimal("326.71")
    assert _find(page, name="本年支出合计")[0].column == "支出/决算数"
    # Page 8 (0-based 7) 收入决算表: the name 机关事业单位基本养老保险缴费支出 wraps onto two lines in its cell.
    page = pdf_page_truth(finance_pdf, 7, dpi=150)
    assert _find(page, code="2080505")[0].row_key == RowKey("2080505", "机关事业单位基本养老保险缴费支出")
    # Page 9 (0-based 8) continues 收入决算表 without a header: codes still joined, no column header.
    page = pdf_page_truth(finance_pdf, 8, dpi=150)
    assert _find(page, code="2210203")[0].row_key == RowKey("2210203", "购房补贴")


def test_continued_page_without_header_keeps_codes_out(finance_pdf_full: Path) -> None:
    # Page 17 (0-based 16): second half of 基本支出决算表, no header row, two code columns side by side.
    page = pdf_page_truth(finance_pdf_full, 16, dpi=100)
    values = {c.value for c in page.cells}
    assert Decimal(302) not in values and Decimal(30399) not in values
    assert _find(page, code="30228")[0].value == Decimal("24.42")
    assert _find(page, name="公用经费合计")[0].value == Decimal("184.65")


def test_text_page_has_no_truth(finance_pdf: Path) -> None:
    page = pdf_page_truth(finance_pdf, 2, dpi=100)
    assert page.tables == () and page.cells == ()


def test_table_boxes_needs_two_by_two() -> None:
    h = [(0.0, 0.0, 100.0, 0.0), (0.0, 50.0, 100.0, 50.0)]
    v = [(0.0, 0.0, 0.0, 50.0), (100.0, 0.0, 100.0, 50.0)]
    assert table_boxes(h, v) == [(0.0, 0.0, 100.0, 50.0)]
    assert table_boxes(h, v[:1]) == []
    far = [(500.0, 500.0, 600.0, 500.0)]
    assert table_boxes(h + far, v) == [(0.0, 0.0, 100.0, 50.0)]


def test_labelled_page_truth() -> None:
    def cell(r: int, c: int, x0: float, text: str, header: bool = False) -> LabelledCell:
        return LabelledCell(row=r, col=c, bbox=[x0, r * 30, x0 + 100, r * 30 + 30], text=text, header=header)

    table = LabelledTable(
        bbox=[0, 0, 400, 90],
        type="expenditure_final",
        n_rows=3,
        n_cols=4,
        cells=[
            cell(0, 0, 0, "科目编码", True),
            cell(0, 1, 100, "科目名称", True),
            cell(0, 2, 200, "决算数", True),
            cell(0, 3, 300, "基本支出", True),
            cell(1, 0, 0, "2010601"),
            cell(1, 1, 100, "行政运行"),
            cell(1, 2, 200, "1,511.89"),
            cell(1, 3, 300, "—"),
            cell(2, 0, 0, "201"),
            cell(2, 1, 100, "一般公共服务支出"),
            cell(2, 2, 200, "2,106.66"),
            cell(2, 3, 300, "1,503.52"),
        ],
    )
    page = LabelledPage(
        id="synth-1-0",
        image="x.png",
        sha256="0",
        width=400,
        height=100,
        dpi=200,
        source="synth",
        document="synth-1",
        tables=[table],
    )
    truth = labelled_page_truth(page)
    got = sorted((c.row_key.code, c.row_key.name, c.column, c.value) for c in truth.cells)
    assert got == [
        ("201", "一般公共服务支出", "决算数", Decimal("2106.66")),
        ("201", "一般公共服务支出", "基本支出", Decimal("1503.52")),
        ("2010601", "行政运行", "决算数", Decimal("1511.89")),
    ]
    assert truth.tables[0].type == "expenditure_final" and truth.tables[0].n_values == 3


def test_title_with_yusuan_danwei_is_not_a_unit_line(shared_real: Path) -> None:
    """Bug: a 单位 filter dropped titles like 2025年预算单位财务收支预算总表; only 单位：/编制… lines are not titles."""
    page = pdf_page_truth(shared_real / "shanghai-putuo-gov-office_2025_单位预算.pdf", 7, dpi=72)
    assert (page.tables[0].title, page.tables[0].type) == ("2025年预算单位财务收支预算总表", "budget.summary")


def test_rulings_inside_a_form_xobject_give_truth(shared_real: Path) -> None:
    """Issue 12: Shenzhen's 2026 budgets draw every table inside a form XObject; page 16 of the finance bureau's
    (表1 收支总表) gave no truth table at all. Checked against the PDF: 一、财政拨款 36,989.05 万元 in 收入."""
    pdf = shared_real.parent / "real-wide" / "shenzhen_finance-bureau_2026_部门预算.pdf"
    tp = pdf_page_truth(pdf, 15, 100)
    assert len(tp.tables) == 1
    got = {(c.row_key.name, c.value) for c in tp.cells}
    assert ("一、财政拨款", Decimal("36989.05")) in got
    assert ("一、一般公共服务支出", Decimal("20563.76")) in got


def test_unnamed_column_number_row_is_not_truth(shared_real: Path) -> None:
    """Issue 12: Hangzhou's 2026 收入预算表 prints 1 2 3 … under its header with no 栏次 label; those were truth cells
    with no row key. Checked against the PDF (page 25): the 合计 row's 总计 is 99,230.46 万元."""
    pdf = shared_real.parent / "real-wide" / "hangzhou_justice_2026_部门预算.pdf"
    tp = pdf_page_truth(pdf, 24, 72)
    assert not [c for c in tp.cells if c.row_key.name is None and c.value in (Decimal(1), Decimal(2), Decimal(3))]
    assert ("合计", Decimal("99230.46")) in {(c.row_key.name, c.value) for c in tp.cells}


def test_rulings_of_a_rotated_page_are_in_the_words_frame(shared_real: Path) -> None:
    """Issue 12: Jiangsu's 2019 budgets show landscape tables through /Rotate 90. The rulings stayed unrotated, so
    支出预算总表 (page 3) gave one truth cell named ``公开表三部门：合计`` (the sheet label above the table joined
    with a header) and lost the other three. Checked against the PDF: 合计 18,330.37, 基本支出 9,312.90, 项目支出
    6,459.58, 单位预留机动经费 2,557.89 万元, one row without a label."""
    pdf = shared_real.parent / "real-wide" / "jiangsu_npc-standing-committee-office_2019_部门预算.pdf"
    tp = pdf_page_truth(pdf, 2, 72)
    assert len(tp.tables) == 1
    got = {(c.row_key.name, c.column.rsplit("/", 1)[-1] if c.column else None, c.value) for c in tp.cells}
    assert got == {
        (None, "合计", Decimal("18330.37")),
        (None, "基本支出", Decimal("9312.90")),
        (None, "项目支出", Decimal("6459.58")),
        (None, "单位预留机动经费", Decimal("2557.89")),
    }
