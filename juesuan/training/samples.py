"""Sample predictions drawn on page images: the MLflow artifacts ``samples/<eval set>/<page id>.png`` of a run.

Metrics say how often the classifier is wrong; a picture says where (a header row read as data, the amounts of a
total row, a stamp). Every token box is filled with the colour of its predicted label; a wrong token (predicted ≠
gold) gets a thick red frame and ``predicted/gold`` written above it; a legend strip goes under the page.

:func:`draw_predictions` is pure (arrays in, array out). The rest finds the page image (the dataset folder, or the
issue-5 generator for synthetic pages, which are kept in memory only) and aligns predictions with page tokens.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from juesuan.datamodel.labelled import LabelledPage, LabelledToken

log = logging.getLogger(__name__)

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
WRONG = (230, 0, 0)  # no label colour is near it, so red pixels mean errors
# One colour per label, in configs/labels.yaml order (tab20-like, red left out).
PALETTE = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (148, 103, 189),
    (140, 86, 75),
    (23, 190, 207),
    (188, 189, 34),
    (227, 119, 194),
    (0, 100, 60),
    (70, 70, 200),
    (200, 150, 0),
    (0, 128, 128),
    (120, 60, 150),
    (90, 160, 220),
    (150, 200, 80),
    (110, 110, 110),
    (185, 185, 185),
)
LEGEND_CELL_PX = 150
LEGEND_ROW_PX = 20
_SYNTH_ID = re.compile(r"^synth-(\d+)-(\d+)$")


def find_cjk_font() -> Path | None:
    """A CJK font for the legend and the ``predicted/gold`` notes (page ids and texts are Chinese)."""
    return next((Path(p) for p in FONT_CANDIDATES if Path(p).is_file()), None)


def label_colour(label: str, labels: Sequence[str]) -> tuple[int, int, int]:
    i = labels.index(label) if label in labels else len(labels) + sum(map(ord, label))
    return PALETTE[i % len(PALETTE)]


def legend_height(n_entries: int, width: int) -> int:
    """Height of the strip under the page: one line of counts, then the label swatches in rows."""
    per_row = max(1, (width - 8) // LEGEND_CELL_PX)
    rows = -(-n_entries // per_row)
    return 8 + LEGEND_ROW_PX * (1 + rows)


def draw_predictions(
    image: np.ndarray | None,
    tokens: Sequence[LabelledToken],
    predicted: Sequence[str | None],
    labels: Sequence[str],
    *,
    page_size: tuple[int, int] | None = None,
    title: str = "",
    max_width: int = 1600,
    font_path: Path | str | None = None,
) -> np.ndarray:
    """The page (RGB, at most ``max_width`` wide) with coloured token boxes, red wrong tokens and a legend below.

    ``tokens`` carry page-pixel boxes at ``page_size`` (width, height; default the image size) and their gold
    ``label``; ``predicted[i]`` is the label of ``tokens[i]`` (None: not predicted, e.g. a blank token). Without an
    image the page is drawn white with the token texts, so a page whose image is gone still shows what went wrong.
    """
    from PIL import Image, ImageDraw, ImageFont

    if len(predicted) != len(tokens):
        raise ValueError(f"{len(predicted)} predictions for {len(tokens)} tokens")
    if image is None:
        if page_size is None:
            raise ValueError("no image and no page_size: nothing to draw on")
        base = Image.new("RGB", (max(1, int(page_size[0])), max(1, int(page_size[1]))), "white")
    else:
        arr = np.ascontiguousarray(image)
        base = Image.fromarray(arr if arr.ndim == 2 or arr.shape[2] in (3, 4) else arr[..., 0]).convert("RGB")
    page_w, page_h = page_size or base.size
    scale = min(1.0, max_width / max(base.width, 1))
    out_w, out_h = max(1, round(base.width * scale)), max(1, round(base.height * scale))
    if (out_w, out_h) != base.size:
        base = base.resize((out_w, out_h), Image.Resampling.BILINEAR)
    sx, sy = out_w / max(page_w, 1), out_h / max(page_h, 1)

    font_file = Path(font_path) if font_path else find_cjk_font()
    if font_file is None:
        log.warning("no CJK font found (apt install fonts-noto-cjk); sample notes fall back to the default font")

    def font(size: int) -> Any:
        return ImageFont.truetype(str(font_file), size) if font_file else ImageFont.load_default()

    note_font, legend_font = font(12), font(13)
    boxes = [(t.bbox[0] * sx, t.bbox[1] * sy, t.bbox[2] * sx, t.bbox[3] * sy) for t in tokens]
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    od = ImageDraw.Draw(overlay)
    for box, pred in zip(boxes, predicted, strict=True):
        if pred is not None:
            od.rectangle(
                box, fill=(*label_colour(pred, labels), 70), outline=(*label_colour(pred, labels), 255), width=2
            )
    page = Image.alpha_composite(base.convert("RGBA"), overlay).convert("RGB")
    draw = ImageDraw.Draw(page)
    if image is None:  # no pixels: write the token texts so the page can be read
        for tok, box in zip(tokens, boxes, strict=True):
            size = int(min(20, max(8, (box[3] - box[1]) * 0.8)))
            draw.text((box[0] + 1, box[1]), tok.text, fill=(60, 60, 60), font=font(size))
    wrong = [
        (box, pred, tok.label)
        for tok, box, pred in zip(tokens, boxes, predicted, strict=True)
        if pred is not None and pred != tok.label
    ]
    for box, _, _ in wrong:
        draw.rectangle((box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2), outline=WRONG, width=3)
    for box, pred, gold in wrong:  # notes after every frame, so no frame covers a note
        note = f"{pred}/{gold}"
        x0, y0, x1, y1 = draw.textbbox((0, 0), note, font=note_font)
        x = min(max(0.0, box[0]), max(0.0, out_w - (x1 - x0) - 2))
        y = box[1] - (y1 - y0) - 5 if box[1] - (y1 - y0) - 5 >= 0 else box[3] + 3
        draw.rectangle((x, y, x + (x1 - x0) + 2, y + (y1 - y0) + 2), fill="white")
        draw.text((x + 1 - x0, y + 1 - y0), note, fill=WRONG, font=note_font)

    present = {p for p in predicted if p is not None} | {t.label for t, p in zip(tokens, predicted, strict=True) if p}
    entries = [lab for lab in labels if lab in present] + sorted(present - set(labels))
    strip_h = legend_height(len(entries), out_w)
    canvas = Image.new("RGB", (out_w, out_h + strip_h), "white")
    canvas.paste(page, (0, 0))
    cd = ImageDraw.Draw(canvas)
    cd.line((0, out_h, out_w, out_h), fill=(0, 0, 0), width=1)
    n = sum(p is not None for p in predicted)
    head = f"{title}  {len(wrong)} wrong of {n} tokens (red frame: predicted/gold)".strip()
    cd.text((4, out_h + 4), head, fill=WRONG if wrong else (0, 0, 0), font=legend_font)
    per_row = max(1, (out_w - 8) // LEGEND_CELL_PX)
    for k, lab in enumerate(entries):
        x = 4 + (k % per_row) * LEGEND_CELL_PX
        y = out_h + 4 + LEGEND_ROW_PX * (1 + k // per_row)
        cd.rectangle((x, y + 2, x + 14, y + 14), fill=label_colour(lab, labels), outline=(0, 0, 0))
        cd.text((x + 18, y), lab, fill=(0, 0, 0), font=legend_font)
    return np.asarray(canvas)


def to_png(image: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    # level 1: a noisy scan barely compresses further, and level 6 took 3 of the 5 s the samples cost per run
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


# ---------------------------------------------------------------- pages, images and predictions


def load_page_image(page: LabelledPage, folders: Sequence[Path] = ()) -> np.ndarray | None:
    """The page's pixels: ``<folder>/<page.image>`` for the first folder holding it, else the issue-5 generator
    for a synthetic page (``synth-<seed>-<index>``, generated in memory during training and never written), else
    None. A regenerated page whose tokens differ from the labels (the generator changed) is not used."""
    from PIL import Image

    if page.image:
        for folder in folders:
            path = Path(folder) / page.image
            if path.is_file():
                with Image.open(path) as img:
                    return np.asarray(img.convert("RGB"))
    match = _SYNTH_ID.match(page.id)
    if page.source == "synth" and match:
        from juesuan.datasets.synth.generator import SynthOptions, generate_page

        seed, index = int(match[1]), int(match[2])
        synth = generate_page(seed, index, SynthOptions(seed=seed))
        if synth.page.tokens == page.tokens:
            return synth.image
        log.warning("%s: the generator changed since these labels were made; drawn without the image", page.id)
    return None


def page_predictions(
    model: Any, vocab: Any, model_cfg: Any, labels: Sequence[str], pages: Sequence[LabelledPage], device: str = "cpu"
) -> list[list[str | None]]:
    """Predicted label per ``page.tokens`` entry (None for blank tokens, which the model never sees).

    The model reads tokens in :func:`reading_order`; each token is turned into a unit by ``page_units`` itself
    (one token at a time), so the mapping back cannot drift from what training and evaluation feed the model.
    """
    from juesuan.models.token_classifier import predict, reading_order
    from juesuan.training.data import page_units

    ordered_units, positions = [], []
    for page in pages:
        kept = [i for i, t in enumerate(page.tokens) if t.text.strip()]
        raw = [page_units(page.model_copy(update={"tokens": [page.tokens[i]]}))[0] for i in kept]
        order = reading_order(raw)
        units = [raw[k] for k in order]
        if units != page_units(page):
            raise RuntimeError(f"{page.id}: token order differs from page_units (data.py changed?)")
        ordered_units.append(units)
        positions.append([kept[k] for k in order])
    model.eval()
    ids = predict(model, vocab, model_cfg, ordered_units, device=device)
    out: list[list[str | None]] = []
    for page, pos, page_ids in zip(pages, positions, ids, strict=True):
        labels_of: list[str | None] = [None] * len(page.tokens)
        for token_index, label_id in zip(pos, page_ids, strict=True):
            labels_of[token_index] = labels[label_id]
        out.append(labels_of)
    return out


def artifact_name(page_id: str) -> str:
    """A file name for a page id (``doc#3`` → ``doc_3.png``): ``#`` and ``/`` break artifact URIs and paths."""
    return re.sub(r"[^\w.-]+", "_", page_id).strip("_") + ".png"


def choose_pages(pages: Sequence[LabelledPage], n: int = 3) -> list[LabelledPage]:
    """The first ``n`` pages holding a table, then the first other pages with tokens, in set order.

    The first pages, not random ones: the same pages in every run, so two runs' pictures compare side by side.
    Table pages first: a real document opens with a cover and narrative pages, where the labels are easy.
    """
    with_tokens = [p for p in pages if p.tokens]
    tables = [p for p in with_tokens if any(t.table is not None for t in p.tokens)]
    rest = [p for p in with_tokens if all(t.table is None for t in p.tokens)]
    return (tables + rest)[:n]


def render_samples(
    model: Any,
    vocab: Any,
    model_cfg: Any,
    labels: Sequence[str],
    eval_sets: Mapping[str, Sequence[LabelledPage]],
    folders: Mapping[str, Sequence[Path]],
    n_pages: int = 3,
    max_width: int = 1600,
    device: str = "cpu",
) -> dict[str, bytes]:
    """``{"<eval set>/<page>.png": png}`` for ``n_pages`` pages of every evaluation set (:func:`choose_pages`)."""
    started = time.monotonic()
    font = find_cjk_font()
    out: dict[str, bytes] = {}
    for name, pages in eval_sets.items():
        chosen = choose_pages(pages, n_pages)
        if not chosen:
            continue
        preds = page_predictions(model, vocab, model_cfg, labels, chosen, device)
        for page, pred in zip(chosen, preds, strict=True):
            image = load_page_image(page, folders.get(name, ()))
            drawn = draw_predictions(
                image,
                page.tokens,
                pred,
                labels,
                page_size=(page.width, page.height),
                title=f"{name} · {page.id}" + ("" if image is not None else " (no image: text drawn)"),
                max_width=max_width,
                font_path=font,
            )
            out[f"{name}/{artifact_name(page.id)}"] = to_png(drawn)
    log.info("drew %d sample pages in %.1f s", len(out), time.monotonic() - started)
    return out
