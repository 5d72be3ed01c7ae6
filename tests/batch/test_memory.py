"""Memory follows the batch, not the input: a 500-page PDF peaks well below 2 GB RSS per worker.

The PDF is built at test time from digital disclosures in ../shared/data/real-wide. Every page runs through every
stage; what makes 500 pages affordable on 2 cores is reading the PDF text layer (``text_layer: auto``, no OCR model),
rendering at 100 dpi for the ruling-line grid, the ruling-line layout and the rule labeller, and no previews.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL_WIDE = ROOT.parent / "shared" / "data" / "real-wide"
SOURCES = [  # digital PDFs (text layer on every page), largest first
    "shenzhen_water_2026_部门预算.pdf",
    "wuxi_education_2026_部门预算.pdf",
    "wuxi_hr-social-security_2026_部门预算.pdf",
    "central_state-petitions-bureau_2024_部门决算.pdf",
    "yantai_finance-bureau_2026_部门预算.pdf",
    "hangzhou_justice_2026_部门预算.pdf",
    "shenzhen_finance-bureau_2026_部门预算.pdf",
    "yantai_audit_2026_部门预算.pdf",
    "central_state-petitions-bureau_2026_部门预算.pdf",
]


def build_pdf(target: Path, pages: int) -> Path:
    """Concatenate SOURCES until ``pages`` pages."""
    out = pypdfium2.PdfDocument.new()
    for name in SOURCES:
        if len(out) >= pages:
            break
        src = pypdfium2.PdfDocument(str(REAL_WIDE / name))
        take = min(len(src), pages - len(out))
        out.import_pages(src, list(range(take)))
    assert len(out) == pages, f"the shared PDFs hold only {len(out)} pages"
    out.save(str(target))
    return target


@pytest.mark.slow
def test_500_page_pdf_peaks_below_2_gb_per_worker(tmp_path: Path) -> None:
    if not REAL_WIDE.is_dir():
        pytest.skip(f"needs {REAL_WIDE} (../shared beside the checkout; CI has it)")
    pdf = build_pdf(tmp_path / "archive-500.pdf", 500)
    config = tmp_path / "text-layer.yaml"
    config.write_text(
        "rasterize: {dpi: 100, min_dpi: 0, text_layer: auto}\nlayout: {kind: lines_only}\nlabel: {kind: rules}\n"
        "export: {previews: false}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-m", "juesuan", "extract", str(pdf), "-o", str(tmp_path / "out"), "--config", str(config)]
    # --fail-on never: the memory bound is under test, not the validation of 500 concatenated pages (exit 3)
    args += ["--fail-on", "never"]
    proc = subprocess.run([*args, "--workers", "2"], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    (doc,) = summary["documents"]
    assert (doc["status"], doc["pages"]) == ("ok", 500)
    peak = summary["peak_rss_mb"]
    assert 100 < peak["worker_max"] < 2048 and 100 < peak["main"] < 2048, peak
    assert f"peak RSS {peak['worker_max']:.0f} MiB/worker" in proc.stdout
    print(f"500 pages: {summary['seconds']} s, peak RSS {peak} MiB")  # shown with -s; docs/batch.md quotes it
