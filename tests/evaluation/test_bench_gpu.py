"""bench_gpu.py's CPU smoke test (issue 14): the torch path end to end on one page, scored against the onnxruntime
CPU reference; and the GPU sampler's parsing. Timings are not asserted."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_bench_gpu_cpu_smoke(tmp_path: Path, shared_real: Path) -> None:
    bench = _load("bench_gpu")
    out = tmp_path / "gpu.json"
    argv = ["--device", "cpu", "--docs", "1", "--max-pages", "1", "--pdfs", str(shared_real)]
    assert bench.main([*argv, "--work", str(tmp_path / "work"), "--json", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    report = result["report"]
    assert report["pages"] == 1 and report["device"] == "cpu" and report["gpu_util"] is None
    assert report["value_accuracy"] == report["value_accuracy_cpu_reference"] and report["accuracy_ok"]
    assert report["value_accuracy"] > 0.9
    assert report["pages_per_s_end_to_end"] > 0 and report["neural_pages_per_s"] > 0
    assert report["cpu_budget_s_per_page_with_startup"] > 0
    # the torch run really used the torch backend, and its document records CPU seconds per stage
    (outdir,) = result["runs"]["torch"]["outdirs"]
    doc = json.loads((Path(outdir) / "document.json").read_text(encoding="utf-8"))
    assert doc["meta"]["options"]["ocr"]["backend"] == "torch"
    cpu, model = doc["meta"]["timings_cpu"], doc["meta"]["timings_model_cpu"]
    assert {"rasterize", "layout", "grid", "ocr", "label", "previews", "transport"} <= set(cpu)
    assert model["ocr"] > 0 and model["grid"] == 0 and cpu["ocr"] >= model["ocr"]
    assert (Path(outdir) / "pages").is_dir()  # previews on


def test_gpu_sampler_parses_nvidia_smi_lines() -> None:
    bench = _load("bench_gpu")
    sampler = bench.GpuSampler()
    assert sampler.summary() == {"gpu": None, "samples": 0}
    sampler.samples = [(80.0, 1000.0), (100.0, 1200.0)]
    sampler.name = "NVIDIA H100"
    assert sampler.summary() == {
        "gpu": "NVIDIA H100", "samples": 2, "util_mean_pct": 90.0, "util_max_pct": 100.0, "mem_max_mib": 1200.0,
    }  # fmt: skip


def test_cpu_budget_arithmetic() -> None:
    """Marginal budget = (CPU(N) - model(N) - CPU(1) + model(1)) / (N - 1); stages likewise; bytes per page."""
    bench = _load("bench_cpu_budget")
    full = {
        "pages": 11, "cpu_total_s": 30.0, "stats": {"transport_bytes_per_page": 5e6, "transport_page_bytes": 44e6},
        "stage_cpu_s": {"ocr": 20.0, "grid": 3.0}, "stage_model_cpu_s": {"ocr": 17.0},
    }  # fmt: skip
    one = {"pages": 1, "cpu_total_s": 9.0, "stage_cpu_s": {"ocr": 4.0, "grid": 1.0}, "stage_model_cpu_s": {"ocr": 1.5}}
    b = bench.budget(full, one)
    assert b["budget_with_startup_s_per_page"] == round((30 - 17) / 11, 4)
    assert b["budget_s_per_page"] == round(((30 - 17) - (9 - 1.5)) / 10, 4)
    assert b["per_stage_s_per_page"]["ocr"] == {"cpu": 1.6, "model": 1.55, "non_model": 0.05}
    assert b["per_stage_s_per_page"]["grid"]["non_model"] == 0.2
    assert b["page_bytes_per_page"] == 4_000_000


def test_carried_wheels_are_unpacked_for_missing_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the GPU machine does with .whl/: unpack only the wheels of modules it lacks, offline, without pip."""
    import sys
    import zipfile

    bench = _load("bench_gpu")
    whl = tmp_path / "whl"
    (whl / "wheels").mkdir(parents=True)
    with zipfile.ZipFile(whl / "wheels" / "jz_carried_mod-1.0-py3-none-any.whl", "w") as zf:
        zf.writestr("jz_carried_mod/__init__.py", "VALUE = 42\n")
    with zipfile.ZipFile(whl / "wheels" / "numpy-0.0-py3-none-any.whl", "w") as zf:  # present here: never unpacked
        zf.writestr("numpy/__init__.py", "raise ImportError('the carried copy must not shadow numpy')\n")
    monkeypatch.setattr(bench, "WHEELS", (("jz_carried_mod", "jz-carried-mod==1.0"), ("numpy", "numpy==0.0")))
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert bench.ensure_deps(whl) == ["jz_carried_mod"]
    assert not (whl / "site" / "numpy").exists()
    import jz_carried_mod  # type: ignore[import-not-found]

    assert jz_carried_mod.VALUE == 42
    assert bench.ensure_deps(whl) == []  # a second run finds it unpacked
    sys.modules.pop("jz_carried_mod", None)
