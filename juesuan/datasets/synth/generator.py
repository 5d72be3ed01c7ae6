"""``juesuan synth``: generate labelled synthetic scanned disclosure pages.

Page ``i`` of a run with seed ``S`` is drawn from ``np.random.default_rng([S, i])`` alone, so any page can be
regenerated without the others and a run can be split across processes. Each page: a document style (决算/预算,
organisation, number style), a table type or a 情况说明 narrative page, a page style (font, dpi, orientation), the
clean render with exact token boxes, then scan simulation (degrade.py) with the boxes mapped through its matrix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from juesuan.datamodel.labelled import LabelledCell, LabelledPage, LabelledTable, LabelledToken
from juesuan.datasets.labelled_page import read_manifest, write_manifest
from juesuan.datasets.synth import vocab
from juesuan.datasets.synth.degrade import degrade_with_transform, transform_boxes
from juesuan.datasets.synth.render import PageSpec, RenderedPage, available_fonts, page_starts, render_page
from juesuan.datasets.synth.tables import TABLE_BUILDERS, DocStyle, fmt, sample_style

log = logging.getLogger(__name__)


class SynthOptions(BaseModel):
    """What to generate; the defaults are the mix the shipped classifier is trained on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0
    table_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "summary": 1.0,
            "revenue": 1.0,
            "expenditure": 1.0,
            "fiscal_summary": 1.0,
            "gpb_expenditure": 1.2,
            "basic_expenditure": 1.0,
            "project_expenditure": 0.7,
            "gov_fund": 0.6,
            "soe_capital": 0.4,
            "sangong": 0.8,
            "performance": 1.5,
            "narrative": 1.0,
        },
        description="relative frequency of each page kind (table builder name or 'narrative')",
    )
    degrade_weights: dict[str, float] = Field(
        default_factory=lambda: {"clean": 0.15, "scan": 0.5, "fax": 0.12, "photo_stamp": 0.13, "heavy": 0.1},
        description="relative frequency of each scan-simulation preset",
    )
    dpi_choices: tuple[int, ...] = Field((120, 150, 150, 200, 200, 200, 240, 300), description="sampled uniformly")
    continued_probability: float = Field(0.2, ge=0, le=1, description="chance to draw a later page of a long table")
    template_probability: float = Field(
        0.04, ge=0, le=1, description="chance that a table page is an empty template (no amounts, '…' rows)"
    )
    dev_fraction: float = Field(0.1, ge=0, le=0.5)
    test_fraction: float = Field(0.1, ge=0, le=0.5)


