"""Document claims: one holder at a time, stale claims of dead processes and silent hosts expire."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from juesuan.batch.claims import HOST, Claims


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _write_claim(path: Path, pid: int, host: str) -> None:
    path.write_text(json.dumps({"pid": pid, "host": host, "started": time.time(), "token": "x"}), encoding="utf-8")


def test_one_holder_until_released(tmp_path: Path) -> None:
    a, b = Claims(tmp_path), Claims(tmp_path)
    b.me = b.me.__class__(b.me.pid, b.me.host, b.me.started, "other-token")  # a second run in this process
    assert a.acquire("doc") is None
    holder = b.acquire("doc")
    assert holder is not None and holder.pid == os.getpid() and holder.host == HOST
    assert f"pid {os.getpid()} on {HOST}" in holder.describe()
    a.release("doc")
    assert not (tmp_path / ".doc.claim").exists()
    assert b.acquire("doc") is None
    a.release("doc")  # not a's any more: b's claim stays
    assert b.holder("doc") is not None and b.holder("doc").token == "other-token"  # type: ignore[union-attr]
    b.release_all()
    assert not (tmp_path / ".doc.claim").exists()


def test_claim_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    _write_claim(tmp_path / ".doc.claim", _dead_pid(), HOST)
    claims = Claims(tmp_path)
    assert claims.acquire("doc") is None
    assert claims.holder("doc") is not None and claims.holder("doc").pid == os.getpid()  # type: ignore[union-attr]


def test_claim_of_a_live_process_holds(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _write_claim(tmp_path / ".doc.claim", proc.pid, HOST)
        holder = Claims(tmp_path).acquire("doc")
        assert holder is not None and holder.pid == proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_claim_from_another_host_expires_when_untouched(tmp_path: Path) -> None:
    path = tmp_path / ".doc.claim"
    _write_claim(path, 1, "elsewhere")
    claims = Claims(tmp_path, stale_after_s=60)
    held = claims.acquire("doc")
    assert held is not None and held.host == "elsewhere"  # touched just now: alive
    old = time.time() - 120
    os.utime(path, (old, old))
    assert claims.acquire("doc") is None


def test_damaged_claim_file_is_stale(tmp_path: Path) -> None:
    (tmp_path / ".doc.claim").write_text("{not json", encoding="utf-8")
    assert Claims(tmp_path).acquire("doc") is None


def test_batch_leaves_a_claimed_document_to_its_live_holder(
    tiny_docs: list[Path], cheap_config: Path, tmp_path: Path
) -> None:
    from juesuan.batch.runner import run_batch
    from juesuan.options import load_options

    held, free = tiny_docs[0], tiny_docs[1]
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _write_claim(tmp_path / f".{held.stem}.claim", proc.pid, HOST)
        summary = run_batch([held, free], tmp_path, load_options(cheap_config))
    finally:
        proc.kill()
        proc.wait()
    status = {Path(d.path).name: d.status for d in summary.documents}
    assert status == {held.name: "busy", free.name: "ok"}
    (busy,) = [d for d in summary.documents if d.status == "busy"]
    assert f"being extracted by pid {proc.pid} on {HOST}" in (busy.error or "")
    assert not (tmp_path / held.stem).exists() and (tmp_path / free.stem / "document.json").is_file()
    assert (tmp_path / f".{held.stem}.claim").is_file() and not (tmp_path / f".{free.stem}.claim").exists()
    data = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert (data["busy"], data["ok"]) == (1, 1)


def test_page_timeout_flag_reaches_the_options() -> None:
    from juesuan.cli import build_parser
    from juesuan.cli.extract import _overrides

    args = build_parser("extract").parse_args(["extract", "x.pdf", "-o", "out", "--page-timeout", "30"])
    assert _overrides(args)["page_timeout_s"] == 30
