from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from validation_tables import GBE_ROWS, document_of, make_table

from juesuan.datamodel.document import Table
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate
from juesuan.validation.rules import TableView, build_rules, load_identities
from juesuan.validation.schema import load_schema

NO_REPAIR = ValidationOptions(repair=False, narrative=False)


def _rules(table: Table):
    doc = annotate_and_validate(document_of(table), NO_REPAIR)
    t = doc.tables[0]
    view = TableView.build(t, load_schema())
    return doc, build_rules(view, load_identities())


def test_real_table_gets_type_fields_and_passes(gbe_table: Table) -> None:
    doc, rules = _rules(gbe_table)
    t = doc.tables[0]
    assert t.type == "final.general_budget_expenditure"
    assert [c.field for c in t.columns][2:] == ["total", "basic_expenditure", "project_expenditure"]
    kinds = {e.rule for e in rules.equations}
    assert {"column_total", "hierarchy", "total_row"} <= kinds
    assert doc.validation.passed
    assert [v for v in doc.validation.violations if v.severity != "info"] == []
    assert doc.validation.checks >= 40


def test_changed_amount_is_named_with_expected_value() -> None:
    rows = [list(r) for r in GBE_ROWS]
    rows[9] = ["2080505", "机关事业单位基本养老保险缴费支出", ["160.75", "180.75", ""]]  # 6→8 in 基本支出
    table = make_table(
        "t5", "一般公共预算财政拨款支出决算表", ["合计", "基本支出", "项目支出"], [tuple(r) for r in rows]
    )  # type: ignore[misc]
    doc = annotate_and_validate(document_of(table), NO_REPAIR)
    errors = [v for v in doc.validation.violations if v.severity == "error"]
    assert not doc.validation.passed
    rules = {v.rule for v in errors}
    assert {"column_total", "hierarchy"} <= rules
    hier = next(v for v in errors if v.rule == "hierarchy")
    assert hier.cols == [3] and 9 in hier.rows
    assert hier.expected == 346.72 and hier.found == 326.72  # 20805 = Σ its 项 with the wrong cell
    col = next(v for v in errors if v.rule == "column_total" and 9 in v.rows)
    assert col.expected == 180.75 and col.found == 160.75 and col.difference == -20.0
    assert col.page == 3


def test_rounding_differences_are_info_not_errors() -> None:
    rows = [("201", "一般公共服务支出", ["10.01", "3.34", "6.66"]), (None, "合计", ["10.01", "3.34", "6.66"])]
    table = make_table("t1", "支出决算表", ["本年支出合计", "基本支出", "项目支出"], rows)
    doc = annotate_and_validate(document_of(table), NO_REPAIR)
    assert doc.validation.passed
    infos = [v for v in doc.validation.violations if v.severity == "info"]
    assert len(infos) == 2 and all(abs(v.difference) == 0.01 for v in infos)
    strict = annotate_and_validate(document_of(table), ValidationOptions(repair=False, rounding_per_term=0))
    assert not strict.validation.passed


@settings(max_examples=40, deadline=None)
@given(
    parts=st.lists(st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False), min_size=2, max_size=5),
    which=st.integers(min_value=0, max_value=4),
    delta=st.decimals(min_value=Decimal("0.05"), max_value=999, places=2),
)
def test_built_tables_pass_and_one_change_is_named(parts: list[Decimal], which: int, delta: Decimal) -> None:
    """A table built to satisfy its identities has no errors; changing one amount names that cell."""
    names = ["基本工资", "津贴补贴", "奖金", "伙食补助费", "绩效工资"]
    codes = ["30101", "30102", "30103", "30106", "30107"]
    total = sum(parts, Decimal(0))
    rows = [("301", "工资福利支出", [f"{total:.2f}", f"{total:.2f}", ""])]
    rows += [(codes[i], names[i], [f"{p:.2f}", f"{p:.2f}", ""]) for i, p in enumerate(parts)]
    rows.append((None, "合计", [f"{total:.2f}", f"{total:.2f}", ""]))
    table = make_table("t8", "一般公共预算基本支出预算表", ["合计", "人员经费", "公用经费"], rows)
    doc = annotate_and_validate(document_of(table), NO_REPAIR)
    assert doc.validation.passed, doc.validation.violations
    k = 1 + which % len(parts)
    changed = [list(r) for r in rows]
    changed[k][2] = [f"{parts[k - 1] + delta:.2f}", f"{parts[k - 1]:.2f}", ""]
    bad = make_table("t8", "一般公共预算基本支出预算表", ["合计", "人员经费", "公用经费"], [tuple(r) for r in changed])  # type: ignore[misc]
    doc2 = annotate_and_validate(document_of(bad), NO_REPAIR)
    named = [v for v in doc2.validation.violations if v.severity == "error" and [k, 2] in v.cells]
    assert named


