"""OCR stage speed and number accuracy per page: cell crops (PP-OCRv6 / v4) vs full-page det+rec vs Tesseract.

Pages are rasterized with the product's Rasterizer (optionally degraded like a scan first, then deskewed by the same
Rasterizer), laid out and gridded once (untimed); then every engine reads every page and is timed per page.
Accuracy: the PDF text layer's numbers (``2,946.25``, ``6.20`` ...) found exactly among what an engine read on that
page (cell texts and tokens for the stage engines, whitespace-split tokens for the full-page engines), counted as
multisets so position errors from degradation do not matter.

    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/bench_ocr.py --pages 6-20
    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/bench_ocr.py --pages 8,16 --degrade scan \
        --engines v6-cells,v6-full
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from juesuan.datamodel.page import GridResult, OcrResult
from juesuan.options import GridOptions, LayoutOptions, OcrOptions, RasterizeOptions

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PDF = ROOT.parent / "shared" / "data" / "real" / "shanghai-putuo-finance-bureau_2024_决算.pdf"
NUMBER = re.compile(r"^[-−]?(\d{1,3}(,\d{3})+|\d+)\.\d+$")
ENGINES = ("v6-cells", "v4-cells", "v6-full", "v4-full", "tesseract")


def parse_pages(spec: str) -> list[int]:
    """``6-20`` or ``8,16`` (1-based, as people count) → 0-based indices."""
    out: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo) - 1, int(hi or lo)))
    return out


def prepare(pdf: Path, pages: Sequence[int], dpi: int, degrade: str, seed: int) -> list[GridResult]:
    from PIL import Image

    from juesuan.inference import registry
    from juesuan.inference.grid import RuledGrid
    from juesuan.inference.rasterize import Rasterizer

    rasterizer = Rasterizer(RasterizeOptions(dpi=dpi, grey=False))  # degraded as RGB below
    images = rasterizer([(pdf, p) for p in pages])
    if degrade != "none":
        from juesuan.datasets.synth.degrade import degrade as degrade_image

        with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
            requests = []
            for page in images:
                rng = np.random.default_rng([seed, page.ref.index])
                target = Path(tmp) / f"p{page.ref.index:03d}.png"
                Image.fromarray(degrade_image(page.image, rng, degrade)).save(target, dpi=(dpi, dpi))
                requests.append((target, 0))
            images = rasterizer(requests)
    layouts = registry.build("layout", LayoutOptions())(images)
    return RuledGrid(GridOptions())(layouts)


def stage_strings(result: OcrResult) -> list[str]:
    out = [c.text for t in result.tables for c in t.cells]
    out += [tok.text for t in result.tables for tok in t.tokens]
    out += [tok.text for tok in result.tokens]
    return [s for text in out for s in text.split()]


def engine_runner(name: str, threads: int) -> Callable[[GridResult], list[str]]:
    from juesuan.inference.ocr import PpOcr, TesseractOcr, full_page_ocr
    from juesuan.models.ppocr import PpOcrEngine

    if name.endswith("-cells"):
        stage = PpOcr(OcrOptions(kind=f"ppocr_{name[:2]}", threads=threads))
        return lambda grid: stage_strings(stage([grid])[0])
    if name.endswith("-full"):
        engine = PpOcrEngine(f"ppocr_{name[:2]}", threads)
        kind = f"ppocr_{name[:2]}"
        return lambda grid: [s for t in full_page_ocr(grid.page.image, kind, engine=engine) for s in t.text.split()]
    if name == "tesseract":
        tess = TesseractOcr(OcrOptions(kind="tesseract", threads=threads))
        return lambda grid: stage_strings(tess([grid])[0])
    raise SystemExit(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")


def truth_numbers(pdf: Path, page: int, dpi: int) -> list[str]:
    from juesuan.inference.rasterize import text_layer_tokens

    return [t.text for t in text_layer_tokens(pdf, page, dpi) if NUMBER.match(t.text)]


def cpu_seconds() -> float:
    """This process and its finished children (tesseract runs as a subprocess)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdf", type=Path, default=DEFAULT_PDF)
    ap.add_argument("--pages", default="6-20", help="1-based pages, e.g. 6-20 or 8,16")
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--degrade", default="none", help="none or a degrade preset (scan, fax, ...)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", default="v6-cells,v4-cells,v6-full,tesseract")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)

    pages = parse_pages(args.pages)
    grids = prepare(args.pdf, pages, args.dpi, args.degrade, args.seed)
    truths = [truth_numbers(args.pdf, p, args.dpi) for p in pages]
    n_cells = [sum(len(t.grid.cells) for t in g.tables if t.grid is not None) for g in grids]
    print(f"{args.pdf.name}: pages {args.pages} at {args.dpi} dpi, degrade={args.degrade}, {len(pages)} pages,")
    print(f"  {sum(len(t) for t in truths)} numbers in the text layer, median {statistics.median(n_cells)} grid cells")
    print(f"  {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, threads={args.threads}")
    print(f"{'engine':<12} {'wall s/page':>12} {'cpu s/page':>11} {'numbers exact':>14}")
    for name in args.engines.split(","):
        run = engine_runner(name, args.threads)
        run(grids[0])  # load the models outside the timing
        walls, cpus, hits = [], [], 0
        for grid, truth in zip(grids, truths, strict=True):
            t0, c0 = time.perf_counter(), cpu_seconds()
            got = run(grid)
            walls.append(time.perf_counter() - t0)
            cpus.append(cpu_seconds() - c0)
            hits += sum((Counter(truth) & Counter(got)).values())
        total = sum(len(t) for t in truths)
        print(
            f"{name:<12} {statistics.median(walls):>12.2f} {statistics.median(cpus):>11.2f} "
            f"{hits:>6}/{total:<5} {100 * hits / max(total, 1):6.2f}%"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
