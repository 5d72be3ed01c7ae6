"""OCR uncertainty (issue 13): a slip OCR may have made is an ``ocr_uncertain`` warning; the same slip read from a
text layer stays the document's error. Tiny documents built from the finance bureau's 2024 决算 tables."""

from __future__ import annotations

from validation_tables import GBE_ROWS, document_of, make_table

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Document, PageInfo, Repair, Table, TextBlock, Violation
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate
from juesuan.validation.uncertainty import cell_doubt, mark_uncertain, ocr_pages, slip_doubt, stated_slip_doubt

# 行政运行 1,511.89 misread as 1,571.89 (1↔7): 财政事务 20106 = Σ项 and the 基本+项目 row identity both fail
SLIP = ("2010601", 2, "1,571.89")


def _gbe(confidence: float = 1.0, slip: tuple[str, int, str] | None = SLIP) -> Table:
    table = make_table("t5", "一般公共预算财政拨款支出决算表", ["合计", "基本支出", "项目支出"], GBE_ROWS)
    for row in table.rows:
        for cell in row.cells:
            cell.confidence = confidence
            if slip and row.code == slip[0] and cell.col == slip[1]:
                value = parse_amount(slip[2])
                cell.text, cell.value = slip[2], None if value is None else float(value)
    return table


def _doc(*tables: Table, text_layer: bool, blocks: list[TextBlock] | None = None) -> Document:
    doc = document_of(*tables)
    doc.pages = [PageInfo(index=p, width=1000, height=1400, dpi=200, text_layer=text_layer) for p in range(20)]
    doc.text = blocks or []
    return doc


def _errors(doc: Document, **options: object) -> tuple[list, list]:
    out = annotate_and_validate(doc, ValidationOptions(repair=False, **options))  # type: ignore[arg-type]
    errors = [v for v in out.validation.violations if v.severity == "error"]
    uncertain = [v for v in out.validation.violations if v.ocr_uncertain]
    return errors, uncertain


def test_text_layer_slip_is_an_error() -> None:
    errors, uncertain = _errors(_doc(_gbe(), text_layer=True))
    assert any(v.table == "t5" for v in errors)
    assert uncertain == []


def test_low_confidence_ocr_slip_is_ocr_uncertain_and_names_the_cell() -> None:
    table = _gbe(confidence=0.97)
    row = next(r for r in table.rows if r.code == SLIP[0])
    row.cell(SLIP[1]).confidence = 0.41  # type: ignore[union-attr]
    errors, uncertain = _errors(_doc(table, text_layer=False))
    assert errors == []
    assert uncertain and all(v.severity == "warning" for v in uncertain)
    v = uncertain[0]
    assert "2010601" in v.ocr_uncertain and "0.41" in v.ocr_uncertain
    assert "OCR不确定" in v.message_zh and "OCR-uncertain" in v.message_en


def test_confident_ocr_slip_stays_an_error() -> None:
    """OCR read every cell at 0.97: nothing explains the disagreement, so it is reported as the document's."""
    errors, uncertain = _errors(_doc(_gbe(confidence=0.97), text_layer=False))
    assert errors and uncertain == []


def test_switch_off_keeps_errors() -> None:
    table = _gbe(confidence=0.3)
    errors, uncertain = _errors(_doc(table, text_layer=False), ocr_uncertainty=False)
    assert errors and uncertain == []


def test_confident_slip_in_a_table_whose_header_holds_an_amount_is_uncertain() -> None:
    """A copy lost the rule under the header: the first body row's cells were read into it (jiangsu procuratorate 2019
    三公 table at `fax`: “公务接待费101.26”), so the table's identities and the figures read from it are in doubt."""
    table = _gbe(confidence=0.97)
    table.columns[-1].header = "项目支出158.44"
    errors, uncertain = _errors(_doc(table, text_layer=False))
    assert errors == [] and uncertain
    assert "项目支出158.44" in uncertain[0].ocr_uncertain
    glued = _gbe(confidence=0.97)
    glued.rows[0].cells[-1].text = "12.5012.50"  # two amounts in one cell: a lost column rule
    errors, uncertain = _errors(_doc(glued, text_layer=False))
    assert errors == [] and uncertain and "12.5012.50" in uncertain[0].ocr_uncertain
    glued.rows[0].cells[-1].text = "5.40二5. 40"  # a rule's stroke read between them (yantai finance p.21)
    errors, uncertain = _errors(_doc(glued, text_layer=False))
    assert errors == [] and uncertain and "5.40二5. 40" in uncertain[0].ocr_uncertain
    glued.rows[0].cells[-1].text = "6.663.44"  # one amount whose thousands comma was read as a point
    errors, uncertain = _errors(_doc(glued, text_layer=False))
    assert errors and uncertain == []
    text_layer = _gbe(confidence=1.0)
    text_layer.columns[-1].header = "项目支出158.44"
    errors, uncertain = _errors(_doc(text_layer, text_layer=True))
    assert errors and uncertain == []  # a text layer's table is what is printed


