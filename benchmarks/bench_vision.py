"""Rasterize + preprocessing + layout on real pages: tables found vs a by-eye count, rotation/deskew accuracy, speed.

Each page is rendered at 200 dpi, optionally degraded (``juesuan.datasets.synth.degrade`` preset, seed
``[7, page]``), optionally turned by a random multiple of 90 degrees (``--turn``), saved as PNG and read back by
the product's Rasterizer (red seals, rotation, deskew), then laid out by PicoDetLayout.

- Tables: per page, detector TABLE regions vs the by-eye count (``--truth a-b``: one table on each 0-based page in
  [a, b], none elsewhere; counted from ``pdftoppm -r 30`` renders). TP/FP/FN per page from the counts.
- Numbers: the PDF text layer's amounts (``2,946.25``) mapped through the degradation and the deskew must fall in a
  detected table box.
- Rotation: pages whose recovered rotation differs from the applied turn; tilt: |applied - measured| in degrees at
  the page centre (perspective included).

    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/bench_vision.py --truth 4-19
    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/bench_vision.py --truth 4-19 --degrade scan --turn
    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/bench_vision.py \\
        --pdf ../shared/data/real/shanghai-putuo-commerce_2025_部门预算.pdf --truth 8-20 --degrade scan
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from juesuan.inference.layout import PicoDetLayout
from juesuan.inference.rasterize import Rasterizer, text_layer_tokens
from juesuan.options import LayoutOptions, RasterizeOptions

ROOT = Path(__file__).resolve().parent.parent
FINANCE = ROOT.parent / "shared" / "data" / "real" / "shanghai-putuo-finance-bureau_2024_决算.pdf"
AMOUNT = re.compile(r"-?[\d,]+\.\d+")


def _tilt(matrix: np.ndarray, width: int, height: int) -> float:
    """Counter-clockwise tilt (degrees) that ``matrix`` gives a horizontal segment through the page centre."""
    pts = np.array([[width / 2 - 200, height / 2, 1.0], [width / 2 + 200, height / 2, 1.0]]).T
    q = matrix @ pts
    q = q[:2] / q[2]
    return -math.degrees(math.atan2(q[1, 1] - q[1, 0], q[0, 1] - q[0, 0]))


def main() -> None:
    import cv2
    import pypdfium2 as pdfium
    from PIL import Image

    from juesuan.datasets.synth.degrade import degrade_with_transform

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pdf", type=Path, default=FINANCE)
    ap.add_argument("--truth", required=True, help="a-b: one table on each 0-based page a..b, none elsewhere")
    ap.add_argument("--degrade", default="clean", help="degrade preset (clean, scan, fax, photo_stamp, heavy)")
    ap.add_argument("--turn", action="store_true", help="also turn each page by a random multiple of 90 degrees")
    ap.add_argument("--score", type=float, default=0.5, help="layout score threshold")
    args = ap.parse_args()

    lo, hi = (int(v) for v in args.truth.split("-"))
    pdf = pdfium.PdfDocument(str(args.pdf))
    n_pages = len(pdf)
    items = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n_pages):
            image = pdf[i].render(scale=200 / 72, rev_byteorder=True).to_numpy()[:, :, :3].copy()
            rng = np.random.default_rng([7, i])
            degraded = degrade_with_transform(image, rng, args.degrade)
            turn = int(rng.integers(0, 4)) * 90 if args.turn else 0
            path = Path(tmp) / f"p{i}.png"
            Image.fromarray(np.ascontiguousarray(np.rot90(degraded.image, turn // 90))).save(path, dpi=(200, 200))
            items.append((path, i, degraded.matrix, turn, _tilt(degraded.matrix, image.shape[1], image.shape[0])))
        raster = Rasterizer(RasterizeOptions())
        layout = PicoDetLayout(LayoutOptions(score_threshold=args.score))
        layout(raster([(items[0][0], 0)]))  # load both models outside the timing
        t0 = time.perf_counter()
        pages = raster([(path, 0) for path, *_ in items])
        t1 = time.perf_counter()
        results = layout(pages)
        t2 = time.perf_counter()

    tp = fp = fn = wrong_turn = 0
    inside = total = 0
    tilt_err = []
    for (_, i, matrix, turn, tilt), result in zip(items, results, strict=True):
        page = result.page
        tables = result.tables()
        want = 1 if lo <= i <= hi else 0
        tp, fp, fn = tp + min(len(tables), want), fp + max(0, len(tables) - want), fn + max(0, want - len(tables))
        if page.rotation != (360 - turn) % 360:
            wrong_turn += 1
            print(f"  page {i}: turned {turn}, recovered rotation {page.rotation}")
            continue
        tilt_err.append(abs(page.skew_deg - tilt))
        deskew = cv2.getRotationMatrix2D((page.width / 2, page.height / 2), -page.skew_deg, 1.0)
        found = 0
        numbers = [t for t in text_layer_tokens(args.pdf, i, 200) if AMOUNT.fullmatch(t.text)]
        for token in numbers:
            x0, y0, x1, y1 = token.bbox_px
            q = matrix @ np.array([(x0 + x1) / 2, (y0 + y1) / 2, 1.0])
            x, y = deskew @ np.array([q[0] / q[2], q[1] / q[2], 1.0])
            found += any(b[0] - 3 <= x <= b[2] + 3 and b[1] - 3 <= y <= b[3] + 3 for b in (r.bbox_px for r in tables))
        if want:
            inside, total = inside + found, total + len(numbers)
        if len(tables) != want or found < len(numbers) * want:
            scores = [round(r.score, 2) for r in tables]
            print(f"  page {i}: tables {scores} (truth {want}), amounts in a table box {found}/{len(numbers)}")
    err = np.array(tilt_err) if tilt_err else np.zeros(1)
    print(
        f"{args.pdf.name} [{args.degrade}{' + turn' if args.turn else ''}] {n_pages} pages: "
        f"tables TP {tp} FP {fp} FN {fn}, precision {tp / max(tp + fp, 1):.3f}, recall {tp / max(tp + fn, 1):.3f}; "
        f"amounts inside a table box {inside}/{total}; wrong rotation {wrong_turn}; "
        f"tilt error median {np.median(err):.3f} max {err.max():.3f} deg; "
        f"rasterize+preprocess {(t1 - t0) / n_pages:.3f} s/page, layout {(t2 - t1) / n_pages:.3f} s/page "
        f"(load avg {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')})"
    )


if __name__ == "__main__":
    main()
