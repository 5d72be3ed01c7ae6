"""Token labelling stage: rules labeller, classifier fallback, and the shipped classifier on a table page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from juesuan.datamodel.page import (
    CellText,
    GridCell,
    OcrResult,
    PageImage,
    PageRef,
    Region,
    RegionKind,
    TableGrid,
    TableOcr,
    Token,
)
from juesuan.errors import ConfigError
from juesuan.inference import registry
from juesuan.inference.label import ClassifierLabeler, RulesLabeler
from juesuan.options import MODELS_DIR, LabelOptions

ROWS = [
    ["科目编码", "科目名称", "决算数"],
    ["201", "一般公共服务支出", "1,204.50"],
    ["20101", "人大事务", "36.20"],
    ["2010101", "行政运行", "12.00"],
    ["208", "社会保障和就业支出", "2,946.25"],
    ["", "合计", "4,150.75"],
]
EXPECTED = [["HEADER"] * 3] + [["CODE", "NAME", "AMOUNT"]] * 4 + [[None, "TOTAL_LABEL", "AMOUNT"]]


def table_page(rows: list[list[str]] = ROWS) -> OcrResult:
    """A 1240 x 1754 px page (A4 at 150 dpi): title, unit line, one ruled 3-column table, a page number."""
    xs = (100.0, 300.0, 800.0, 1100.0)
    ys = tuple(300.0 + 50 * i for i in range(len(rows) + 1))
    cells = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            box = (xs[c], ys[r], xs[c + 1], ys[r + 1])
            inner = (box[0] + 8, box[1] + 12, box[0] + 8 + 18 * len(text), box[3] - 12)
            tokens = (Token(text, inner, 0.99),) if text else ()
            cells.append(CellText(GridCell(r, c, 1, 1, box), text, 0.99, tokens))
    grid = TableGrid((xs[0], ys[0], xs[-1], ys[-1]), ys, xs, tuple(ct.cell for ct in cells), ruled=True)
    region = Region(RegionKind.TABLE, grid.bbox_px, 0.9)
    table = TableOcr(region, grid, tuple(cells), tuple(t for ct in cells for t in ct.tokens))
    page_tokens = (
        Token("一般公共预算财政拨款支出决算表", (350, 120, 900, 170)),
        Token("单位：万元", (950, 240, 1100, 270)),
        Token("3", (610, 1650, 630, 1680)),
    )
    image = np.zeros((1754, 1240, 3), dtype=np.uint8)
    return OcrResult(PageImage(PageRef("fixture.pdf", 0, 150), image), (region,), (table,), page_tokens)


def cell_labels(page: OcrResult) -> list[list[str | None]]:
    table = page.tables[0]
    out = [[None] * 3 for _ in range(len(ROWS))]
    for ct in table.cells:
        out[ct.cell.row][ct.cell.col] = ct.label
    return out


def test_rules_label_cells_and_page_tokens() -> None:
    page = table_page()
    [labelled] = registry.build("label", LabelOptions(kind="rules"))([page])
    got = cell_labels(labelled)
    assert got[:5] == EXPECTED[:5]
    assert got[5][1:] == ["TOTAL_LABEL", "AMOUNT"]
    assert [t.label for t in labelled.tokens] == ["TITLE", "UNIT", "OTHER"]
    # token labels follow their cells, also on the region's raw tokens
    assert [t.label for t in labelled.tables[0].tokens[:3]] == ["HEADER"] * 3
    assert page.tables[0].cells[0].label is None  # input not mutated


def test_rules_use_the_column_header_in_performance_forms() -> None:
    rows = [["三级指标", "指标值", "实际完成值", "分值", "得分"], ["培训人次", "≥500人次", "620人次", "10", "9.5"]]
    xs = (100.0, 300.0, 500.0, 700.0, 900.0, 1100.0)
    cells = [
        CellText(GridCell(r, c, 1, 1, (xs[c], 300.0 + 50 * r, xs[c + 1], 350.0 + 50 * r)), text, 1.0)
        for r, row in enumerate(rows)
        for c, text in enumerate(row)
    ]
    table = TableOcr(Region(RegionKind.TABLE, (100, 300, 1100, 400), 0.9), None, tuple(cells), ())
    page = OcrResult(PageImage(PageRef("f.pdf", 0, 150), np.zeros((1754, 1240, 3), np.uint8)), (), (table,))
    labels = {
        ct.cell.col: ct.label
        for ct in RulesLabeler(LabelOptions(kind="rules"))([page])[0].tables[0].cells
        if ct.cell.row == 1
    }
    assert labels == {0: "INDICATOR", 1: "TARGET", 2: "ACTUAL", 3: "WEIGHT", 4: "SCORE"}


def test_classifier_without_weights_falls_back_or_fails(tmp_path: Path) -> None:
    page = table_page()
    [labelled] = ClassifierLabeler(LabelOptions(model_dir=str(tmp_path)))([page])
    assert cell_labels(labelled)[1] == ["CODE", "NAME", "AMOUNT"]
    with pytest.raises(ConfigError, match=r"model\.safetensors"):
        ClassifierLabeler(LabelOptions(model_dir=str(tmp_path), fallback_to_rules=False))([page])


def test_unknown_kind_lists_the_known_ones() -> None:
    assert registry.kinds("label") == ("classifier", "rules")
    assert isinstance(registry.build("label", LabelOptions(kind="rules")), RulesLabeler)
    assert isinstance(registry.build("label", LabelOptions()), ClassifierLabeler)
    with pytest.raises(ValueError, match="unknown label kind 'nope'; known: classifier, rules"):
        LabelOptions(kind="nope")


@pytest.mark.slow
def test_shipped_classifier_labels_a_table_page() -> None:
    """The committed checkpoint (models/token-classifier) on a clean page: every cell right, batch order kept."""
    model_dir = MODELS_DIR / "token-classifier"
    assert (model_dir / "model.safetensors").is_file(), "the shipped model is missing: run juesuan train"
    pages = [table_page(), table_page(ROWS[:3])]
    out = registry.build("label", LabelOptions(kind="classifier", model_dir=str(model_dir), threads=1))(pages)
    assert len(out) == 2
    assert cell_labels(out[0]) == EXPECTED
    assert [t.label for t in out[0].tokens][:2] == ["TITLE", "UNIT"]
    assert out[1].tables[0].cells[3].label == "CODE"
