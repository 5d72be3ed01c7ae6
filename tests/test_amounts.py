from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from juesuan.datamodel.amounts import (
    confusable_amount,
    format_amount,
    glued_amount,
    is_empty_mark,
    parse_amount,
    zero_confusable,
)

_TO_FULL = str.maketrans("0123456789.,-()", "０１２３４５６７８９．，－（）")


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_any_amount_in_any_style_parses_back(value: Decimal) -> None:
    plain = f"{value:.2f}"
    grouped = format_amount(value)
    assert parse_amount(plain) == value
    assert parse_amount(grouped) == value
    assert parse_amount(grouped.translate(_TO_FULL)) == value
    if value > 0:
        assert parse_amount(f"（{format_amount(value)}）") == -value
        assert parse_amount(f"({plain})") == -value


def test_empty_marks_and_words_are_not_numbers() -> None:
    for text in ["", "-", "—", "——", "/", "－", "合计", "1,2,3", "12..5", "一般公共服务支出"]:
        assert parse_amount(text) is None, text
    assert is_empty_mark("—")
    assert not is_empty_mark("0.00")


def test_percent_keeps_percent_units() -> None:
    assert parse_amount("85.3%") == Decimal("85.3")
    assert parse_amount("１００％") == Decimal("100")


def test_letter_o_read_for_zero_is_zero() -> None:
    """wanli-street 2024 预算: OCR read lone zeros as the letter O (issue 3 evaluation, 53 cells)."""
    assert parse_amount("O") == Decimal("0")
    assert parse_amount("1O.0o") == Decimal("10.00")
    assert parse_amount("〇") == Decimal("0")
    assert parse_amount("OK") is None
    assert parse_amount("Office") is None


def test_separator_slips_on_fax_copies_parse_when_unambiguous() -> None:
    """Issue 12: `202:24` stayed text with value null on a fax copy; thousands groups have 3 digits, so a colon or
    comma before the last 1-2 digits can only be the decimal point, and points between 3-digit groups are commas."""
    assert parse_amount("202:24") == Decimal("202.24")
    assert parse_amount("202；24") == Decimal("202.24")
    assert parse_amount("1:234.56") == Decimal("1234.56")
    assert parse_amount("202,24") == Decimal("202.24")
    assert parse_amount("1,234,56") == Decimal("1234.56")
    assert parse_amount("（202,24）") == Decimal("-202.24")
    assert parse_amount("2.946.25") == Decimal("2946.25")
    # still ambiguous or not a number: left for repair through identities
    assert parse_amount("12:30:00") is None
    assert parse_amount("1,2,3") is None
    assert parse_amount("2.946") == Decimal("2.946")  # 万元 with three decimals is printed too
    assert parse_amount("1,234") == Decimal("1234")


def test_yuan_without_decimals_and_wan_with_six_decimals() -> None:
    """shanghai-city_finance-bureau_2025 prints 元 without decimals; some 万元 tables print six decimals."""
    assert parse_amount("1,234,567") == Decimal("1234567")
    assert parse_amount("12.345678") == Decimal("12.345678")
    assert parse_amount("0.000100") == Decimal("0.000100")


def test_mixed_separators_on_fax_copies() -> None:
    """shanghai-putuo-commerce 2025 预算 at 150 dpi `fax` (`juesuan evaluate … --dpi 150 --degrade fax`): 1-bit copies
    mix up points and commas; a last group of 1-2 digits is the decimals, 3-digit groups are thousands."""
    assert parse_amount("293.810,000.00") == Decimal("293810000.00")
    assert parse_amount("12,291.733.00") == Decimal("12291733.00")
    assert parse_amount("1.661.216.00") == Decimal("1661216.00")
    assert parse_amount("17,280,00") == Decimal("17280.00")
    assert parse_amount("1.661.216") == Decimal("1661216")  # two points cannot both be decimal points
    assert parse_amount("1,661.216") == Decimal("1661.216")
    assert parse_amount("293.810,000") is None  # 293810000 or 293810.000: identities decide (repair)
    assert parse_amount("1:234") is None