@dataclass(slots=True)
class SynthPage:
    """One generated page: final pixels, its truth as a LabelledPage (image fields filled when written)."""

    image: np.ndarray
    page: LabelledPage
    preset: str
    kind: str


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = sorted(weights)
    p = np.array([weights[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _page_spec(rng: np.random.Generator, landscape: bool, dpi: int) -> PageSpec:
    fonts = available_fonts()
    if not fonts:
        raise RuntimeError("no CJK font installed: apt install fonts-noto-cjk fonts-wqy-zenhei fonts-arphic-uming")
    font = fonts[int(rng.integers(len(fonts)))]
    w, h = (297.0, 210.0) if landscape else (210.0, 297.0)
    return PageSpec(
        width_mm=w,
        height_mm=h,
        dpi=dpi,
        font=font,
        font_pt=float(rng.uniform(7.5, 10.5)),
        title_pt=float(rng.uniform(14, 20)),
        margin_mm=float(rng.uniform(10, 22)),
        line_px=float(rng.uniform(0.8, 1.6)),
        ink=int(rng.integers(0, 50)),
        page_number=f"- {int(rng.integers(1, 60))} -" if rng.random() < 0.4 else None,
        title_bold=bool(rng.random() < 0.7),
    )


def narrative_blocks(style: DocStyle, rng: np.random.Generator) -> list[tuple[str, str]]:
    """情况说明: headings and paragraphs with amounts, shares and changes (figures need not match tables)."""
    blocks: list[tuple[str, str]] = []
    if rng.random() < 0.4:
        blocks.append(("TITLE", f"第二部分 {style.org}{style.year}年度部门{style.kind}情况说明"))
    heads = list(vocab.NARRATIVE_HEADINGS)
    start = int(rng.integers(0, len(heads) - 2))
    for head in heads[start : start + int(rng.integers(2, 6))]:
        blocks.append(("TITLE", head))
        n = int(rng.integers(2, 7))
        sentences = [vocab.NARRATIVE_SENTENCES[int(i)] for i in rng.choice(len(vocab.NARRATIVE_SENTENCES), n)]
        text = "".join(_fill(s, style, rng) for s in sentences)
        blocks.append(("TEXT", text))
    return blocks


def _fill(template: str, style: DocStyle, rng: np.random.Generator) -> str:
    def amt() -> str:
        return fmt(max(1, int(rng.lognormal(np.log(300), 1.2) * 100)), style) or "0.00"

    up = rng.random() < 0.5
    return template.format(
        year=style.year,
        prev=style.year - 1,
        a=amt(),
        b=amt(),
        c=amt(),
        d=amt(),
        p=f"{rng.uniform(0.5, 99):.2f}",
        q=f"{rng.uniform(0.5, 99):.2f}",
        dir="增加" if up else "减少",
        dir2="增长" if up else "下降",
        cmp=str(rng.choice(["小于", "大于", "等于"])),
        reason=str(rng.choice(vocab.REASONS)),
        n=int(rng.integers(1, 30)),
        m=int(rng.integers(0, 10)),
    )


def generate_page(seed: int, index: int, options: SynthOptions | None = None) -> SynthPage:
    """Page ``index`` of run ``seed``: deterministic, independent of every other page."""
    opts = options or SynthOptions(seed=seed)
    rng = np.random.default_rng([seed, index])
    style = sample_style(rng)
    kind = _pick(rng, opts.table_weights)
    dpi = int(rng.choice(opts.dpi_choices))
    if kind == "narrative":
        page = _page_spec(rng, landscape=False, dpi=dpi)
        rendered = render_page(None, page, rng, text_blocks=narrative_blocks(style, rng))
        ttype: str | None = "情况说明"
        continued = False
    else:
        # own stream, so pages that are no template keep the pixels of earlier releases
        if np.random.default_rng([seed, index, 1]).random() < opts.template_probability:
            style = dataclasses.replace(style, template=True)
        spec = TABLE_BUILDERS[kind](style, rng)
        wide = spec.n_cols >= 8 or (spec.n_cols >= 6 and rng.random() < 0.5)
        landscape = bool(wide and rng.random() < 0.85) or (not wide and rng.random() < 0.1)
        if spec.type in ("项目支出绩效自评表", "项目绩效目标表"):
            landscape = rng.random() < 0.3
        page = _page_spec(rng, landscape, dpi)
        if spec.type.endswith("表") and rng.random() < 0.3:
            spec.corner_code = f"公开{int(rng.integers(1, 14)):02d}表"
        repeat = rng.random() < 0.6
        start, continued = None, False
        if spec.paginate and rng.random() < opts.continued_probability:
            starts = page_starts(spec, page, repeat_header=repeat)
            if len(starts) > 1:
                k = int(rng.integers(1, len(starts)))
                start, continued = starts[k], True
        rendered = render_page(spec, page, rng, start_row=start, continued=continued, repeat_header=repeat)
        ttype = spec.type
    preset = _pick(rng, opts.degrade_weights)
    result = degrade_with_transform(rendered.image, rng, preset)
    h, w = result.image.shape[:2]
    tokens, tables = _map_truth(rendered, result.matrix, w, h)
    fields = {"unit_name": style.org, "year": str(style.year), "amount_unit": "万元", "kind": style.kind}
    labelled = LabelledPage(
        id=f"synth-{seed}-{index}",
        image="",
        sha256="",
        width=w,
        height=h,
        dpi=rendered.dpi,
        source="synth",
        document=f"synth-{seed}-{index}",
        page_index=0,
        tokens=tokens,
        tables=tables,
        fields=fields,
    )
    if ttype is not None:
        labelled.fields["table_type"] = ttype
    if kind != "narrative":  # a cut table's totals include rows on other pages
        labelled.fields["continued_from_previous"] = "yes" if continued else "no"
        labelled.fields["continues_on_next"] = "yes" if rendered.next_row is not None else "no"
    return SynthPage(result.image, labelled, preset, kind)


def _map_truth(
    rendered: RenderedPage, matrix: np.ndarray, w: int, h: int
) -> tuple[list[LabelledToken], list[LabelledTable]]:
    """Token, cell and table boxes through the scan simulation's geometry (identity for most presets)."""
    if not rendered.tokens:
        tok_boxes = np.zeros((0, 4))
    else:
        tok_boxes = transform_boxes([t.bbox for t in rendered.tokens], matrix, w, h)
    tokens = [
        t.model_copy(update={"bbox": [round(float(v), 1) for v in b]})
        for t, b in zip(rendered.tokens, tok_boxes, strict=True)
    ]
    tables: list[LabelledTable] = []
    for table in rendered.tables:
        tb = transform_boxes([table.bbox], matrix, w, h)[0]
        cells: list[LabelledCell] = []
        if table.cells:
            cb = transform_boxes([c.bbox for c in table.cells], matrix, w, h)
            cells = [
                c.model_copy(update={"bbox": [round(float(v), 1) for v in b]})
                for c, b in zip(table.cells, cb, strict=True)
            ]
        tables.append(table.model_copy(update={"bbox": [round(float(v), 1) for v in tb], "cells": cells}))
    return tokens, tables


def encode_image(image: np.ndarray, preset: str) -> tuple[bytes, str]:
    """Clean pages as PNG (lossless); degraded pages as JPEG q88 (their JPEG artefacts are already in the pixels)."""
    from PIL import Image

    pil = Image.fromarray(image)
    buf = io.BytesIO()
    if preset == "clean":
        pil.save(buf, format="PNG", compress_level=1)
        return buf.getvalue(), ".png"
    pil.save(buf, format="JPEG", quality=88)
    return buf.getvalue(), ".jpg"


def _split_of(index: int, opts: SynthOptions) -> str:
    h = int.from_bytes(hashlib.sha256(f"{opts.seed}:{index}".encode()).digest()[:8], "big") / 2**64
    return "test" if h < opts.test_fraction else "dev" if h < opts.test_fraction + opts.dev_fraction else "train"


def _work(args: tuple[int, int, str, str]) -> tuple[int, str, str]:
    """Worker: generate, write the image, return (index, split, page JSON)."""
    seed, index, out_dir, opts_json = args
    opts = SynthOptions.model_validate_json(opts_json)
    page = generate_page(seed, index, opts)
    data, ext = encode_image(page.image, page.preset)
    rel = f"images/{page.page.id}{ext}"
    (Path(out_dir) / rel).write_bytes(data)
    record = page.page.model_copy(update={"image": rel, "sha256": hashlib.sha256(data).hexdigest()})
    record.fields["degrade"] = page.preset
    return index, _split_of(index, opts), record.model_dump_json(exclude_none=True)


def generate_dataset(
    out_dir: Path, n_pages: int, options: SynthOptions, workers: int = 2, start: int = 0, progress=None
) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Write ``images/`` and ``train/dev/test.jsonl`` under ``out_dir``; returns counts and pages per second."""
    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    jobs = [(options.seed, i, str(out_dir), options.model_dump_json()) for i in range(start, start + n_pages)]
    results: list[tuple[int, str, str]] = []
    t0 = time.perf_counter()
    if workers <= 1:
        for job in jobs:
            results.append(_work(job))
            if progress:
                progress(1)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for res in pool.map(_work, jobs, chunksize=4):
                results.append(res)
                if progress:
                    progress(1)
    seconds = time.perf_counter() - t0
    results.sort()
    splits: dict[str, list[LabelledPage]] = {"train": [], "dev": [], "test": []}
    for _, split, text in results:
        splits[split].append(LabelledPage.model_validate(json.loads(text)))
    for split, pages in splits.items():
        path = out_dir / f"{split}.jsonl"
        if start > 0 and path.is_file():  # extending a dataset (--start): keep the pages already there
            new_ids = {p.id for p in pages}
            pages = [p for p in read_manifest(path) if p.id not in new_ids] + pages
            splits[split] = pages
        write_manifest(path, pages)
    return {
        "pages": len(results),
        "seconds": round(seconds, 2),
        "pages_per_s": round(len(results) / seconds, 2),
        "splits": {k: len(v) for k, v in splits.items()},
    }


def iter_pages(seed: int, indices: Sequence[int], options: SynthOptions | None = None) -> Iterator[SynthPage]:
    for i in indices:
        yield generate_page(seed, i, options)
