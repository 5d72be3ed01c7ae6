"""Page previews: the page with table regions (blue), grid cells (green) and other text (grey) drawn on it.

Previews are drawn for every page of a batch, so they must stay cheap (issue 14: ≤ 0.25 CPU-s a page for all non-model
work). The page is shrunk once to a grey base at preview size (:func:`preview_base`, where the pixels are: a CPU
worker), a third of the bytes of a colour copy, so sending it to whichever process draws the boxes
(:func:`draw_preview`) costs little. Boxes are drawn into a palette image (grey levels + three box colours) and
encoded with fast PNG compression: one byte a pixel, and a preview is for looking, not archiving.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from juesuan.datamodel.page import BBox, OcrResult, PageImage

PNG_COMPRESSION = 1  # zlib level: 1 is several times faster than PIL's default 6 for a slightly larger file
# A palette PNG: 252 grey levels for the page, then the box colours (RGB). One byte a pixel instead of three.
_N_GREY = 252
_BOX_GREY, _BOX_GREEN, _BOX_BLUE = 252, 253, 254
_PALETTE = [v for i in range(_N_GREY) for v in (round(i * 255 / (_N_GREY - 1)),) * 3] + [
    *(150, 150, 150),
    *(0, 170, 0),
    *(0, 60, 230),
    *(255, 255, 255),
]
_TO_INDEX = np.round(np.arange(256) * (_N_GREY - 1) / 255).astype(np.uint8)  # grey level -> palette index


def preview_base(image: np.ndarray, max_width: int = 1400) -> tuple[np.ndarray, float]:
    """The page as grey pixels at most ``max_width`` wide, and the scale from page pixels to those pixels.

    Bilinear, not area, resampling: previews shrink a 200 dpi page by ~15 %, where area averaging costs 7x more
    and looks the same."""
    grey = image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    h, w = grey.shape[:2]
    scale = min(1.0, max_width / max(w, 1))
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(grey), scale


def draw_preview(base: np.ndarray, scale: float, result: OcrResult) -> bytes:
    """PNG bytes of ``base`` (from :func:`preview_base`) with the result's boxes, in page pixels, scaled onto it."""
    grey = base if base.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(base), cv2.COLOR_RGB2GRAY)
    img = cv2.LUT(grey, _TO_INDEX)

    def rect(b: BBox, colour: int, width: int) -> None:
        x0, y0, x1, y1 = (round(v * scale) for v in b)
        cv2.rectangle(img, (x0, y0), (x1, y1), colour, width)

    for tok in result.tokens:
        rect(tok.bbox_px, _BOX_GREY, 1)
    for table in result.tables:
        if table.grid is not None:
            for cell in table.grid.cells:
                rect(cell.bbox_px, _BOX_GREEN, 1)
        else:
            for tok in table.tokens:
                rect(tok.bbox_px, _BOX_GREEN, 1)
        rect(table.region.bbox_px, _BOX_BLUE, 3)
    out = Image.fromarray(img, mode="P")
    out.putpalette(_PALETTE)
    buf = io.BytesIO()
    out.save(buf, format="PNG", compress_level=PNG_COMPRESSION)
    return buf.getvalue()


def render_preview(page: PageImage, result: OcrResult, max_width: int = 1400) -> bytes:
    """PNG bytes of a downscaled page with boxes; small enough to keep for every page of a batch."""
    base, scale = preview_base(page.image, max_width)
    return draw_preview(base, scale, result)
