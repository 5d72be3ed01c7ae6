"""label --from-corrections: reviewed pages become labelled pages (edited labels in, image cropped from source)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from juesuan.datasets.corrections import build_dataset
from juesuan.datasets.labelled_page import read_dataset, verify_images
from juesuan.review.store import CellEdit, ReviewStore, SaveRequest


def test_reviewed_page_becomes_a_labelled_page(review_out: Path, tmp_path: Path) -> None:
    store = ReviewStore(review_out)
    dest = tmp_path / "corrections"
    empty = build_dataset(review_out, dest)
    assert empty.pages == 0  # nothing reviewed yet: nothing to learn from
    edits = [
        CellEdit(table="t1", row=2, col=2, text="84.65"),
        CellEdit(table="t1", row=10, col=1, label="TOTAL_LABEL"),
        CellEdit(table="t1", row=0, col=1, label="NAME"),
    ]
    store.save("finance", SaveRequest(edits=edits, confirm_tables=["t1"]))
    result = build_dataset(review_out, dest, split_by="document")
    assert (result.pages, result.edited_pages, result.edits, result.documents) == (1, 1, 3, 1)
    pages = [p for split in read_dataset(dest).values() for p in split]
    assert len(pages) == 1
    page = pages[0]
    assert page.source == "corrections" and page.document == "finance-page" and page.page_index == 0
    at = {(t.row, t.col): t for t in page.tokens}
    fixed = at[(3, 2)]  # row index 2 under the header row 0
    assert (fixed.text, fixed.label) == ("84.65", "AMOUNT")
    assert (at[(11, 1)].text, at[(11, 1)].label) == ("合计", "TOTAL_LABEL")
    assert (at[(1, 1)].text, at[(1, 1)].label) == ("社会保障和就业支出", "NAME")
    assert [t.text for t in page.tokens if t.label == "HEADER"] == [
        "科目编码",
        "科目名称",
        "合计",
        "基本支出",
        "项目支出",
    ]
    assert len(page.tokens) == 5 + sum(1 for r in store.load("finance").tables[0].rows for c in r.cells if c.text)
    assert verify_images(dest, pages) == []
    with Image.open(dest / page.image) as img:
        assert (img.width, img.height) == (page.width, page.height)
        assert page.width < 1000 and page.height < 1000  # cropped to the table, not the whole page
        x0, y0, x1, y1 = (int(v) for v in fixed.bbox)
        crop = img.convert("L").crop((x0 + 2, y0 + 2, x1 - 2, y1 - 2))
        assert int(np.asarray(crop).min()) < 100  # the printed amount is inside its shifted box
    card = (dest / "README.md").read_text(encoding="utf-8")
    assert "| pages | 1 (1 with edits, 0 confirmed unchanged) |" in card


def test_confirmed_unchanged_page_counts_and_cli(review_out: Path, tmp_path: Path) -> None:
    from juesuan.cli import main

    ReviewStore(review_out).save("finance", SaveRequest(confirm_tables=["t1"]))
    dest = tmp_path / "ds"
    assert main(["label", "--from-corrections", str(review_out), "-o", str(dest)]) == 0
    pages = [p for split in read_dataset(dest).values() for p in split]
    assert [p.source for p in pages] == ["confirmed"]
    assert pages[0].tokens[5].label == "CODE"  # the machine's label, accepted by the reviewer
    assert "| pages | 1 (0 with edits, 1 confirmed unchanged) |" in (dest / "README.md").read_text(encoding="utf-8")
