"""juesuan.geometry: the one line grouping and union-find that stages and evaluation share."""

from __future__ import annotations

from juesuan.datamodel.page import Token
from juesuan.geometry import DisjointSets, reading_lines, text_lines


def _texts(lines: list[list[Token]]) -> list[list[str]]:
    return [[t.text for t in line] for line in lines]


def test_text_lines_join_by_centre_inside_the_running_span() -> None:
    toks = [Token("b", (50, 104, 60, 122)), Token("c", (0, 140, 10, 160)), Token("a", (0, 100, 10, 120))]
    assert _texts(text_lines(toks)) == [["a", "b"], ["c"]]
    # a token joins when its centre is inside the line's span, however little the boxes overlap
    tall = [Token("x", (0, 100, 10, 140)), Token("y", (20, 130, 30, 150))]
    assert _texts(text_lines(tall)) == [["x", "y"]]
    assert _texts(reading_lines(tall)) == [["x"], ["y"]]  # overlap 10 px is not over half the smaller height
    assert text_lines([]) == []


def test_reading_lines_join_any_earlier_line_they_overlap() -> None:
    # "q" (centre 132.5) sorts after "p" (a second line, centre 132) but overlaps the first line: it goes back there
    toks = [Token("o", (0, 100, 40, 120)), Token("p", (0, 122, 40, 142)), Token("q", (60, 105, 90, 160))]
    assert _texts(reading_lines(toks)) == [["o", "q"], ["p"]]
    assert _texts(text_lines(toks)) == [["o"], ["p", "q"]]  # the centre rule only looks at the line being built


def test_disjoint_sets_union_and_find() -> None:
    sets = DisjointSets(6)
    sets.union(0, 1)
    sets.union(2, 3)
    sets.union(1, 3)
    groups: dict[int, list[int]] = {}
    for i in range(6):
        groups.setdefault(sets.find(i), []).append(i)
    assert sorted(groups.values()) == [[0, 1, 2, 3], [4], [5]]
    assert sets.find(0) == sets.find(3) == 3  # the root of b's set becomes the root of both