def test_unreadable_and_repaired_cells_are_doubts() -> None:
    table = _gbe(slip=("2010601", 2, "1,5l1.89"))  # a letter read for a digit: no value
    row = next(r for r in table.rows if r.code == "2010601")
    cell = row.cell(2)
    assert cell is not None and cell.value is None
    why = cell_doubt(cell, 0.8)
    assert why is not None and "1,5l1.89" in why[1]
    cell.repair = Repair(original_text="1,571.89", corrected_value=1511.89, edit="confusion", score=5.0)
    why = cell_doubt(cell, 0.8)
    assert why is not None and "repaired" in why[1] and "1,571.89" in why[1]
    cell.source = "human"
    assert cell_doubt(cell, 0.8) is None


def test_orphaned_ocr_table_is_uncertain_but_not_a_text_layer_one() -> None:
    for text_layer, expect_uncertain in ((False, True), (True, False)):
        table = _gbe(confidence=0.97)
        table.orphans = 2
        errors, uncertain = _errors(_doc(table, text_layer=text_layer))
        assert bool(uncertain) is expect_uncertain
        assert bool(errors) is not expect_uncertain
        if expect_uncertain:
            assert "orphans:2" in uncertain[0].ocr_uncertain


SHARE = (
    "一般公共预算财政拨款支出2940.05万元，主要用于以下方面：一般公共服务支出（类）2106.66万元，占71.73%；"
    "社会保障和就业支出（类）326.72万元，占11.11%；"
)


def _share_block(confidence: float | None) -> TextBlock:
    """The sentence as one OCR block; the token '占71.73%' read at ``confidence`` (None: a text layer)."""
    start = SHARE.index("占71.73%")
    spans = [] if confidence is None else [(0, start, 0.99), (start, start + len("占71.73%"), confidence)]
    return TextBlock(page=10, text=SHARE, confidence=confidence, spans=spans)


def test_narrative_figure_with_a_low_confidence_digit_is_uncertain() -> None:
    errors, uncertain = _errors(_doc(text_layer=False, blocks=[_share_block(0.52)]))
    assert [v.rule for v in errors] == []
    assert [v.rule for v in uncertain] == ["narrative_share"]
    assert "71.73" in uncertain[0].ocr_uncertain and "0.52" in uncertain[0].ocr_uncertain


def test_narrative_slip_in_text_layer_or_confident_ocr_is_an_error() -> None:
    for doc in (
        _doc(text_layer=True, blocks=[_share_block(None)]),
        _doc(text_layer=False, blocks=[_share_block(0.98)]),
    ):
        errors, uncertain = _errors(doc)
        assert [v.rule for v in errors] == ["narrative_share"] and uncertain == []


def test_ocr_pages_of_an_older_file_come_from_confidences() -> None:
    table = _gbe(confidence=0.9)
    doc = document_of(table)  # no PageInfo: pages read by OCR are those with a cell below 1.0
    assert ocr_pages(doc) == {3}
    assert ocr_pages(document_of(_gbe())) == set()


def test_missing_table_beside_an_untyped_ocr_table_is_uncertain() -> None:
    """gov-office 2025 单位预算 under `scan`: the 基本支出 table's title was read as the 编制单位 line, so it had no
    type and completeness called the required table missing (benchmarks/checks_ocr.py)."""
    untyped = _gbe(confidence=0.97, slip=None)
    untyped.title, untyped.type, untyped.type_confidence = "编制单位：上海市普陀区人民政府办公室", None, 0.01
    missing = Violation(rule="table_missing", severity="error", page=1, message_en="general_budget_basic is missing")
    for text_layer, severity in ((False, "warning"), (True, "error")):
        doc = _doc(untyped, text_layer=text_layer)
        (v,) = mark_uncertain(doc, doc.tables, [missing], 0.8)
        assert v.severity == severity
        assert (v.ocr_uncertain is not None) is (not text_layer)
    typed = _gbe(confidence=0.97, slip=None)
    typed.type, typed.type_confidence = "final.general_budget_expenditure", 0.99
    doc = _doc(typed, text_layer=False)
    assert mark_uncertain(doc, doc.tables, [missing], 0.8)[0].severity == "error"