def test_stray_mark_beside_a_number_is_dropped() -> None:
    """Same fax copies: a rule stroke read as `L` or `i`, split from the amount by a space."""
    assert parse_amount("L 705,443.00") == Decimal("705443.00")
    assert parse_amount("i 17,280.00") == Decimal("17280.00")
    assert parse_amount("705,443.00 |") == Decimal("705443.00")
    assert parse_amount("L705") is None


def test_faded_point_leaves_a_gap() -> None:
    """finance-bureau 2024 决算 pages 11 and 16 at 150 dpi `fax`: `60 99` and `2.082 85` (points faded to gaps)."""
    assert parse_amount("60 99") == Decimal("60.99")
    assert parse_amount("2.082 85") == Decimal("2082.85")
    assert parse_amount("（60 99）") == Decimal("-60.99")
    assert parse_amount("12 345.00") == Decimal("12345.00")  # a thousands gap: 3 digits follow
    assert parse_amount("1, 110,886.00") == Decimal("1110886.00")


def test_number_wrapped_onto_a_second_line() -> None:
    """A narrow amount column wraps a long number; the cell joins its lines with a space (cells.join_tokens)."""
    assert parse_amount("2,946. 25") == Decimal("2946.25")
    assert parse_amount("12,34 5.67") == Decimal("12345.67")
    assert parse_amount("1,234,567 89") == Decimal("1234567.89")  # the point was lost at the wrap


def test_printed_text_is_read_strictly() -> None:
    """A text layer's `2,123.111,506.40` (yantai statistics 2026 page 8) is two numbers run together, not an OCR slip:
    the truth reader asks for printed text, OCR output keeps the lenient reading."""
    assert parse_amount("2,123.111,506.40", ocr_slips=False) is None
    assert parse_amount("202:24", ocr_slips=False) is None
    assert parse_amount("60 99", ocr_slips=False) == Decimal("6099")  # spaces are dropped, as before
    assert parse_amount("2,946.25", ocr_slips=False) == Decimal("2946.25")
    assert parse_amount("（12.30）", ocr_slips=False) == Decimal("-12.30")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("C", "0"),
        ("G", "0"),
        ("D", "0"),
        ("ó", "0"),
        ("G,00", "0.00"),
        ("O.GO", "0.00"),
        ("0.Cò", "0.00"),
        ("C.CC", "0.00"),
        ("一0", "0"),
        ("一. 0", "0"),
        ("一0.00", "0.00"),
        ("180,000.C0", "180000.00"),
        ("1839485.C0", "1839485.00"),
    ],
)
def test_zero_confusables_read_as_zero(text: str, value: str) -> None:
    """Issue 12, fax copies at 150 dpi: zeros whose strokes dropped out (the caller checks the column)."""
    got = zero_confusable(text)
    assert got is not None and str(got) == value


@pytest.mark.parametrize(
    "text", ["0", "0.00", "O", "12.5", "GDP", "CC", "A", "1G,00", "12G.00", "一839.00", "——857.50", "-", "", "科目"]
)
def test_zero_confusables_leave_everything_else(text: str) -> None:
    """Readings that parse already, letters that are not zeros, a letter inside an integer (``G`` may be a 6) and a
    dash before a nonzero number (a sign or a rule remnant: not ours to decide) are no zero confusables."""
    assert zero_confusable(text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("è 1839485.00", "1839485.00"),  # a seal stroke, apart
        ("π 20,120,000.00", "20120000.00"),
        ("通0.00", "0.00"),  # a shadow read as a character, glued
        ("每2,694,847", "2694847"),
        ("46,140,000.00以", "46140000.00"),
        ("266.80 cn", "266.80"),
        ("—— 394.49", "394.49"),  # a rule dash run, apart
        ("——-394.49", "394.49"),
        ("— 4,367.96", "4367.96"),
        ("一15,686,797.42", "15686797.42"),  # a long stroke glued: a rule, not the printed hyphen minus
        (".3,807,295.58", "3807295.58"),  # punctuation beside a number that has its decimals
        ("0.01.", "0.01"),
        (": 2.24", "2.24"),
        ("0,0;", "0.0"),
        ("è-12.00", "-12.00"),  # a hyphen glued to the digits is the sign
        ("−27.00", "-27.00"),
    ],
)
def test_glued_marks_are_read_through(text: str, value: str) -> None:
    """Issue 12, fax and photo copies: one well-read number with at most two stray marks (the caller checks that
    the column holds amounts)."""
    got = glued_amount(text)
    assert got is not None and str(got) == value
    assert confusable_amount(text) == got


