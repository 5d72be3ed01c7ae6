"""Local batch runner: documents → page chunks → a process pool; each document finished in the parent.

Splitting a document's pages over workers keeps both cores busy on a single long PDF. Workers build their own
:class:`Pipeline` from picklable options (models never cross a process boundary) and send back pixel-free
:class:`PageOutput` objects. A document whose outputs exist for the same input sha256 (and the same page selection)
is skipped unless ``force``. Bad input fails that document with one line; the batch goes on.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import logging
import multiprocessing as mp
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from juesuan.errors import InputError
from juesuan.inference.pipeline import PageOutput, Pipeline
from juesuan.io.atomic import sha256_file
from juesuan.io.export import write_document_outputs
from juesuan.io.inputs import find_inputs, output_names
from juesuan.options import PipelineOptions

log = logging.getLogger(__name__)


@dataclass
class DocResult:
    path: str
    status: str  # "ok" | "skipped" | "failed"
    error: str | None = None
    pages: int = 0
    tables: int = 0
    rows: int = 0
    violations: int = 0
    repairs: int = 0
    seconds: float = 0.0
    outdir: str | None = None


@dataclass
class BatchSummary:
    documents: list[DocResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for d in self.documents if d.status == status)

    @property
    def pages(self) -> int:
        return sum(d.pages for d in self.documents if d.status == "ok")

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.count("ok"),
            "skipped": self.count("skipped"),
            "failed": self.count("failed"),
            "pages": self.pages,
            "tables": sum(d.tables for d in self.documents if d.status == "ok"),
            "rows": sum(d.rows for d in self.documents if d.status == "ok"),
            "seconds": round(self.seconds, 2),
            "pages_per_second": round(self.pages_per_second, 3),
            "documents": [d.__dict__ for d in self.documents],
        }


# ---- worker side ------------------------------------------------------------------------------------------------
_WORKER: Pipeline | None = None


def _init_worker(options: PipelineOptions) -> None:
    global _WORKER  # one pipeline per worker process, built once (models load on first use)
    _WORKER = Pipeline(options)


def _work(path: str, indices: list[int]) -> list[PageOutput]:
    assert _WORKER is not None, "worker not initialised"
    return _WORKER.process_pages(Path(path), indices)


# ---- parent side ------------------------------------------------------------------------------------------------
@dataclass
class _Doc:
    path: Path
    name: str
    sha256: str
    n_pages: int
    indices: list[int]
    started: float
    outputs: list[PageOutput] = field(default_factory=list)
    pending: int = 0
    failed: str | None = None


def _already_done(outdir: Path, sha: str, pages_key: str) -> bool:
    doc_json = outdir / "document.json"
    if not doc_json.is_file():
        return False
    try:
        data = json.loads(doc_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return data.get("source", {}).get("sha256") == sha and data.get("meta", {}).get("pages_requested") == pages_key


def run_batch(
    inputs: Sequence[Path | str],
    outdir: Path,
    options: PipelineOptions | None = None,
    workers: int = 1,
    force: bool = False,
    pages: Sequence[int] | None = None,
    on_pages_total: Callable[[int], None] | None = None,
    on_page_done: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Extract every input into ``outdir/<stem>/``; never raises for bad input (see each DocResult)."""
    options = options or PipelineOptions()
    outdir = Path(outdir)
    t_start = time.perf_counter()
    summary = BatchSummary()
    files, problems = find_inputs(inputs)
    for path, problem in problems:
        log.error("%s: %s", path, problem)
        summary.documents.append(DocResult(str(path), "failed", f"{path}: {problem}"))
    names = output_names(files)
    pages_key = "all" if pages is None else ",".join(str(p) for p in pages)
    parent = Pipeline(options)  # rasterizer page counts, assembly and validation run here

    docs: list[_Doc] = []
    for path in files:
        target = outdir / names[path]
        try:
            sha = sha256_file(path)
        except OSError as exc:
            summary.documents.append(DocResult(str(path), "failed", f"{path}: cannot read: {exc.strerror or exc}"))
            log.error("%s: cannot read: %s", path, exc)
            continue
        if not force and _already_done(target, sha, pages_key):
            log.info("%s: outputs exist for this sha256, skipped (use --force to redo)", path)
            summary.documents.append(DocResult(str(path), "skipped", outdir=str(target)))
            continue
        try:
            n = parent.page_count(path)
        except InputError as exc:
            log.error("%s", exc)
            summary.documents.append(DocResult(str(path), "failed", str(exc)))
            continue
        indices = list(range(n)) if pages is None else [i for i in pages if i < n]
        if not indices:
            problem = f"{path}: none of the requested pages exist (document has {n})"
            log.error("%s", problem)
            summary.documents.append(DocResult(str(path), "failed", problem))
            continue
        docs.append(_Doc(path, names[path], sha, n, indices, time.perf_counter()))

    if on_pages_total is not None:
        on_pages_total(sum(len(d.indices) for d in docs))

    chunk = options.page_batch
    tasks = [(d, d.indices[i : i + chunk]) for d in docs for i in range(0, len(d.indices), chunk)]
    for d, _ in tasks:
        d.pending += 1

    def finish(d: _Doc) -> None:
        if d.failed is not None:
            summary.documents.append(DocResult(str(d.path), "failed", d.failed))
            return
        try:
            doc = parent.finish(d.path, d.sha256, d.n_pages, d.outputs)
            doc.meta["pages_requested"] = pages_key
            previews = {o.result.page.ref.index: o.preview_png for o in d.outputs if o.preview_png}
            target = write_document_outputs(doc, outdir / d.name, previews, options.export)
        except InputError as exc:
            log.error("%s", exc)
            summary.documents.append(DocResult(str(d.path), "failed", str(exc)))
            return
        except Exception as exc:  # a bug: keep the traceback, fail this document, go on with the batch
            log.error("%s: internal error: %s\n%s", d.path, exc, traceback.format_exc())
            summary.documents.append(DocResult(str(d.path), "failed", f"{d.path}: internal error: {exc!r}"))
            return
        violations = sum(1 for v in doc.validation.violations if v.severity == "error")
        summary.documents.append(
            DocResult(
                str(d.path),
                "ok",
                pages=len(d.outputs),
                tables=len(doc.tables),
                rows=sum(len(t.rows) for t in doc.tables),
                violations=violations,
                repairs=len(doc.validation.repairs),
                seconds=round(time.perf_counter() - d.started, 3),
                outdir=str(target),
            )
        )
        log.info("%s: %d pages, %d tables → %s", d.path, len(d.outputs), len(doc.tables), target)
        d.outputs = []

    def record(d: _Doc, result: list[PageOutput] | None, error: BaseException | None) -> None:
        d.pending -= 1
        if error is not None:
            if isinstance(error, InputError):
                d.failed = d.failed or str(error)
                log.error("%s", error)
            else:
                d.failed = d.failed or f"{d.path}: internal error: {error!r}"
                log.error("%s: internal error: %s", d.path, "".join(traceback.format_exception(error)))
        elif result is not None:
            d.outputs.extend(result)
        if d.pending == 0:
            finish(d)

    if workers <= 1:
        for d, idx in tasks:
            try:
                res = parent.process_pages(d.path, idx, on_page=on_page_done)
                record(d, res, None)
            except Exception as exc:
                record(d, None, exc)
    else:
        ctx = mp.get_context("spawn")  # onnxruntime and torch are not fork-safe once initialised
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                    initargs=(options,)) as pool:
            futures = {pool.submit(_work, str(d.path), idx): (d, len(idx)) for d, idx in tasks}
            for fut in cf.as_completed(futures):
                d, n_idx = futures[fut]
                exc = fut.exception()
                record(d, None if exc else fut.result(), exc)
                if on_page_done is not None:
                    on_page_done(n_idx)

    summary.seconds = time.perf_counter() - t_start
    return summary
