"""Side-by-side extraction benchmark (issue 7): juesuan against raw PP-OCRv6/v4, Tesseract, img2table and (issue 12)
SLANet+ + PP-OCRv6 text given each table's box (``slanet_plus``: models/slanet-plus, onnxruntime).

Every tool reads the same page images in one run and is scored by the same rule (juesuan/evaluation/metrics.py):
a truth number from the PDF's text layer counts when the tool puts that exact value in a row with the truth row
key (科目编码, or 科目名称 similarity ≥ 0.8) at the truth column's x-position. Raw OCR peers get naive row grouping
(juesuan/evaluation/peers.py). Writes a Markdown block (command, machine, medians, ratios) to --out, all numbers to
--json, and the degradation sweep plot to --plot.

    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_extract.py --out /tmp/bench.md   # full
    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_extract.py --quick --out /tmp/q.md  # < 3 min

img2table needs opencv-contrib, which would shadow the venv's cv2, so it lives in its own folder:
    .venv/bin/pip install --target /tmp/juesuan-peers/img2table img2table opencv-contrib-python-headless
and is used when --img2table-site (or JUESUAN_IMG2TABLE_SITE) points there; otherwise its row says why not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from juesuan.evaluation import harness as H  # noqa: E402, N812
from juesuan.evaluation.truth import TruthPage, load_labelled_truth  # noqa: E402
from juesuan.options import load_options  # noqa: E402

log = logging.getLogger("bench_extract")

SHARED_REAL = ROOT.parent / "shared" / "data" / "real"
ALL_TOOLS = ("juesuan", "juesuan-w2", "ppocr_v6", "ppocr_v4", "tesseract", "img2table", "slanet_plus")
QUICK_TOOLS = ("juesuan", "ppocr_v6", "tesseract")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="2 pages, 150 dpi scan, 3 tools, tiny sweep (CI; < 3 min)")
    p.add_argument("--pdfs", nargs="*", type=Path, default=None, help="digital PDFs (default: ../shared/data/real)")
    p.add_argument("--dpis", nargs="*", type=int, default=[150, 200, 300])
    p.add_argument("--degrades", nargs="*", default=["clean", "scan"])
    p.add_argument("--main-dpi", type=int, default=200, help="the set every tool and every page runs on")
    p.add_argument("--max-pages", type=int, default=4, help="table pages per PDF in the main set (0: all)")
    p.add_argument("--side-pages", type=int, default=2, help="table pages per PDF in the other dpi/degrade sets")
    p.add_argument("--synthetic", type=int, default=6, help="synthetic table pages (clean render, then degraded)")
    p.add_argument("--tools", nargs="*", default=None, help=f"subset of {', '.join(ALL_TOOLS)}")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--sweep", action=argparse.BooleanOptionalAction, default=True, help="degradation sweep + plot")
    p.add_argument("--sweep-tools", nargs="*", default=["juesuan", "ppocr_v6", "tesseract"])
    p.add_argument("--img2table-site", type=Path, default=None, help="pip --target folder with img2table")
    p.add_argument("--work", type=Path, default=Path("/tmp/juesuan-bench"), help="page images and outputs")
    p.add_argument("--out", type=Path, required=True, help="Markdown results block")
    p.add_argument("--json", type=Path, default=None, help="all numbers (default: --out with .json)")
    p.add_argument("--plot", type=Path, default=None, help="sweep PNG (default: --out with _sweep.png)")
    return p.parse_args(argv)


# ----------------------------------------------------------------------------------------------------- pages


def default_pdfs() -> list[Path]:
    return sorted(SHARED_REAL.glob("*.pdf"))


def truth_for(pdfs: list[Path], dpi: int, max_pages: int, finance_all: bool) -> list[TruthPage]:
    """Table pages of each PDF; the finance bureau's 决算 (issue 3's acceptance document) keeps all of them."""
    pages: list[TruthPage] = []
    for pdf in pdfs:
        keep_all = max_pages == 0 or (finance_all and "finance-bureau" in pdf.name)
        opts = H.EvaluateOptions(labels=False, dpi=dpi, max_pages=None if keep_all else max_pages)
        pages += H.collect_truth([pdf], opts)
    return pages


def synthetic_truth(n: int, seed: int, folder: Path) -> list[TruthPage]:
    """n clean synthetic table pages written as a labelled JSONL manifest (degraded later like the real pages)."""
    if n <= 0:
        return []
    from PIL import Image

    from juesuan.datasets.synth.generator import SynthOptions, generate_page

    folder.mkdir(parents=True, exist_ok=True)
    weights = {"summary": 1.0, "revenue": 1.0, "expenditure": 1.0, "gpb_expenditure": 1.0, "basic_expenditure": 1.0}
    opts = SynthOptions(seed=seed, table_weights=weights, degrade_weights={"clean": 1.0}, dpi_choices=(200,))
    lines = []
    for i in range(n):
        sp = generate_page(seed, i, opts)
        name = f"synth-{seed}-{i}.png"
        Image.fromarray(sp.image).save(folder / name, dpi=(sp.page.dpi, sp.page.dpi))
        lines.append(sp.page.model_copy(update={"image": name}).model_dump_json())
    manifest = folder / "pages.jsonl"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [p for p in load_labelled_truth(manifest) if p.has_values]


# ----------------------------------------------------------------------------------------------------- tools


def img2table_status(site: Path | None) -> str | None:
    """None when img2table can run, else the reason it cannot."""
    if site is not None:
        if not (site / "img2table").is_dir():
            return f"--img2table-site {site} has no img2table"
        os.environ[H.IMG2TABLE_SITE_ENV] = str(site)
        return None
    if os.environ.get(H.IMG2TABLE_SITE_ENV):
        return None
    from juesuan.evaluation.peers import Img2TablePeer

    reason = Img2TablePeer.available()
    if reason is None:
        try:
            import cv2

            getattr(cv2, "ximgproc")  # noqa: B009  img2table's thresholding needs opencv-contrib
        except AttributeError:
            return "img2table imports, but cv2 lacks ximgproc (opencv-contrib); pass --img2table-site"
    return reason


def run_tool(tool: str, pages: list[H.PreparedPage], work: Path, pipeline: Any) -> H.EngineRun:
    if tool == "juesuan":
        return H.run_juesuan(pages, work / "juesuan-w1", pipeline, workers=1)
    if tool == "juesuan-w2":
        run = H.run_juesuan(pages, work / "juesuan-w2", pipeline, workers=2)
        return H.EngineRun("juesuan-w2", run.documents, run.page_seconds, run.wall_seconds, run.errors)
    return H.run_peer(tool, pages)


def score_run(pages: list[H.PreparedPage], run: H.EngineRun, seed: int) -> dict[str, Any]:
    engine = "juesuan" if run.engine.startswith("juesuan") else run.engine
    opts = H.EvaluateOptions(labels=False, seed=seed, mlflow=False, revalidate_without_repair=False)
    summary, _, _ = H.score(pages, H.EngineRun(engine, *_fields(run)), opts)
    return summary


def _fields(run: H.EngineRun) -> tuple[Any, ...]:
    return (run.documents, run.page_seconds, run.wall_seconds, run.errors)


def run_set(
    name: str, truth: list[TruthPage], tools: list[str], args: argparse.Namespace, pipeline: Any, level: Any = None
) -> list[dict[str, Any]]:
    """One page set through every tool; one result row per tool."""
    work = args.work / name
    tag = name if level is not None else None
    degrade = name.split("-")[-1] if level is None else "clean"
    opts = H.EvaluateOptions(labels=False, dpi=truth[0].dpi if truth else 200, degrade=degrade, seed=args.seed)
    pages = H.prepare_pages(truth, work / "pages", opts, level=level, tag=tag)
    rows = []
    for tool in tools:
        t0 = time.perf_counter()
        log.info("%s: %s on %d pages", name, tool, len(pages))
        run = run_tool(tool, pages, work, pipeline)
        s = score_run(pages, run, args.seed)
        rows.append(
            {
                "set": name,
                "tool": tool,
                "pages": len(pages),
                "cells": s["cells"],
                "value_accuracy": s["value_accuracy"],
                "located_rate": s["located_rate"],
                "table_recall": s["table_recall"],
                "row_exactness": s["row_exactness"],
                "row_code_accuracy": s["row_code_accuracy"],
                "ocr_char_accuracy": s["ocr_char_accuracy"],
                "median_s_per_page": s["seconds_per_page_median"],
                "wall_s_per_page": s["seconds_per_page_wall"],
                "pages_failed": s["pages_failed"],
                "errors": s["errors"][:3],
                "per_document": {k: v["value_accuracy"] for k, v in s["per_document"].items()},
                "seconds": round(time.perf_counter() - t0, 1),
            }
        )
        log.info("  value accuracy %s, median %s s/page", s["value_accuracy"], s["seconds_per_page_median"])
    return rows


# ---------------------------------------------------------------------------------------------------- sweep


def sweep_levels(quick: bool) -> dict[str, list[tuple[float, Any]]]:
    from juesuan.datasets.synth.degrade import DegradeOptions

    noise = [0.0, 16.0] if quick else [0.0, 8.0, 16.0, 24.0]
    skew = [0.0, 2.0] if quick else [0.0, 1.0, 2.0, 3.0]
    return {
        "noise": [(s, DegradeOptions(noise_sigma=(s, s), blur_sigma=(0.5, 0.5) if s else (0.0, 0.0))) for s in noise],
        "skew": [(r, DegradeOptions(rotation_deg=r)) for r in skew],
    }


def run_sweep(pdfs: list[Path], args: argparse.Namespace, pipeline: Any, tools: list[str]) -> list[dict[str, Any]]:
    """Accuracy vs dpi (clean), vs Gaussian noise σ and vs max rotation (at the main dpi), same pages for all."""
    finance = [p for p in pdfs if "finance-bureau" in p.name] or pdfs[:1]
    n_pages = 1 if args.quick else 2
    dpis = [100, 150] if args.quick else [100, 150, 200, 300]
    rows: list[dict[str, Any]] = []
    from juesuan.datasets.synth.degrade import DegradeOptions

    for dpi in dpis:
        truth = truth_for(finance, dpi, n_pages, finance_all=False)
        for r in run_set(f"sweep-dpi{dpi}", truth, tools, args, pipeline, level=DegradeOptions()):
            rows.append({**r, "axis": "dpi", "x": dpi})
    truth = truth_for(finance, args.main_dpi, n_pages, finance_all=False)
    for axis, levels in sweep_levels(args.quick).items():
        for x, level in levels:
            for r in run_set(f"sweep-{axis}{x:g}", truth, tools, args, pipeline, level=level):
                rows.append({**r, "axis": axis, "x": x})
    return rows


def plot_sweep(rows: list[dict[str, Any]], target: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes_info = [("dpi", "dpi (clean)"), ("noise", "Gaussian noise σ (grey levels)"), ("skew", "max rotation (°)")]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
    for ax, (axis, label) in zip(axes, axes_info, strict=True):
        for tool in sorted({r["tool"] for r in rows}):
            pts = sorted((r["x"], r["value_accuracy"] or 0.0) for r in rows if r["axis"] == axis and r["tool"] == tool)
            if pts:
                ax.plot([p[0] for p in pts], [100 * p[1] for p in pts], marker="o", label=tool)
        ax.set_xlabel(label)
        ax.set_ylim(0, 102)  # the whole scale: a narrow axis would make small differences look large
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("value accuracy (%)")
    axes[0].legend()
    fig.suptitle("Value accuracy vs degradation (same pages for every tool)")
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


# --------------------------------------------------------------------------------------------------- report


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.2f}%"


def _num(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        "## Extraction benchmark: juesuan vs peers",
        "",
        f"Run {result['date']} with:",
        "",
        "```",
        result["command"],
        "```",
        "",
        f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('ram_gib')} GiB RAM; Python {m.get('python')}, "
        f"onnxruntime {m.get('onnxruntime')}, torch {m.get('torch')}, opencv {m.get('cv2')}, "
        f"rapidocr {m.get('rapidocr')}, {m.get('tesseract')}; OMP_NUM_THREADS={m.get('omp_num_threads')}.",
        "",
        "Value accuracy: share of the PDF text layer's numeric table cells that the tool returns with the exact value,"
        " in a row with the same 科目编码/科目名称, at the same column position (docs/evaluation.md). Median s/page:"
        " per-page compute (juesuan: its stage timings; peers: their OCR call); wall s/page: the whole run over the"
        " set divided by its pages, including model loading and, for `--workers 2`, process start-up.",
        "",
        "| page set | tool | pages | cells | value accuracy | table recall | median s/page | wall s/page "
        "| median s/page ÷ juesuan | accuracy − juesuan |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in dict.fromkeys(r["set"] for r in result["rows"]):
        rows = [r for r in result["rows"] if r["set"] == name]
        base = next((r for r in rows if r["tool"] == "juesuan"), None)
        for r in rows:
            ratio = diff = "–"
            if base and base is not r:
                if r["median_s_per_page"] and base["median_s_per_page"]:
                    ratio = f"{r['median_s_per_page'] / base['median_s_per_page']:.2f}×"
                if r["value_accuracy"] is not None and base["value_accuracy"] is not None:
                    diff = f"{100 * (r['value_accuracy'] - base['value_accuracy']):+.2f} pt"
            lines.append(
                f"| {name} | {r['tool']} | {r['pages']} | {r['cells']} | {_pct(r['value_accuracy'])} "
                f"| {_pct(r['table_recall'])} | {_num(r['median_s_per_page'])} | {_num(r['wall_s_per_page'])} "
                f"| {ratio} | {diff} |"
            )
    failures = [r for r in result["rows"] if r["pages_failed"]]
    if failures:
        lines += ["", "Failed pages:"]
        lines += [f"- {r['set']} / {r['tool']}: {r['pages_failed']} ({'; '.join(r['errors'])})" for r in failures]
    for tool, reason in result["skipped"].items():
        lines.append(f"\nNot run: **{tool}**: {reason}.")
    main = [r for r in result["rows"] if r["set"] == result["main_set"]]
    if main:
        lines += ["", f"Per document ({result['main_set']}), value accuracy:", ""]
        docs = sorted({d for r in main for d in r["per_document"]})
        lines.append("| document | " + " | ".join(r["tool"] for r in main) + " |")
        lines.append("| --- |" + " --- |" * len(main))
        for d in docs:
            lines.append(f"| {d} | " + " | ".join(_pct(r["per_document"].get(d)) for r in main) + " |")
    if result.get("sweep"):
        lines += ["", "### Degradation sweep", "", f"![degradation sweep]({result['plot']})", ""]
        lines += ["| axis | value | " + " | ".join(result["sweep_tools"]) + " |"]
        lines += ["| --- | --- |" + " --- |" * len(result["sweep_tools"])]
        points = dict.fromkeys((r["axis"], r["x"]) for r in result["sweep"])
        for axis, x in points:
            acc = {r["tool"]: r["value_accuracy"] for r in result["sweep"] if r["axis"] == axis and r["x"] == x}
            lines.append(f"| {axis} | {x:g} | " + " | ".join(_pct(acc.get(t)) for t in result["sweep_tools"]) + " |")
    lines.append(f"\nTotal benchmark time: {result['seconds']:.0f} s.")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("juesuan").setLevel(logging.WARNING)
    t_start = time.perf_counter()
    pdfs = args.pdfs or default_pdfs()
    if not pdfs:
        print(f"no PDFs (looked in {SHARED_REAL})", file=sys.stderr)
        return 2
    if args.quick:
        pdfs = [p for p in pdfs if "finance-bureau" in p.name] or pdfs[:1]
    tools = list(args.tools or (QUICK_TOOLS if args.quick else ALL_TOOLS))
    skipped: dict[str, str] = {}
    if "img2table" in tools:
        reason = img2table_status(args.img2table_site)
        if reason:
            skipped["img2table"] = reason
            tools.remove("img2table")
    pipeline = load_options(None, {"export": {"previews": False, "xlsx": False}})
    rows: list[dict[str, Any]] = []
    if args.quick:
        truth = truth_for(pdfs, 150, 2, finance_all=False)
        main_set = "real-150dpi-scan"
        rows += run_set(main_set, truth, tools, args, pipeline)
    else:
        main_set = f"real-{args.main_dpi}dpi-scan"
        truth = truth_for(pdfs, args.main_dpi, args.max_pages, finance_all=True)
        rows += run_set(main_set, truth, tools, args, pipeline)
        for dpi in args.dpis:
            for degrade in args.degrades:
                name = f"real-{dpi}dpi-{degrade}"
                if name == main_set:
                    continue
                rows += run_set(name, truth_for(pdfs, dpi, args.side_pages, finance_all=False), tools, args, pipeline)
        synth = synthetic_truth(args.synthetic, args.seed, args.work / "synthetic")
        if synth:
            rows += run_set("synthetic-scan", synth, tools, args, pipeline)
    sweep: list[dict[str, Any]] = []
    plot = args.plot or args.out.with_name(args.out.stem + "_sweep.png")
    sweep_tools = [t for t in (["tesseract"] if args.quick else args.sweep_tools) if t not in skipped]
    if args.sweep and sweep_tools:
        sweep = run_sweep(pdfs, args, pipeline, sweep_tools)
        plot_sweep(sweep, plot)
    result = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "PYTHONPATH=. OMP_NUM_THREADS="
        + str(os.environ.get("OMP_NUM_THREADS", ""))
        + " python "
        + " ".join(shlex.quote(a) for a in [sys.argv[0], *(argv if argv is not None else sys.argv[1:])]),
        "machine": H.machine_info(),
        "main_set": main_set,
        "rows": rows,
        "skipped": skipped,
        "sweep": sweep,
        "sweep_tools": sweep_tools,
        "plot": os.path.relpath(plot, args.out.parent) if sweep else None,
        "seconds": time.perf_counter() - t_start,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(result), encoding="utf-8")
    (args.json or args.out.with_suffix(".json")).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
