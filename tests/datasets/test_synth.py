"""Synthetic pages: boxes cover their ink, amounts satisfy the identities, pages are reproducible."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.labelled import LabelledPage
from juesuan.datasets.labelled_page import load_labels, read_dataset, verify_images
from juesuan.datasets.synth.generator import SynthOptions, generate_dataset, generate_page
from juesuan.datasets.synth.render import PageSpec, render_page
from juesuan.datasets.synth.tables import TABLE_BUILDERS, expenditure_table, header_cells, sample_style


def _opts(kind: str, preset: str = "clean") -> SynthOptions:
    return SynthOptions(table_weights={kind: 1.0}, degrade_weights={preset: 1.0}, continued_probability=0.0)


def _rows(page: LabelledPage) -> dict[int, dict[int, str]]:
    rows: dict[int, dict[int, str]] = defaultdict(dict)
    for tok in page.tokens:
        if tok.table == 0 and tok.row is not None and tok.col is not None:
            rows[tok.row][tok.col] = rows[tok.row].get(tok.col, "") + tok.text
    return rows


def test_token_boxes_cover_the_ink_of_their_text(cjk_font: Path) -> None:
    page = generate_page(11, 0, _opts("expenditure"))
    img = page.image if page.image.ndim == 2 else page.image.mean(axis=2)
    ink = img < 128
    assert len(page.page.tokens) > 30
    inside = np.zeros_like(ink)
    for tok in page.page.tokens:
        x0, y0, x1, y1 = (round(v) for v in tok.bbox)
        region = ink[y0:y1, x0:x1]
        assert region.sum() > 0, f"no ink in the box of {tok.text!r}"
        inside[max(0, y0 - 1) : y1 + 1, max(0, x0 - 1) : x1 + 1] = True
    # Ink outside every token box is ruling lines only: blank the lines and nothing dark may remain.
    table = page.page.tables[0]
    lines = np.zeros_like(ink)
    for cell in table.cells:
        x0, y0, x1, y1 = (round(v) for v in cell.bbox)
        for xx in (x0, x1):
            lines[y0 - 4 : y1 + 4, max(0, xx - 4) : xx + 4] = True
        for yy in (y0, y1):
            lines[max(0, yy - 4) : yy + 4, x0 - 4 : x1 + 4] = True
    stray = ink & ~inside & ~lines
    assert stray.sum() < 0.001 * ink.sum(), f"{stray.sum()} ink pixels outside token boxes"


def test_expenditure_table_amounts_satisfy_identities() -> None:
    checked = 0
    for i in range(12):
        page = generate_page(3, i, _opts("expenditure")).page
        if page.fields["continues_on_next"] == "yes":
            continue
        checked += 1
        rows = _rows(page)
        fields = {tok.col: tok.field for tok in page.tokens if tok.label == "AMOUNT"}
        amount_cols = sorted(fields)
        total_col, part_cols = amount_cols[0], amount_cols[1:]
        assert fields[total_col] in ("本年支出合计", "合计")

        def val(r: int, c: int, rows: dict[int, dict[int, str]] = rows) -> Decimal:
            return parse_amount(rows[r].get(c, "")) or Decimal(0)

        total_rows = [t.row for t in page.tokens if t.label == "TOTAL_LABEL" and t.text == "合计"]
        assert len(total_rows) == 1
        codes: dict[int, str] = defaultdict(str)
        for tok in sorted((t for t in page.tokens if t.label == "CODE"), key=lambda t: (t.row, t.col)):
            codes[tok.row] += tok.text  # split style: 类|款|项 columns joined
        class_rows = [r for r, code in codes.items() if len(code) == 3]
        assert class_rows
        for c in amount_cols:  # 合计 row = Σ 类 rows, per column
            assert val(total_rows[0], c) == sum(val(r, c) for r in class_rows)
        for r in {t.row for t in page.tokens if t.label == "AMOUNT"}:  # 本年支出合计 = 基本 + 项目 + ...
            assert val(r, total_col) == sum(val(r, c) for c in part_cols)
    assert checked >= 4


def test_sangong_identity() -> None:
    page = generate_page(2, 1, _opts("sangong")).page
    by_field = {t.field: parse_amount(t.text) or Decimal(0) for t in page.tokens if t.label == "AMOUNT"}
    group = next(iter(by_field)).split("/")[0]
    total = by_field.get(f"{group}/合计", Decimal(0))
    parts = [
        by_field.get(f"{group}/{p}", Decimal(0))
        for p in ("因公出国（境）费", "公务用车购置及运行费/小计", "公务接待费")
    ]
    assert total == sum(parts)


@pytest.mark.parametrize("kind", sorted([*TABLE_BUILDERS, "narrative"]))
def test_every_kind_renders_with_known_labels(kind: str) -> None:
    page = generate_page(5, 2, _opts(kind, "scan")).page
    labels = set(load_labels())
    assert page.tokens and {t.label for t in page.tokens} <= labels
    for tok in page.tokens:
        x0, y0, x1, y1 = tok.bbox
        assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height


def test_same_seed_same_page_and_other_seed_differs() -> None:
    a, b = generate_page(9, 4), generate_page(9, 4)
    assert np.array_equal(a.image, b.image) and a.page == b.page
    assert generate_page(10, 4).page != a.page


def test_header_cells_merge_groups() -> None:
    cells, depth = header_cells(
        [("项目", "类"), ("项目", "款"), ("本年支出", "合计"), ("本年支出", "基本支出"), ("备注",)]
    )
    assert depth == 2
    spans = {(c.text, c.row, c.col): (c.row_span, c.col_span) for c in cells}
    assert spans[("项目", 0, 0)] == (1, 2)
    assert spans[("本年支出", 0, 2)] == (1, 2)
    assert spans[("备注", 0, 4)] == (2, 1)


def test_continued_table_pages_split_rows(cjk_font: Path) -> None:
    from juesuan.datasets.synth.render import page_starts

    rng = np.random.default_rng(0)
    style = sample_style(rng)
    spec = expenditure_table(style, rng)
    page = PageSpec(210, 120, 100, (str(cjk_font), 2 if cjk_font.suffix == ".ttc" else 0, "hei"))
    starts = page_starts(spec, page)
    assert len(starts) >= 2
    first = render_page(spec, page, rng)
    assert first.next_row == starts[1]
    second = render_page(spec, page, rng, start_row=starts[1], continued=True, repeat_header=False)
    assert all(not c.header for c in second.tables[0].cells)


def test_generate_dataset_writes_manifests(tmp_path: Path) -> None:
    result = generate_dataset(tmp_path, 6, SynthOptions(seed=4), workers=1)
    assert result["pages"] == 6
    data = read_dataset(tmp_path)
    pages = [p for split in data.values() for p in split]
    assert len(pages) == 6 and verify_images(tmp_path, pages) == []
    assert json.loads((tmp_path / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])["source"] == "synth"


@pytest.mark.parametrize("kind", ["summary", "fiscal_summary"])
def test_summary_tables_balance(kind: str) -> None:
    checked = 0
    for i in range(8):
        page = generate_page(6, i, _opts(kind)).page
        if page.fields["continues_on_next"] == "yes":
            continue
        checked += 1
        rows = _rows(page)
        grand = [t.row for t in page.tokens if t.label == "TOTAL_LABEL" and t.text.endswith("总计")]
        assert len(set(grand)) == 1
        r = grand[0]
        assert parse_amount(rows[r][1]) == parse_amount(rows[r][3])  # 收入总计 = 支出总计
        spent_row = next(t.row for t in page.tokens if t.text == "本年支出合计")
        items = [t for t in page.tokens if t.label == "AMOUNT" and t.col == 3 and t.row < spent_row]
        assert parse_amount(rows[spent_row][3]) == sum((parse_amount(t.text) or Decimal(0)) for t in items)
    assert checked >= 2


def test_extending_a_dataset_keeps_earlier_pages(tmp_path: Path) -> None:
    generate_dataset(tmp_path, 3, SynthOptions(seed=4), workers=1)
    generate_dataset(tmp_path, 2, SynthOptions(seed=4), workers=1, start=3)
    ids = sorted(p.id for split in read_dataset(tmp_path).values() for p in split)
    assert ids == sorted(f"synth-4-{i}" for i in range(5))


def test_template_pages_have_placeholder_rows_and_no_amounts() -> None:
    # An empty template (部门决算模板): codes and names of a few example rows, "…" rows labelled OTHER, no amounts.
    opts = SynthOptions(
        table_weights={"expenditure": 1.0},
        degrade_weights={"clean": 1.0},
        continued_probability=0.0,
        template_probability=1.0,
    )
    marks, amounts = [], []
    for index in range(4):
        page = generate_page(3, index, opts).page
        marks += [t for t in page.tokens if t.text.strip(".…。") == "" and t.table is not None]
        amounts += [t for t in page.tokens if t.label == "AMOUNT"]
    assert marks and {t.label for t in marks} == {"OTHER"}
    assert amounts == []
    plain = generate_page(3, 0, _opts("expenditure")).page
    assert any(t.label == "AMOUNT" for t in plain.tokens)


def test_basic_expenditure_groups_with_split_codes() -> None:
    # 经济分类科目编码 | 类 | 款 per column group (finance-bureau 决算 p16, 部门决算模板): 款 parts "01" are CODE.
    from dataclasses import replace

    from juesuan.datasets.synth.tables import basic_expenditure_table

    rng = np.random.default_rng([4, 0])
    style = replace(sample_style(rng), kind="决算", code_style="split")
    spec = basic_expenditure_table(style, rng)
    assert spec.n_cols in (8, 12)
    parts = [c for c in spec.cells if c.label == "CODE" and len(c.text) == 2]
    assert parts and all(c.text.isdigit() for c in parts)
    heads = {c.text for c in spec.cells if c.header}
    assert {"类", "款", "经济分类科目编码"} <= heads