def test_identity_on_an_ocr_table_of_unsure_or_foreign_type_is_uncertain() -> None:
    """gov-office 2025 单位预算 under `fax`: the 收支总表 lost its title and was typed as a 决算 基本支出 table, so a
    column identity of the wrong template failed on correct numbers."""
    v = Violation(rule="column_total", table="t5", cells=[[0, 2], [0, 3]], severity="error", page=3)
    for type_id, p, kind, uncertain in (
        ("final.general_budget_expenditure", 0.99, "预算", True),  # a 决算 table in a 预算
        ("budget.general_budget_expenditure", 0.61, "预算", True),  # unsure
        ("budget.general_budget_expenditure", 0.99, "预算", False),
    ):
        table = _gbe(confidence=0.99, slip=None)
        table.type, table.type_confidence = type_id, p
        others = [_gbe(confidence=0.99, slip=None) for _ in range(2)]  # most tables agree with the kind
        for k, t in enumerate(others):
            t.id, t.type, t.type_confidence = f"t{k + 10}", "budget.income", 0.99
        doc = _doc(table, *others, text_layer=False)
        doc.info.kind = kind
        (out,) = mark_uncertain(doc, doc.tables, [v], 0.8)
        assert (out.ocr_uncertain is not None) is uncertain, (type_id, p)
        if uncertain:
            assert type_id in out.ocr_uncertain and out.severity == "warning"
        doc.pages = [p.model_copy(update={"text_layer": True}) for p in doc.pages]
        assert mark_uncertain(doc, doc.tables, [v], 0.8)[0].severity == "error"


# justice-bureau 2026 部门预算 p. 8 under `fax`: 预算安排686万元 read as 685 at confidence 0.997
# (benchmarks/checks_ocr.py)
LEGAL = (
    "4、公共安全支出（204类）司法（06款）公共法律服务（07项）{head}万元。主要用于：公共法律服务业务支出。"
    "2025年当年预算执行数为679.12万元，2026年预算安排685万元，比2025年预算执行数增加1.01%。"
)


def test_amount_one_slip_from_one_printed_elsewhere_is_uncertain() -> None:
    def run(head: str, text_layer: bool, dpi: int = 150) -> tuple[list, list]:
        text = LEGAL.format(head=head)
        spans = [] if text_layer else [(0, len(text), 0.997)]
        doc = _doc(text_layer=text_layer, blocks=[TextBlock(page=7, text=text, spans=spans)])
        errors, uncertain = _errors(_at_dpi(doc, dpi))
        narrative = [v for v in errors if v.rule.startswith("narrative")]  # the page set is a fragment
        return narrative, [v for v in uncertain if v.rule.startswith("narrative")]

    errors, uncertain = run("686", text_layer=False)  # the fax page: 150 dpi
    assert errors == [] and [v.rule for v in uncertain] == ["narrative_change"]
    assert "685万元" in uncertain[0].ocr_uncertain and "686" in uncertain[0].ocr_uncertain
    errors, uncertain = run("686", text_layer=True)  # the same words in a text layer: the document's error
    assert [v.rule for v in errors] == ["narrative_change"] and uncertain == []
    errors, uncertain = run("685", text_layer=False)  # 685 printed twice, no neighbour: nothing explains it
    assert [v.rule for v in errors] == ["narrative_change"] and uncertain == []
    # a 200 dpi scan read at 0.997: a digit slip is no explanation there (central petitions bureau 2026 p. 25
    # under `scan`: its own “增长31.35%” for 31.56 was called one 3→5 slip from the value the rule computes)
    errors, uncertain = run("686", text_layer=False, dpi=200)
    assert [v.rule for v in errors] == ["narrative_change"] and uncertain == []


