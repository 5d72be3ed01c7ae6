"""Borderless grids from token alignment."""

from __future__ import annotations

import numpy as np

from juesuan.datamodel.page import OcrResult, PageImage, PageRef, Region, RegionKind, TableOcr, Token
from juesuan.inference.assemble import Assembler
from juesuan.inference.structure import TableStructure, grid_from_tokens


def _tokens() -> list[Token]:
    rows = [
        ("科目编码", "科目名称", "决算数"),
        ("201", "一般公共服务支出", "1,204.50"),
        ("20101", "人大事务", "12.00"),
        ("2010101", "机关事业单位基本养老保险", "3.30"),
        (None, "缴费支出", None),  # a wrapped name: joins the row above
        (None, "合计", "1,219.80"),
    ]
    out = []
    for r, (code, name, amount) in enumerate(rows):
        y = 100 + 40 * r
        if code:
            out.append(Token(code, (50, y, 50 + 14 * len(code), y + 28), 0.9))
        if name:
            out.append(Token(name, (250, y, 250 + 28 * len(name), y + 28), 0.95))
        if amount:
            out.append(Token(amount, (1000 - 14 * len(amount), y, 1000, y + 28), 0.8))
    return out


def test_grid_from_tokens_rows_and_columns() -> None:
    grid = grid_from_tokens(_tokens())
    assert grid is not None
    assert grid.ruled is False
    assert (grid.n_rows, grid.n_cols) == (5, 3)
    assert 160 < grid.col_edges[1] < 250
    assert 600 < grid.col_edges[2] < 1000 - 14 * 8


def test_borderless_table_gets_cells_and_assembles() -> None:
    region = Region(RegionKind.TABLE, (40, 90, 1010, 350), 0.9)
    table = TableOcr(region=region, grid=None, cells=(), tokens=tuple(_tokens()))
    page = PageImage(ref=PageRef("x.pdf", 0, 200), image=np.zeros((10, 10, 3), np.uint8))
    result = TableStructure()([OcrResult(page=page, regions=(region,), tables=(table,))])[0]
    assert result.tables[0].grid is not None
    assert len(result.tables[0].cells) == 15
    tables = Assembler()([result])
    rows = {(r.code, r.name): r for r in tables[0].rows}
    assert rows[("2010101", "机关事业单位基本养老保险缴费支出")].cells[2].value == 3.30
    assert rows[(None, "合计")].kind == "total"
    assert rows[("201", "一般公共服务支出")].cells[2].value == 1204.50
