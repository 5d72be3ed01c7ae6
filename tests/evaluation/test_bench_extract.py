"""The benchmark's --quick mode runs in CI so the script cannot rot: accuracies are asserted, timings are not."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_extract_quick(tmp_path: Path, shared_real: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_extract", ROOT / "benchmarks" / "bench_extract.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.md"
    assert bench.main(["--quick", "--work", str(tmp_path / "work"), "--out", str(out)]) == 0
    result = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    rows = {r["tool"]: r for r in result["rows"]}
    assert set(rows) == {"juesuan", "ppocr_v6", "tesseract"}
    assert {r["cells"] for r in rows.values()} == {12}  # the same 2 finance pages for every tool
    # the seeded quick set (2 finance pages, 150 dpi, scan preset, seed 7): every cell right, and never below the
    # raw PP-OCRv6 peer on the same pages (2026-11-27: juesuan 12/12, ppocr_v6 12/12, tesseract 6/12)
    assert rows["juesuan"]["value_accuracy"] == 1.0
    assert rows["juesuan"]["value_accuracy"] >= rows["ppocr_v6"]["value_accuracy"]
    assert rows["tesseract"]["value_accuracy"] < rows["juesuan"]["value_accuracy"]
    assert rows["juesuan"]["pages_failed"] == 0
    assert {(r["axis"], r["x"]) for r in result["sweep"]} == {
        ("dpi", 100),
        ("dpi", 150),
        ("noise", 0.0),
        ("noise", 16.0),
        ("skew", 0.0),
        ("skew", 2.0),
    }
    text = out.read_text(encoding="utf-8")
    assert "| real-150dpi-scan | juesuan | 2 | 12 |" in text
    assert result["machine"]["cores"] >= 1 and "OMP_NUM_THREADS" in result["command"]
    assert (tmp_path / "bench_sweep.png").stat().st_size > 10_000
