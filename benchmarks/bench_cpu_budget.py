"""CPU budget per page of the pipelined engine (issue 14): all CPU that is not a neural model, per page.

A GPU box has ~16 CPU cores per GPU; to feed it ≥ 50 pages/s, everything but the models (rasterize, deskew, grid,
crop planning, pickling between processes, structure, assemble, validate, previews, writing) must cost ≤ 0.25
CPU-seconds a page. This script measures it on the table pages of the shared PDFs:

1. the table pages (pages with numeric truth cells in the text layer) are copied into one PDF per document, so the
   engine reads only them (pdfium copies pages without re-rendering anything);
2. ``juesuan``'s pipelined engine runs them in a child process at ``--dpi`` with previews on; the child's CPU time
   and its children's (the CPU workers) come from ``getrusage``, the CPU inside model calls from every
   document.json's ``meta.timings_model_cpu``;
3. the same run over one page gives the fixed cost (imports, model loading, process start), so the budget is
   reported both with it and per marginal page: (CPU(N) − CPU(1) − model CPU(N) + model CPU(1)) / (N − 1).

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_cpu_budget.py --out /tmp/cpu_budget.md
    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_cpu_budget.py --max-pages 2 --out /tmp/q.md   # quick

Timings on a shared machine are noisy: CPU seconds are what it reports, with the load average next to them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

log = logging.getLogger("bench_cpu_budget")

SHARED_REAL = ROOT.parent / "shared" / "data" / "real"
BUDGET_S = 0.25


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pdfs", nargs="*", type=Path, default=None, help="digital PDFs (default: ../shared/data/real)")
    p.add_argument("--max-pages", type=int, default=0, help="table pages per PDF (0: all)")
    p.add_argument("--dpi", type=int, default=200)
    p.add_argument("--cpu-workers", type=int, default=1, help="CPU worker processes of the pipelined engine")
    p.add_argument("--previews", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--fixed-cost", action=argparse.BooleanOptionalAction, default=True, help="also run 1 page")
    p.add_argument("--work", type=Path, default=Path("/tmp/juesuan-cpu-budget"), help="page PDFs and outputs")
    p.add_argument("--out", type=Path, default=None, help="Markdown results block")
    p.add_argument("--json", type=Path, default=None, help="all numbers (default: --out with .json)")
    p.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)  # internal: one measured run
    return p.parse_args(argv)


# ------------------------------------------------------------------------------------------------------- pages


def table_pages(pdfs: list[Path], dpi: int, max_pages: int) -> dict[Path, list[int]]:
    """0-based indices of the pages with numeric truth cells, per PDF (the evaluation's table pages)."""
    from juesuan.evaluation import harness as H  # noqa: N812

    opts = H.EvaluateOptions(labels=False, dpi=dpi, max_pages=max_pages or None)
    found: dict[Path, list[int]] = {}
    for tp in H.collect_truth(pdfs, opts):
        found.setdefault(Path(tp.path), []).append(tp.page)
    return found


def subset_pdfs(pages: dict[Path, list[int]], folder: Path) -> list[Path]:
    """One PDF per source holding only ``pages`` (vector pages copied as they are, nothing rasterized)."""
    import pypdfium2 as pdfium

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for src, indices in sorted(pages.items()):
        target = folder / f"{src.stem}__{len(indices)}p.pdf"
        if not target.is_file():
            pdf = pdfium.PdfDocument(str(src))
            new = pdfium.PdfDocument.new()
            try:
                new.import_pages(pdf, indices)
                new.save(str(target))
            finally:
                new.close()
                pdf.close()
        out.append(target)
    return out


# ------------------------------------------------------------------------------------------------- child run


def _rusage_cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def child_main(spec_path: Path) -> int:
    """One measured run: the pipelined engine over ``spec["inputs"]``; writes CPU totals and stats as JSON."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    from juesuan.batch.pipelined import run_batch_pipelined
    from juesuan.options import load_options

    overrides = {"rasterize": {"dpi": spec["dpi"]}, "export": {"previews": spec["previews"]}}
    options = load_options(overrides=overrides)
    cpu_imports = _rusage_cpu(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    summary = run_batch_pipelined(
        [Path(p) for p in spec["inputs"]],
        Path(spec["outdir"]),
        options,
        cpu_workers=spec["cpu_workers"],
        force=True,
        pages=spec.get("pages"),
    )
    wall = time.perf_counter() - t0
    result = {
        "wall_s": wall,
        "cpu_self_s": _rusage_cpu(resource.RUSAGE_SELF),
        "cpu_children_s": _rusage_cpu(resource.RUSAGE_CHILDREN),  # workers, reaped when the pool shut down
        "cpu_imports_s": cpu_imports,
        "pages": summary.pages,
        "failed": [d.path for d in summary.documents if d.status != "ok"],
        "stats": summary.stats,
        "documents": [d.outdir for d in summary.documents if d.status == "ok"],
    }
    Path(spec["result"]).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


def measured_run(inputs: list[Path], args: argparse.Namespace, tag: str, pages: list[int] | None = None) -> dict:
    """Run :func:`child_main` in a fresh interpreter; add the per-stage CPU read back from the documents."""
    spec = {
        "inputs": [str(p) for p in inputs],
        "outdir": str(args.work / f"out-{tag}"),
        "dpi": args.dpi,
        "previews": args.previews,
        "cpu_workers": args.cpu_workers,
        "pages": pages,
        "result": str(args.work / f"result-{tag}.json"),
    }
    spec_path = args.work / f"spec-{tag}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(spec_path)], check=True, env=env)
    result = json.loads(Path(spec["result"]).read_text(encoding="utf-8"))
    if result["failed"]:
        raise RuntimeError(f"{tag}: documents failed: {result['failed']}")
    result.update(stage_cpu(result["documents"]))
    result["cpu_total_s"] = result["cpu_self_s"] + result["cpu_children_s"]
    return result


def stage_cpu(outdirs: list[str]) -> dict[str, Any]:
    """Summed wall / process CPU / model CPU seconds per stage over the documents' ``meta``."""
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    model: dict[str, float] = {}
    for folder in outdirs:
        meta = json.loads((Path(folder) / "document.json").read_text(encoding="utf-8"))["meta"]
        for target, key in ((wall, "timings"), (cpu, "timings_cpu"), (model, "timings_model_cpu")):
            for k, v in (meta.get(key) or {}).items():
                target[k] = target.get(k, 0.0) + float(v)
    return {"stage_wall_s": wall, "stage_cpu_s": cpu, "stage_model_cpu_s": model}


# ------------------------------------------------------------------------------------------------------ report


def budget(full: dict, one: dict | None) -> dict[str, Any]:
    pages = full["pages"]
    model = sum(full["stage_model_cpu_s"].values())
    out: dict[str, Any] = {
        "pages": pages,
        "cpu_total_s": round(full["cpu_total_s"], 2),
        "cpu_model_s": round(model, 2),
        "budget_with_startup_s_per_page": round((full["cpu_total_s"] - model) / pages, 4),
        "model_cpu_s_per_page": round(model / pages, 4),
    }
    if one is not None and pages > one["pages"]:
        model1 = sum(one["stage_model_cpu_s"].values())
        fixed = one["cpu_total_s"] - model1 - (full["cpu_total_s"] - model) / pages * one["pages"]
        marginal = ((full["cpu_total_s"] - model) - (one["cpu_total_s"] - model1)) / (pages - one["pages"])
        out["fixed_cost_s"] = round(fixed, 2)
        out["budget_s_per_page"] = round(marginal, 4)
    else:
        out["budget_s_per_page"] = out["budget_with_startup_s_per_page"]
    # per stage, marginal too: models load inside their stage's first call, so one run's stage CPU holds loading
    base = one if one is not None and pages > one["pages"] else None
    n = pages - (base["pages"] if base else 0)
    per_stage = {}
    for k, c in sorted(full["stage_cpu_s"].items()):
        m = full["stage_model_cpu_s"].get(k, 0.0)
        if base is not None:
            c -= base["stage_cpu_s"].get(k, 0.0)
            m -= base["stage_model_cpu_s"].get(k, 0.0)
        per_stage[k] = {"cpu": round(c / n, 4), "model": round(m / n, 4), "non_model": round((c - m) / n, 4)}
    attributed = sum(v["non_model"] for v in per_stage.values())
    out["per_stage_s_per_page"] = per_stage
    out["unattributed_s_per_page"] = round(out["budget_s_per_page"] - attributed, 4)
    stats = full["stats"]
    out["bytes_per_page"] = stats.get("transport_bytes_per_page")
    out["page_bytes_per_page"] = round(stats.get("transport_page_bytes", 0) / pages)
    out["preview_bytes_per_page"] = round(stats.get("transport_preview_bytes", 0) / pages)
    out["finish_bytes_per_page"] = round(stats.get("transport_finish_bytes", 0) / pages)
    return out


def markdown(b: dict[str, Any], args: argparse.Namespace, command: str, machine: dict[str, Any]) -> str:
    lines = [
        "```",
        command,
        "```",
        "",
        f"{b['pages']} table pages at {args.dpi} dpi, previews {'on' if args.previews else 'off'}, "
        f"pipelined engine, {args.cpu_workers} CPU worker(s). Machine: {machine['cpu']}, {machine['cores']} cores, "
        f"load average {machine['load_before']} before / {machine['load_after']} after; {machine['when']}.",
        "",
        f"**CPU budget: {b['budget_s_per_page']:.3f} CPU-s/page** outside model calls (target ≤ {BUDGET_S}); "
        f"{b['budget_with_startup_s_per_page']:.3f} with process start and model loading spread over these pages"
        + (f" (fixed cost {b['fixed_cost_s']:.1f} CPU-s per run)" if "fixed_cost_s" in b else "")
        + f". Model calls: {b['model_cpu_s_per_page']:.3f} CPU-s/page. Bytes between processes: "
        f"{b['bytes_per_page'] / 1e6:.2f} MB/page (pages {b['page_bytes_per_page'] / 1e6:.2f}, preview jobs "
        f"{b['preview_bytes_per_page'] / 1e6:.2f}, finish jobs {b['finish_bytes_per_page'] / 1e6:.3f}).",
        "",
        "Per stage, marginal CPU-s per page (this run minus the 1-page run, over the extra pages):",
        "",
        "| stage | CPU-s/page | in model calls | non-model |",
        "| --- | --- | --- | --- |",
    ]
    for k, v in b["per_stage_s_per_page"].items():
        lines.append(f"| {k} | {v['cpu']:.4f} | {v['model']:.4f} | {v['non_model']:.4f} |")
    lines.append(f"| other (writing outputs, loop, pickling of finish jobs) | | | {b['unattributed_s_per_page']:.4f} |")
    return "\n".join(lines) + "\n"


def machine_info() -> dict[str, Any]:
    from juesuan.evaluation.harness import machine_info as info

    m = info()
    return {
        "cpu": m.get("cpu") or platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": ", ".join(f"{v:.1f}" for v in os.getloadavg()),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        return child_main(args.child)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    machine = machine_info()
    pdfs = args.pdfs or sorted(SHARED_REAL.glob("*.pdf"))
    pages = table_pages(pdfs, args.dpi, args.max_pages)
    if not pages:
        raise SystemExit("no table pages found in the given PDFs")
    args.work.mkdir(parents=True, exist_ok=True)
    inputs = subset_pdfs(pages, args.work / "pdfs")
    log.info("%d table pages in %d PDFs", sum(map(len, pages.values())), len(inputs))
    full = measured_run(inputs, args, "all")
    one = measured_run(inputs[:1], args, "one", pages=[0]) if args.fixed_cost else None
    machine["load_after"] = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    b = budget(full, one)
    command = "PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_cpu_budget.py " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    text = markdown(b, args, command.strip(), machine)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        js = args.json or args.out.with_suffix(".json")
        js.write_text(json.dumps({"budget": b, "machine": machine, "full": full, "one": one}, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
