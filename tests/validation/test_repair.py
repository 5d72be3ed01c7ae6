from decimal import Decimal

from validation_tables import GBE_ROWS, document_of, make_table

from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate
from juesuan.validation.repair import single_edits


def _gbe(changes: dict[tuple[int, int], str], confidence: float = 1.0):
    rows = [(c, n, list(a)) for c, n, a in GBE_ROWS]
    for (r, k), text in changes.items():
        rows[r][2][k] = text
    table = make_table("t5", "一般公共预算财政拨款支出决算表", ["合计", "基本支出", "项目支出"], rows)
    for row in table.rows:
        for cell in row.cells:
            cell.confidence = confidence
    return table


def test_single_edits_cover_ocr_slips() -> None:
    values = {e.value for e in single_edits("1,811.89")}
    assert Decimal("1511.89") in values  # 8 read for 5
    assert Decimal("160.75") in {e.value for e in single_edits("16075")}  # dropped decimal point
    assert Decimal("2106.66") in {e.value for e in single_edits("106.66")}  # lost leading digit
    assert Decimal("2946.25") in {e.value for e in single_edits("2.946.25")}  # comma read as a point
    assert Decimal("1504.52") in {e.value for e in single_edits("1,5O4.52")}  # letter O for zero


def test_repair_restores_a_confused_digit_with_provenance() -> None:
    table = _gbe({(9, 1): "180.75"})  # 基本支出 of 2080505 printed 160.75, OCR read 180.75
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False))
    assert doc.validation.passed
    assert len(doc.validation.repairs) == 1
    rec = doc.validation.repairs[0]
    assert (rec["row"], rec["col"], rec["original_text"], rec["corrected_text"]) == (9, 3, "180.75", "160.75")
    assert set(rec["identities"]) >= {"column_total", "hierarchy"}
    cell = doc.tables[0].rows[9].cell(3)
    assert cell.text == "160.75" and cell.value == 160.75 and cell.repair["original_text"] == "180.75"


def test_repair_off_and_input_untouched() -> None:
    table = _gbe({(2, 0): "1,811.89"})
    doc = document_of(table)
    off = annotate_and_validate(doc, ValidationOptions(repair=False, narrative=False))
    assert off.validation.repairs == [] and not off.validation.passed
    on = annotate_and_validate(doc, ValidationOptions(narrative=False))
    assert on.tables[0].rows[2].cell(2).text == "1,511.89"
    assert doc.tables[0].rows[2].cell(2).text == "1,811.89"  # the input document is not mutated


def test_unperturbed_table_is_never_repaired() -> None:
    doc = annotate_and_validate(document_of(_gbe({})), ValidationOptions(narrative=False))
    assert doc.validation.repairs == []


def test_ambiguous_failure_is_reported_not_repaired() -> None:
    # 合计 row's 项目支出 two characters off: no single OCR slip explains it, so it is only reported
    table = _gbe({(19, 2): "703.99"})
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False))
    assert doc.validation.repairs == []
    assert not doc.validation.passed


def test_code_part_in_an_amount_column_is_never_repaired() -> None:
    """Bug pinned: on headerless continuation pages a 项 code part "01" sat in a column taken for amounts and was
    'repaired' to 0 (wanli-street 2024 预算, scanned evaluation). A leading-zero integer is never an amount."""
    table = _gbe({(9, 2): "01"})  # 项目支出 of 2080505 is empty; "01" breaks the column total and the hierarchy
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False))
    assert not any(r["original_text"] == "01" for r in doc.validation.repairs)
    assert doc.tables[0].rows[9].cell(4).text == "01"
    assert not doc.validation.passed


def test_colon_for_the_point_is_read_and_a_stray_mark_is_repaired_through_identities() -> None:
    """Issue 12, fax copies: `202:24` stayed text with value null. A colon before two digits can only be the point
    (parsed directly); `160'75` could be 16075 or 160.75, and 合计 = 基本 + 项目 and the code hierarchy pin 160.75."""
    table = _gbe({(9, 0): "160:75", (9, 1): "160'75"})
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False))
    row = doc.tables[0].rows[9]
    assert row.cell(2).value == 160.75 and row.cell(2).repair is None
    assert row.cell(3).value == 160.75 and row.cell(3).text == "160.75"
    assert row.cell(3).repair["original_text"] == "160'75"
    assert doc.validation.passed
    t = doc.tables[0]
    assert (t.null_numeric, t.needs_review, t.orphans) == (0, False, 0)


def test_numeric_cell_left_without_value_is_counted_and_flagged() -> None:
    """A number no single edit explains stays null: it is a defect to count (null_numeric), not a silent null."""
    table = _gbe({(9, 1): "1#6#0.7#5"})
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False))
    t = doc.tables[0]
    assert t.rows[9].cell(3).value is None
    assert t.null_numeric == 1
    assert t.needs_review
    assert "null_numeric:1" in t.review_reasons
    assert any(r.startswith("identity_errors:") for r in t.review_reasons)
    assert t.confidence is not None and t.confidence < 1.0


