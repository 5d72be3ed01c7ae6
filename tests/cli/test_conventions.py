"""CLI conventions: results on stdout, logs and errors on stderr (unwrapped when piped), -q/-v anywhere, help on
every option, -o always the output, exit codes 0/1/2/3 (juesuan/cli/__init__.py)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from juesuan.cli import _subparsers, build_parser, main, validation_exit_code
from juesuan.datamodel.document import Document
from juesuan.io.export import write_document_outputs
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "io"))
from known_table import make_doc  # noqa: E402


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "juesuan", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def _all_parsers() -> list[argparse.ArgumentParser]:
    parser = build_parser()
    return [parser, *_subparsers(parser)]


def test_every_subcommand_and_option_has_help() -> None:
    missing = []
    for parser in _all_parsers():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{parser.prog} {c.dest}" for c in action._choices_actions if not c.help]
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{parser.prog} {action.option_strings or action.dest}")
    assert missing == []


def test_o_is_the_output_everywhere() -> None:
    seen = 0
    for parser in _all_parsers():
        for action in parser._actions:
            if "-o" in action.option_strings:
                seen += 1
                assert {"--output", "--out"} <= set(action.option_strings), parser.prog
                assert action.dest in ("out", "output"), parser.prog
    assert seen >= 9  # extract, evaluate, train, synth, label and the data actions


def test_quiet_and_verbose_after_the_subcommand() -> None:
    parser = build_parser()
    assert parser.parse_args(["extract", "x.pdf", "-o", "out", "-q"]).quiet is True
    assert parser.parse_args(["-q", "extract", "x.pdf", "-o", "out"]).quiet is True
    assert parser.parse_args(["validate", "out", "-vv"]).verbose == 2
    assert parser.parse_args(["data", "stats", "folder", "-q"]).quiet is True
    assert parser.parse_args(["validate", "out"]).quiet is False


def test_help_imports_no_heavy_modules() -> None:
    code = (
        "import sys, juesuan, juesuan.cli; juesuan.cli.build_parser(); "
        "print([m for m in ('torch', 'onnxruntime', 'cv2', 'pandas', 'transformers') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert out.stdout.strip() == "[]"


def test_validation_exit_code() -> None:
    assert validation_exit_code([(0, 0), (0, 2)], "error") == 0
    assert validation_exit_code([(0, 0), (0, 2)], "warning") == 3
    assert validation_exit_code([(1, 0)], "error") == 3
    assert validation_exit_code([(1, 0)], "never") == 0
    assert validation_exit_code([], "warning") == 0


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """A written document whose 20106 = Σ项 identity fails (repair off), in a folder with a long name."""
    doc = annotate_and_validate(make_doc({"2010601": "17.00"}), ValidationOptions(repair=False))
    return write_document_outputs(doc, tmp_path / ("部门决算-" + "x" * 90))


def test_validate_exit_codes(outdir: Path, tmp_path: Path) -> None:
    assert main(["validate", str(outdir), "--no-repair"]) == 3
    assert main(["validate", str(outdir), "--no-repair", "--fail-on", "never"]) == 0
    assert main(["validate", str(outdir)]) == 0  # repair puts 12.00 back: all identities hold
    broken = tmp_path / "broken" / "document.json"
    broken.parent.mkdir()
    broken.write_text("{not json", encoding="utf-8")
    assert main(["validate", str(broken)]) == 1
    assert main(["validate", str(tmp_path / "missing")]) == 1  # an input that is not there


def test_results_on_stdout_logs_on_stderr_unwrapped(outdir: Path) -> None:
    data = json.loads((outdir / "document.json").read_text(encoding="utf-8"))
    data["tables"][0]["rows"][6]["cells"][2]["value"] = 19.0  # a person's edit: logged at INFO
    (outdir / "document.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    proc = _run("validate", str(outdir), "--no-repair", "-v")
    assert proc.returncode == 3
    assert proc.stdout.splitlines() == [
        f"{outdir / 'document.json'}: FAILED — 11 checks, 2 errors, 0 warnings, 0 repairs, 1 human cells → {outdir}"
    ]
    wanted = f"INFO juesuan.cli.validate: {outdir / 'document.json'}: 1 cells edited by a person since the last write"
    assert any(line.startswith(wanted) for line in proc.stderr.splitlines()), proc.stderr  # one line, > 80 columns
    quiet = _run("validate", str(outdir), "--no-repair", "-q")
    assert quiet.returncode == 3 and quiet.stderr == ""


def test_extract_failures_go_to_stderr_and_exit_1(tmp_path: Path) -> None:
    proc = _run("extract", str(tmp_path / "missing.pdf"), "-o", str(tmp_path / "out"), "-q")
    assert proc.returncode == 1
    assert "FAILED" in proc.stderr and "missing.pdf: no such file or folder" in proc.stderr
    assert "FAILED" not in proc.stdout
    assert proc.stdout.startswith("documents: 0 ok, 0 skipped, 1 failed")


def test_config_errors_exit_2_on_stderr(tmp_path: Path) -> None:
    proc = _run("extract", str(tmp_path), "-o", str(tmp_path / "out"), "--formats", "csv,pdf")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "--formats: unknown format(s) pdf" in proc.stderr


def test_document_loaded_after_validate_is_the_one_on_disk(outdir: Path) -> None:
    assert main(["validate", str(outdir), "-q"]) == 0
    doc = Document.load(outdir / "document.json")
    assert doc.validation.passed and doc.tables[0].rows[3].cells[2].value == 12.0


def test_data_show_without_images_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # datasets/real-autolabel commits its manifests but not its images (a clean clone has none)
    first = (ROOT / "datasets" / "real-autolabel" / "test.jsonl").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "test.jsonl").write_text(first + "\n", encoding="utf-8")
    assert main(["data", "show", str(tmp_path / "ds"), "-o", str(tmp_path / "png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("juesuan data: error: ") and "1 of 1 page images are missing" in err
    assert "Traceback" not in err
