"""Sample predictions drawn on page images (the ``samples/`` MLflow artifacts of a training run)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from juesuan.datamodel.labelled import LabelledPage
from juesuan.training.samples import (
    artifact_name,
    choose_pages,
    draw_predictions,
    legend_height,
    load_page_image,
    to_png,
)

LABELS = ["TITLE", "UNIT", "HEADER", "CODE", "NAME", "AMOUNT", "TOTAL_LABEL", "OTHER"]


def _page_image(page: LabelledPage, font: Path) -> np.ndarray:
    """The tiny page printed: its token texts at their boxes, black on white."""
    img = Image.new("RGB", (page.width, page.height), "white")
    draw = ImageDraw.Draw(img)
    f = ImageFont.truetype(str(font), 20)
    for t in page.tokens:
        draw.text((t.bbox[0], t.bbox[1]), t.text, fill="black", font=f)
    return np.asarray(img)


def _red(a: np.ndarray) -> np.ndarray:
    return (a[..., 0] > 200) & (a[..., 1] < 50) & (a[..., 2] < 50)


def test_wrong_token_is_framed_red_and_page_downscaled(cjk_font: Path, tiny_pages: list[LabelledPage]) -> None:
    page = tiny_pages[5]
    wrong_index = next(i for i, t in enumerate(page.tokens) if t.label == "AMOUNT" and t.row == 4)
    pred: list[str | None] = [t.label for t in page.tokens]
    pred[wrong_index] = "CODE"
    out = draw_predictions(
        _page_image(page, cjk_font), page.tokens, pred, LABELS, title="tiny-5", max_width=600, font_path=cjk_font
    )
    scale = 600 / page.width
    page_h = round(page.height * scale)
    entries = {t.label for t in page.tokens} | {"CODE"}
    assert out.shape == (page_h + legend_height(len(entries), 600), 600, 3)

    red = _red(out[:page_h])
    x0, y0, x1, y1 = (round(v * scale) for v in page.tokens[wrong_index].bbox)
    frame = red[y0 - 4 : y1 + 5, x0 - 4 : x1 + 5]
    assert frame.sum() > 2 * (x1 - x0 + y1 - y0)  # a thick frame all round
    note_and_frame = np.zeros_like(red)
    note_and_frame[max(0, y0 - 30) : y1 + 5, max(0, x0 - 4) : min(600, x0 + 150)] = True
    assert red.sum() > 0 and not (red & ~note_and_frame).any()  # no red anywhere else on the page
    title = page.tokens[0].bbox
    assert not red[round(title[1] * scale) : round(title[3] * scale), round(title[0] * scale) :].any()

    right = draw_predictions(
        _page_image(page, cjk_font), page.tokens, [t.label for t in page.tokens], LABELS, font_path=cjk_font
    )
    assert right.shape[1] == page.width  # never upscaled (1200 < 1600)
    assert not _red(right).any()


def test_png_bytes_and_blank_page_without_image(cjk_font: Path, tiny_pages: list[LabelledPage]) -> None:
    page = tiny_pages[6]
    pred: list[str | None] = [t.label for t in page.tokens]
    pred[0] = "OTHER"
    out = draw_predictions(None, page.tokens, pred, LABELS, page_size=(page.width, page.height), font_path=cjk_font)
    png = to_png(out)
    with Image.open(io.BytesIO(png)) as img:
        assert img.format == "PNG" and img.size == (out.shape[1], out.shape[0])
    page_part = out[: page.height]
    x0, y0, x1, y1 = (int(v) for v in page.tokens[1].bbox)  # UNIT token, predicted right: its text is drawn
    assert (page_part[y0:y1, x0:x1] < 100).any()
    assert _red(page_part).any()
    with pytest.raises(ValueError, match="predictions"):
        draw_predictions(None, page.tokens, pred[:-1], LABELS, page_size=(page.width, page.height))


def test_synthetic_page_image_is_regenerated_from_its_id(tmp_path: Path, tiny_pages: list[LabelledPage]) -> None:
    from juesuan.datasets.labelled_page import read_manifest, write_manifest
    from juesuan.datasets.synth.generator import generate_page

    synth = generate_page(3, 7)
    assert synth.page.image == ""  # training keeps synthetic pages in memory only
    write_manifest(tmp_path / "cache.jsonl", [synth.page])  # as training caches it (runs/synth-cache)
    cached = read_manifest(tmp_path / "cache.jsonl")[0]
    image = load_page_image(cached)
    assert image is not None and np.array_equal(image, synth.image)
    moved = cached.model_copy(update={"tokens": cached.tokens[1:]})  # labels of another generator version
    assert load_page_image(moved) is None
    missing = tiny_pages[1]  # image file that does not exist, not synthetic by id
    assert load_page_image(missing, [Path("/nonexistent")]) is None


def test_page_image_is_read_from_the_dataset_folder(
    tmp_path: Path, cjk_font: Path, tiny_pages: list[LabelledPage]
) -> None:
    page = tiny_pages[2]
    pixels = _page_image(page, cjk_font)
    Image.fromarray(pixels).save(tmp_path / page.image)
    image = load_page_image(page, [tmp_path / "elsewhere", tmp_path])
    assert image is not None and np.array_equal(image, pixels)


def test_sample_pages_are_fixed_table_pages_first(tiny_pages: list[LabelledPage]) -> None:
    narrative = tiny_pages[9].model_copy(
        update={"id": "doc#0", "tokens": [t.model_copy(update={"table": None}) for t in tiny_pages[9].tokens]}
    )
    empty = tiny_pages[8].model_copy(update={"id": "doc#1", "tokens": []})
    tables = tiny_pages[3:7]
    chosen = choose_pages([narrative, empty, *tables], 3)
    assert [p.id for p in chosen] == ["tiny-3", "tiny-4", "tiny-5"]
    assert [p.id for p in choose_pages([narrative, empty, tables[0]], 3)] == ["tiny-3", "doc#0"]
    assert artifact_name("shanghai_2025_部门预算#10") == "shanghai_2025_部门预算_10.png"
