"""CPU milliseconds of the non-model page operations on one real table page (issue 14's per-change figures).

Times, with ``time.process_time`` over ``--repeat`` calls, the operations the CPU budget is made of: the grid's line
detection, the red-seal test, orientation, and the OCR crop planning of the page's ruled tables, once with
OpenCV's default thread count and once single-threaded (as the pipelined engine runs them). Run it at two commits
to see what a change did; on a shared machine, put ``uptime``'s load average next to the figures.

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_page_ops.py
    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_page_ops.py --pdf ../shared/data/real/X.pdf --page 3
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PDF = ROOT.parent / "shared" / "data" / "real" / "shanghai-putuo-commerce_2025_部门预算.pdf"


def _ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm (lazy imports, first-call allocations)
    t0 = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - t0) / repeat * 1000.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pdf", type=Path, default=DEFAULT_PDF)
    p.add_argument("--page", type=int, default=9, help="0-based page index (default: a landscape table page)")
    p.add_argument("--dpi", type=int, default=200)
    p.add_argument("--repeat", type=int, default=10)
    args = p.parse_args(argv)

    import cv2

    from juesuan.inference import grid, preprocess
    from juesuan.inference.ocr import CellCropper
    from juesuan.inference.rasterize import Rasterizer
    from juesuan.options import GridOptions, RasterizeOptions

    raster = Rasterizer(RasterizeOptions(dpi=args.dpi, text_layer="never", rotate=False, deskew=False))
    (page,) = raster([(args.pdf, args.page)])
    image = page.image
    options = GridOptions()
    masks = grid.detect_lines(image, args.dpi, options)
    tables = [
        grid.build_grid(box, hs, vs, args.dpi, options)
        for box, hs, vs in grid.group_structures(masks, args.dpi, options)
    ]
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    cropper = CellCropper(args.dpi)
    ops: dict[str, Callable[[], Any]] = {
        "grid.detect_lines": lambda: grid.detect_lines(image, args.dpi, options),
        "preprocess.suppress_red": lambda: preprocess.suppress_red(image),
        "preprocess.orient (no classifier)": lambda: preprocess.orient(image, None),
        "ocr CellCropper (all ruled tables)": lambda: [cropper(gray, t) for t in tables],
    }
    load = os.getloadavg()
    print(
        f"{args.pdf.name} page {args.page}, {image.shape[1]}x{image.shape[0]} px, {len(tables)} ruled table(s); "
        f"load average {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}"
    )
    default = cv2.getNumThreads()
    print(f"| operation | CPU ms, {default} OpenCV threads | CPU ms, 1 OpenCV thread |")
    print("| --- | --- | --- |")
    for name, fn in ops.items():
        cv2.setNumThreads(default)
        many = _ms(fn, args.repeat)
        cv2.setNumThreads(1)
        one = _ms(fn, args.repeat)
        print(f"| {name} | {many:.1f} | {one:.1f} |")
    cv2.setNumThreads(default)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
