"""Every identity rule fires: one seeded slip per rule id, and validation reports that rule.

Each case starts from tables that pass (the seed documents in ../shared/data/seeds, or tables copied from the text
layer of the finance bureau's 2024 决算), changes the one amount the rule computes, and expects a violation with that
rule id. Rules that other tests already catch (column_total, hierarchy, total_row, narrative_*) are not repeated.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from validation_tables import GBE_ROWS, document_of, make_table

from juesuan.datamodel.amounts import format_amount, parse_amount
from juesuan.datamodel.document import Document, Table, Violation
from juesuan.datasets.seeds import load_seed_document
from juesuan.models.type_classifier import TableTypeClassifier
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate, annotate_tables
from juesuan.validation.rules import CellRef, TableView, build_rules, load_identities, summary_subtotal_cells
from juesuan.validation.schema import load_schema

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "data" / "seeds"
DAZHOU = "dazhou-hrss-info-center_2024_预算.txt"  # 部门收支总表, 收入总表, 支出总表, 一般公共预算 tables
LESHAN = "leshan-hrss-info-center_2024_决算.txt"  # 项目支出绩效自评表 with 分值, 得分, 执行率
CHECK_ONLY = ValidationOptions(repair=False)

# 一般公共预算财政拨款基本支出决算表, pages 16-17 of the finance bureau's 2024 决算 (万元): class rows and totals.
BASIC_ROWS: list[tuple[str | None, str, list[str]]] = [
    ("301", "工资福利支出", ["2,082.85"]),
    ("303", "对个人和家庭的补助", ["69.41"]),
    (None, "人员经费合计", ["2,152.26"]),
    ("302", "商品和服务支出", ["171.07"]),
    ("310", "资本性支出", ["13.58"]),
    (None, "公用经费合计", ["184.65"]),
]


def _seed(name: str) -> Document:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"needs {path} (../shared beside the checkout; CI has it)")
    return annotate_and_validate(load_seed_document(path), CHECK_ONLY)


def _finance_basic() -> Document:
    gbe = make_table("t5", "一般公共预算财政拨款支出决算表", ["合计", "基本支出", "项目支出"], GBE_ROWS)
    basic = make_table("t7", "一般公共预算财政拨款基本支出决算表", ["决算数"], BASIC_ROWS)
    return annotate_and_validate(document_of(gbe, basic), CHECK_ONLY)


def _rules(doc: Document) -> dict[str, list[tuple[Table, CellRef]]]:
    """rule id → (table, the cell the rule computes: an equation's target, a score, a rate) for every rule found."""
    schema = load_schema()
    config = load_identities()
    found: dict[str, list[tuple[Table, CellRef]]] = {}
    for table in annotate_tables(doc.tables, schema, TableTypeClassifier(schema)):
        rules = build_rules(TableView.build(table, schema), config)
        for eq in rules.equations:
            if eq.constant is None:
                found.setdefault(eq.rule, []).append((table, eq.target))
            else:  # section_weight: the target is the points printed in the heading; slip the first weight instead
                found.setdefault(eq.rule, []).append((table, eq.terms[0]))
        for q in rules.inequalities:
            found.setdefault(q.rule, []).append((table, q.low))
        for r in rules.ratios:
            found.setdefault(r.rule, []).append((table, r.rate))
    return found


def _slip(doc: Document, table_id: str, ref: CellRef, delta: str) -> tuple[Document, int, int]:
    """The document with ``delta`` added to one amount (kept in the cell's own style); returns its Row.index, col."""
    slipped = doc.model_copy(deep=True)
    table = next(t for t in slipped.tables if t.id == table_id)
    row = table.rows[ref.pos]
    cell = row.cell(ref.col)
    assert cell is not None and cell.text, f"{table_id} row {ref.pos} col {ref.col} has no amount to slip"
    value = parse_amount(cell.text)
    assert value is not None, cell.text
    new = value + Decimal(delta)
    text = cell.text.strip()
    places = len(text.rstrip("%").split(".", 1)[1]) if "." in text else 0
    cell.text = f"{new:.{places}f}%" if text.endswith("%") else format_amount(new, places)
    cell.value = float(new)
    return slipped, row.index, ref.col


def _reported(doc: Document, rule: str) -> list[Violation]:
    return [v for v in annotate_and_validate(doc, CHECK_ONLY).validation.violations if v.rule == rule]


def _names(v: Violation, row: int, col: int) -> bool:
    return [row, col] in v.cells or (v.target is not None and (v.target.row, v.target.col) == (row, col))


@pytest.mark.parametrize(
    ("seed", "rule", "delta"),
    [
        (DAZHOU, "section_subtotal", "10.00"),
        (DAZHOU, "section_grand_total", "10.00"),
        (LESHAN, "section_weight", "3"),
        (LESHAN, "score_total", "-1"),
        (LESHAN, "score_le_max", "50"),
        (LESHAN, "execution_rate", "7.5"),
    ],
)
def test_a_slip_in_a_seed_document_is_reported_by_its_rule(seed: str, rule: str, delta: str) -> None:
    doc = _seed(seed)
    before = _reported(doc, rule)  # the seeds are real documents: some tables already break a rule
    table, ref = next(
        (t, r)
        for t, r in _rules(doc)[rule]
        if not any(v.table == t.id and _names(v, t.rows[r.pos].index, r.col) for v in before)
    )
    slipped, row, col = _slip(doc, table.id, ref, delta)
    found = [v for v in _reported(slipped, rule) if v.table == table.id and _names(v, row, col)]
    assert found, f"{rule} did not fire on a slip in {table.id} row {row} col {col}"


def test_income_equals_expenditure_is_reported() -> None:
    """收入总计 = 支出总计: a slip in the expenditure grand total (and only there) breaks it."""
    doc = _seed(DAZHOU)
    (table, ref), *_ = _rules(doc)["income_equals_expenditure"]
    assert _reported(doc, "income_equals_expenditure") == []
    slipped, row, col = _slip(doc, table.id, ref, "100.00")
    (v,) = _reported(slipped, "income_equals_expenditure")
    assert v.target is not None and (v.target.row, v.target.col) == (row, col)


@pytest.mark.parametrize(("side", "rule"), [(0, "cross_summary_income"), (1, "cross_summary_expenditure")])
def test_summary_subtotal_against_the_income_and_expenditure_tables(side: int, rule: str) -> None:
    """本年收入合计 / 本年支出合计 of the 收支总表 must equal the 收入总表 / 支出总表 totals."""
    doc = _seed(DAZHOU)
    summary = next(t for t in annotate_tables(doc.tables, load_schema(), None) if t.type == "budget.summary")
    ref = summary_subtotal_cells(TableView.build(summary, load_schema()))[side]
    assert _reported(doc, rule) == []
    slipped, _, _ = _slip(doc, summary.id, ref, "100.00")
    (v,) = _reported(slipped, rule)
    assert v.table != summary.id and v.other is not None and v.other.table == summary.id
    assert (v.other.row, v.other.col) == (summary.rows[ref.pos].index, ref.col)


@pytest.mark.parametrize(
    ("rule", "label"), [("personnel_costs_total", "人员经费合计"), ("operating_costs_total", "公用经费合计")]
)
def test_named_rows_of_the_basic_expenditure_table(rule: str, label: str) -> None:
    doc = _finance_basic()
    assert [v.rule for v in doc.validation.violations if v.severity == "error"] == []
    basic = next(t for t in doc.tables if t.id == "t7")
    pos = next(p for p, r in enumerate(basic.rows) if r.name == label)
    slipped, row, col = _slip(doc, "t7", CellRef(pos, 2), "0.60")
    (v,) = _reported(slipped, rule)
    assert v.target is not None and (v.target.row, v.target.col) == (row, col)


def test_cross_basic_compares_the_basic_column_with_the_basic_table() -> None:
    """一般公共预算财政拨款支出决算表 基本支出 合计 (2,336.91) = 人员经费合计 + 公用经费合计 of the basic table."""
    doc = _finance_basic()
    assert _reported(doc, "cross_basic") == []
    gbe = next(t for t in doc.tables if t.id == "t5")
    total = next(p for p, r in enumerate(gbe.rows) if r.name == "合计")
    slipped, _, _ = _slip(doc, "t5", CellRef(total, 3), "9.00")
    (v,) = _reported(slipped, "cross_basic")
    assert v.tables == ["t5", "t7"] and v.expected == pytest.approx(2345.91) and v.found == pytest.approx(2336.91)


def test_summary_income_against_an_income_table_that_lists_carry_over_in_a_column() -> None:
    """hangzhou justice 2026 at `fax`: the 收支总表's second page (上年结转结余 347.32, 收入总计) was lost, so its
    本年收入合计 98,883.14 met the 收入总表's 合计 99,230.46, which counts 上年结转结余 in a column of its own. The
    difference is that column: a definition (warning naming it), not a slip; any other difference is an error."""
    from juesuan.validation.cross import _compare

    summary = make_table("t2", "收支预算总表", ["预算数"], [(None, "本年收入合计", ["98,883.14"])])
    income = make_table(
        "t4",
        "收入预算总表",
        ["总计", "本年收入/小计", "上年结转结余/小计"],
        [(None, "合计", ["99,230.46", "98,883.14", "347.32"])],
    )
    args = ("本年收入合计不一致", "income total differs", Decimal("0.01"))
    v = _compare(
        "cross_summary_income", summary, (Decimal("98883.14"), 0, 2), income, (Decimal("99230.46"), 0, 2), *args
    )
    assert v is not None and v.severity == "warning" and "上年结转结余/小计" in v.message_en
    v = _compare(
        "cross_summary_income", summary, (Decimal("98883.14"), 0, 2), income, (Decimal("99330.46"), 0, 2), *args
    )
    assert v is not None and v.severity == "error"
