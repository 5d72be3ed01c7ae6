"""Build the wheel, install it in a fresh venv outside the repo, extract the bundled sample from there, and check
that document.json is the same as the editable checkout's (timings, paths and the Python version aside).

    .venv/bin/python scripts/check_wheel.py            # scripts/test.sh runs this after pytest
    .venv/bin/python scripts/check_wheel.py --keep     # leave the temp folder for a look

The fresh venv gets the wheel with --no-deps and sees the dependencies through a .pth line naming this venv's
site-packages (installing torch again would take minutes and the network). A .pth-added folder is not a site dir, so
the checkout's editable-install finder there stays inactive: the wheel's own files are what gets imported, which
the script asserts (juesuan, its configs and its models all under the new venv).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "datasets" / "samples" / "finance-bureau-2024_scan.pdf"
VOLATILE_META = ("timings", "python", "machine_cells")


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    proc = subprocess.run(cmd, text=True, capture_output=True, **kwargs)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"check_wheel: command failed ({proc.returncode}): {cmd[0]}")
    return proc


def comparable(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["source"].pop("path", None)
    for key in list(data["meta"]):
        if key.startswith(VOLATILE_META):  # timings, timings_cpu, timings_model_cpu, ...
            data["meta"].pop(key)
    (data["meta"].get("model") or {}).pop("uri", None)  # the checkpoint folder's absolute path, by design
    data["meta"].get("options", {}).get("label", {}).pop("model_dir", None)  # an absolute path, by design
    return data


def diff(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}.{k}: only in one" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out += diff(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in diff(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--pages", default=None, help="only these sample pages (counted from 1), for a quick run")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="juesuan-wheel-"))
    try:
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp / "dist", ROOT])
        shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools' staging folder
        wheel = next((tmp / "dist").glob("juesuan-*.whl"))
        run([sys.executable, "-m", "venv", tmp / "venv"])
        vpy = tmp / "venv" / "bin" / "python"
        purelib = run([vpy, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
        deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
        (Path(purelib) / "juesuan-deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
        run([vpy, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--disable-pip-version-check", wheel])
        env = {
            k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUESUAN_CONFIG_DIR", "JUESUAN_MODELS_DIR")
        }
        where = run(
            [
                vpy,
                "-c",
                "import juesuan, juesuan.settings as s; print(juesuan.__file__); print(s.config_dir()); "
                "print(s.models_dir())",
            ],
            cwd=tmp,
            env=env,
        ).stdout.split()
        for found in where:
            if not Path(found).resolve().is_relative_to((tmp / "venv").resolve()):
                raise SystemExit(f"check_wheel: the wheel venv reads {found}, not its own files")
        print(f"wheel {wheel.name}: juesuan, configs and models from {tmp / 'venv'}")
        pages = ["--pages", args.pages] if args.pages else []
        common = ["extract", str(SAMPLE), "--workers", "1", "--no-previews", "-q", *pages]
        run([str(tmp / "venv" / "bin" / "juesuan"), *common, "-o", str(tmp / "out-wheel")], cwd=tmp, env=env)
        run(
            [sys.executable, "-m", "juesuan", *common, "-o", str(tmp / "out-editable")],
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT)},
        )
        name = SAMPLE.stem
        a = comparable(tmp / "out-wheel" / name / "document.json")
        b = comparable(tmp / "out-editable" / name / "document.json")
        problems = diff(a, b)
        if problems:
            print("\n".join(problems[:40]), file=sys.stderr)
            raise SystemExit(f"check_wheel: document.json differs between the wheel and the checkout ({len(problems)})")
        tables = len(a["tables"])
        print(f"check_wheel: ok — the wheel's document.json equals the checkout's ({tables} tables)")
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