@pytest.mark.parametrize(
    "text",
    [
        "82,096,797.4282,096,797.42",  # two reads of one cell run together: a structure problem
        "5 3343704.00",  # a digit apart is a second number
        "10 a 20,120,000.00",
        "一10一20,120,000.00",
        "管理诊33.31",  # three marks: more text than number
        "一。T , 25.00",
        "6478.8G",  # a letter touching the digits may be a digit
        "l05.00",
        "0.0i)",  # a bracket belongs to a number (accounting negative)
        "(12.30)x",
        "85.3%以",  # percent and units change the number
        "100.00°",  # fax: -100.00% with its sign lost and % read as °
        "12.00万元",
        "720000册",  # 绩效目标 values: counts with their counter, targets with their comparison
        "≥290 人",
        "≥110",
        "<1",  # photo copy of a printed 0.00: too few glyphs to trust
        "甲 5",
        ".5",  # a point beside a number without decimals may be its decimal point
        "12,345.",
        ",325.09",  # fax: 1,325.09 with its leading 1 lost; the comma is the thousands comma
        "!.711.58",  # fax: 1,711.58
        "-27.00",  # parses already: not a glued reading
        "0.00",
        "一般公共服务支出",
        "",
        "—",
    ],
)
def test_glued_marks_leave_everything_else(text: str) -> None:
    assert glued_amount(text) is None


def test_zero_confusable_readings_never_raise() -> None:
    """shenzhen finance 2026 at `fax`: a cell like ``12.34.CO`` (decimals, then zero-like letters) reached
    ``Decimal("12.34.00")`` and the whole document failed with an internal error. Such a cell has no reading."""
    from juesuan.datamodel.amounts import zero_confusable

    assert zero_confusable("12.34.CO") is None
    assert zero_confusable("一0,000.00") == Decimal("0.00")
    assert zero_confusable("180,000.C0") == Decimal("180000.00")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.,:;-一—OoCG ", min_size=1, max_size=12))
def test_confusable_amount_is_total(text: str) -> None:
    confusable_amount(text)  # any OCR text: a value or None, never an exception


def test_a_digit_read_as_a_glyph_inside_an_amount() -> None:
    """Fax copies (runs/eval-wide-s6/fax): a 6 whose loop broke read €, a 1 read ! or i — “8120€.56”, “1,599.!1”,
    “31.€i”, “0.0!” had no value at all. One or two such glyphs, each inside the number, are read as the digit; any
    other letter or mark, or a glyph alone, is not."""
    from juesuan.datamodel.amounts import confusable_amount, glyph_amount

    assert glyph_amount("8120€.56") == Decimal("81206.56")
    assert glyph_amount("8,66!,624") == Decimal("8661624")
    assert glyph_amount("31.€i") == Decimal("31.61")
    assert glyph_amount("0.0!") == Decimal("0.01")
    assert confusable_amount("1,599.!1") == Decimal("1599.11")
    for text in ("12.50", "合计!", "€", "2!", "2!!!3.00", "1€a.00", "hi!"):
        assert glyph_amount(text) is None, text
