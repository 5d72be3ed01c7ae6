"""`juesuan extract INPUT... -o OUTDIR`: the main job."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from juesuan.errors import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "extract",
        help="extract tables from scanned PDFs / page images into document.json, CSV, XLSX",
        description="Extract every table of scanned fiscal disclosures (PDF, PNG/JPG/TIFF, or folders of them).",
    )
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="PDF or image files, or folders (recursive)")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="OUTDIR", help="output folder")
    p.add_argument("--config", type=Path, default=None, help="pipeline YAML (default: configs/pipeline.yaml)")
    p.add_argument("--dpi", type=int, default=None, help="render resolution for PDFs (default 200)")
    p.add_argument("--pages", default=None, help="pages to read, counted from 1: '3-9', '1,4,6-8' (default all)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--device", choices=["cpu", "cuda", "auto"], default=None, help="where neural stages run")
    p.add_argument("--ocr", choices=["ppocr_v6", "ppocr_v4", "tesseract"], default=None, help="OCR engine")
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
    p.add_argument(
        "--labeler", choices=["classifier", "rules"], default=None, help="token labeller (default classifier)"
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
    if args.no_repair:
        put("validation.repair", False)
    if args.no_validate:
        put("validation.enabled", False)
    if args.no_previews:
        put("export.previews", False)
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


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
    with Progress(
        TextColumn("[bold]extract"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("pages"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal and not os.environ.get("JUESUAN_PROGRESS"),
    ) as progress:
        task = progress.add_task("pages", total=None)
        callbacks = {
            "on_pages_total": lambda n: progress.update(task, total=n),
            "on_page_done": lambda n: progress.advance(task, n),
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
            print(f"FAILED  {doc.error}")
    print(
        f"documents: {data['ok']} ok, {data['skipped']} skipped, {data['failed']} failed | pages {data['pages']} | "
        f"tables {data['tables']} | rows {data['rows']} | {data['seconds']} s | {data['pages_per_second']} pages/s"
    )
    if "neural_utilisation" in summary.stats:
        s = summary.stats
        print(
            f"neural stage: busy {s['neural_busy_s']} s of {s['neural_span_s']} s ({s['neural_utilisation']:.0%}), "
            f"waited {s['neural_wait_s']} s for CPU workers, "
            f"{s['neural_batches']} batches of {s['mean_batch_pages']} pages"
        )
    print(f"outputs: {Path(args.out).resolve()}")
    if args.summary_json:
        from juesuan.io.atomic import write_text

        write_text(args.summary_json, json.dumps(data, ensure_ascii=False, indent=1))
    return 1 if data["failed"] else 0
