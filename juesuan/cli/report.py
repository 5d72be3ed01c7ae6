"""``juesuan report accuracy``: accuracy over time per template family, from the MLflow runs of juesuan evaluate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("report", help="reports from the tracking store (accuracy over time)")
    sub = p.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    acc = sub.add_parser("accuracy", help="PNG + HTML of value accuracy over time per template family and preset")
    acc.add_argument(
        "-o",
        "--output",
        "--out",
        dest="out",
        type=Path,
        default=Path("runs/report"),
        help="folder for accuracy.png/.html",
    )
    acc.add_argument("--metric", default="value_accuracy", help="metric to draw (default value_accuracy)")
    acc.add_argument("--experiment", default="juesuan-evaluate", help="MLflow experiment of juesuan evaluate")
    acc.add_argument("--tracking-dir", help="embedded MLflow folder (default: the project store)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from juesuan.evaluation.accuracy_report import write_accuracy_report

    png, html, n = write_accuracy_report(args.out, args.metric, args.experiment, args.tracking_dir)
    print(f"{n} runs → {png} and {html}")
    return 0 if n else 1
