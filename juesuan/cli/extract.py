"""`juesuan extract INPUT... -o OUTDIR`: the main job.

Results (one summary line, failed files) go to stdout/stderr as the CLI conventions say (``juesuan/cli/__init__``);
exit 0 all good, 1 some input failed, 3 extracted but validation found errors (``--fail-on``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from juesuan.cli import EXIT_INPUT_FAILED, add_fail_on, validation_exit_code
from juesuan.errors import ConfigError
from juesuan.inference.registry import kinds


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "extract",
        help="extract tables from scanned PDFs / page images into document.json, CSV, XLSX",
        description="Extract every table of scanned fiscal disclosures (PDF, PNG/JPG/TIFF, or folders of them).",
    )
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="PDF or image files, or folders (recursive)")
    p.add_argument(
        "-o",
        "--output",
        "--out",
        dest="out",
        type=Path,
        required=True,
        metavar="OUTDIR",
        help="output folder: OUTDIR/<document>/ per input, plus OUTDIR/facts.csv and facts.parquet for the batch",
    )
    p.add_argument("--config", type=Path, default=None, help="pipeline YAML (default: configs/pipeline.yaml)")
    p.add_argument("--dpi", type=int, default=None, help="render resolution for PDFs (default 200)")
    p.add_argument("--pages", default=None, help="pages to read, counted from 1: '3-9', '1,4,6-8' (default all)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--device", choices=["cpu", "cuda", "auto"], default=None, help="where neural stages run")
    p.add_argument("--ocr", choices=kinds("ocr"), default=None, help="OCR engine")
    p.add_argument(
        "--backend",
        choices=["onnxruntime", "torch"],
        default=None,
        help="runtime of the OCR and layout ONNX graphs (torch: the CUDA path without onnxruntime-gpu)",
    )
    p.add_argument(
        "--text-layer",
        choices=["never", "auto"],
        default=None,
        help="auto: read a digital PDF's text layer instead of OCR (default never)",
    )
    p.add_argument("--labeler", choices=kinds("label"), default=None, help="token labeller (default classifier)")
    p.add_argument(
        "--model",
        default=None,
        help="token classifier: a checkpoint folder or models:/juesuan-token-classifier@champion "
        "(default: $JUESUAN_MODEL, else the config's, else the shipped models/token-classifier)",
    )
    p.add_argument("--no-repair", action="store_true", help="report identity violations but repair nothing")
    p.add_argument("--no-validate", action="store_true", help="skip validation")
    p.add_argument("--no-previews", action="store_true", help="do not write pages/*.png previews")
    p.add_argument(
        "--previews", choices=["none", "tables", "all"], default=None, help="which pages get a preview (default all)"
    )
    p.add_argument("--force", action="store_true", help="redo documents whose outputs already exist")
    p.add_argument(
        "--engine",
        choices=["local", "ray", "pipelined"],
        default="local",
        help="local process pool, Ray, or pipelined (CPU workers prepare pages, one process runs the models)",
    )
    p.add_argument(
        "--cpu-workers",
        type=int,
        default=None,
        help="pipelined engine: processes that rasterize, find layout and grids (default: CPU cores - 1, at least 1)",
    )
    p.add_argument("--ray-address", default=None, help="existing Ray cluster address (default: start a local one)")
    p.add_argument("--summary-json", type=Path, default=None, help="also write the run summary as JSON here")
    p.add_argument(
        "--formats",
        default=None,
        help="exports besides document.json, comma-separated from csv,xlsx,md,html,facts,previews (default: all)",
    )
    p.add_argument(
        "--page-timeout",
        type=float,
        default=None,
        metavar="S",
        help="a page slower than S seconds is left out, its document marked incomplete (default 120; 0: none)",
    )
    p.add_argument(
        "--progress-every",
        type=float,
        default=30.0,
        metavar="S",
        help="when stderr is not a terminal, log progress with ETA every S seconds (default 30)",
    )
    add_fail_on(p)
    p.set_defaults(run=run)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    o: dict[str, Any] = {}

    def put(path: str, value: Any) -> None:
        node = o
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value

    if args.dpi is not None:
        put("rasterize.dpi", args.dpi)
    if args.text_layer is not None:
        put("rasterize.text_layer", args.text_layer)
    if args.ocr is not None:
        put("ocr.kind", args.ocr)
    if args.labeler is not None:
        put("label.kind", args.labeler)
    if getattr(args, "backend", None) is not None:
        put("ocr.backend", args.backend)
        put("layout.backend", args.backend)
    if args.device is not None:
        device = args.device
        if device == "auto":
            device = "cuda" if _cuda_available() else "cpu"
        for stage in ("ocr", "label", "layout"):
            put(f"{stage}.device", device)
    model = getattr(args, "model", None) or os.environ.get("JUESUAN_MODEL")
    if model:
        put("label.model_dir", model)
    if args.no_repair:
        put("validation.repair", False)
    if args.no_validate:
        put("validation.enabled", False)
    if args.formats is not None:
        from juesuan.io.export import formats_overrides

        try:
            for key, value in formats_overrides(args.formats).items():
                put(f"export.{key}", value)
        except ValueError as exc:
            raise ConfigError(f"--formats: {exc}") from exc
    if args.no_previews:
        put("export.previews", False)
    if args.page_timeout is not None:
        put("page_timeout_s", args.page_timeout)
    previews = getattr(args, "previews", None)
    if previews is not None:
        put("export.previews", previews != "none")
        if previews != "none":
            put("export.preview_pages", previews)
    return o


def _cuda_available() -> bool:
    try:
        import onnxruntime as ort

        return "CUDAExecutionProvider" in ort.get_available_providers()
    except ImportError:
        return False


class _ProgressLog:
    """Progress as log lines (pages, pages/s, ETA) every ``every`` seconds, for logs and CI where no bar shows."""

    def __init__(self, every: float) -> None:
        import logging

        self.log = logging.getLogger("juesuan.extract")
        self.every = every
        self.total: int | None = None
        self.done = 0
        self.t0 = self.t_last = time.monotonic()

    def set_total(self, n: int) -> None:
        self.total = n

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.t_last >= self.every:
            self.t_last = now
            rate = self.done / max(now - self.t0, 1e-9)
            left = (self.total or self.done) - self.done
            eta = f"{left / rate / 60:.1f} min" if rate > 0 else "?"
            self.log.info("progress: %d/%s pages, %.2f pages/s, ETA %s", self.done, self.total, rate, eta)


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """First SIGTERM/Ctrl-C: start no new pages, finish those in flight; a second Ctrl-C aborts at once."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        name = signal.Signals(signum).name
        print(f"{name}: finishing the pages in flight, starting no new ones (Ctrl-C again aborts)", file=sys.stderr)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from juesuan.io.inputs import parse_pages
    from juesuan.options import load_options

    try:
        pages = parse_pages(args.pages)
    except ValueError as exc:
        raise ConfigError(f"--pages: {exc}") from exc
    options = load_options(args.config, _overrides(args))
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    console = Console(stderr=True)
    bar = console.is_terminal or bool(os.environ.get("JUESUAN_PROGRESS"))
    plain = _ProgressLog(args.progress_every)
    with (
        _stop_on_signals() as stop,
        Progress(
            TextColumn("[bold]extract"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pages"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not bar,
        ) as progress,
    ):
        task = progress.add_task("pages", total=None)
        callbacks: dict[str, Any] = {
            "on_pages_total": lambda n: (progress.update(task, total=n), plain.set_total(n)),
            "on_page_done": lambda n: (progress.advance(task, n), None if bar else plain.advance(n)),
            "stop": stop,
        }
        if args.engine == "ray":
            from juesuan.batch.ray import run_batch_ray

            summary = run_batch_ray(
                args.inputs,
                args.out,
                options,
                force=args.force,
                pages=pages,
                address=args.ray_address,
                workers=args.workers if args.workers > 1 else None,
                **callbacks,
            )
        elif args.engine == "pipelined":
            from juesuan.batch.pipelined import run_batch_pipelined

            cpu_workers = args.cpu_workers if args.cpu_workers is not None else max(1, (os.cpu_count() or 2) - 1)
            if cpu_workers < 0:
                raise ConfigError("--cpu-workers must be at least 0")
            summary = run_batch_pipelined(
                args.inputs, args.out, options, cpu_workers=cpu_workers, force=args.force, pages=pages, **callbacks
            )
        else:
            from juesuan.batch.runner import run_batch

            summary = run_batch(
                args.inputs, args.out, options, workers=args.workers, force=args.force, pages=pages, **callbacks
            )
    data = summary.to_dict()
    for doc in summary.documents:
        if doc.status == "failed":
            print(f"FAILED  {doc.error}", file=sys.stderr)
        elif doc.status == "incomplete":
            for line in doc.page_errors:
                print(f"INCOMPLETE  {line}", file=sys.stderr)
    counts = _finish_batch(summary, Path(args.out), options.export.facts)
    extra = "".join(f", {data[k]} {k}" for k in ("incomplete", "busy", "interrupted") if data[k])
    print(
        f"documents: {data['ok']} ok, {data['skipped']} skipped, {data['failed']} failed{extra} | "
        f"pages {data['pages']} | tables {data['tables']} | rows {data['rows']} | {data['seconds']} s | "
        f"{data['pages_per_second']} pages/s | peak RSS {data['peak_rss_mb'].get('worker_max', 0):.0f} MiB/worker"
    )
    if "neural_utilisation" in summary.stats:
        s = summary.stats
        print(
            f"neural stage: busy {s['neural_busy_s']} s of {s['neural_span_s']} s ({s['neural_utilisation']:.0%}), "
            f"waited {s['neural_wait_s']} s for CPU workers, "
            f"{s['neural_batches']} batches of {s['mean_batch_pages']} pages"
        )
    print(f"outputs: {Path(args.out).resolve()} (summary.json, summary.csv)")
    if summary.interrupted:
        done = data["ok"] + data["incomplete"] + data["skipped"]
        print(
            f"interrupted: {done} documents done, {data['interrupted']} not finished; "
            "run the same command again to resume (finished documents are skipped)",
            file=sys.stderr,
        )
        return 130
    if args.summary_json:
        from juesuan.io.atomic import write_text

        write_text(args.summary_json, json.dumps(data, ensure_ascii=False, indent=1))
    if data["failed"]:
        return EXIT_INPUT_FAILED
    return validation_exit_code(counts, args.fail_on)


def _finish_batch(summary: Any, out: Path, facts: bool) -> list[tuple[int, int]]:
    """Batch facts over the documents of this run (done or skipped), and (errors, warnings) per document."""
    from juesuan.datamodel.document import Document
    from juesuan.io.facts import write_batch_facts

    docs: list[tuple[str, Document]] = []
    for result in summary.documents:
        if result.status in ("ok", "incomplete", "skipped") and result.outdir:
            path = Path(result.outdir) / "document.json"
            if path.is_file():
                docs.append((Path(result.outdir).name, Document.load(path)))
    if facts and docs:
        write_batch_facts(out, docs)
    return [
        (
            sum(v.severity == "error" for v in d.validation.violations),
            sum(v.severity == "warning" for v in d.validation.violations),
        )
        for _, d in docs
    ]
