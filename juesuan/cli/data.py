"""``juesuan synth``, ``juesuan label`` and ``juesuan data``: make, auto-label and inspect labelled-page datasets."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    synth = subparsers.add_parser("synth", help="generate labelled synthetic scanned disclosure pages")
    synth.add_argument("--pages", type=int, required=True, help="number of pages")
    synth.add_argument("-o", "--output", "--out", type=Path, required=True, help="dataset folder (images/ + *.jsonl)")
    synth.add_argument("--seed", type=int, default=0, help="page i is drawn from default_rng([seed, i])")
    synth.add_argument("--start", type=int, default=0, help="first page index (to extend a dataset)")
    synth.add_argument("--workers", type=int, default=2, help="processes (this machine has 2 cores)")
    synth.add_argument("--degrade", default=None, help="use only this preset (clean, scan, fax, photo_stamp, heavy)")
    synth.add_argument("--no-card", action="store_true", help="do not write README.md (dataset card)")
    synth.set_defaults(run=run_synth)

    label = subparsers.add_parser("label", help="auto-label digital PDFs from their text layer")
    source = label.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from-text-layer",
        dest="pdfs",
        nargs="+",
        type=Path,
        metavar="PDF",
        help="digital PDFs whose text layer gives the labels",
    )
    source.add_argument(
        "--from-corrections",
        dest="corrections",
        type=Path,
        metavar="OUT",
        help="reviewed pages of a juesuan review folder (corrections.jsonl) → labelled pages with a dataset card",
    )
    label.add_argument(
        "--split-by",
        choices=["page", "document"],
        default="page",
        help="--from-corrections: hash pages (default) or whole documents into train/dev/test",
    )
    label.add_argument("-o", "--output", "--out", type=Path, required=True, help="dataset folder")
    label.add_argument("--dpi", type=int, default=150, help="rasterize at this dpi (default 150)")
    label.add_argument("--degrade", default="scan", help="scan-simulation preset applied to the rasterized page")
    label.add_argument("--seed", type=int, default=0, help="seed of the scan simulation")
    label.add_argument(
        "--split",
        action="append",
        default=[],
        metavar="STEM=SPLIT",
        help="put a document in a split (train/dev/test); others are split by hash",
    )
    label.set_defaults(run=run_label)

    data = subparsers.add_parser("data", help="inspect and convert labelled-page datasets")
    sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    stats = sub.add_parser("stats", help="counts per split, label, table type, source")
    stats.add_argument("folder", type=Path, help="dataset folder (train/dev/test.jsonl)")
    stats.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    show = sub.add_parser("show", help="draw token boxes and labels on page images (PNG) for checking by eye")
    show.add_argument("folder", type=Path, help="dataset folder")
    show.add_argument("-o", "--output", "--out", type=Path, required=True, help="folder for the PNGs")
    show.add_argument("--ids", nargs="*", default=None, help="page ids (default: the first --limit pages)")
    show.add_argument("--limit", type=int, default=5, help="pages drawn when --ids is not given (default 5)")
    sheet = sub.add_parser("contact-sheet", help="one PNG with N random page thumbnails")
    sheet.add_argument("folder", type=Path, help="dataset folder")
    sheet.add_argument("-o", "--output", "--out", type=Path, required=True, help="PNG file to write")
    sheet.add_argument("-n", type=int, default=16, help="thumbnails (default 16)")
    sheet.add_argument("--seed", type=int, default=0, help="which pages are drawn")
    ls_out = sub.add_parser("to-label-studio", help="export pages as Label Studio OCR tasks (JSON)")
    ls_out.add_argument("folder", type=Path, help="dataset folder")
    ls_out.add_argument("-o", "--output", "--out", type=Path, required=True, help="Label Studio tasks JSON to write")
    ls_out.add_argument(
        "--image-root", default="/data/local-files/?d=", help="URL prefix Label Studio serves images from"
    )
    ls_in = sub.add_parser("from-label-studio", help="import a Label Studio JSON export as a labelled-page manifest")
    ls_in.add_argument("export", type=Path, help="Label Studio JSON export")
    ls_in.add_argument("-o", "--output", "--out", type=Path, required=True, help="manifest JSONL to write")
    ls_in.add_argument("--images", type=Path, required=True, help="folder the manifest's image paths are relative to")
    data.set_defaults(run=run_data)


def run_synth(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from juesuan.datasets.synth.card import write_card
    from juesuan.datasets.synth.generator import SynthOptions, generate_dataset

    opts = SynthOptions(seed=args.seed, **({"degrade_weights": {args.degrade: 1.0}} if args.degrade else {}))
    with Progress() as progress:
        task = progress.add_task("synth", total=args.pages)
        result = generate_dataset(
            args.output,
            args.pages,
            opts,
            workers=args.workers,
            start=args.start,
            progress=lambda n: progress.advance(task, n),
        )
    log.info("wrote %s pages to %s (%.2f pages/s)", result["pages"], args.output, result["pages_per_s"])
    if not args.no_card:
        write_card(args.output, opts, args.pages, args.start, args.workers, result)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def run_label(args: argparse.Namespace) -> int:
    if args.corrections is not None:
        import shlex
        import sys

        from juesuan.datasets.corrections import build_dataset

        command = "juesuan " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else None
        result = build_dataset(args.corrections, args.output, seed=args.seed, split_by=args.split_by, command=command)
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        return 0 if result.pages else 1
    from juesuan.datasets.autolabel import AutolabelOptions, autolabel_pdfs

    forced = {}
    for item in args.split:
        stem, _, split = item.partition("=")
        forced[stem] = split
    opts = AutolabelOptions(dpi=args.dpi, degrade=args.degrade, seed=args.seed, forced_splits=forced)
    result = autolabel_pdfs(args.pdfs, args.output, opts)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


def run_data(args: argparse.Namespace) -> int:
    cmd = args.data_command
    if cmd == "stats":
        from juesuan.datasets.stats import format_stats, stats_for

        stats = stats_for(args.folder)
        print(json.dumps(stats, ensure_ascii=False, indent=1) if args.json else format_stats(stats))
        return 0
    if cmd == "show":
        from juesuan.datasets.preview import draw_pages

        paths = draw_pages(args.folder, args.output, ids=args.ids, limit=args.limit)
        print("\n".join(str(p) for p in paths))
        return 0
    if cmd == "contact-sheet":
        from juesuan.datasets.preview import contact_sheet

        print(contact_sheet(args.folder, args.output, n=args.n, seed=args.seed))
        return 0
    if cmd == "to-label-studio":
        from juesuan.datasets.label_studio import export_folder

        n = export_folder(args.folder, args.output, image_root=args.image_root)
        print(f"{n} tasks → {args.output}")
        return 0
    if cmd == "from-label-studio":
        from juesuan.datasets.label_studio import import_file

        n = import_file(args.export, args.output, images=args.images)
        print(f"{n} pages → {args.output}")
        return 0
    raise AssertionError(cmd)
