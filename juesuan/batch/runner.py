"""Local batch runner: documents → page chunks → a process pool; each document finished in the parent.

Splitting a document's pages over workers keeps both cores busy on a single long PDF. Workers build their own
:class:`Pipeline` from picklable options (models never cross a process boundary) and send back pixel-free
:class:`PageOutput` objects. A document whose outputs exist for the same input sha256 (and the same page selection)
is skipped unless ``force``. Bad input fails that document with one line; the batch goes on.

What every engine shares lives in :class:`BatchState`: a document is claimed (:mod:`juesuan.batch.claims`) when its
first chunk is taken, so two runs on one output folder split the work instead of doing it twice; chunks are taken
lazily, so a ``stop`` event (SIGTERM, Ctrl-C) ends the batch after the chunks in flight; a page past
``page_timeout_s`` is left out and its document marked incomplete; ``summary.json`` and ``summary.csv`` are written
to the output folder at the end of every run, interrupted or not.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import io
import json
import logging
import multiprocessing as mp
import shutil
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from juesuan.batch.claims import Claims
from juesuan.batch.pages import PageFailure, PageTimeout, page_failure, peak_rss_mb, run_pages
from juesuan.errors import InputError
from juesuan.inference.pipeline import PageOutput, Pipeline
from juesuan.io.atomic import sha256_file, write_bytes, write_text
from juesuan.io.export import write_document_outputs
from juesuan.io.inputs import find_inputs, output_names
from juesuan.options import ExportOptions, PipelineOptions

log = logging.getLogger(__name__)

STATUSES = ("ok", "incomplete", "skipped", "busy", "failed", "interrupted")
SUMMARY_COLUMNS = (
    "path", "status", "pages", "failed_pages", "tables", "rows", "violations", "repairs", "needs_review",
    "seconds", "errors", "outdir",
)  # fmt: skip


@dataclass
class DocResult:
    """One document of a batch. ``status``: ok, incomplete (written without the pages in ``page_errors``),
    skipped (outputs exist), busy (another run holds its claim), failed, interrupted (stopped; a rerun resumes)."""

    path: str
    status: str
    error: str | None = None
    pages: int = 0
    tables: int = 0
    rows: int = 0
    violations: int = 0  # error-severity identity violations
    repairs: int = 0
    needs_review: int = 0  # tables marked needs_review
    seconds: float = 0.0
    outdir: str | None = None
    page_errors: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return ([self.error] if self.error else []) + list(self.page_errors)

    def row(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["failed_pages"] = len(self.page_errors)
        data["errors"] = " | ".join(self.errors)
        return {k: data[k] for k in SUMMARY_COLUMNS}


@dataclass
class BatchSummary:
    documents: list[DocResult] = field(default_factory=list)
    seconds: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)  # engine-specific (pipelined: neural stage busy time)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)  # main process, and the largest worker
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(1 for d in self.documents if d.status == status)

    def _done(self) -> list[DocResult]:
        return [d for d in self.documents if d.status in ("ok", "incomplete")]

    @property
    def pages(self) -> int:
        return sum(d.pages for d in self._done())

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        done = self._done()
        return {
            **{status: self.count(status) for status in STATUSES},
            "pages": self.pages,
            "failed_pages": sum(len(d.page_errors) for d in self.documents),
            "tables": sum(d.tables for d in done),
            "rows": sum(d.rows for d in done),
            "needs_review": sum(d.needs_review for d in done),
            "seconds": round(self.seconds, 2),
            "pages_per_second": round(self.pages_per_second, 3),
            "peak_rss_mb": dict(self.peak_rss_mb),
            "stopped": self.interrupted,  # a stop (SIGTERM, Ctrl-C) ended the run early
            **({"stats": dict(self.stats)} if self.stats else {}),
            "documents": [{**d.__dict__, "errors": d.errors} for d in self.documents],
        }

    def write(self, outdir: Path) -> None:
        """``summary.json`` (totals + documents) and ``summary.csv`` (one line per document) in ``outdir``."""
        outdir = Path(outdir)
        write_text(outdir / "summary.json", json.dumps(self.to_dict(), ensure_ascii=False, indent=1))
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=SUMMARY_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(d.row() for d in self.documents)
        write_bytes(outdir / "summary.csv", buf.getvalue().encode("utf-8-sig"))


# ---- worker side ------------------------------------------------------------------------------------------------
_WORKER: Pipeline | None = None

ChunkResult = tuple[list[PageOutput], list[PageFailure], float]  # outputs, pages left out, worker peak RSS (MiB)


def _init_worker(options: PipelineOptions) -> None:
    global _WORKER  # one pipeline per worker process, built once (models load on first use)
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C (and systemd's stop) reach every process; the parent decides
        signal.signal(sig, signal.SIG_IGN)
    from juesuan.batch.pages import one_cv_thread

    one_cv_thread()  # the pool's processes are the parallelism; OpenCV threads on top only add CPU
    _WORKER = Pipeline(options)


def _work(path: str, indices: list[int]) -> ChunkResult:
    assert _WORKER is not None, "worker not initialised"
    outputs, failures = run_pages(_WORKER, Path(path), indices)
    return outputs, failures, peak_rss_mb()


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
    failures: list[PageFailure] = field(default_factory=list)
    pending: int = 0
    failed: str | None = None
    claimed: bool = False


def _done_result(path: Path, outdir: Path, sha: str, pages_key: str) -> DocResult | None:
    """The finished document in ``outdir`` for this input (same sha256 and page selection), as a skipped result."""
    doc_json = outdir / "document.json"
    if not doc_json.is_file():
        return None
    try:
        data = json.loads(doc_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    meta = data.get("meta", {})
    if data.get("source", {}).get("sha256") != sha or meta.get("pages_requested") != pages_key:
        return None
    tables = data.get("tables", [])
    violations = data.get("validation", {}).get("violations", [])
    return DocResult(
        str(path),
        "skipped",
        pages=len(data.get("pages", [])),
        tables=len(tables),
        rows=sum(len(t.get("rows", [])) for t in tables),
        violations=sum(1 for v in violations if v.get("severity") == "error"),
        repairs=len(data.get("validation", {}).get("repairs", [])),
        needs_review=sum(1 for t in tables if t.get("needs_review")),
        outdir=str(outdir),
        page_errors=[f["error"] for f in meta.get("failed_pages", [])],
    )


def _remove_leftovers(outdir: Path, name: str) -> None:
    """Temp folders of a run killed while writing this document (only its claim holder may call this)."""
    for leftover in [*outdir.glob(f".{name}.*.tmp"), outdir / f".{name}.old"]:
        if leftover.is_dir():
            log.info("%s: removing %s left by an interrupted run", name, leftover.name)
            shutil.rmtree(leftover, ignore_errors=True)


class BatchState:
    """Plans a batch (inputs → documents → page-chunk tasks) and finishes documents as their chunks come back.

    Shared by every engine, so all of them claim, skip, fail, stop and write documents the same way. Engines call
    :meth:`take` for the next chunk (None: nothing more to start), :meth:`record` when a chunk is back, and
    :meth:`close` at the end, which also writes the summary files.
    """

    def __init__(
        self,
        inputs: Sequence[Path | str],
        outdir: Path,
        options: PipelineOptions,
        force: bool = False,
        pages: Sequence[int] | None = None,
        chunk: int | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.t_start = time.perf_counter()
        self.options = options
        self.outdir = Path(outdir)
        self.force = force
        self.stop = stop or threading.Event()
        self.summary = BatchSummary()
        self.worker_rss_mb = 0.0
        self.parent = Pipeline(options)  # page counts, assembly and validation run in this process
        self.pages_key = "all" if pages is None else ",".join(str(p) for p in pages)
        self.claims = Claims(self.outdir, options.claim_stale_after_s)
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
            if not force and (done := _done_result(path, target, sha, self.pages_key)) is not None:
                log.info("%s: outputs exist for this sha256, skipped (use --force to redo)", path)
                self.claims.clear_stale(names[path])  # a run killed after writing it, before releasing
                self.summary.documents.append(done)
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
        self._queue = deque(self.tasks)
        self._busy: list[_Doc] = []  # left to another run; reported as skipped at the end if it finished them

    @property
    def total_pages(self) -> int:
        return sum(len(d.indices) for d in self.docs)

    @property
    def has_work(self) -> bool:
        """More chunks could start (none once stopped)."""
        return bool(self._queue) and not self.stop.is_set()

    def take(self) -> tuple[_Doc, list[int]] | None:
        """The next chunk to start, claiming its document first; None when stopped or nothing is left."""
        while self._queue and not self.stop.is_set():
            d, indices = self._queue[0]
            if not d.claimed and not self._claim(d):
                while self._queue and self._queue[0][0] is d:
                    self._queue.popleft()
                continue
            self._queue.popleft()
            return d, indices
        return None

    def _claim(self, d: _Doc) -> bool:
        holder = self.claims.acquire(d.name)
        if holder is not None:
            message = f"{d.path}: being extracted by {holder.describe()} into the same folder; left to it"
            log.warning("%s", message)
            self.summary.documents.append(DocResult(str(d.path), "busy", message, outdir=str(self.outdir / d.name)))
            self._busy.append(d)
            return False
        target = self.outdir / d.name
        # the other run may have finished it between planning and claiming
        if not self.force and (done := _done_result(d.path, target, d.sha256, self.pages_key)) is not None:
            self.claims.release(d.name)
            self.summary.documents.append(done)
            return False
        _remove_leftovers(self.outdir, d.name)
        d.claimed = True
        d.started = time.perf_counter()
        return True

    def _fail(self, path: Path | str, message: str) -> None:
        log.error("%s", message)
        self.summary.documents.append(DocResult(str(path), "failed", message))

    def record(
        self,
        d: _Doc,
        result: list[PageOutput] | None,
        error: BaseException | None,
        failures: Sequence[PageFailure] = (),
        worker_rss_mb: float = 0.0,
    ) -> None:
        """One chunk is back (pages, pages left out, or an error); the document is finished with its last chunk."""
        d.pending -= 1
        self.worker_rss_mb = max(self.worker_rss_mb, worker_rss_mb)
        self.claims.touch(d.name)
        for failure in failures:
            log.error("%s", failure.message)
            d.failures.append(failure)
        if error is not None:
            if isinstance(error, InputError):
                d.failed = d.failed or str(error)
            elif isinstance(error, PageTimeout):  # a whole chunk ran out of time (a batch no engine split)
                d.failed = d.failed or f"{d.path}: {error}"
            else:
                d.failed = d.failed or f"{d.path}: internal error: {error!r}"
                log.error("%s: internal error\n%s", d.path, "".join(traceback.format_exception(error)))
        elif result is not None:
            d.outputs.extend(result)
        if d.pending == 0:
            self._finish(d)

    def page_left_out(self, d: _Doc, index: int, problem: str) -> None:
        """One page of ``d`` is given up (its chunk counts as back)."""
        self.record(d, [], None, [page_failure(d.path, index, problem)])

    def _finish(self, d: _Doc) -> None:
        if d.failed is not None or not d.outputs:
            self._fail(d.path, d.failed or f"{d.path}: every page failed")
            self.summary.documents[-1].page_errors = [f.message for f in d.failures]
            self.claims.release(d.name)
            return
        try:
            result = finish_document(self.parent, d, self.outdir, self.pages_key, self.options.export)
        except Exception as exc:
            self.finish_failed(d, exc)
            return
        finally:
            d.outputs = []
        self.claims.release(d.name)
        self.summary.documents.append(result)

    def finish_failed(self, d: _Doc, exc: BaseException) -> None:
        """Assembly, validation or writing raised: bad input is one line, a bug also logs its traceback."""
        self.claims.release(d.name)
        if isinstance(exc, InputError):
            self._fail(d.path, str(exc))
        else:
            log.error("%s: internal error\n%s", d.path, "".join(traceback.format_exception(exc)))
            self._fail(d.path, f"{d.path}: internal error: {exc!r}")

    def close(self) -> BatchSummary:
        """Report unfinished documents as interrupted, release every claim, write summary.json/.csv."""
        finished = {d.path for d in self.summary.documents}
        for d in self.docs:
            if str(d.path) not in finished:
                self.summary.documents.append(
                    DocResult(str(d.path), "interrupted", f"{d.path}: stopped before it was finished")
                )
                self.summary.interrupted = True
        self.claims.release_all()
        for d in self._busy:  # the last run to finish writes summary.json: let it describe the whole folder
            done = _done_result(d.path, self.outdir / d.name, d.sha256, self.pages_key)
            if done is not None:
                k = next(k for k, r in enumerate(self.summary.documents) if r.path == str(d.path))
                self.summary.documents[k] = done
        summary = self.summary
        summary.seconds = time.perf_counter() - self.t_start
        main = peak_rss_mb()
        summary.peak_rss_mb = {"main": main, "worker_max": max(self.worker_rss_mb, 0.0) or main}
        try:
            summary.write(self.outdir)
        except OSError as exc:
            log.error("%s: cannot write the batch summary: %s", self.outdir, exc)
        return summary


def finish_document(pipeline: Pipeline, d: _Doc, outdir: Path, pages_key: str, export: ExportOptions) -> DocResult:
    """Assemble, validate and write one document whose pages are all in (any process: it needs no models)."""
    doc = pipeline.finish(d.path, d.sha256, d.n_pages, d.outputs)
    doc.meta["pages_requested"] = pages_key
    failures = sorted(d.failures, key=lambda f: f.index)
    doc.meta["incomplete"] = bool(failures)
    doc.meta["failed_pages"] = [{"page": f.index + 1, "error": f.message} for f in failures]
    previews = {o.result.page.ref.index: o.preview_png for o in d.outputs if o.preview_png}
    target = write_document_outputs(doc, outdir / d.name, previews, export)
    log.info("%s: %d pages, %d tables → %s", d.path, len(doc.pages), len(doc.tables), target)
    return DocResult(
        str(d.path),
        "incomplete" if failures else "ok",
        pages=len(doc.pages),
        tables=len(doc.tables),
        rows=sum(len(t.rows) for t in doc.tables),
        violations=sum(1 for v in doc.validation.violations if v.severity == "error"),
        repairs=len(doc.validation.repairs),
        needs_review=sum(1 for t in doc.tables if t.needs_review),
        seconds=round(time.perf_counter() - d.started, 3),
        outdir=str(target),
        page_errors=[f.message for f in failures],
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
    stop: threading.Event | None = None,
) -> BatchSummary:
    """Extract every input into ``outdir/<stem>/``; never raises for bad input (see each DocResult).

    ``stop``: once set, no new chunk starts; chunks in flight finish, and documents not finished are reported as
    interrupted (a rerun resumes them). At most ``2 * workers`` chunks are in flight, so memory follows the batch
    size, not the input.
    """
    options = options or PipelineOptions()
    state = BatchState(inputs, outdir, options, force=force, pages=pages, stop=stop)
    if on_pages_total is not None:
        on_pages_total(state.total_pages)
    try:
        if workers <= 1:
            while (task := state.take()) is not None:
                d, idx = task
                try:
                    outputs, failures = run_pages(state.parent, d.path, idx, on_page=on_page_done)
                except Exception as exc:
                    state.record(d, None, exc)
                else:
                    state.record(d, outputs, None, failures)
        else:
            _run_pool(state, options, workers, on_page_done)
    finally:
        summary = state.close()
    return summary


def _run_pool(
    state: BatchState, options: PipelineOptions, workers: int, on_page_done: Callable[[int], None] | None
) -> None:
    """Chunks through a process pool; a pool broken by a dying worker (OOM killer, segfault) is rebuilt once per
    chunk, and a chunk that breaks it twice fails its document with one line.

    A watchdog covers what the in-worker ``page_timeout_s`` alarm cannot: a native call that never returns. A chunk
    of n pages running for more than ``4 * n * page_timeout_s + 10`` s (the alarm's whole budget, twice) gets its
    worker killed; its pages are redone one per chunk, and a single page that hangs again is left out.
    """
    ctx = mp.get_context("spawn")  # onnxruntime and torch are not fork-safe once initialised
    timeout = options.page_timeout_s
    retries: dict[int, int] = {}
    carried: deque[tuple[_Doc, list[int]]] = deque()  # chunks to resubmit after a broken pool
    while True:
        with cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(options,)
        ) as pool:
            inflight: dict[cf.Future[Any], tuple[_Doc, list[int]]] = {}
            running_since: dict[cf.Future[Any], float] = {}
            hung: set[cf.Future[Any]] = set()
            broken = False
            while True:
                while not broken and len(inflight) < 2 * workers:
                    task = carried.popleft() if carried else state.take()
                    if task is None:
                        break
                    inflight[pool.submit(_work, str(task[0].path), task[1])] = task
                if not inflight:
                    break
                done, _ = cf.wait(inflight, timeout=1.0 if timeout else None, return_when=cf.FIRST_COMPLETED)
                if timeout and not hung:
                    hung = _watch(pool, inflight, running_since, timeout)
                for fut in done:
                    d, idx = inflight.pop(fut)
                    running_since.pop(fut, None)
                    exc = fut.exception()
                    if isinstance(exc, cf.process.BrokenProcessPool):
                        broken = True
                        if fut in hung:
                            _hung_chunk(state, d, idx, 4 * timeout * len(idx) + 10, carried, on_page_done)
                            continue
                        key = id(d) * 100_003 + idx[0]
                        if not hung:  # killed by the watchdog for another chunk: not this chunk's fault
                            retries[key] = retries.get(key, 0) + 1
                        if retries.get(key, 0) <= 1:
                            carried.append((d, idx))
                            continue
                        exc = RuntimeError("a worker process died twice on these pages (killed, or out of memory)")
                    if exc is not None:
                        state.record(d, None, exc)
                    else:
                        outputs, failures, rss = fut.result()
                        state.record(d, outputs, None, failures, rss)
                    if on_page_done is not None:
                        on_page_done(len(idx))
        if not carried:
            return
        log.warning("a worker process died; restarting the pool and redoing %d chunks", len(carried))


def _watch(
    pool: cf.ProcessPoolExecutor,
    inflight: dict[cf.Future[Any], tuple[_Doc, list[int]]],
    running_since: dict[cf.Future[Any], float],
    timeout: float,
) -> set[cf.Future[Any]]:
    """Chunks past their hang limit; if any, every worker of the pool is killed (the pool cannot kill just one)."""
    now = time.monotonic()
    for fut in inflight:
        if fut not in running_since and fut.running():
            running_since[fut] = now
    hung = {f for f, t0 in running_since.items() if now - t0 > 4 * timeout * len(inflight[f][1]) + 10}
    if hung:
        processes = list(getattr(pool, "_processes", {}).values())  # CPython's pool keeps them here
        for f in hung:
            d, idx = inflight[f]
            log.warning("%s, pages %s: no answer from the worker; killing the pool", d.path, [i + 1 for i in idx])
        for process in processes:
            process.kill()
    return hung


def _hung_chunk(
    state: BatchState,
    d: _Doc,
    idx: list[int],
    limit: float,
    carried: deque[tuple[_Doc, list[int]]],
    on_page_done: Callable[[int], None] | None,
) -> None:
    """A chunk the watchdog killed: redo its pages one by one, or leave the single page out."""
    if len(idx) > 1:
        carried.extend((d, [i]) for i in idx)
        d.pending += len(idx) - 1  # one chunk became len(idx)
        return
    problem = f"no answer for {limit:g} s (hung); its worker was killed"
    state.record(d, [], None, [page_failure(d.path, idx[0], problem)])
    if on_page_done is not None:
        on_page_done(1)
