"""A page that hangs a stage fails alone after page_timeout_s: one line naming file and page, the document is
written without it and marked incomplete, the batch goes on; summary.json / summary.csv say so."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from juesuan.batch.pipelined import run_batch_pipelined
from juesuan.batch.runner import SUMMARY_COLUMNS, run_batch
from juesuan.options import load_options
from tests.batch.slow_stage import slow_stage

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "slow_extract.py"


@pytest.fixture
def hang_page_2_in_ocr():
    slow_stage("hang=ocr@1")  # 0-based index 1: the second page of every document hangs in OCR
    yield
    slow_stage("")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["local", "pipelined"])
def test_hanging_page_is_left_out_and_the_batch_goes_on(
    engine: str, tiny_docs: list[Path], cheap_config: Path, tmp_path: Path, hang_page_2_in_ocr: None
) -> None:
    # generous for tiny pages even on a machine loaded 15x (one CPU-second of work); the hang costs 3x this
    options = load_options(cheap_config, {"page_timeout_s": 10})
    pdf, png = tiny_docs[-1], tiny_docs[0]
    if engine == "local":
        summary = run_batch([pdf, png], tmp_path, options)
    else:
        summary = run_batch_pipelined([pdf, png], tmp_path, options, cpu_workers=0, batch_pages=2)
    by_name = {Path(d.path).name: d for d in summary.documents}
    incomplete, ok = by_name[pdf.name], by_name[png.name]
    assert (incomplete.status, incomplete.pages) == ("incomplete", 2)
    assert incomplete.page_errors == [f"{pdf}, page 2: timed out after 10 s (page_timeout_s)"]
    assert (ok.status, ok.pages) == ("ok", 1)  # one-page documents never reach the hanging page
    doc = json.loads((tmp_path / pdf.stem / "document.json").read_text(encoding="utf-8"))
    assert [p["index"] for p in doc["pages"]] == [0, 2]
    assert doc["meta"]["incomplete"] is True
    assert doc["meta"]["failed_pages"] == [{"page": 2, "error": incomplete.page_errors[0]}]
    assert doc["source"]["pages"] == 3

    data = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert (data["incomplete"], data["ok"], data["failed_pages"], data["pages"]) == (1, 1, 1, 3)
    assert data["peak_rss_mb"]["main"] > 50 and data["peak_rss_mb"]["worker_max"] > 50
    with (tmp_path / "summary.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = {Path(r["path"]).name: r for r in csv.DictReader(fh)}
    assert tuple(next(iter(rows.values())).keys()) == SUMMARY_COLUMNS
    assert rows[pdf.name]["status"] == "incomplete" and rows[pdf.name]["failed_pages"] == "1"
    assert "page 2: timed out" in rows[pdf.name]["errors"]

    # a rerun counts the incomplete document as done (the page would hang again) and reports it from document.json
    again = run_batch([pdf, png], tmp_path, options)
    assert again.count("skipped") == 2
    assert {Path(d.path).name: len(d.page_errors) for d in again.documents} == {pdf.name: 1, png.name: 0}


@pytest.mark.slow
def test_page_hung_in_native_code_is_left_out_by_the_pool_watchdog(
    tiny_docs: list[Path], cheap_config: Path, tmp_path: Path
) -> None:
    """SIGALRM blocked (as in a native call that never returns): the alarm cannot fire; the parent kills the worker
    after 4 x page_timeout_s + 10 s (50 s here), redoes the other chunks in a new pool and leaves the page out."""
    config = tmp_path / "one-page-chunks.yaml"
    config.write_text(cheap_config.read_text(encoding="utf-8").replace("page_batch: 2", "page_batch: 1"))
    pdf, png = tiny_docs[-1], tiny_docs[0]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "JUESUAN_TEST_SLOW": "native=ocr@1"}
    args = [sys.executable, str(SCRIPT), "extract", str(pdf), str(png), "-o", str(tmp_path / "out")]
    proc = subprocess.run(
        [*args, "--config", str(config), "--workers", "2", "--page-timeout", "10"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"INCOMPLETE  {pdf}, page 2: no answer for 50 s (hung); its worker was killed" in proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    status = {Path(d["path"]).name: (d["status"], d["pages"]) for d in summary["documents"]}
    assert status == {pdf.name: ("incomplete", 2), png.name: ("ok", 1)}
    doc = json.loads((tmp_path / "out" / pdf.stem / "document.json").read_text(encoding="utf-8"))
    assert [p["index"] for p in doc["pages"]] == [0, 2] and doc["meta"]["failed_pages"][0]["page"] == 2
