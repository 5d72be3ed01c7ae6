"""Page previews: the page with table regions (blue), grid cells (green) and other text (grey) drawn on it."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from juesuan.datamodel.page import OcrResult, PageImage


def render_preview(page: PageImage, result: OcrResult, max_width: int = 1400) -> bytes:
    """PNG bytes of a downscaled page with boxes; small enough to keep for every page of a batch."""
    img = Image.fromarray(np.ascontiguousarray(page.image)).convert("RGB")
    scale = min(1.0, max_width / max(img.width, 1))
    if scale < 1.0:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(img)

    def box(b: tuple[float, float, float, float]) -> list[float]:
        return [b[0] * scale, b[1] * scale, b[2] * scale, b[3] * scale]

    for tok in result.tokens:
        draw.rectangle(box(tok.bbox_px), outline=(150, 150, 150), width=1)
    for table in result.tables:
        if table.grid is not None:
            for cell in table.grid.cells:
                draw.rectangle(box(cell.bbox_px), outline=(0, 170, 0), width=1)
        else:
            for tok in table.tokens:
                draw.rectangle(box(tok.bbox_px), outline=(0, 170, 0), width=1)
        draw.rectangle(box(table.region.bbox_px), outline=(0, 60, 230), width=3)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()
