from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from juesuan.datamodel.amounts import format_amount, is_empty_mark, parse_amount

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
