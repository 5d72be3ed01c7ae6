"""Batches that survive: kill -9 then rerun (every local engine), SIGTERM / Ctrl-C, two runs on one output folder.

The batches run as real ``juesuan extract`` processes (``slow_extract.py``: OCR slowed by ``JUESUAN_TEST_SLOW`` so
there is a "mid-run" to hit) over tiny one-page documents; the reruns run in this process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from juesuan.batch.pipelined import run_batch_pipelined
from juesuan.batch.runner import BatchSummary, run_batch
from juesuan.options import load_options

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "slow_extract.py"
ENGINE_ARGS = {
    "local": ["--engine", "local", "--workers", "1"],
    "local-pool": ["--engine", "local", "--workers", "2"],
    "pipelined": ["--engine", "pipelined", "--cpu-workers", "1"],
}


def _spawn(docs: list[Path], out: Path, config: Path, engine: str, log: Path, slow: str = "ocr=1.0", *extra: str):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "JUESUAN_TEST_SLOW": slow}
    args = [sys.executable, str(SCRIPT), "extract", *map(str, docs), "-o", str(out), "--config", str(config)]
    with log.open("w") as fh:
        return subprocess.Popen(
            [*args, *ENGINE_ARGS[engine], *extra], env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"extract ended (rc {proc.returncode}) before the test could act:\n{log.read_text()}")
        if time.monotonic() > end:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"timed out waiting:\n{log.read_text()}")
        time.sleep(0.1)


def _finished(out: Path) -> set[str]:
    return {p.parent.name for p in out.glob("*/document.json")}


def _rerun(engine: str, docs: list[Path], out: Path, config: Path) -> BatchSummary:
    options = load_options(config)
    if engine == "pipelined":
        return run_batch_pipelined(docs, out, options, cpu_workers=0)
    return run_batch(docs, out, options)


def _assert_clean(out: Path, docs: list[Path]) -> None:
    """Every document written whole, no temp folders or claims left behind."""
    assert _finished(out) == {p.stem for p in docs}
    for doc in docs:
        data = json.loads((out / doc.stem / "document.json").read_text(encoding="utf-8"))
        assert data["source"]["path"] == str(doc) and len(data["pages"]) == 1
    assert [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".juesuan.lock"] == []


@pytest.mark.parametrize("engine", ["local", "local-pool", "pipelined"])
def test_kill_9_mid_batch_then_rerun_finishes_only_what_is_missing(
    engine: str, tiny_docs: list[Path], cheap_config: Path, tmp_path: Path
) -> None:
    docs, out = tiny_docs[:6], tmp_path / "out"
    proc = _spawn(docs, out, cheap_config, engine, tmp_path / "log.txt")
    _wait_for(lambda: len(_finished(out)) >= 1, proc, tmp_path / "log.txt")
    os.killpg(proc.pid, signal.SIGKILL)  # the whole job, workers included, as the OOM killer or a power cut would
    proc.wait()
    done = _finished(out)
    assert 1 <= len(done) < len(docs)
    claims = list(out.glob(".*.claim"))  # left by the dead run; its pid is gone, so they are stale
    (out / f".{docs[-1].stem}.x1y2.tmp").mkdir()  # what a kill during a write leaves: removed on the rerun
    (out / f".{docs[-1].stem}.x1y2.tmp" / "document.json").write_text("{half", encoding="utf-8")

    again = _rerun(engine, docs, out, cheap_config)
    assert again.count("skipped") == len(done)
    assert again.count("ok") == len(docs) - len(done)
    assert {Path(d.path).stem for d in again.documents if d.status == "skipped"} == done
    assert claims, "the killed run held claims"
    _assert_clean(out, docs)


@pytest.mark.parametrize(("engine", "sig", "to_group"), [("local", "SIGTERM", False), ("pipelined", "SIGINT", True)])
def test_signal_stops_taking_pages_and_says_how_to_resume(
    engine: str, sig: str, to_group: bool, tiny_docs: list[Path], cheap_config: Path, tmp_path: Path
) -> None:
    docs, out, log = tiny_docs[:12], tmp_path / "out", tmp_path / "log.txt"  # more than the pipelined queue
    proc = _spawn(docs, out, cheap_config, engine, log, "ocr=1.5", "--progress-every", "0")
    _wait_for(lambda: len(_finished(out)) >= 1, proc, log)
    signum = getattr(signal, sig)
    os.killpg(proc.pid, signum) if to_group else proc.send_signal(signum)  # Ctrl-C reaches the whole group
    assert proc.wait(timeout=120) == 130
    text = log.read_text()
    assert f"{sig}: finishing the pages in flight" in text
    assert "run the same command again to resume" in text
    assert re.search(r"progress: \d+/12 pages, [\d.]+ pages/s, ETA [\d.]+ min", text), text  # not a terminal
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    done = _finished(out)
    assert summary["stopped"] is True
    assert summary["ok"] == len(done) and summary["interrupted"] == len(docs) - len(done) >= 1
    assert f"interrupted: {len(done)} documents done, {len(docs) - len(done)} not finished" in text
    assert list(out.glob(".*.claim")) == []  # released on the way out

    again = _rerun(engine, docs, out, cheap_config)
    assert (again.count("skipped"), again.count("ok")) == (len(done), len(docs) - len(done))
    _assert_clean(out, docs)


def test_two_runs_on_one_output_folder_share_the_work(
    tiny_docs: list[Path], cheap_config: Path, tmp_path: Path
) -> None:
    docs, out = tiny_docs[:6], tmp_path / "out"
    procs = [
        _spawn(docs, out, cheap_config, "local", tmp_path / f"log{k}.txt", "ocr=1.0", "--summary-json",
               str(tmp_path / f"summary{k}.json"))
        for k in range(2)
    ]  # fmt: skip
    for k, proc in enumerate(procs):
        assert proc.wait(timeout=600) == 0, (tmp_path / f"log{k}.txt").read_text()
    summaries = [json.loads((tmp_path / f"summary{k}.json").read_text(encoding="utf-8")) for k in range(2)]
    for doc in docs:
        statuses = sorted(d["status"] for s in summaries for d in s["documents"] if d["path"] == str(doc))
        assert statuses in (["busy", "ok"], ["ok", "skipped"]), (doc.name, statuses)
    assert summaries[0]["ok"] + summaries[1]["ok"] == len(docs)
    assert min(summaries[0]["ok"], summaries[1]["ok"]) >= 1  # both worked: the documents were split, not queued
    _assert_clean(out, docs)
