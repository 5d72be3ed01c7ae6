"""Pipelined batch runner: CPU workers prepare pages, one process runs the neural stages over cross-page batches.

The local runner gives every worker the whole pipeline, so on a GPU box each worker would hold its own models and
feed the GPU one small batch at a time. Here a process pool of ``cpu_workers`` rasterizes, finds the layout (PicoDet
is cheap on a CPU: ~0.2 s a page against 0.5-14 s of OCR) and builds the ruled grid of one page per task, and sends
the :class:`GridResult` back with its pixels (~12 MB a page at 200 dpi), pickled by the worker itself so that the
bytes and the CPU of every transfer are measured (``summary.stats["transport_*"]``, ``transport`` timings). With
previews on, the worker also cuts the small grey preview base, so the full page never travels back. The parent holds
the only OCR and labeller models and runs ocr → structure → label over whatever pages are ready, up to
``batch_pages`` from any documents, so it never waits on one slow page while others are ready. At most
``queue_pages`` pages are in flight (being prepared, waiting for the neural stage, or drawn as previews), which
bounds memory. Previews are drawn (from that base) and documents finished (:func:`finish_document`: assemble →
validate → write) back in the pool, so the neural process only runs models; planning, skipping and failing documents is
:class:`BatchState`'s, as in the local engine, so outputs and resume behave the same.

``summary.stats`` reports how long the neural stage was busy from the first page submitted to its last batch: a
``neural_utilisation`` well below 1 means the neural stage (the GPU) waited for the CPU workers.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import logging
import multiprocessing as mp
import pickle
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from juesuan.batch.pages import PageTimeout, deadline, one_cv_thread, peak_rss_mb
from juesuan.batch.runner import BatchState, BatchSummary, DocResult, _Doc, finish_document
from juesuan.datamodel.page import OcrResult, PageImage
from juesuan.inference.pipeline import STAGE_ORDER, PageOutput, Pipeline, strip_pixels, wants_preview
from juesuan.models.clock import StageTimer
from juesuan.options import PipelineOptions

log = logging.getLogger(__name__)


def split_stages(layout_in_workers: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(CPU worker stages, neural-process stages) in pipeline order."""
    cut = STAGE_ORDER.index("ocr") if layout_in_workers else STAGE_ORDER.index("layout")
    return STAGE_ORDER[:cut], STAGE_ORDER[cut:]


def options_for_workers(options: PipelineOptions, layout_in_workers: bool) -> PipelineOptions:
    """CPU workers never touch the GPU: their layout runs on the CPU, whatever ``--device`` says."""
    if not layout_in_workers or options.layout.device == "cpu":
        return options
    return options.model_copy(update={"layout": options.layout.model_copy(update={"device": "cpu"})})


def _run_stages(pipeline: Pipeline, names: Sequence[str], data: Any, timings: dict[str, float]) -> list[Any]:
    for name in names:
        with StageTimer() as timer:
            data = pipeline.stage(name)(data)
        timer.add_to(timings, name)
    return list(data)


Prepared = tuple[Any, Any, dict[str, float], float]  # GridResult (with pixels), preview base or None, timings, RSS


def prepare_page(
    pipeline: Pipeline, path: Path, index: int, stages: Sequence[str], preview_width: int | None = None
) -> Prepared:
    """The CPU part of one page: rasterize (+ layout + grid), within ``page_timeout_s``; the result keeps its pixels
    for OCR. Also returns this process's peak RSS (MiB).

    With ``preview_width`` the grey preview base is cut here too, where the pixels are, so the full page never has
    to travel to the process that draws the preview."""
    timings: dict[str, float] = {}
    with deadline(pipeline.options.page_timeout_s):
        with StageTimer() as timer:
            pages = pipeline.stage("rasterize")([(Path(path), index)])
        timer.add_to(timings, "rasterize")
        (item,) = _run_stages(pipeline, [s for s in stages if s != "rasterize"], pages, timings)
        base = None
        if preview_width is not None:
            from juesuan.io.previews import preview_base

            page = item if isinstance(item, PageImage) else item.page  # layout_in_workers=False sends PageImages
            with StageTimer() as timer:
                base = preview_base(page.image, preview_width)
            timer.add_to(timings, "previews")
    return item, base, timings, peak_rss_mb()


