"""`juesuan evaluate INPUT... -o OUTDIR`: score the pipeline (or a peer) against truth; see docs/evaluation.md."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from juesuan.errors import ConfigError
from juesuan.inference.registry import PEERS, kinds


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "evaluate",
        help="measure extraction accuracy against PDF text layers or labelled pages; writes metrics.json + report.md",
        description=(
            "Rasterize digital PDFs (their text layer and rulings are the truth) or read labelled-page JSONL, degrade "
            "the pages like a scan, run the pipeline (or a peer tool), and report value accuracy, table recall, "
            "character accuracy, row exactness, token-label F1, identity pass rates and per-stage seconds per page."
        ),
    )
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="PDFs with a text layer, or labelled .jsonl")
    p.add_argument(
        "-o", "--output", "--out", dest="out", type=Path, required=True, metavar="OUTDIR", help="output folder"
    )
    p.add_argument("--config", type=Path, default=None, help="pipeline YAML (default: configs/pipeline.yaml)")
    p.add_argument(
        "--dpi", type=int, default=None, help="rasterize PDFs at this dpi (default: the preset's, fax 150, else 200)"
    )
    p.add_argument(
        "--degrade", default="scan", help="scan preset: clean, scan, fax, photo, fax_resampled, photo_stamp, heavy"
    )
    p.add_argument("--seed", type=int, default=7, help="degradation seed (default 7)")
    p.add_argument("--all-pages", action="store_true", help="also pages without truth tables (precision on text pages)")
    p.add_argument("--max-pages", type=int, default=None, help="first N table pages per document (smoke runs)")
    p.add_argument(
        "--engine",
        default="juesuan",
        choices=["juesuan", *PEERS],
        help="what to evaluate (default juesuan; the others are the peer baselines)",
    )
    p.add_argument("--workers", type=int, default=1, help="juesuan worker processes (default 1)")
    p.add_argument("--ocr", choices=kinds("ocr"), default=None, help="juesuan OCR engine")
    p.add_argument("--labeler", choices=kinds("label"), default=None, help="juesuan token labeller")
    p.add_argument("--no-repair", action="store_true", help="validate but repair nothing (cell accuracy before repair)")
    p.add_argument("--require-header", action="store_true", help="a value also needs a matching column header")
    p.add_argument(
        "--no-labels", action="store_true", help="skip token-label F1 (PDFs: gold labels from the text layer + grid)"
    )
    p.add_argument("--sample-pages", type=int, default=None, help="N table pages per document, seeded (issue 12)")
    p.add_argument("--families", default=None, help="families/split YAML, e.g. configs/eval/wide.yaml")
    p.add_argument("--raw-ceiling", action="store_true", help="also score raw full-page PP-OCRv6 (the ceiling)")
    p.add_argument(
        "--raw-ceiling-cached-only", action="store_true", help="raw ceiling only where its OCR is already kept"
    )
    p.add_argument("--resume", action="store_true", help="keep page results already in OUTDIR/extract, run the rest")
    p.add_argument("--truth-cache", default=None, help="folder caching each PDF's truth (shared across runs)")
    p.add_argument("--only-done", action="store_true", help="score only pages with a result in OUTDIR/extract")
    p.add_argument("--worst", type=int, default=4, help="pages drawn in the report (default 4)")
    p.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow")
    p.add_argument("--experiment", default="juesuan-evaluate", help="MLflow experiment name")
    p.set_defaults(run=run)


def _pipeline_overrides(args: argparse.Namespace) -> dict[str, Any]:
    o: dict[str, Any] = {"export": {"previews": False}}
    if args.ocr:
        o["ocr"] = {"kind": args.ocr}
    if args.labeler:
        o["label"] = {"kind": args.labeler}
    if args.no_repair:
        o["validation"] = {"repair": False}
    return o


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from juesuan.datasets.synth.degrade import PRESETS
    from juesuan.evaluation.harness import EvaluateOptions, evaluate
    from juesuan.evaluation.report import summary_markdown
    from juesuan.options import load_options

    preset = PRESETS.get(args.degrade)
    dpi = args.dpi or (preset.dpi if preset is not None and preset.dpi else 200)
    try:
        options = EvaluateOptions(
            dpi=dpi,
            sample_pages=args.sample_pages,
            families=args.families,
            raw_ceiling=args.raw_ceiling or args.raw_ceiling_cached_only,
            raw_ceiling_cached_only=args.raw_ceiling_cached_only,
            resume=args.resume,
            only_done=args.only_done,
            truth_cache=args.truth_cache,
            degrade=args.degrade,
            seed=args.seed,
            pages="all" if args.all_pages else "tables",
            max_pages=args.max_pages,
            engine=args.engine,
            workers=args.workers,
            require_header=args.require_header,
            worst_pages=args.worst,
            labels=not args.no_labels,
            mlflow=not args.no_mlflow,
            experiment=args.experiment,
        )
    except ValidationError as exc:
        raise ConfigError(str(exc)) from exc
    if options.degrade not in PRESETS:
        raise ConfigError(f"unknown --degrade {options.degrade!r}; known: {', '.join(PRESETS)}")
    pipeline = load_options(args.config, _pipeline_overrides(args))
    command = "juesuan " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else None
    result = evaluate(args.inputs, args.out, options, pipeline, command=command)
    print(summary_markdown(result))
    print(json.dumps({k: result["metrics"].get(k) for k in ("value_accuracy", "table_recall", "cells")}))
    print(f"wrote {args.out / 'metrics.json'} and {args.out / 'report.md'}", file=sys.stderr)
    return 0