def test_slip_must_give_the_value_the_rule_expected() -> None:
    """finance-bureau 2024 决算 p. 21 states 财政拨款收入支出总计0.3万元 (the table: 2,961.68): 0.31 is printed
    elsewhere, but reading 0.31 would not fix the rule, so the unit slip stays the document's."""
    from collections import Counter
    from decimal import Decimal

    v = Violation(rule="unit_slip", found=0.3, expected=2961.68, page=20, text="财政拨款收入支出总计0.3万元")
    assert slip_doubt(v, Counter({Decimal("0.31"): 1})) is None
    v2 = v.model_copy(update={"expected": 0.31})
    assert slip_doubt(v2, Counter({Decimal("0.31"): 1})) is not None
    assert slip_doubt(v2, Counter({Decimal("0.31"): 1}), degraded=False) is None  # a dropped digit: degraded only


def test_stated_figure_one_slip_from_the_computed_value() -> None:
    """A digit slip of the stated figure explains it on a degraded page only; a dropped point on any OCR page."""
    v = Violation(rule="narrative_change", found=31.35, expected=31.56, page=24, text="增长31.35%")
    assert stated_slip_doubt(v, degraded=True) is not None  # 3→5
    assert stated_slip_doubt(v, degraded=False) is None
    point = Violation(rule="narrative_share", found=9979, expected=99.79, page=3, text="占9979%")
    assert stated_slip_doubt(point, degraded=False) is not None


def test_kind_rule_is_uncertain_when_an_ocr_cover_disagrees_with_the_tables() -> None:
    """finance-bureau 2024 决算 under `scan`: the cover gave no text, the kind came out 预算, and 截至2024年12月31日
    was judged by the 预算 rule (should be 2023) although all nine tables are 决算 tables."""
    v = Violation(rule="year_cutoff", severity="error", page=5, text="截至2024年12月31日")
    for text_layer, severity in ((False, "warning"), (True, "error")):
        table = _gbe(confidence=0.99, slip=None)
        table.type, table.type_confidence = "final.general_budget_expenditure", 0.99
        doc = _doc(table, text_layer=text_layer)
        doc.info.kind = "预算"
        (out,) = mark_uncertain(doc, doc.tables, [v], 0.8)
        assert out.severity == severity
        if severity == "warning":
            assert "预算" in out.ocr_uncertain and "决算" in out.ocr_uncertain
        doc.info.kind = "决算"  # the kind agrees with the tables: nothing explains the year
        assert mark_uncertain(doc, doc.tables, [v], 0.8)[0].severity == "error"


def test_year_rule_is_uncertain_when_the_year_was_guessed_from_ocr_text() -> None:
    """commerce 2025 部门预算 under `fax`: OCR read no cover heading and no table title, the year came out 2024 (the
    text names 2024 most), and every 比2024年 was called wrong."""
    v = Violation(rule="year_compare", severity="error", page=7, text="比2024年")
    for text_layer, year, severity in (
        (False, (2024, "text"), "warning"),
        (False, (2025, "cover"), "error"),  # the year read from the cover: the document's own
        (True, (2024, "text"), "error"),
    ):
        doc = _doc(_gbe(slip=None), text_layer=text_layer)
        (out,) = mark_uncertain(doc, doc.tables, [v], 0.8, year=year)
        assert out.severity == severity, (text_layer, year)
        if severity == "warning":
            assert "2024" in out.ocr_uncertain and "text" in out.ocr_uncertain


# the justice bureau's fax run (p. 9): 241.76 read 24176 at confidence 0.99, printed nowhere else
CHANGE_SENTENCE = "购房补贴2026年预算数为243.36万元，比2025年当年预算执行数{}万元增加1.60万元，增长0.66%。"


def test_change_sentence_that_holds_after_one_slip_is_ocr_uncertain() -> None:
    misread = [TextBlock(page=3, text=CHANGE_SENTENCE.format("24176"), confidence=0.99)]
    errors, uncertain = _errors(_doc(text_layer=False, blocks=misread))
    assert [v.rule for v in errors if v.rule.startswith("narrative_")] == []  # (a fragment: tables are missing)
    assert {v.rule for v in uncertain} >= {"narrative_change"}
    assert all("241.76" in v.ocr_uncertain for v in uncertain if v.rule.startswith("narrative_"))
    # the same sentence from a text layer is the document's error
    errors, uncertain = _errors(_doc(text_layer=True, blocks=misread))
    assert "narrative_change" in {v.rule for v in errors} and uncertain == []


