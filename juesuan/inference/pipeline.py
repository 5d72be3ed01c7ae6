"""Wires the stages, batches pages, times each stage. No stage logic lives here.

Pages flow rasterize → layout → grid → ocr → structure → label in batches of ``options.page_batch``; the pixels are
dropped as soon as a page is labelled (a 300-page PDF must not hold 300 page images), so what crosses a process
boundary is a :class:`PageOutput` without pixels. A document is finished (assemble → validate) once all its pages
are in, which lets the batch runner spread one document's pages over several workers.
"""

from __future__ import annotations

import dataclasses
import logging
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from juesuan import __version__
from juesuan.datamodel.document import Document, PageInfo, Source
from juesuan.datamodel.page import OcrResult, PageImage
from juesuan.inference import registry
from juesuan.models.clock import CPU, MODEL_CPU, StageTimer, split_timings
from juesuan.options import PipelineOptions

log = logging.getLogger(__name__)

STAGE_ORDER = registry.PAGE_STAGES


@dataclass(frozen=True, slots=True, eq=False)
class PageOutput:
    """One processed page without its pixels: what a worker sends back."""

    result: OcrResult  # result.page.image is an empty (H, W, 0) array: sizes kept, pixels dropped
    preview_png: bytes | None
    timings: dict[str, float] = field(default_factory=dict)


def wants_preview(result: OcrResult, pages: str) -> bool:
    """``export.preview_pages``: every page, or only pages where a table was found."""
    return pages == "all" or bool(result.tables)


def strip_pixels(result: OcrResult) -> OcrResult:
    """Keep the page's size but drop its pixels (an (H, W, 0) array holds no bytes)."""
    page = result.page
    empty = np.empty((page.height, page.width, 0), dtype=np.uint8)
    return dataclasses.replace(result, page=dataclasses.replace(page, image=empty))