def _dumps(obj: Any) -> tuple[bytes, float]:
    """Pickle ``obj`` ourselves (protocol 5), so the CPU and the bytes of every transfer are measured."""
    t0 = time.process_time()
    blob = pickle.dumps(obj, protocol=5)
    return blob, time.process_time() - t0


# ---- worker side ------------------------------------------------------------------------------------------------
_WORKER: Pipeline | None = None


def _init_worker(options: PipelineOptions) -> None:
    global _WORKER  # one pipeline per worker process, built once (models load on first use)
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C (and systemd's stop) reach every process; the parent decides
        signal.signal(sig, signal.SIG_IGN)
    one_cv_thread()
    _WORKER = Pipeline(options)


def _work(path: str, index: int, stages: tuple[str, ...], preview_width: int | None = None) -> tuple[bytes, float]:
    """One prepared page, pickled here (its CPU seconds returned with it, its size is the bytes sent)."""
    assert _WORKER is not None, "worker not initialised"
    return _dumps(prepare_page(_WORKER, Path(path), index, stages, preview_width))


def _finish_with(pipeline: Pipeline, d: _Doc, outdir: Path, pages_key: str) -> DocResult:
    return finish_document(pipeline, d, outdir, pages_key, pipeline.options.export)


def _preview(payload: bytes | tuple[Any, Any]) -> tuple[bytes, dict[str, float]]:
    """Draw one preview from (pixel-free result, preview base); returns the PNG and its timings."""
    from juesuan.io.previews import draw_preview

    timings: dict[str, float] = {}
    with StageTimer() as timer:
        result, (base, scale) = pickle.loads(payload) if isinstance(payload, bytes) else payload
    timer.add_to(timings, "transport")
    with StageTimer() as timer:
        png = draw_preview(base, scale, result)
    timer.add_to(timings, "previews")
    return png, timings


def _finish(job: bytes | _Doc, outdir: Path, pages_key: str) -> DocResult:
    assert _WORKER is not None, "worker not initialised"
    return _finish_with(_WORKER, pickle.loads(job) if isinstance(job, bytes) else job, outdir, pages_key)


class _InlinePool:
    """``cpu_workers=0``: the CPU work runs in this process (debugging, tiny batches); same interface as the pool."""

    def __init__(self, options: PipelineOptions) -> None:
        self.pipeline = Pipeline(options)

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future[Any]:
        fut: cf.Future[Any] = cf.Future()
        try:
            if fn is _work:  # no pickling in-process: the parent gets the tuple itself
                fut.set_result(prepare_page(self.pipeline, Path(args[0]), *args[1:]))
            elif fn is _finish:
                fut.set_result(_finish_with(self.pipeline, *args))
            else:
                fut.set_result(fn(*args))
        except (Exception, PageTimeout) as exc:
            fut.set_exception(exc)
        return fut

    def __enter__(self) -> _InlinePool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


# ---- parent side ------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Ready:
    doc: _Doc
    order: tuple[int, int]  # (document position, page index): batches take pages in document order
    item: Any  # PageImage / GridResult with pixels
    timings: dict[str, float]
    preview: Any = None  # (grey preview base, scale) cut by the worker, or None


class _PipelinedState(BatchState):
    """Documents are finished (assemble → validate → write) in the pool, not in the neural process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool: Any = None  # set while the pool runs
        self.finishing: dict[cf.Future[Any], _Doc] = {}
        self.inline = False  # the pool is this process: no pickling
        self.sent_bytes = 0  # pickled bytes of finish jobs (pages are counted by the loop)
        self.dumps_cpu = 0.0

    def _finish(self, d: _Doc) -> None:
        if d.failed is not None or not d.outputs or self.pool is None:
            super()._finish(d)
            return
        job: Any = dataclasses.replace(d, outputs=list(d.outputs))  # d is cleared now
        d.outputs = []
        if not self.inline:
            job, cpu = _dumps(job)
            self.sent_bytes += len(job)
            self.dumps_cpu += cpu
        try:
            self.finishing[self.pool.submit(_finish, job, self.outdir, self.pages_key)] = d
        except cf.process.BrokenProcessPool as exc:
            self.finish_failed(d, exc)

    def collect(self, fut: cf.Future[Any]) -> None:
        d = self.finishing.pop(fut)
        exc = fut.exception()
        if exc is not None:
            self.finish_failed(d, exc)
            return
        result: DocResult = fut.result()
        self.claims.release(d.name)
        result.seconds = round(time.perf_counter() - d.started, 3)
        self.summary.documents.append(result)


class _NeuralStage:
    """The parent's share: the neural stages over cross-page batches, with busy-time accounting."""

    def __init__(self, pipeline: Pipeline, stages: Sequence[str]) -> None:
        self.pipeline = pipeline  # the only copy of the OCR / labeller models
        self.stages = tuple(stages)
        self.busy = 0.0
        self.batches = 0
        self.pages = 0

    def run(self, ready: Sequence[_Ready]) -> list[tuple[OcrResult, dict[str, float]] | BaseException]:
        """A batch of n pages gets n times ``page_timeout_s``; a batch that fails or runs out of time is redone
        page by page, so one bad or hanging page fails alone (a timed-out page comes back as :class:`PageTimeout`)."""
        t0 = time.perf_counter()
        timeout = self.pipeline.options.page_timeout_s
        try:
            with deadline(timeout * len(ready)):
                results: list[Any] = self._call(ready)
        except (Exception, PageTimeout) as first:
            if len(ready) == 1:
                results = [first]
            else:  # one bad page must not fail the other documents of the batch: redo them one by one
                log.warning("neural batch of %d pages failed (%s); retrying page by page", len(ready), first)
                results = []
                for r in ready:
                    try:
                        with deadline(timeout):
                            results.extend(self._call([r]))
                    except (Exception, PageTimeout) as exc:
                        results.append(exc)
        self.busy += time.perf_counter() - t0
        self.batches += 1
        self.pages += len(ready)
        return results

    def _call(self, ready: Sequence[_Ready]) -> list[tuple[OcrResult, dict[str, float]]]:
        timings: dict[str, float] = {}
        out = _run_stages(self.pipeline, self.stages, [r.item for r in ready], timings)
        if len(out) != len(ready) or not all(isinstance(o, OcrResult) for o in out):
            raise RuntimeError(f"neural stages returned {len(out)} items for {len(ready)} pages, not OcrResults")
        share = {k: v / len(ready) for k, v in timings.items()}
        return [(res, {**r.timings, **share}) for res, r in zip(out, ready, strict=True)]


def run_batch_pipelined(
    inputs: Sequence[Path | str],
    outdir: Path,
    options: PipelineOptions | None = None,
    cpu_workers: int = 1,
    queue_pages: int | None = None,
    batch_pages: int | None = None,
    layout_in_workers: bool = True,
    force: bool = False,
    pages: Sequence[int] | None = None,
    on_pages_total: Callable[[int], None] | None = None,
    on_page_done: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> BatchSummary:
    """Extract every input into ``outdir/<stem>/`` like :func:`run_batch`, with the neural stages in this process.

    ``batch_pages``: most pages per neural call (default ``options.page_batch`` on CPU, 16 on CUDA).
    ``queue_pages``: most pages in flight (default ``2 * batch_pages + cpu_workers``).
    ``layout_in_workers``: run layout on the CPU workers (forced to ``device=cpu`` there, so a GPU is held by one
    process only); False runs layout and grid in this process with the other neural stages.
    """
    options = options or PipelineOptions()
    if cpu_workers < 0:
        raise ValueError("cpu_workers must be >= 0")
    if batch_pages is None:
        batch_pages = 16 if options.ocr.device == "cuda" else options.page_batch
    batch_pages = max(1, batch_pages)
    queue_pages = max(batch_pages, queue_pages if queue_pages is not None else 2 * batch_pages + cpu_workers)
    state = _PipelinedState(inputs, outdir, options, force=force, pages=pages, chunk=1, stop=stop)
    cv_threads = one_cv_thread()  # this process plans OCR crops (and with cpu_workers=0 does the workers' part)
    try:
        _stream(state, options, cpu_workers, queue_pages, batch_pages, layout_in_workers, on_pages_total, on_page_done)
    finally:
        import cv2

        cv2.setNumThreads(cv_threads)
        summary = state.close()
    log.info(
        "pipelined: neural stage busy %.1f s of %.1f s (%.0f%%), waited %.1f s for CPU workers, "
        "%d batches of %.1f pages",
        summary.stats.get("neural_busy_s", 0.0),
        summary.stats.get("neural_span_s", 0.0),
        100 * summary.stats.get("neural_utilisation", 0.0),
        summary.stats.get("neural_wait_s", 0.0),
        summary.stats.get("neural_batches", 0),
        summary.stats.get("mean_batch_pages", 0.0),
    )
    return summary


def _stream(
    state: _PipelinedState,
    options: PipelineOptions,
    cpu_workers: int,
    queue_pages: int,
    batch_pages: int,
    layout_in_workers: bool,
    on_pages_total: Callable[[int], None] | None,
    on_page_done: Callable[[int], None] | None,
) -> None:
    worker_stages, neural_stages = split_stages(layout_in_workers)
    worker_options = options_for_workers(options, layout_in_workers)
    if on_pages_total is not None:
        on_pages_total(state.total_pages)
    neural = _NeuralStage(state.parent, neural_stages)
    position = {id(d): k for k, d in enumerate(state.docs)}
    previews = options.export.previews
    preview_width = options.export.preview_max_width if previews else None
    page_bytes = 0  # pickled bytes of pages sent worker -> parent, and of previews sent back
    preview_bytes = 0
    t_stream = time.perf_counter()
    waited = 0.0
    max_ready = 0
    neural_end = t_stream
    pool: Any
    if cpu_workers == 0 or not state.tasks:
        pool = _InlinePool(worker_options)
    else:
        pool = cf.ProcessPoolExecutor(
            max_workers=cpu_workers,
            mp_context=mp.get_context("spawn"),  # onnxruntime and torch are not fork-safe once initialised
            initializer=_init_worker,
            initargs=(worker_options,),
        )

    def page_done(d: _Doc, output: PageOutput | None, exc: BaseException | None, index: int = -1) -> None:
        if isinstance(exc, PageTimeout):  # left out; the document is written without it
            state.page_left_out(d, index, str(exc))
        else:
            state.record(d, None if output is None else [output], exc)  # the last page submits the document
        if on_page_done is not None:
            on_page_done(1)

    with pool:
        state.pool = pool
        state.inline = isinstance(pool, _InlinePool)
        preparing: dict[cf.Future[Any], tuple[_Doc, int]] = {}
        rendering: dict[cf.Future[Any], tuple[_Doc, OcrResult, dict[str, float]]] = {}
        ready: list[_Ready] = []
        while state.has_work or preparing or rendering or ready or state.finishing:
            # pages held anywhere count against the queue: being prepared, waiting, or drawn as previews
            while len(preparing) + len(ready) + len(rendering) < queue_pages and (task := state.take()) is not None:
                d, (index,) = task
                try:
                    preparing[pool.submit(_work, str(d.path), index, worker_stages, preview_width)] = (d, index)
                except cf.process.BrokenProcessPool as exc:  # a worker died: fail what is left, never hang
                    page_done(d, None, exc)
            if not (preparing or rendering or ready or state.finishing):
                continue
            # collect without blocking; block only when the neural stage has nothing to do
            done = {f for f in (*preparing, *rendering, *state.finishing) if f.done()}
            if not done and not ready:
                t0 = time.perf_counter()
                done = cf.wait([*preparing, *rendering, *state.finishing], return_when=cf.FIRST_COMPLETED).done
                if preparing:  # waiting for pages; the tail (previews, documents finishing) is not the neural stage's
                    waited += time.perf_counter() - t0
            for fut in done:
                if fut in preparing:
                    d, index = preparing.pop(fut)
                    exc = fut.exception()
                    if exc is not None:
                        page_done(d, None, exc, index)
                    else:
                        got = fut.result()
                        transport: dict[str, float] = {}
                        if isinstance(got[0], bytes):  # from a worker: (pickled page, its dumps CPU)
                            blob, dumps_cpu = got
                            page_bytes += len(blob)
                            with StageTimer() as timer:
                                got = pickle.loads(blob)
                            del blob
                            timer.add_to(transport, "transport")
                            transport["cpu.transport"] += dumps_cpu
                        item, base, timings, rss = got
                        state.worker_rss_mb = max(state.worker_rss_mb, rss)
                        for k, v in transport.items():
                            timings[k] = timings.get(k, 0.0) + v
                        ready.append(_Ready(d, (position[id(d)], index), item, timings, base))
                elif fut in rendering:
                    d, result, timings = rendering.pop(fut)
                    exc = fut.exception()
                    if exc is None:
                        png, more = fut.result()
                        for k, v in more.items():
                            timings[k] = timings.get(k, 0.0) + v
                    page_done(d, None if exc else PageOutput(result, png, timings), exc)
                else:
                    state.collect(fut)
            max_ready = max(max_ready, len(ready))
            if ready:
                ready.sort(key=lambda r: r.order)
                batch, ready = ready[:batch_pages], ready[batch_pages:]
                for r, res in zip(batch, neural.run(batch), strict=True):
                    if isinstance(res, BaseException):
                        page_done(r.doc, None, res, r.order[1])
                    elif (
                        previews and r.preview is not None and wants_preview(res[0], options.export.preview_pages)
                    ):  # drawn in the pool from the worker's small base
                        result, timings = res
                        result = strip_pixels(result)
                        payload: Any = (result, r.preview)
                        if not state.inline:
                            with StageTimer() as timer:
                                payload, _ = _dumps(payload)
                            timer.add_to(timings, "transport")
                            preview_bytes += len(payload)
                        try:
                            fut = pool.submit(_preview, payload)
                        except cf.process.BrokenProcessPool as exc:
                            page_done(r.doc, None, exc)
                        else:
                            rendering[fut] = (r.doc, result, timings)
                    else:
                        result, timings = res
                        page_done(r.doc, PageOutput(strip_pixels(result), None, timings), None)
                neural_end = time.perf_counter()
        state.pool = None
    stream_seconds = time.perf_counter() - t_stream
    span = neural_end - t_stream  # the tail (last documents finishing in the pool) is not the neural stage's wait
    state.summary.stats = {
        "cpu_workers": cpu_workers,
        "batch_pages": batch_pages,
        "queue_pages": queue_pages,
        "neural_batches": neural.batches,
        "neural_pages": neural.pages,
        "mean_batch_pages": round(neural.pages / neural.batches, 2) if neural.batches else 0.0,
        "max_ready_pages": max_ready,
        "neural_busy_s": round(neural.busy, 3),
        "neural_wait_s": round(waited, 3),
        "stream_s": round(stream_seconds, 3),
        "neural_span_s": round(span, 3),
        "neural_utilisation": round(neural.busy / span, 3) if span > 0 else 0.0,
        # bytes pickled between processes: pages to the neural process, preview jobs and finish jobs back
        "transport_page_bytes": page_bytes,
        "transport_preview_bytes": preview_bytes,
        "transport_finish_bytes": state.sent_bytes,
        "transport_bytes_per_page": round((page_bytes + preview_bytes + state.sent_bytes) / max(neural.pages, 1)),
    }
