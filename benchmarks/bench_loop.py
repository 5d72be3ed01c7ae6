"""Time the learning loop exactly as the README runs it (issue 16): register → extract → review → label → retrain
and gate → extract with the champion. Each step is the README's command in a subprocess; wall seconds and the
children's CPU seconds (user + sys) are measured per step. The review step is a scripted reviewer talking to the
review app's HTTP API (the same calls the browser page makes): it confirms every table, and where an identity fails
it sets the failing cell to the identity's expected value. A fresh tracking store and model cache under --work keep
the run apart from the user's.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_loop.py --pages 1-20 --work /tmp/loop --out /tmp/loop.md
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PDF = ROOT.parent / "shared" / "data" / "real" / "shanghai-putuo-finance-bureau_2024_决算.pdf"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def step(name: str, argv: list[str], env: dict[str, str], log: list[dict[str, Any]], ok: tuple[int, ...] = (0,)) -> str:
    t0, c0 = time.monotonic(), _cpu()
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.monotonic() - t0, _cpu() - c0
    shown = " ".join(shlex.quote(a) for a in argv[argv.index("juesuan") :] if "juesuan" in argv) or " ".join(argv)
    log.append(
        {"step": name, "command": shown, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "rc": proc.returncode}
    )
    print(f"{name}: {wall:.1f} s wall, {cpu:.1f} s CPU, rc {proc.returncode}", file=sys.stderr, flush=True)
    if proc.returncode not in ok:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"{name} failed")
    return proc.stdout


def review(out: Path) -> dict[str, int]:
    """The scripted reviewer: fix what the identities pin down, confirm every table (app's HTTP API)."""
    from starlette.testclient import TestClient

    from juesuan.review.app import create_app

    client = TestClient(create_app(out))
    counts = {"documents": 0, "tables": 0, "edits": 0}
    for doc in client.get("/api/documents").json()["documents"]:
        data = client.get("/api/doc", params={"id": doc["id"]}).json()["document"]
        edits = []
        for v in data["validation"]["violations"]:
            target = v.get("target")
            if v["severity"] == "error" and target and v.get("expected") is not None:
                edits.append(
                    {"table": v["table"], "row": target["row"], "col": target["col"], "text": f"{v['expected']:.2f}"}
                )
        edits = list({(e["table"], e["row"], e["col"]): e for e in edits}.values())
        tables = [t["id"] for t in doc["tables"]]
        resp = client.post("/api/save", params={"id": doc["id"]}, json={"edits": edits, "confirm_tables": tables})
        resp.raise_for_status()
        counts["documents"] += 1
        counts["tables"] += len(tables)
        counts["edits"] += len(edits)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pdf", type=Path, default=PDF)
    parser.add_argument("--pages", default="1-20")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (outputs, store, cache)")
    parser.add_argument("--out", type=Path, required=True, help="Markdown block with the timings")
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "JUESUAN_TRACKING_URI": str(work / "store"),
        "JUESUAN_MODEL_CACHE": str(work / "cache"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("JUESUAN_MODEL", None)
    cli = [sys.executable, "-m", "juesuan"]
    log: list[dict[str, Any]] = []
    uptime_before = Path("/proc/loadavg").read_text().split()[:3]
    started = time.monotonic()
    c0 = _cpu()
    step(
        "register the shipped model as champion",
        [*cli, "models", "register", "models/token-classifier", "--champion"],
        env,
        log,
    )
    step(
        "extract",
        [*cli, "extract", str(args.pdf), "--pages", args.pages, "-o", str(work / "out"), "--workers", "2"],
        env,
        log,
    )
    t0 = time.monotonic()
    counts = review(work / "out")
    log.append(
        {
            "step": "review (scripted, HTTP API)",
            "command": json.dumps(counts),
            "wall_s": round(time.monotonic() - t0, 1),
            "cpu_s": None,
            "rc": 0,
        }
    )
    label = step(
        "label --from-corrections",
        [*cli, "label", "--from-corrections", str(work / "out"), "-o", str(work / "corrections")],
        env,
        log,
    )
    dataset = json.loads(label)
    train = [
        *cli,
        "train",
        "--config",
        "configs/train/corrections.yaml",
        "--data",
        str(work / "corrections"),
        "--output",
        str(work / "runs" / "retrain-1"),
        "--promote",
    ]
    step("train + gate", train, env, log, ok=(0, 1))
    promoted = log[-1]["rc"] == 0
    step(
        "extract with the champion",
        [
            *cli,
            "extract",
            str(args.pdf),
            "--pages",
            args.pages,
            "-o",
            str(work / "out2"),
            "--workers",
            "2",
            "--model",
            "models:/juesuan-token-classifier@champion",
        ],
        env,
        log,
    )
    total_wall, total_cpu = time.monotonic() - started, _cpu() - c0
    uptime_after = Path("/proc/loadavg").read_text().split()[:3]
    lines = [
        f"Learning loop on `{args.pdf.name}` pages {args.pages} ({dataset['pages']} labelled pages: "
        f"{dataset['edited_pages']} with edits, {dataset['confirmed_pages']} confirmed; {counts['edits']} scripted "
        f"edits; gate {'promoted' if promoted else 'refused'} the retrained model). Load average before "
        f"{' '.join(uptime_before)}, after {' '.join(uptime_after)} (`/proc/loadavg`), {os.cpu_count()} cores.",
        "",
        "| step | wall s | CPU s (user+sys) | rc |",
        "| --- | ---: | ---: | ---: |",
        *(f"| {r['step']} | {r['wall_s']} | {'' if r['cpu_s'] is None else r['cpu_s']} | {r['rc']} |" for r in log),
        f"| **total** | **{total_wall:.1f}** | **{total_cpu:.1f}** | |",
        "",
        f"Command: `PYTHONPATH=. {Path(sys.executable).name} benchmarks/bench_loop.py --pages {args.pages} "
        f"--work {args.work} --out {args.out}`",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
