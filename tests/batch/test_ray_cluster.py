"""Ray engine on a real two-node cluster on this machine: same outputs as the local engine, a worker node killed
mid-run loses no document, a driver killed with -9 resumes, and a rerun finishes only what is missing.

Each node is a ``ray start`` in its own session (one CPU each, session files in a short temp dir: Ray's socket
paths must stay under 108 bytes); the finalizer kills each node's process group by its id (never ``ray stop``,
which would stop every Ray on the machine).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pypdfium2
import pytest

from juesuan.batch.runner import run_batch
from juesuan.options import load_options
from tests.batch.test_runner import _tables

pytest.importorskip("ray", reason="the ray extra is not installed")
pytestmark = [pytest.mark.slow, pytest.mark.ray]

ROOT = Path(__file__).resolve().parents[2]
RAY = Path(sys.executable).with_name("ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="jr", dir="/tmp"))
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        # token auth switches itself on when ~/.ray/auth_token exists (another Ray user on the machine made one) and
        # then refuses drivers that do not send it; a loopback test cluster runs without it, nodes and drivers alike
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "OMP_NUM_THREADS": "1",
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_AUTH_MODE": "disabled",
        }
        self.nodes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, head: bool) -> None:
        where = (
            ["--head", "--port", str(self.port), "--include-dashboard", "false"]
            if head
            else ["--address", self.address]
        )
        args = [str(RAY), "start", *where, "--num-cpus", "1", "--temp-dir", str(self.dir / name), "--block"]
        log = (self.dir / f"{name}.log").open("w")
        self.nodes[name] = subprocess.Popen(
            [*args, "--disable-usage-stats"], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_nodes(self, n: int, timeout: float = 300) -> None:
        code = (
            f"import ray; ray.init(address='{self.address}', log_to_driver=False); "
            "print(len([x for x in ray.nodes() if x['Alive']]))"
        )
        end = time.monotonic() + timeout
        last = ""
        while time.monotonic() < end:
            try:
                out = subprocess.run(
                    [sys.executable, "-c", code], env=self.env, capture_output=True, text=True, timeout=150
                )
            except subprocess.TimeoutExpired:
                last = "ray.init did not return within 150 s"
                continue
            if out.returncode == 0 and out.stdout.strip().splitlines()[-1:] == [str(n)]:
                return
            last = (out.stdout + out.stderr)[-3000:]
            time.sleep(2)
        logs = "\n".join(p.read_text()[-1500:] for p in self.dir.glob("*.log"))
        pytest.fail(f"ray cluster did not reach {n} nodes; last try:\n{last}\nnode logs:\n{logs}")

    def session(self, name: str) -> list[tuple[int, str]]:
        """(pid, command) of every process of a node: ``ray start`` made the session; workers set their own
        process group but stay in it."""
        sid = str(self.nodes[name].pid)
        ps = subprocess.run(["ps", "-eo", "pid=,sid=,args="], capture_output=True, text=True).stdout
        rows = [line.split(None, 2) for line in ps.splitlines() if line.strip()]
        return [(int(r[0]), r[2] if len(r) > 2 else "") for r in rows if r[1] == sid]

    def kill(self, name: str) -> None:
        """SIGKILL the whole node (raylet, object store, agents, workers), by pid."""
        for pid, _ in self.session(name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.nodes.pop(name).wait()

    def busy_on(self, name: str) -> bool:
        """A chunk task runs on this node now (a Ray worker renames itself after its task)."""
        return any("ray::_chunk_task" in args for _, args in self.session(name))

    def stop(self) -> None:
        for name in list(self.nodes):
            self.kill(name)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    c = Cluster()
    try:
        c.start("head", head=True)
        c.wait_nodes(1)
        c.start("node2", head=False)
        c.wait_nodes(2)
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def two_pdfs(tmp_path_factory: pytest.TempPathFactory, finance_pdf: Path) -> list[Path]:
    """Two small scans cut from the finance bureau 决算: 收入/支出决算表 pages (OCR on every page)."""
    folder = tmp_path_factory.mktemp("two")
    src = pypdfium2.PdfDocument(str(finance_pdf))
    out = []
    for name, pages in (("income", [7, 8]), ("expense", [9, 10])):
        pdf = pypdfium2.PdfDocument.new()
        pdf.import_pages(src, pages)
        pdf.save(str(folder / f"{name}.pdf"))
        out.append(folder / f"{name}.pdf")
    return out


def _config(tmp: Path) -> Path:
    path = tmp / "ray.yaml"
    path.write_text("export: {previews: false}\npage_batch: 1\nlabel: {kind: rules}\n", encoding="utf-8")
    return path


def _extract(cluster: Cluster, docs: list[Path], out: Path, config: Path, log: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "juesuan", "extract", *map(str, docs), "-o", str(out), "--config", str(config)]
    with log.open("w") as fh:
        return subprocess.Popen(
            [*args, "--engine", "ray", "--ray-address", cluster.address],
            env=cluster.env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _wait(condition, proc: subprocess.Popen, log: Path, timeout: float = 400) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None or time.monotonic() > end:
            pytest.fail(f"extract ended or stalled (rc {proc.poll()}) before the test could act:\n{log.read_text()}")
        time.sleep(0.1)


def test_node_killed_mid_run_then_driver_killed_then_rerun(
    cluster: Cluster, two_pdfs: list[Path], tmp_path: Path
) -> None:
    config = _config(tmp_path)
    local = run_batch(two_pdfs, tmp_path / "local", load_options(config))
    assert local.count("ok") == 2

    # 1. a worker node dies while it runs a chunk: the chunk is redone on the head, no document is lost
    out, log = tmp_path / "ray", tmp_path / "ray.log"
    proc = _extract(cluster, two_pdfs, out, config, log)
    _wait(lambda: cluster.busy_on("node2"), proc, log)
    cluster.kill("node2")
    assert proc.wait(timeout=600) == 0, log.read_text()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [d["status"] for d in summary["documents"]] == ["ok", "ok"], summary
    for doc in two_pdfs:
        name = f"{doc.stem}/document.json"
        assert _tables(out / name) == _tables(tmp_path / "local" / name)

    # 2. the driver is killed with -9 after one document; the rerun does only the other
    out2, log2 = tmp_path / "ray2", tmp_path / "ray2.log"
    proc = _extract(cluster, two_pdfs, out2, config, log2)
    _wait(lambda: any(out2.glob("*/document.json")), proc, log2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {p.parent.name for p in out2.glob("*/document.json")}
    proc = _extract(cluster, two_pdfs, out2, config, log2)
    assert proc.wait(timeout=600) == 0, log2.read_text()
    summary = json.loads((out2 / "summary.json").read_text(encoding="utf-8"))
    status = {Path(d["path"]).stem: d["status"] for d in summary["documents"]}
    assert status == {stem: "skipped" if stem in done else "ok" for stem in ("income", "expense")}
    assert len(done) == 1
    for doc in two_pdfs:
        name = f"{doc.stem}/document.json"
        assert _tables(out2 / name) == _tables(tmp_path / "local" / name)
    assert [p.name for p in out2.iterdir() if p.name.startswith(".") and p.name != ".juesuan.lock"] == []