def test_numbering_row_with_a_garbled_mark() -> None:
    """hangzhou meteorology 2026 p. 16 under `scan`: the 栏次 row's “**” was read “家家”, so 1, 2 … 17 were taken
    for amounts and 总计 = 本年收入 + 上年结转 failed (“should be 14, table has 1”)."""
    from juesuan.datamodel.document import Cell, Row
    from juesuan.validation.rules import is_numbering_row

    def row(*texts: str) -> Row:
        return Row(index=0, name=texts[0], cells=[Cell(col=k, text=t) for k, t in enumerate(texts)])

    assert is_numbering_row(row("家家", *(str(k) for k in range(1, 18))))
    assert is_numbering_row(row("**", "1", "2", "3"))
    assert not is_numbering_row(row("机关", "1", "2", "3"))  # a short run beside a label may be amounts
    assert is_numbering_row(row("本本", "1", "2", "3"))  # p. 20: ** read as two copies of one glyph
    assert not is_numbering_row(row("家家", *(str(k) for k in range(2, 8))))  # not numbered from 1
    assert not is_numbering_row(row("合计", "1", "2", "3", "4", "5", "6.50"))
    # hangzhou justice 2026 p.34 at `fax`: ** read “木t” above 1 2 3, the first body row (1 = 2 + 3 failed)
    assert is_numbering_row(row("木t", "1", "2", "3"), first=True)
    assert not is_numbering_row(row("木t", "1", "2", "3"))  # further down a table, a short run may be amounts
    assert not is_numbering_row(row("机关", "1", "2", "3"), first=True)  # a Chinese label
    assert not is_numbering_row(row("木t", "2", "3", "4"), first=True)


def test_a_memo_group_beside_a_total_is_not_one_of_its_terms() -> None:
    """Shenzhen 支出总表 (emergency management, finance bureau, water 2026; text layers): 支出总计 = 基本 + 项目 + …,
    then 2026年政府采购项目/小计 says how much of it is procurement. Its 小计 was summed into 支出总计 (76 false
    errors on shenzhen water). Where a sub-group's total is not zero the numbers say which reading holds."""
    headers = ["支出总计", "基本支出", "项目支出", "2026年政府采购项目/小计", "2026年政府采购项目/其中：中小企业"]
    rows = [
        ("208", "社会保障和就业支出", ["717.96", "717.96", "0.00", "0.00", "0.00"]),
        ("224", "灾害防治及应急管理支出", ["13,598.41", "5,784.65", "7,813.76", "2,464.81", "1,355.92"]),
        ("22406", "自然灾害防治", ["237.00", "0.00", "237.00", "237.00", "237.00"]),
    ]
    table = make_table("t5", "支出总表", headers, rows)
    doc = annotate_and_validate(document_of(table), ValidationOptions(repair=False))
    assert not [v for v in doc.validation.violations if v.rule == "column_total" and v.severity == "error"]
    # a breakdown whose sub-group total is a term (合计 = 项目支出 + 基本支出/小计) keeps it, and a slip is found
    headers = ["合计", "项目支出", "基本支出/小计", "基本支出/人员经费", "基本支出/公用经费"]
    rows = [
        ("201", "一般公共服务支出", ["300.00", "100.00", "200.00", "150.00", "50.00"]),
        ("20101", "人大事务", ["300.00", "100.00", "200.00", "150.00", "50.00"]),
        ("2010101", "行政运行", ["301.00", "100.00", "200.00", "150.00", "50.00"]),
    ]
    table = make_table("t6", "支出预算表", headers, rows)
    doc = annotate_and_validate(document_of(table), ValidationOptions(repair=False))
    assert any(v.rule == "column_total" and v.severity == "error" for v in doc.validation.violations)
