"""Cell-crop readings of fax pages (issue 12): does a smoothed, closed or 2x copy of a 1-bit crop read better?

Each listed page is rendered at a true 150 dpi and degraded with the ``fax`` preset *without rotation*, so the clean
rendering and the fax copy align pixel for pixel; the grid is found on the fax copy and both are cropped with it.
A cell whose clean crop reads as a printed number is a target; its fax crop is read as is and in each look of
:func:`juesuan.inference.ocr.crop_variants`. Printed: exact readings per look, and for ``PpOcr._reread``'s policy
(keep the first reading when it is a number, else the best-scoring look that is one) and an oracle (any look right).

    OMP_NUM_THREADS=1 python benchmarks/fax_crop_readings.py
"""

from __future__ import annotations

import cv2
import numpy as np
import pypdfium2 as pdfium

from juesuan.datamodel.amounts import parse_amount
from juesuan.datasets.synth.degrade import PRESETS, degrade
from juesuan.inference import grid as grids
from juesuan.inference.ocr import CellCropper, crop_variants
from juesuan.models.ppocr import PpOcrEngine
from juesuan.options import GridOptions

SHARED = "../shared/data/real/"
PAGES = [
    ("shanghai-putuo-commerce_2025_部门预算.pdf", [10, 13, 19]),
    ("shanghai-putuo-gov-office_2025_单位预算.pdf", [8, 12]),
]
LOOKS = ("crop", "smoothed", "closed", "2x")


def is_number(text: str) -> bool:
    """A printed number, read strictly (the test ``PpOcr._reread`` applies)."""
    return bool(text) and parse_amount(text, ocr_slips=False) is not None


def main() -> None:
    fax = PRESETS["fax"].model_copy(update={"rotation_deg": 0.0})
    engine = PpOcrEngine("ppocr_v6", 1, "cpu")
    options = GridOptions()
    right = dict.fromkeys([*LOOKS, "policy", "oracle"], 0)
    targets = 0
    for name, pages in PAGES:
        pdf = pdfium.PdfDocument(SHARED + name)
        for index in pages:
            clean = pdf[index].render(scale=150 / 72).to_numpy()[:, :, :3].copy()
            copy = degrade(clean, np.random.default_rng([7, index]), fax)
            gray_clean = cv2.cvtColor(clean, cv2.COLOR_RGB2GRAY)
            gray_copy = cv2.cvtColor(copy, cv2.COLOR_RGB2GRAY)
            masks = grids.detect_lines(copy, 150, options)
            for box, hs, vs in grids.group_structures(masks, 150, options):
                grid = grids.build_grid(box, hs, vs, 150, options)
                for lines_clean, lines_copy in zip(
                    CellCropper(150)(gray_clean, grid).lines, CellCropper(150)(gray_copy, grid).lines, strict=True
                ):
                    if not lines_clean or not lines_copy:
                        continue
                    truth = " ".join(r.text for r in engine.recognise([line.image for line in lines_clean])).strip()
                    if not is_number(truth):
                        continue
                    targets += 1
                    looks = [[line.image, *crop_variants(line.image)] for line in lines_copy]
                    readings = {}
                    for k, look in enumerate(LOOKS):
                        recs = engine.recognise([images[k] for images in looks])
                        readings[look] = (" ".join(r.text for r in recs).strip(), min(r.score for r in recs))
                        right[look] += readings[look][0] == truth
                    first = readings["crop"][0]
                    numbers = [v for v in readings.values() if is_number(v[0])]
                    pick = first if is_number(first) or not numbers else max(numbers, key=lambda v: v[1])[0]
                    right["policy"] += pick == truth
                    right["oracle"] += any(v[0] == truth for v in readings.values())
        pdf.close()
    shares = ", ".join(f"{k} {v} ({v / max(targets, 1):.1%})" for k, v in right.items())
    print(f"{targets} number crops; exact readings: {shares}")


if __name__ == "__main__":
    main()
