"""Page previews: the page with table regions (blue), grid cells (green) and other text (grey) drawn on it.

Previews are drawn for every page of a batch, so they must stay cheap (issue 14: ≤ 0.25 CPU-s a page for all non-model
work). The page is shrunk once to a grey base at preview size (:func:`preview_base`, where the pixels are: a CPU
worker), which is 1/3 of the bytes of a colour copy and a fraction of the full page, so sending it to whichever
process draws the boxes (:func:`draw_preview`) costs little. Boxes are drawn with OpenCV on that base and encoded
with fast PNG compression: a preview is for looking, not archiving.
"""

from __future__ import annotations

import cv2
import numpy as np

from juesuan.datamodel.page import BBox, OcrResult, PageImage

PNG_COMPRESSION = 1  # cv2 0-9; 1 is ~4x faster than PIL's default 6 for a ~1.3x larger file
_GREY = (150, 150, 150)  # BGR
_GREEN = (0, 170, 0)
_BLUE = (230, 60, 0)


def preview_base(image: np.ndarray, max_width: int = 1400) -> tuple[np.ndarray, float]:
    """The page as grey pixels at most ``max_width`` wide, and the scale from page pixels to those pixels."""
    grey = image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    h, w = grey.shape[:2]
    scale = min(1.0, max_width / max(w, 1))
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(grey), scale


def draw_preview(base: np.ndarray, scale: float, result: OcrResult) -> bytes:
    """PNG bytes of ``base`` (from :func:`preview_base`) with the result's boxes, in page pixels, scaled onto it."""
    img = cv2.cvtColor(base, cv2.COLOR_GRAY2BGR) if base.ndim == 2 else np.ascontiguousarray(base[:, :, ::-1])

    def rect(b: BBox, colour: tuple[int, int, int], width: int) -> None:
        x0, y0, x1, y1 = (round(v * scale) for v in b)
        cv2.rectangle(img, (x0, y0), (x1, y1), colour, width)

    for tok in result.tokens:
        rect(tok.bbox_px, _GREY, 1)
    for table in result.tables:
        if table.grid is not None:
            for cell in table.grid.cells:
                rect(cell.bbox_px, _GREEN, 1)
        else:
            for tok in table.tokens:
                rect(tok.bbox_px, _GREEN, 1)
        rect(table.region.bbox_px, _BLUE, 3)
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    if not ok:
        raise RuntimeError(f"{result.page.ref.where()}: PNG encoding of the preview failed")
    return buf.tobytes()


def render_preview(page: PageImage, result: OcrResult, max_width: int = 1400) -> bytes:
    """PNG bytes of a downscaled page with boxes; small enough to keep for every page of a batch."""
    base, scale = preview_base(page.image, max_width)
    return draw_preview(base, scale, result)
