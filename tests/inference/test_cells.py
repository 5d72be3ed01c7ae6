from __future__ import annotations

from juesuan.datamodel.page import GridCell, TableGrid, Token
from juesuan.inference.cells import assign_tokens_to_cells, join_tokens, reading_lines


def _grid() -> TableGrid:
    # 3 rows x 3 cols; the top row's first two columns are one merged header cell.
    rows = (0.0, 40.0, 80.0, 120.0)
    cols = (0.0, 100.0, 300.0, 400.0)
    cells = [GridCell(0, 0, 1, 2, (0, 0, 300, 40)), GridCell(0, 2, 1, 1, (300, 0, 400, 40))]
    for r in (1, 2):
        for c in range(3):
            cells.append(GridCell(r, c, 1, 1, (cols[c], rows[r], cols[c + 1], rows[r + 1])))
    return TableGrid(bbox_px=(0, 0, 400, 120), row_edges=rows, col_edges=cols, cells=tuple(cells), ruled=True)


def test_tokens_go_to_the_cell_holding_their_centre() -> None:
    grid = _grid()
    tokens = [
        Token("科目", (110, 10, 150, 30), 0.9),  # inside the merged header cell (col 1 of the span)
        Token("决算数", (320, 10, 380, 30), 0.8),
        Token("2010601", (5, 50, 95, 70), 0.95),
        Token("1,511.90", (320, 45, 398, 75), 0.7),
        Token("标题", (10, -40, 60, -10)),  # above the grid: dropped
    ]
    texts = assign_tokens_to_cells(grid, tokens)
    assert len(texts) == len(grid.cells)
    by_pos = {(t.cell.row, t.cell.col): t for t in texts}
    assert by_pos[(0, 0)].text == "科目"
    assert by_pos[(0, 0)].cell.col_span == 2
    assert by_pos[(0, 2)].text == "决算数"
    assert by_pos[(1, 0)].text == "2010601"
    assert by_pos[(1, 2)].text == "1,511.90"
    assert by_pos[(1, 2)].confidence == 0.7
    assert by_pos[(1, 1)].text == ""
    assert by_pos[(1, 1)].confidence == 1.0
    assert all("标题" not in t.text for t in texts)


def test_wrapped_cjk_lines_join_without_space_in_reading_order() -> None:
    grid = _grid()
    tokens = [
        Token("支出", (105, 82, 140, 98), 0.9),  # second line first in the input
        Token("服务", (150, 62, 185, 78), 0.9),
        Token("一般公共", (105, 62, 148, 78), 0.6),
    ]
    texts = assign_tokens_to_cells(grid, tokens)
    cell = next(t for t in texts if (t.cell.row, t.cell.col) == (2, 1))
    # centres: y=90 (row 2) and y=70 (row 1): different cells
    assert cell.text == "支出"
    row1 = next(t for t in texts if (t.cell.row, t.cell.col) == (1, 1))
    assert row1.text == "一般公共服务"
    assert [t.text for t in row1.tokens] == ["一般公共", "服务"]
    assert row1.confidence == 0.6


def test_join_tokens_spaces_between_latin_words_only() -> None:
    toks = [
        Token("Total", (0, 0, 40, 10)),
        Token("amount", (50, 0, 100, 10)),
        Token("1,511", (0, 20, 30, 30)),
        Token(".90", (31, 20, 50, 30)),
        Token("一般", (0, 40, 20, 50)),
        Token("支出", (0, 52, 20, 62)),
    ]
    assert join_tokens(toks) == "Total amount 1,511.90一般支出"
    assert [len(line) for line in reading_lines(toks)] == [2, 2, 1, 1]
