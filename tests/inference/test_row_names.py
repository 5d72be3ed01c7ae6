"""Row names of code-less 经济分类 tables read from the vocabulary (issue 12: fax copies lose rows by their name)."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_data import fax_copy_outcomes

from juesuan.datamodel.document import Cell, Row
from juesuan.inference.assemble import NAME_READ_CONFIDENCE, read_item_names
from juesuan.validation.codes import load_catalogue

ITEMS = load_catalogue().named_items("economic")


def _rows(*names: str | tuple[str, float] | tuple[str, float, str]) -> list[Row]:
    """One row per name: (text, OCR confidence, code), confidence 0.9 and no code by default."""
    rows = []
    for i, spec in enumerate(names):
        text, conf, code = (spec, 0.9, None) if isinstance(spec, str) else (*spec, None)[:3]
        cells = [Cell(col=0, text=text, confidence=conf), Cell(col=1, text="1.00", value=1.0)]
        rows.append(Row(index=i, code=code, name=text, cells=cells))
    return rows


def _names(rows: list[Row]) -> list[str | None]:
    return [r.name for r in read_item_names(rows, ITEMS)]


def test_vocabulary_is_in_code_order() -> None:
    codes = [e.code for e in ITEMS]
    assert codes == sorted(codes) and codes.index("302") < codes.index("30201") < codes.index("30299")


def test_a_near_miss_reads_as_the_one_closest_name_and_keeps_its_text() -> None:
    rows = _rows("工资福利支出", "基本工资", "津贴补贴", "商品和服务支出", "F刷费", "手续弗", "电费")
    out = read_item_names(rows, ITEMS)
    assert [r.name for r in out][4:6] == ["印刷费", "手续费"]
    assert out[5].cells[0].text == "手续弗" and out[5].cells[0].confidence == NAME_READ_CONFIDENCE
    assert out[6] is rows[6] and rows[5].name == "手续弗"  # the input is not changed


def test_the_only_name_of_its_length_between_the_rows_around() -> None:
    """水费 between 手续费 and 电费; 奖金 (read 寶世, OCR itself unsure) between 津贴补贴 and 养老保险缴费."""
    wages = ("工资福利支出", "津贴补贴", ("寶世", 0.08), "机关事业单位基本养老保险缴费")
    rows = _rows(*wages, "商品和服务支出", "手续费", "八费", "电费")
    assert _names(rows)[2] == "奖金" and _names(rows)[6] == "水费"


def test_an_unrelated_sure_reading_in_a_gap_stays() -> None:
    """寶世 read with confidence 0.9 shares nothing with 奖金: OCR is sure of it, so it is not renamed."""
    rows = _rows("工资福利支出", "津贴补贴", "寶世", "机关事业单位基本养老保险缴费")
    assert _names(rows)[2] == "寶世"


def test_a_name_not_in_the_vocabulary_stays() -> None:
    """物业费 (a bureau's own item) between 取暖费 and 差旅费: 物业管理费 fits the gap but not the length."""
    rows = _rows("商品和服务支出", "办公费", "取暖费", "物业费", "差旅费")
    assert _names(rows)[3] == "物业费"


def test_two_equally_close_names_change_nothing() -> None:
    """会务费 is as close to 会议费 as to 劳务费, and the last row has no anchor below."""
    rows = _rows("商品和服务支出", "办公费", "印刷费", "会务费")
    assert _names(rows)[3] == "会务费"


def test_two_rows_claiming_one_gap_name_change_nothing() -> None:
    rows = _rows("工资福利支出", "津贴补贴", ("寶世", 0.08), ("贊全", 0.08), "机关事业单位基本养老保险缴费")
    assert _names(rows)[2:4] == ["寶世", "贊全"]


@pytest.mark.parametrize(
    "rows",
    [
        _rows("工资福利支出", "基本工资", "津贴补贴", ("手续弗", 1.0)),  # a text layer is never second-guessed
        _rows("工资福利支出", "基本工资", "津贴补贴", ("手续弗", 0.9, "30299")),  # a row with a code keeps its name
        _rows("基本工资", "津贴补贴", "甲项目", "乙项目", "丙项目", "丁项目", "手续弗"),  # not an item list
    ],
)
def test_rows_outside_the_rule_stay(rows: list[Row]) -> None:
    assert _names(rows)[-1] == "手续弗"


@pytest.mark.slow
def test_misread_item_names_on_a_real_fax_page(shared_real: Path, tmp_path: Path) -> None:
    """Issue 12: Shenzhen finance bureau 2026 部门预算 page 24 (项目类别 table, no 科目编码) as the evaluation's fax
    copy (150 dpi, 1-bit, seed 7) read 奖金, 办公费, 印刷费, 手续费 and 水费 as 寶世, 九公帶, F刷费, 手续弗 and
    八费, and their 60 amounts were in no row. Scored against the PDF's text layer, every truth cell of those rows
    has a row."""
    pdf_path = shared_real.parent / "real-wide" / "shenzhen_finance-bureau_2026_部门预算.pdf"
    _, outcomes = fax_copy_outcomes(pdf_path, 23, tmp_path)
    items = {"奖金", "办公费", "印刷费", "手续费", "水费"}
    mine = [o for o in outcomes if o.truth.row_key.name in items]
    assert len(mine) >= 50
    assert not [o for o in mine if o.status == "no_row"], [(o.truth.row_key.name, o.status) for o in mine]
