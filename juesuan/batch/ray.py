"""Ray engine (extra ``[ray]``): the same page-chunk tasks as the local runner, as Ray tasks on a cluster.

Each chunk is one Ray task; a worker process keeps its :class:`Pipeline` between tasks (models load once per
worker, as in the local pool), and reads the input from the same path, so every node must see the input and output
folders (one machine, or a shared file system). At most ``2 * CPUs`` chunks are in flight, taken lazily from
:class:`BatchState`, so claims, stop (SIGTERM, Ctrl-C) and summaries work as in the local engine and outputs are
identical. A node that dies takes its running tasks with it: Ray resubmits them elsewhere (``max_retries``), and a
chunk that still gets no result fails its document with one line, never silently. ``address=None`` starts a local
Ray instance on loopback; otherwise it joins that cluster (``ray start --head`` …; see docs).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from juesuan.batch.runner import BatchState, BatchSummary
from juesuan.errors import ConfigError
from juesuan.options import PipelineOptions

log = logging.getLogger(__name__)

_PIPELINES: dict[str, Any] = {}  # per Ray worker process: options JSON → Pipeline, so models load once


def _chunk_task(options: PipelineOptions, path: str, indices: list[int]) -> tuple[str, Any]:
    """Runs on a Ray worker: ("ok", (outputs, pages left out, peak RSS)) or ("error", exception)."""
    from juesuan.batch.pages import peak_rss_mb, run_pages
    from juesuan.inference.pipeline import Pipeline

    key = options.model_dump_json()
    pipeline = _PIPELINES.get(key)
    if pipeline is None:
        pipeline = _PIPELINES[key] = Pipeline(options)
    try:
        outputs, failures = run_pages(pipeline, Path(path), [int(i) for i in indices])
    except Exception as exc:  # bad input or a bug: carried back to the driver, recorded against its document
        return "error", exc
    return "ok", (outputs, failures, peak_rss_mb())


def _signal_handlers() -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}


def _restore(handlers: dict[int, Any]) -> None:
    for sig, handler in handlers.items():
        if handler is not None and signal.getsignal(sig) is not handler:
            signal.signal(sig, handler)


def run_batch_ray(
    inputs: Sequence[Path | str],
    outdir: Path,
    options: PipelineOptions | None = None,
    force: bool = False,
    pages: Sequence[int] | None = None,
    address: str | None = None,
    workers: int | None = None,
    on_pages_total: Callable[[int], None] | None = None,
    on_page_done: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
    max_retries: int = 3,
) -> BatchSummary:
    """Extract every input into ``outdir/<stem>/`` like :func:`juesuan.batch.runner.run_batch`, on Ray.

    ``workers``: chunks running at once (default: the cluster's CPUs, or GPUs when the OCR runs on CUDA).
    ``max_retries``: how often Ray resubmits a chunk whose worker or node died.
    """
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("--engine ray needs the ray extra: pip install 'juesuan[ray]'") from exc

    options = options or PipelineOptions()
    state = BatchState(inputs, outdir, options, force=force, pages=pages, stop=stop)
    if on_pages_total is not None:
        on_pages_total(state.total_pages)
    started_here = False
    try:
        if state.tasks:
            if not ray.is_initialized():
                handlers = _signal_handlers()
                if address:
                    ray.init(address=address, log_to_driver=False)
                else:
                    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
                started_here = True
                _restore(handlers)  # ray.init installs its own SIGTERM exit; the caller's stop handling wins
            _run(ray, state, options, workers, max_retries, on_page_done)
    finally:
        if started_here:
            ray.shutdown()
        summary = state.close()
    return summary


def _run(
    ray: Any,
    state: BatchState,
    options: PipelineOptions,
    workers: int | None,
    max_retries: int,
    on_page_done: Callable[[int], None] | None,
) -> None:
    resources = ray.cluster_resources()
    cpus = max(1, int(resources.get("CPU", 1)))
    gpus = int(resources.get("GPU", 0))
    use_gpu = options.ocr.device == "cuda" and gpus > 0
    slots = workers or (gpus if use_gpu else cpus)
    task = ray.remote(num_cpus=1, num_gpus=1 if use_gpu else 0, max_retries=max_retries)(_chunk_task)
    options_ref = ray.put(options)
    inflight: dict[Any, Any] = {}
    t_last = time.perf_counter()
    while True:
        while len(inflight) < 2 * slots and (item := state.take()) is not None:
            d, idx = item
            inflight[task.remote(options_ref, str(d.path), list(idx))] = item
        if not inflight:
            return
        done, _ = ray.wait(list(inflight), num_returns=1, timeout=5.0)
        if not done:
            if time.perf_counter() - t_last > 60:
                log.info("ray: %d chunks running", len(inflight))
                t_last = time.perf_counter()
            continue
        for ref in done:
            d, idx = inflight.pop(ref)
            try:
                status, value = ray.get(ref)
            except Exception as exc:  # retries used up: the node or worker died every time
                log.error("%s, pages %d-%d: ray gave no result: %s", d.path, idx[0] + 1, idx[-1] + 1, exc)
                state.record(d, None, RuntimeError(f"ray gave no result for pages {idx[0] + 1}-{idx[-1] + 1}"))
            else:
                if status == "ok":
                    outputs, failures, rss = value
                    state.record(d, outputs, None, failures, rss)
                else:
                    state.record(d, None, value)
            if on_page_done is not None:
                on_page_done(len(idx))
