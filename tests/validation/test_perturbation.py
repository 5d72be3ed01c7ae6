"""Property tests on a real table (一般公共预算财政拨款支出决算表 of the finance bureau's 2024 决算, text layer):
perturb one character of one amount the way OCR does → a violation names the cell, repair restores it."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from validation_tables import GBE_ROWS, document_of, make_table

from juesuan.datamodel.amounts import parse_amount
from juesuan.evaluation.perturb import names_cell, perturbations
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate, check_table, document_values
from juesuan.validation.repair import repair_table
from juesuan.validation.rules import TableView, build_rules, load_identities
from juesuan.validation.schema import load_schema

HEADERS = ["合计", "基本支出", "项目支出"]
CELLS = [(r, k) for r, (_, _, amounts) in enumerate(GBE_ROWS) for k, a in enumerate(amounts) if a]


def _annotated():
    doc = annotate_and_validate(document_of(make_table("t5", "x", HEADERS, GBE_ROWS)), ValidationOptions(repair=False))
    table = doc.tables[0].model_copy(update={"type": "final.general_budget_expenditure"})
    return table


TABLE = _annotated()


def _trial(r: int, k: int, text: str):
    t = TABLE.model_copy(deep=True)
    cell = t.rows[r].cell(k + 2)
    cell.text = text
    view = TableView.build(t, load_schema())
    return view, build_rules(view, load_identities())


@settings(max_examples=60, deadline=None)
@given(which=st.sampled_from(CELLS), pick=st.integers(min_value=0, max_value=10_000))
def test_one_slip_is_named(which: tuple[int, int], pick: int) -> None:
    r, k = which
    options = list(perturbations(GBE_ROWS[r][2][k]))
    text, _kind = options[pick % len(options)]
    view, rules = _trial(r, k, text)
    found, _ = check_table(view, rules, ValidationOptions())
    assert any(names_cell(v, r, k + 2) for v in found), (r, k, text)


@pytest.mark.slow
def test_rates_over_every_slip_of_the_real_table() -> None:
    """Every single-character slip of every amount: named ≥ 99 %, restored ≥ 95 %, nothing else changed."""
    known = document_values([TABLE], [])
    trials = named = restored = 0
    for r, k in CELLS:
        original = GBE_ROWS[r][2][k]
        for text, _kind in perturbations(original):
            view, rules = _trial(r, k, text)
            found, _ = check_table(view, rules, ValidationOptions())
            trials += 1
            named += any(names_cell(v, r, k + 2) for v in found)
            fixed, records = repair_table(view, rules, ValidationOptions(), known)
            ok = parse_amount(fixed.rows[r].cell(k + 2).text) == parse_amount(original)
            restored += ok and len(records) == 1
    assert trials > 400
    assert named / trials >= 0.99
    assert restored / trials >= 0.95, restored / trials