class Pipeline:
    """The extraction pipeline of one process. Build one per worker from picklable options; models load lazily."""

    def __init__(self, options: PipelineOptions | None = None) -> None:
        self.options = options or PipelineOptions()
        self._stages: dict[str, Any] = {}

    def stage(self, name: str) -> Any:
        if name not in self._stages:
            self._stages[name] = registry.build(name, getattr(self.options, registry.OPTIONS_FIELD[name]))
        return self._stages[name]

    # ---- pages -------------------------------------------------------------------------------------------------
    def page_count(self, path: Path) -> int:
        return int(self.stage("rasterize").page_count(Path(path)))

    def process_pages(
        self,
        path: Path,
        indices: Sequence[int],
        previews: bool | None = None,
        on_page: Callable[[int], None] | None = None,
    ) -> list[PageOutput]:
        """Rasterize and read ``indices`` of ``path`` (0-based), in batches; returns pixel-free outputs."""
        previews = self.options.export.previews if previews is None else previews
        out: list[PageOutput] = []
        batch_size = self.options.page_batch
        for start in range(0, len(indices), batch_size):
            chunk = list(indices[start : start + batch_size])
            timings: dict[str, float] = {}
            with StageTimer() as timer:
                pages: list[PageImage] = self.stage("rasterize")([(Path(path), i) for i in chunk])
            timer.add_to(timings, "rasterize")
            results = self.process_images(pages, timings)
            share = {k: v / max(len(chunk), 1) for k, v in timings.items()}
            for page, result in zip(pages, results, strict=False):
                png = None
                page_timings = dict(share)
                if previews and wants_preview(result, self.options.export.preview_pages):
                    from juesuan.io.previews import render_preview

                    with StageTimer() as timer:
                        png = render_preview(page, result, self.options.export.preview_max_width)
                    timer.add_to(page_timings, "previews")
                out.append(PageOutput(strip_pixels(result), png, page_timings))
                if on_page is not None:
                    on_page(1)
        return out

    def process_images(self, pages: Sequence[PageImage], timings: dict[str, float] | None = None) -> list[OcrResult]:
        """layout → grid → ocr → structure → label over a batch of page images."""
        timings = {} if timings is None else timings
        data: Any = pages
        for name in STAGE_ORDER[1:]:
            with StageTimer() as timer:
                data = self.stage(name)(data)
            timer.add_to(timings, name)
        return list(data)

    # ---- documents ---------------------------------------------------------------------------------------------
    def finish(self, path: Path, sha256: str, n_pages: int, outputs: Sequence[PageOutput]) -> Document:
        """Assemble one document's pages (in page order) into tables, then validate."""
        outputs = sorted(outputs, key=lambda o: o.result.page.ref.index)
        results = [o.result for o in outputs]
        timings: dict[str, float] = {}
        for o in outputs:
            for k, v in o.timings.items():
                timings[k] = timings.get(k, 0.0) + v
        with StageTimer() as timer:
            tables = self.stage("assemble")(results)
        timer.add_to(timings, "assemble")
        # the structure-hypotheses share of assembling is its own entry (timings are summed per page elsewhere)
        assembler = self.stage("assemble")
        hypotheses = float(getattr(assembler, "hypotheses_seconds", 0.0))
        hypotheses_cpu = float(getattr(assembler, "hypotheses_cpu_seconds", 0.0))
        timings["assemble"] -= hypotheses
        timings[CPU + "assemble"] -= hypotheses_cpu
        timings["structure_hypotheses"] = hypotheses
        timings[CPU + "structure_hypotheses"] = hypotheses_cpu
        timings[MODEL_CPU + "structure_hypotheses"] = 0.0  # rules only, no model call
        doc = Document(
            source=Source(path=str(path), sha256=sha256, pages=n_pages),
            pages=[
                PageInfo(
                    index=r.page.ref.index,
                    width=r.page.width,
                    height=r.page.height,
                    dpi=r.page.ref.dpi,
                    rotation=r.page.rotation,
                    skew_deg=round(float(r.page.skew_deg), 3),
                    homography=None if r.page.homography is None else [list(row) for row in r.page.homography],
                    text_layer=r.page.text_layer is not None,
                )
                for r in results
            ],
            tables=list(tables),
            text=self.stage("assemble").text_blocks(results),
        )
        from juesuan.inference.docinfo import DocInfoReader

        doc.info = DocInfoReader()([doc])[0]  # issuer, year, 决算/预算, title from the cover or first heading
        if self.options.validation.enabled:
            from juesuan.validation.check import annotate_and_validate

            with StageTimer() as timer:
                doc = annotate_and_validate(doc, self.options.validation)
            timer.add_to(timings, "validate")
        wall, cpu, model_cpu = split_timings(timings)
        doc.meta.update(
            {
                "juesuan_version": __version__,
                "python": platform.python_version(),
                "options": self.options.model_dump(mode="json"),
                "timings": {k: round(v, 4) for k, v in wall.items()},
                # process CPU seconds per stage (all pages), and the part of them spent inside model calls
                "timings_cpu": {k: round(v, 4) for k, v in cpu.items()},
                "timings_model_cpu": {k: round(v, 4) for k, v in model_cpu.items()},
                "pages_processed": len(results),
            }
        )
        model_info = getattr(self.stage("label"), "model_info", None)
        if model_info is not None:  # which token-classifier version produced the labels (issue 16)
            doc.meta["model"] = model_info()
        return doc

    def run_document(self, path: Path, pages: Sequence[int] | None = None, sha256: str | None = None) -> Document:
        """Whole document in this process (tests, notebooks). The batch runner splits pages over workers instead."""
        from juesuan.io.atomic import sha256_file

        path = Path(path)
        n = self.page_count(path)
        indices = list(range(n)) if pages is None else [i for i in pages if 0 <= i < n]
        outputs = self.process_pages(path, indices, previews=False)
        return self.finish(path, sha256 or sha256_file(path), n, outputs)
