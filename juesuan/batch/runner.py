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
from juesuan.options import ExportOptions, PipelineOptions

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
    stats: dict[str, float] = field(default_factory=dict)  # engine-specific (pipelined: neural stage busy time)

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
            **({"stats": dict(self.stats)} if self.stats else {}),
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


class BatchState:
    """Plans a batch (inputs → documents → page-chunk tasks) and finishes documents as their chunks come back.

    Shared by the local and the Ray engines, so both skip, fail and write documents the same way.
    """

    def __init__(
        self,
        inputs: Sequence[Path | str],
        outdir: Path,
        options: PipelineOptions,
        force: bool = False,
        pages: Sequence[int] | None = None,
        chunk: int | None = None,
    ) -> None:
        self.options = options
        self.outdir = Path(outdir)
        self.summary = BatchSummary()
        self.parent = Pipeline(options)  # page counts, assembly and validation run in this process
        self.pages_key = "all" if pages is None else ",".join(str(p) for p in pages)
        self.docs: list[_Doc] = []
        files, problems = find_inputs(inputs)
        for path, problem in problems:
            self._fail(path, f"{path}: {problem}")
        names = output_names(files)
        for path in files:
            target = self.outdir / names[path]
            try:
                sha = sha256_file(path)
            except OSError as exc:
                self._fail(path, f"{path}: cannot read: {exc.strerror or exc}")
                continue
            if not force and _already_done(target, sha, self.pages_key):
                log.info("%s: outputs exist for this sha256, skipped (use --force to redo)", path)
                self.summary.documents.append(DocResult(str(path), "skipped", outdir=str(target)))
                continue
            try:
                n = self.parent.page_count(path)
            except InputError as exc:
                self._fail(path, str(exc))
                continue
            indices = list(range(n)) if pages is None else [i for i in pages if i < n]
            if not indices:
                self._fail(path, f"{path}: none of the requested pages exist (document has {n})")
                continue
            self.docs.append(_Doc(path, names[path], sha, n, indices, time.perf_counter()))
        chunk = chunk or options.page_batch  # pages per task (the pipelined engine sends one page per task)
        self.tasks: list[tuple[_Doc, list[int]]] = [
            (d, d.indices[i : i + chunk]) for d in self.docs for i in range(0, len(d.indices), chunk)
        ]
        for d, _ in self.tasks:
            d.pending += 1

    @property
    def total_pages(self) -> int:
        return sum(len(d.indices) for d in self.docs)

    def _fail(self, path: Path | str, message: str) -> None:
        log.error("%s", message)
        self.summary.documents.append(DocResult(str(path), "failed", message))

    def record(self, d: _Doc, result: list[PageOutput] | None, error: BaseException | None) -> None:
        """One chunk is back (pages or an error); the document is finished when its last chunk arrives."""
        d.pending -= 1
        if error is not None:
            if isinstance(error, InputError):
                d.failed = d.failed or str(error)
            else:
                d.failed = d.failed or f"{d.path}: internal error: {error!r}"
                log.error("%s: internal error\n%s", d.path, "".join(traceback.format_exception(error)))
        elif result is not None:
            d.outputs.extend(result)
        if d.pending == 0:
            self._finish(d)

    def _finish(self, d: _Doc) -> None:
        if d.failed is not None:
            self._fail(d.path, d.failed)
            return
        try:
            result = finish_document(self.parent, d, self.outdir, self.pages_key, self.options.export)
        except Exception as exc:
            self.finish_failed(d, exc)
            return
        finally:
            d.outputs = []
        self.summary.documents.append(result)

    def finish_failed(self, d: _Doc, exc: BaseException) -> None:
        """Assembly, validation or writing raised: bad input is one line, a bug also logs its traceback."""
        if isinstance(exc, InputError):
            self._fail(d.path, str(exc))
        else:
            log.error("%s: internal error\n%s", d.path, "".join(traceback.format_exception(exc)))
            self._fail(d.path, f"{d.path}: internal error: {exc!r}")


def finish_document(pipeline: Pipeline, d: _Doc, outdir: Path, pages_key: str, export: ExportOptions) -> DocResult:
    """Assemble, validate and write one document whose pages are all in (any process: it needs no models)."""
    doc = pipeline.finish(d.path, d.sha256, d.n_pages, d.outputs)
    doc.meta["pages_requested"] = pages_key
    previews = {o.result.page.ref.index: o.preview_png for o in d.outputs if o.preview_png}
    target = write_document_outputs(doc, outdir / d.name, previews, export)
    log.info("%s: %d pages, %d tables → %s", d.path, len(doc.pages), len(doc.tables), target)
    return DocResult(
        str(d.path),
        "ok",
        pages=len(doc.pages),
        tables=len(doc.tables),
        rows=sum(len(t.rows) for t in doc.tables),
        violations=sum(1 for v in doc.validation.violations if v.severity == "error"),
        repairs=len(doc.validation.repairs),
        seconds=round(time.perf_counter() - d.started, 3),
        outdir=str(target),
    )


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
    t_start = time.perf_counter()
    state = BatchState(inputs, outdir, options, force=force, pages=pages)
    if on_pages_total is not None:
        on_pages_total(state.total_pages)
    if workers <= 1:
        for d, idx in state.tasks:
            try:
                res = state.parent.process_pages(d.path, idx, on_page=on_page_done)
            except Exception as exc:
                state.record(d, None, exc)
            else:
                state.record(d, res, None)
    else:
        ctx = mp.get_context("spawn")  # onnxruntime and torch are not fork-safe once initialised
        with cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(options,)
        ) as pool:
            futures = {pool.submit(_work, str(d.path), idx): (d, len(idx)) for d, idx in state.tasks}
            for fut in cf.as_completed(futures):
                d, n_idx = futures[fut]
                exc = fut.exception()
                state.record(d, None if exc else fut.result(), exc)
                if on_page_done is not None:
                    on_page_done(n_idx)
    summary = state.summary
    summary.seconds = time.perf_counter() - t_start
    return summary