def test_change_sentence_no_single_slip_explains_stays_an_error() -> None:
    """200.00 → 240.00 would make the percentage hold but not the stated difference: a misstatement, not a misread."""
    wrong = [TextBlock(page=3, text=CHANGE_SENTENCE.format("200.00"), confidence=0.99)]
    errors, uncertain = _errors(_doc(text_layer=False, blocks=wrong))
    assert "narrative_change" in {v.rule for v in errors}
    assert not any(v.rule.startswith("narrative_") for v in uncertain)


# ---- degraded pages (a 150 dpi 1-bit fax copy loses strokes: a printed 4 read 1 at confidence ~0.99) ----------


def _at_dpi(doc: Document, dpi: int) -> Document:
    doc.pages = [p.model_copy(update={"dpi": dpi}) for p in doc.pages]
    return doc


def test_faded_glyph_on_a_degraded_page_is_uncertain_but_not_on_a_200_dpi_scan() -> None:
    """行政单位离退休 84.65 read 81.65 at 0.99 (the 4 lost its bar): 20805 = Σ项 and the row's 合计 = 基本 fail.
    On a 150 dpi page a 4 read 1 explains both and the message names the cell, the dpi and the reading; on a
    200 dpi scan the same reading stays the document's error (tests/io plant such errors into OCR extractions)."""
    faded = ("2080501", 2, "81.65")
    errors, uncertain = _errors(_at_dpi(_doc(_gbe(confidence=0.99, slip=faded), text_layer=False), 150))
    assert errors == [] and {v.rule for v in uncertain} >= {"hierarchy"}
    assert all("81.65" in v.ocr_uncertain and "150 dpi" in v.ocr_uncertain for v in uncertain)
    assert all("4 is often read 1" in v.ocr_uncertain and "84.65" in v.ocr_uncertain for v in uncertain)
    assert all("150 dpi" in v.message_zh for v in uncertain)
    errors, uncertain = _errors(_at_dpi(_doc(_gbe(confidence=0.99, slip=faded), text_layer=False), 200))
    assert {v.rule for v in errors} >= {"hierarchy"} and uncertain == []
    # a text layer never has degraded pages, whatever dpi it was rendered at
    errors, uncertain = _errors(_at_dpi(_doc(_gbe(slip=faded), text_layer=True), 150))
    assert errors and uncertain == []


def test_slip_that_no_faded_glyph_explains_stays_an_error_on_a_degraded_page() -> None:
    """84.65 read 89.65: a 9 for a 4 is no stroke a fax loses (FADED), so the sum's failure is the document's."""
    errors, uncertain = _errors(
        _at_dpi(_doc(_gbe(confidence=0.99, slip=("2080501", 2, "89.65")), text_layer=False), 150)
    )
    assert {v.rule for v in errors} >= {"hierarchy"} and uncertain == []


def _row_read(total: str, basic: str) -> tuple[Document, Violation]:
    """A 150 dpi page whose 2080501 row reads ``total`` (合计) and ``basic`` (基本支出), and the column_total violation
    that row gives (a typed table, so no table doubt comes first)."""
    table = _gbe(confidence=0.99, slip=None)
    table.type, table.type_confidence = "final.general_budget_expenditure", 0.99
    row = next(r for r in table.rows if r.code == "2080501")
    for col, text in ((2, total), (3, basic)):
        cell = row.cell(col)
        assert cell is not None
        cell.text, cell.value = text, float(text)
    v = Violation.model_validate(
        {
            "rule": "column_total",
            "table": "t5",
            "cells": [[row.index, 2], [row.index, 3]],
            "target": {"row": row.index, "col": 2},
            "found": float(total),
            "expected": float(basic),
            "severity": "error",
            "page": 3,
        }
    )
    return _at_dpi(_doc(table, text_layer=False), 150), v


