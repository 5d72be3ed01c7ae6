"""Build the bundled scanned sample: pages of a real digital PDF rasterized at 200 dpi, degraded like a scan
(fixed seed), saved as an image-only PDF. Its text layer is gone, so extraction must read pixels.

    .venv/bin/python scripts/make_sample.py  # writes datasets/samples/finance-bureau-2024_scan.pdf
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pypdfium2
from PIL import Image

from juesuan.datasets.synth.degrade import degrade

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "real" / "shanghai-putuo-finance-bureau_2024_决算.pdf"
# 1-based: 收入决算表 and its continuation, 基本支出 (two column groups) and its continuation, 三公经费, narrative.
PAGES = [8, 9, 16, 17, 18, 22]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--source", type=Path, default=SOURCE)
    ap.add_argument("--pages", default=",".join(map(str, PAGES)))
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--level", default="scan")
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "datasets" / "samples" / "finance-bureau-2024_scan.pdf")
    args = ap.parse_args()
    pdf = pypdfium2.PdfDocument(str(args.source))
    images = []
    for n in (int(p) for p in args.pages.split(",")):
        arr = np.asarray(pdf[n - 1].render(scale=args.dpi / 72).to_pil().convert("RGB"))  # RGB, not BGR
        out = degrade(np.ascontiguousarray(arr), np.random.default_rng([args.seed, n]), args.level)
        images.append(Image.fromarray(out).convert("RGB"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(args.out, save_all=True, append_images=images[1:], resolution=args.dpi, quality=80)
    print(f"{args.out}: {len(images)} pages, {args.out.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
