"""Ray engine (extra ``[ray]``): the same page-chunk tasks as the local runner, mapped by Ray Data actors.

Ray Data holds the task list and streams it through a pool of actors, each with its own :class:`Pipeline`
(models load once per actor; ``num_gpus`` per actor when the pipeline runs on CUDA). Chunk results come back
to the driver, which finishes documents exactly as the local engine does (:class:`BatchState`), so outputs are
identical, resumable by sha256, and a failure is reported per document, never lost.
``address=None`` starts a local Ray instance on loopback; otherwise it joins that cluster.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from juesuan.batch.runner import BatchState, BatchSummary
from juesuan.errors import ConfigError
from juesuan.options import PipelineOptions

log = logging.getLogger(__name__)


class _PageActor:
    """One pipeline per actor; a batch is rows of (task id, path, page indices)."""

    def __init__(self, options: PipelineOptions) -> None:
        from juesuan.inference.pipeline import Pipeline

        self.pipeline = Pipeline(options)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        payloads = []
        for path, indices in zip(batch["path"], batch["indices"], strict=True):
            try:
                result: Any = self.pipeline.process_pages(Path(path), [int(i) for i in indices])
                payloads.append(pickle.dumps(("ok", result)))
            except Exception as exc:  # carried back to the driver, recorded against its document
                payloads.append(pickle.dumps(("error", exc)))
        return {"task": batch["task"], "payload": payloads}


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
) -> BatchSummary:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("--engine ray needs the ray extra: pip install 'juesuan[ray]'") from exc
    import time

    options = options or PipelineOptions()
    t_start = time.perf_counter()
    state = BatchState(inputs, outdir, options, force=force, pages=pages)
    if on_pages_total is not None:
        on_pages_total(state.total_pages)
    if state.tasks:
        started_here = False
        if not ray.is_initialized():
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
            started_here = True
        try:
            cpus = int(ray.cluster_resources().get("CPU", 1))
            gpus = int(ray.cluster_resources().get("GPU", 0))
            use_gpu = options.ocr.device == "cuda" and gpus > 0
            n_actors = max(1, min(workers or (gpus if use_gpu else cpus), len(state.tasks)))
            rows = [{"task": k, "path": str(d.path), "indices": list(idx)} for k, (d, idx) in enumerate(state.tasks)]
            ds = ray.data.from_items(rows, override_num_blocks=min(len(rows), 4 * n_actors)).map_batches(
                _PageActor,
                fn_constructor_args=(options,),
                batch_size=1,
                concurrency=n_actors,
                num_cpus=1,
                num_gpus=1 if use_gpu else 0,
            )
            seen: set[int] = set()
            for row in ds.iter_rows():
                k = int(row["task"])
                seen.add(k)
                d, idx = state.tasks[k]
                status, value = pickle.loads(row["payload"])
                if status == "ok":
                    state.record(d, value, None)
                else:
                    state.record(d, None, value)
                if on_page_done is not None:
                    on_page_done(len(idx))
            for k, (d, _) in enumerate(state.tasks):  # never lose a document silently
                if k not in seen:
                    state.record(d, None, RuntimeError("ray returned no result for this chunk"))
        finally:
            if started_here:
                ray.shutdown()
    summary = state.summary
    summary.seconds = time.perf_counter() - t_start
    return summary