def test_two_faded_cells_of_one_identity() -> None:
    """commerce 2025 p. 14 under `fax`: 31,364,000.00 printed in both columns, read 31,361,000.00 (4→1) and
    31,354,000.00 (6→5): one faded glyph undone in each cell makes the row hold."""
    doc, v = _row_read("81.65", "84.55")  # printed 84.65 in both
    (out,) = mark_uncertain(doc, doc.tables, [v], 0.8)
    assert out.severity == "warning" and "81.65" in out.ocr_uncertain and "84.55" in out.ocr_uncertain
    (out,) = mark_uncertain(doc, doc.tables, [v], 0.8, degraded_dpi=150)  # 150 is not below 150: not degraded
    assert out.severity == "error"


def test_faded_code_takes_a_row_out_of_its_parent_sum() -> None:
    """jiangsu high-court 2019 p. 10 under `fax`: 2080506 read 2030506 (an 8 lost its left loops), so 20805's
    sub-items miss that row. On a degraded page the misread code is named; on a 200 dpi scan it is an error."""

    def doc_at(dpi: int, parent_printed: bool = False) -> Document:
        table = _gbe(confidence=0.99, slip=None)
        row = next(r for r in table.rows if r.code == "2080506")
        row.code = "2030506"
        row.cells[0].text = "2030506"
        if parent_printed:  # 20305 is in the table: 2030506 is its sub-item, no misread of 2080506
            parent = next(r for r in table.rows if r.code == "20805")
            parent.code = parent.cells[0].text = "20305"
        return _at_dpi(_doc(table, text_layer=False), dpi)

    errors, uncertain = _errors(doc_at(150))
    hierarchy = [v for v in uncertain if v.rule == "hierarchy"]
    assert hierarchy and not [v for v in errors if v.rule == "hierarchy"]
    assert any("2030506" in v.ocr_uncertain and "2080506" in v.ocr_uncertain for v in hierarchy)
    errors, uncertain = _errors(doc_at(200))
    assert [v for v in errors if v.rule == "hierarchy"] and not [v for v in uncertain if v.rule == "hierarchy"]
    errors, uncertain = _errors(doc_at(150, parent_printed=True))
    assert [v for v in errors if v.rule == "hierarchy"]
    assert not any("2030506" in (v.ocr_uncertain or "") for v in uncertain)


def test_year_of_a_garbled_title_on_a_degraded_page() -> None:
    """fuzhou devzone 2026 p. 10 under `fax`: a title read “2020年成又出顶昇总衣” at 0.81: one glyph (6→0) from the
    reporting year, read unsurely on a 150 dpi page. A confident reading, a 200 dpi page, or a year two glyphs
    away stays an error."""
    title = "2020年成又出顶昇总衣"

    def run(text: str, conf: float, dpi: int) -> str:
        doc = _at_dpi(_doc(text_layer=False, blocks=[TextBlock(page=9, text=text, spans=[(0, len(text), conf)])]), dpi)
        v = Violation(rule="year_title", table="t4", text=text, page=9, severity="error", message_en="year")
        (out,) = mark_uncertain(doc, doc.tables, [v], 0.8, year=(2026, "cover"))
        return out.severity

    assert run(title, 0.81, 150) == "warning"
    assert run(title, 0.97, 150) == "error"
    assert run(title, 0.81, 200) == "error"
    assert run("2012年成又出顶昇总衣", 0.81, 150) == "error"


CHANGE = "一般公共预算收入预算33172.15万元，与上年相比增加4322{mark}77万元，增长14.98%。"


def test_change_sentence_with_ocr_punctuation_in_an_amount() -> None:
    """jiangsu high-court 2018 p. 17 under `fax`: 4322.77 read “4322:77” (confidence 0.99), so the change was
    recomputed from 77万元; and p. 23: “减少.5786.02万元”, a speck read as a point. Read as a point, or dropped, the
    sentence states no failing change: OCR-uncertain. From a text layer the same words are the document's."""
    for text, mark in (
        (CHANGE.format(mark=":"), ":"),
        ("机关运行经费预算支出3407.38万元，与上年相比减少.5786.02万元，减少62.94%。", "."),
    ):
        for text_layer in (False, True):
            spans = [] if text_layer else [(0, len(text), 0.99)]
            errors, uncertain = _errors(_doc(text_layer=text_layer, blocks=[TextBlock(page=7, text=text, spans=spans)]))
            changes = [v for v in errors + uncertain if v.rule == "narrative_change"]
            assert changes, text
            if text_layer:
                assert all(v.severity == "error" for v in changes)
            else:
                assert all(v.ocr_uncertain and f"'{mark}'" in v.ocr_uncertain for v in changes)
    # read right, the sentence has no failing change at all
    errors, _ = _errors(_doc(text_layer=False, blocks=[TextBlock(page=7, text=CHANGE.format(mark="."), spans=[])]))
    assert not [v for v in errors if v.rule == "narrative_change"]