def test_orphan_amounts_are_a_warning_in_validation_md() -> None:
    """Issue 12: amounts attached to no row were silent; the assembler counts them and validation.md warns."""
    from juesuan.validation.report import render

    table = _gbe({})
    table.orphans = 2
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False))
    warning = [v for v in doc.validation.violations if v.rule == "orphan_amounts"]
    assert [(v.severity, v.table) for v in warning] == [("warning", "t5")]
    assert doc.validation.passed  # a warning, not an error
    t = doc.tables[0]
    assert t.needs_review and t.review_reasons[0] == "orphans:2"
    md = render(doc)
    assert "orphan_amounts" in md and "Tables to review: 1" in md and "t5" in md


def test_two_misread_cells_of_one_identity_are_repaired_as_a_pair() -> None:
    """A fax copy drops the hairline stroke of a 4 (read 1) in more than one cell of a column: 2080501's 基本支出
    84.65 read 81.65 and 2080506's 80.38 read 30.38. Each one's row identity pins it, but no single edit makes the
    shared 20805 hierarchy hold, so single-cell repair left both; the pair does, and each cell gets provenance."""
    table = _gbe({(8, 1): "81.65", (10, 1): "30.38"})
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False))
    fixed = {(r["row"], r["original_text"], r["corrected_text"]) for r in doc.validation.repairs}
    assert fixed == {(8, "81.65", "84.65"), (10, "30.38", "80.38")}
    assert doc.validation.passed
    assert doc.tables[0].rows[8].cell(3).repair["edit"] == "1→4"


def test_a_pair_needing_an_unlikely_slip_is_not_repaired() -> None:
    # 84.65 read 82.65 (4→2, no known confusion) beside 30.38: two free edits could meet almost any difference,
    # so only likely confusions are paired and this stays reported, not repaired
    table = _gbe({(8, 1): "82.65", (10, 1): "30.38"})
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False))
    assert not any(r["row"] == 8 for r in doc.validation.repairs)
    assert not doc.validation.passed


def test_pair_repair_counts_against_the_repair_budget() -> None:
    table = _gbe({(8, 1): "81.65", (10, 1): "30.38"})
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False, repair_max_cells=1))
    assert doc.validation.repairs == []


def test_marks_before_a_number_are_dropped_through_identities() -> None:
    """Issue 12, photos: a red seal washed to grey leaves strokes that OCR reads before the amount (`5 3343704.00`,
    `7 F 242.84`, `管理诊33.31` on the wide evaluation's photo pages). A digit before a gap would otherwise join the
    number (5 160.75 → 5160.75); 合计 = 基本 + 项目 and the code hierarchy pick the number after the marks."""
    assert Decimal("160.75") in {e.value for e in single_edits("5 160.75")}
    assert Decimal("160.75") in {e.value for e in single_edits("管理诊160.75")}
    assert not any(e.kind == "leading_marks" for t in ("-160.75", "1, 212, 300") for e in single_edits(t))
    table = _gbe({(9, 1): "5 160.75", (9, 0): "F 160.75"})
    doc = annotate_and_validate(document_of(table), ValidationOptions(narrative=False))
    row = doc.tables[0].rows[9]
    assert (row.cell(3).text, row.cell(3).value) == ("160.75", 160.75)
    assert row.cell(3).repair["original_text"] == "5 160.75"
    assert row.cell(2).value == 160.75  # a letter before a gap is dropped by parsing already
    assert doc.validation.passed


def test_faded_strokes_weigh_more_on_a_degraded_page() -> None:
    """A 4 read 1 is 57 of 127 single-digit misreads of the wide fax run, but weighs 0.2 among scan confusions: on a
    page read below degraded_dpi the faded-stroke edits (printed 4 read 1, 0 read 3/6/9 …) weigh FADED_WEIGHT."""
    from juesuan.validation.repair import FADED_WEIGHT, cell_edits

    def weight(text: str, to: str, degraded: bool) -> float:
        return max(e.weight for e in cell_edits(text, 2, degraded) if e.text == to)

    assert weight("12.86", "42.86", False) == 0.2
    assert weight("12.86", "42.86", True) == FADED_WEIGHT
    assert weight("3.00", "0.00", True) == FADED_WEIGHT  # a printed 0 read 3
    assert weight("42.86", "12.86", True) == 0.2  # a 1 read 4 is no lost stroke
    assert weight("17.86", "12.86", True) < FADED_WEIGHT  # nor is a 2 read 7


def test_misread_zeros_do_not_make_a_column_of_amounts() -> None:
    """shanghai-putuo justice 2026 p.10 at `fax`: 其他收入 read 3.00, 3.00, 9.00 among its 0.00s. Each is a misread
    zero: the column still counts as zeros, so an edit back to 0.00 keeps its boost."""
    from decimal import Decimal

    from juesuan.validation.repair import _zero_columns
    from juesuan.validation.rules import CellRef

    col = [Decimal("0.00"), Decimal("3.00"), Decimal("0.00"), Decimal("9.00"), Decimal("0.03"), Decimal("0.00")]
    assert _zero_columns({CellRef(i, 4): v for i, v in enumerate(col)}) == {4: (6, 0)}
    col[2] = Decimal("12.50")
    assert _zero_columns({CellRef(i, 4): v for i, v in enumerate(col)}) == {4: (6, 1)}
