"""A page image in document.json's pixel space, re-rendered from the source: the review tool draws cells on it and
corrections crop training pages from it (both need exactly the pixels the boxes refer to)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from juesuan.errors import InputError

if TYPE_CHECKING:
    from juesuan.datamodel.document import Document


def render_page(doc: Document, page: int) -> np.ndarray:
    """The upright page image in document.json's pixel space (H x W x 3 RGB), rendered from ``doc.source.path``."""
    from juesuan.inference import preprocess
    from juesuan.inference.rasterize import Rasterizer
    from juesuan.options import RasterizeOptions

    info = next((p for p in doc.pages if p.index == page), None)
    if info is None:
        raise InputError(Path(doc.source.path), "page not in document.json", page)
    source = Path(doc.source.path)
    if not source.is_file():
        raise InputError(source, "source file not found; page images are cropped from it", page)
    stored = ((doc.meta.get("options") or {}).get("rasterize")) or {}
    options = RasterizeOptions(
        dpi=info.dpi,
        rotate=False,
        deskew=False,
        suppress_red=bool(stored.get("suppress_red", True)),
        min_dpi=0,
        max_pixels=int(stored.get("max_pixels", RasterizeOptions().max_pixels)),
    )
    image = Rasterizer(options)([(source, page)])[0].image
    image = preprocess.rotate(image, info.rotation)
    if info.skew_deg:
        image = preprocess.rotate_small(image, info.skew_deg)
    if image.shape[1] != info.width or image.shape[0] != info.height:
        import cv2

        image = cv2.resize(image, (info.width, info.height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image)