def test_change_sentence_a_faded_glyph_explains_on_a_degraded_page_only() -> None:
    """wanli street 2024 p.7 at `fax`: “… 5.26万元 … 增长22.36%” printed 6.26 (a 6 read 5 at 150 dpi 1-bit): with the
    6 back, every change of the sentence holds. On a 200 dpi scan a digit confusion explains nothing."""
    text = "2023年当年预算执行数为5.26万元，2024年预算安排7.66万元，比2023年预算执行数增加22.36%。"
    misread = [TextBlock(page=3, text=text, confidence=0.99)]
    errors, uncertain = _errors(_at_dpi(_doc(text_layer=False, blocks=misread), 150))
    assert not any(v.rule == "narrative_change" for v in errors)
    assert any(v.rule == "narrative_change" and "6.26" in v.ocr_uncertain for v in uncertain)
    errors, uncertain = _errors(_at_dpi(_doc(text_layer=False, blocks=misread), 200))
    assert "narrative_change" in {v.rule for v in errors}


def test_a_cell_read_below_0_9_on_a_degraded_page_is_in_doubt() -> None:
    """hangzhou meteorology 2026 p.16 at `fax`: 865.62 read 365.52 at 0.89 (no faded glyph explains a 3 for an 8).
    On a 150 dpi page a cell below 0.9 is a doubt; on a 200 dpi scan only below the configured threshold."""
    slip = ("2080501", 2, "89.65")  # no faded glyph either
    table = _gbe(confidence=0.99, slip=slip)
    next(r for r in table.rows if r.code == slip[0]).cell(slip[1]).confidence = 0.85  # type: ignore[union-attr]
    errors, uncertain = _errors(_at_dpi(_doc(table, text_layer=False), 150))
    assert errors == [] and uncertain and all("0.85" in v.ocr_uncertain for v in uncertain)
    table = _gbe(confidence=0.99, slip=slip)
    next(r for r in table.rows if r.code == slip[0]).cell(slip[1]).confidence = 0.85  # type: ignore[union-attr]
    errors, uncertain = _errors(_at_dpi(_doc(table, text_layer=False), 200))
    assert {v.rule for v in errors} >= {"hierarchy"} and uncertain == []


def test_header_year_one_faded_glyph_from_the_reporting_year_on_a_degraded_page() -> None:
    """central petitions 2026 p.14 under `fax`: the header “2026年政府性基金预算支出” read 2025 (a 6 read 5); a header
    has no OCR confidence, so the faded glyph alone explains it on a 150 dpi page, not on a 200 dpi scan."""
    header = "2025年政府性基金预算支出/合计"

    def run(dpi: int, text: str = header) -> str:
        doc = _at_dpi(_doc(text_layer=False), dpi)
        v = Violation(rule="year_column", table="t7", text=text, page=13, severity="error", message_en="year")
        (out,) = mark_uncertain(doc, doc.tables, [v], 0.8, year=(2026, "cover"))
        return out.severity

    assert run(150) == "warning"
    assert run(200) == "error"
    assert run(150, "2024年政府性基金预算支出/合计") == "error"  # a 4 for a 6 is no faded glyph


