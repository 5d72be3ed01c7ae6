"""CPU seconds of the fax decisions (issue 12) on page images: grid with and without rule rebuilding, cell OCR with
and without stray-speck cleaning and second readings. Pass fax page images (e.g. the PNGs an ``evaluate --degrade
fax`` run writes to OUT/pages); process CPU time, so the numbers hold up better than wall time on a busy machine.

    OMP_NUM_THREADS=1 python benchmarks/fax_cost.py OUT/pages/*__fax.png
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from juesuan.datamodel.page import LayoutResult
from juesuan.inference.grid import RuledGrid
from juesuan.inference.ocr import PpOcr
from juesuan.inference.rasterize import Rasterizer
from juesuan.options import GridOptions, OcrOptions, RasterizeOptions


def cpu(run: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    start = time.process_time()
    for _ in range(repeat):
        out = run()
    return (time.process_time() - start) / repeat, out


def main(paths: list[str]) -> None:
    pages = Rasterizer(RasterizeOptions())([(Path(p), 0) for p in paths])
    layouts = [LayoutResult(page=page, regions=()) for page in pages]
    grid_off, _ = cpu(lambda: RuledGrid(GridOptions(recover_rules_max_dpi=0))(layouts), 2)
    grid_on, found = cpu(lambda: RuledGrid(GridOptions())(layouts), 2)
    plain = PpOcr(OcrOptions(text_regions=False, reread_max_dpi=0, stray_speck_max_dpi=0))
    fax = PpOcr(OcrOptions(text_regions=False))
    plain(found[:1]), fax(found[:1])  # models loaded outside the timing
    ocr_off, _ = cpu(lambda: plain(found))
    ocr_on, _ = cpu(lambda: fax(found))
    n = len(pages)
    print(
        f"{n} pages; CPU s/page: grid {grid_off / n:.3f} -> {grid_on / n:.3f}; "
        f"cell OCR {ocr_off / n:.3f} -> {ocr_on / n:.3f}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
