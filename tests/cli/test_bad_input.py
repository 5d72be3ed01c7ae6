"""Bad input to the later entry points (review, models, report, label --from-corrections, cross-document validate):
one line on stderr naming the file and the problem, exit 1 (input) or 2 (usage/config), never a traceback, and
the good inputs of the same call still processed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from juesuan.cli import main
from juesuan.io.export import write_document_outputs
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "io"))
from known_table import make_doc  # noqa: E402


def _error_lines(err: str) -> list[str]:
    """stderr lines that are not MLflow's own INFO chatter (it logs store creation through its own handler)."""
    return [line for line in err.splitlines() if line.strip() and " INFO mlflow." not in line]


def _one_error(capsys: pytest.CaptureFixture[str], argv: list[str], code: int, *needles: str) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    lines = _error_lines(err)
    assert rc == code, err
    assert "Traceback" not in err
    assert len(lines) == 1, lines
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture()
def good_out(tmp_path: Path) -> Path:
    doc = make_doc()
    annotate_and_validate(doc, ValidationOptions())
    out = tmp_path / "good"
    write_document_outputs(doc, out)
    return out


def test_review_refuses_a_folder_without_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_error(capsys, ["review", str(empty)], 1, str(empty), "no document.json")


def test_review_refuses_a_folder_whose_only_document_is_corrupt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "document.json").write_text("{not json", encoding="utf-8")
    _one_error(capsys, ["review", str(bad)], 1, "document.json", "not a juesuan document.json")


def test_review_of_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _one_error(capsys, ["review", str(tmp_path / "nope")], 1, "nope", "not a folder")


def test_models_tracking_dir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "store"
    f.write_text("x", encoding="utf-8")
    _one_error(capsys, ["models", "--tracking-dir", str(f), "list"], 2, str(f), "not a folder")


def test_models_export_of_an_unknown_version_names_the_store_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "mlruns"
    line = _one_error(
        capsys,
        ["models", "--tracking-dir", str(store), "export", "--version", "999", "--to", str(tmp_path / "x")],
        2,
        "version 999",
    )
    assert str(store) in line  # the store given, not the default one
    assert not (tmp_path / "x").exists()


def test_models_register_a_folder_without_a_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _one_error(
        capsys,
        ["models", "--tracking-dir", str(tmp_path / "s"), "register", str(tmp_path)],
        1,
        str(tmp_path),
        "model.safetensors",
    )


def test_report_with_a_tracking_dir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "store"
    f.write_text("x", encoding="utf-8")
    _one_error(capsys, ["report", "accuracy", "--tracking-dir", str(f), "-o", str(tmp_path / "r")], 2, str(f))


def test_label_from_corrections_bad_inputs(good_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _one_error(capsys, ["label", "--from-corrections", str(tmp_path / "nope"), "-o", str(tmp_path / "l1")], 1, "nope")
    (good_out / "corrections.jsonl").write_text('{"table": 0,\n', encoding="utf-8")
    _one_error(
        capsys,
        ["label", "--from-corrections", str(good_out), "-o", str(tmp_path / "l2")],
        1,
        "corrections.jsonl",
        "line 1",
    )
    assert not (tmp_path / "l2").exists() or not any((tmp_path / "l2").rglob("*.json"))


def test_cross_document_validate_goes_on_past_a_bad_document(
    good_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "document.json").write_text("[]", encoding="utf-8")
    rc = main(["validate", str(good_out), str(bad), str(tmp_path / "missing")])
    captured = capsys.readouterr()
    assert rc == 1
    assert "Traceback" not in captured.err
    bad_lines = [line for line in captured.err.splitlines() if "bad" in line or "missing" in line]
    assert bad_lines and all(len(line) < 400 for line in bad_lines)
    assert str(good_out / "document.json") in captured.out  # the good document was still validated