def test_change_sentence_with_a_comma_read_as_a_point_and_a_speck() -> None:
    """wuxi hr 2026 p.39 at `fax`: “支出2.018万元 … 与上年相比增加.222万元，增长12.36%” printed 2,018 and 222. Read with
    both marks undone the sentence holds: OCR-uncertain, naming both. From a text layer the words are the document's."""
    text = "城乡社区支出（类）支出2.018万元，主要用于业务大楼建设项目支出，与上年相比增加.222万元，增长12.36%。"
    errors, uncertain = _errors(
        _doc(text_layer=False, blocks=[TextBlock(page=7, text=text, spans=[(0, len(text), 0.99)])])
    )
    assert not [v for v in errors if v.rule == "narrative_change"]
    (v,) = [v for v in uncertain if v.rule == "narrative_change"]
    assert "thousands comma" in v.ocr_uncertain and "'.' dropped" in v.ocr_uncertain
    errors, _ = _errors(_doc(text_layer=True, blocks=[TextBlock(page=7, text=text, spans=[])]))
    assert [v.rule for v in errors if v.rule == "narrative_change"] == ["narrative_change"]
    # read right, it holds; misstated, the comma reading does not save it
    right = text.replace("2.018", "2,018").replace(".222", "222")
    errors, uncertain = _errors(_doc(text_layer=False, blocks=[TextBlock(page=7, text=right, spans=[])]))
    assert not [v for v in errors + uncertain if v.rule == "narrative_change"]
    wrong = text.replace("12.36%", "15.36%")
    errors, _ = _errors(_doc(text_layer=False, blocks=[TextBlock(page=7, text=wrong, spans=[(0, len(wrong), 0.99)])]))
    assert [v.rule for v in errors if v.rule == "narrative_change"] == ["narrative_change"]


def test_one_cell_whose_4s_all_lost_their_bar() -> None:
    """yantai finance 2026 p.25 at `fax`: 544.54 printed in three columns, read 511.51, 514.54, 511.51 — two 4s of
    one cell lost their bar. Undone twice in one cell the row holds on a 150 dpi page; a 9 for a 4 does not."""
    from juesuan.validation.uncertainty import faded_edits

    assert "514.54" in {e[1] for e in faded_edits("511.51", twice=True)}
    assert "514.54" not in {e[1] for e in faded_edits("511.51")}
    assert "54.18" not in {e[1] for e in faded_edits("51.13", twice=True)}  # a 4 and an 8: two different strokes

    def run(read: str, printed: str = "44.65") -> str:
        doc, v = _row_read(read, printed)
        (out,) = mark_uncertain(doc, doc.tables, [v], 0.8)
        return out.severity

    assert run("11.65") == "warning"  # 44.65 read 11.65: both 4s lost their bar
    assert run("11.15") == "error"  # three glyphs
    assert run("81.61", "84.27") == "error"  # no faded stroke gives 84.27


def test_department_name_one_misread_and_one_lost_glyph_on_a_degraded_page() -> None:
    """wuxi education 2026 p.9 at `fax`: 编制部门 read “元锡市教局” (无 read 元, 育 lost) against the cover's
    无锡市教育局. On a 150 dpi page that is OCR-uncertain; another department (财政局: a word changed) or a 200 dpi
    page is not."""

    def run(found: str, dpi: int) -> str:
        text = f"编制部门：{found}"
        doc = _at_dpi(_doc(text_layer=False, blocks=[TextBlock(page=8, text=text, spans=[(0, len(text), 0.99)])]), dpi)
        v = Violation(
            rule="issuer_name",
            page=8,
            severity="error",
            text=text,
            message_en=f"page 9 names “{found}”; the cover says “无锡市教育局” (similarity 0.73)",
        )
        (out,) = mark_uncertain(doc, doc.tables, [v], 0.8)
        return out.severity

    assert run("元锡市教局", 150) == "warning"
    assert run("元锡市教局", 200) == "error"
    assert run("无锡市财政局", 150) == "error"


def test_a_confident_misreading_beside_an_unsure_cell_of_its_row_on_a_degraded_page() -> None:
    """yantai statistics 2026 p.11 at `fax`: 住房改革支出 124.48 read 121.46 at 0.99 (a 4 and an 8 faded), its 合计
    beside it “121. 18” at 0.88; 22102 = 2210201 failed by 0.02, which no faded glyph explains. The print line faded:
    on a 150 dpi page the sum is OCR-uncertain, naming the cell and its unsure neighbour; at 200 dpi it stays an error,
    and so does the same slip in a row read surely throughout (test above)."""

    def run(dpi: int) -> list[Violation]:
        table = _gbe(confidence=0.99, slip=("2080501", 2, "89.65"))
        row = next(r for r in table.rows if r.code == "2080501")
        row.cell(3).confidence = 0.85  # type: ignore[union-attr]
        errors, uncertain = _errors(_at_dpi(_doc(table, text_layer=False), dpi))
        return [v for v in errors + uncertain if v.rule == "hierarchy"]

    found = run(150)
    assert found and all(v.severity == "warning" and "the line faded" in v.ocr_uncertain for v in found)
    assert all(v.severity == "error" for v in run(200))
