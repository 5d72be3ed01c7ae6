"""juesuan.lexicon and juesuan.geometry are the one home of the domain patterns and geometry helpers: a copy of a
pattern or of a line-grouping / union-find helper elsewhere in juesuan/ fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import juesuan
from juesuan import lexicon
from juesuan.lexicon import (
    CLASSIFIED_CODE,
    GRAND_TOTAL,
    HAN,
    SUBJECT_CODE,
    SUBJECT_CODE_PIECE,
    SUBJECT_CODE_SPACED,
    SUBTOTAL,
    TOTAL_ROW_NAME,
    TOTAL_WORD,
    TOTAL_WORD_AT_END,
    is_cjk,
)

PACKAGE = Path(juesuan.__file__).resolve().parent
HOMES = {PACKAGE / "lexicon.py", PACKAGE / "geometry.py"}
# helpers that live in juesuan/geometry.py or juesuan/lexicon.py only
SHARED_HELPERS = {"is_cjk", "_is_cjk", "text_lines", "reading_lines", "group_rows", "_lines", "_text_lines", "find"}


def test_is_cjk_covers_ideographs_punctuation_full_width_and_radicals() -> None:
    assert all(is_cjk(ch) for ch in "一般公共、（）：，０⼀𠀀")
    assert not any(is_cjk(ch) for ch in "aZ0,.- %")
    assert HAN.search("一般公共服务支出") and not HAN.search("１２３（）")


def test_total_and_code_patterns() -> None:
    assert GRAND_TOTAL.search("本年支出合 计") and not GRAND_TOTAL.search("小计")
    assert SUBTOTAL.search("小 计") and TOTAL_WORD.search("共计")
    assert TOTAL_WORD_AT_END.search("本年收入合计") and not TOTAL_WORD_AT_END.search("合计数")
    assert TOTAL_ROW_NAME.match("合计数") and not TOTAL_ROW_NAME.match("本年收入合计")
    assert SUBJECT_CODE.match("2010101") and not SUBJECT_CODE.match("201 01") and not SUBJECT_CODE.match("2010")
    assert SUBJECT_CODE_SPACED.match("201 01 01")
    assert SUBJECT_CODE_PIECE.match("01") and not SUBJECT_CODE_PIECE.match("2010")
    assert CLASSIFIED_CODE.match("30101") and not CLASSIFIED_CODE.match("10101")


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p not in HOMES)


def test_no_copy_of_a_lexicon_pattern_elsewhere() -> None:
    ours = {v.pattern for v in vars(lexicon).values() if isinstance(v, re.Pattern)}
    assert len(ours) >= 10
    copies = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "compile"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in ours
            ):
                copies.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert copies == []


def test_no_inline_han_range_elsewhere() -> None:
    """``[\\u4e00-\\u9fff]`` was written out in five modules with two different starts; lexicon.HAN is the one."""
    inline = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in _modules()
        if path.name != "narrative.py"  # its 类/款/项 sentence pattern embeds the range inside a larger class
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "\\u4e00-\\u9fff]" in line or "\\u3400-\\u9fff]" in line
    ]
    assert inline == []


def test_no_second_line_grouping_or_union_find() -> None:
    defined = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef)
        and node.name in SHARED_HELPERS
        and not (node.args.args and node.args.args[0].arg == "self")  # methods (PpOcr._lines crops pixels)
    ]
    assert defined == []


def test_a_code_read_with_a_speck_is_the_code() -> None:
    """wuxi education 2026 p.26 at `fax`: 30106 read “30106.” lost its row code, so 301 = Σ its items missed 0.20."""
    from juesuan.lexicon import code_without_specks

    assert code_without_specks("30106.") == "30106"
    assert code_without_specks("。201") == "201"
    assert code_without_specks("01.") == "01"  # one level of a split code
    assert code_without_specks("1.") == "1."  # a 序号, not a code
    assert code_without_specks("12.50") == "12.50"
    assert code_without_specks("合计.") == "合计."
