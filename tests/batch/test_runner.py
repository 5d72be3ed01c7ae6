"""Batch behaviour: bad input fails alone with one line, resume by sha256, engines agree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from juesuan.batch.runner import run_batch
from juesuan.cli import main
from juesuan.options import PipelineOptions

pytestmark = pytest.mark.slow


def _tables(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        {"title": t["title"], "rows": [(r["code"], r["name"], [c["text"] for c in r["cells"]]) for r in t["rows"]]}
        for t in data["tables"]
    ]


def _income_row(document: Path) -> tuple[str | None, str | None, list[str]]:
    """行政运行 in the 收入决算表 (finance bureau 决算, page 8): engines must agree on a row that exists."""
    income = next(t for t in _tables(document) if t["title"] == "收入决算表")
    return next(r for r in income["rows"] if r[0] == "2010601")


def test_bad_inputs_fail_alone_and_the_good_one_is_extracted(tmp_path: Path, table_png: Path, capsys) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(table_png, inputs / "good.png")
    (inputs / "notes.pdf").write_text("this is not a pdf")
    (inputs / "truncated.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    (inputs / "empty.png").write_bytes(b"")
    code = main(["extract", str(inputs), "-o", str(tmp_path / "out"), "--no-previews"])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 1
    failed = [line for line in captured.err.splitlines() if line.startswith("FAILED")]  # errors go to stderr
    assert len(failed) == 3
    for name in ("notes.pdf", "truncated.pdf", "empty.png"):
        assert sum(name in line for line in failed) == 1
    assert "1 ok" in out and "3 failed" in out
    doc = json.loads((tmp_path / "out" / "good" / "document.json").read_text(encoding="utf-8"))
    assert doc["schema_version"] == "1"
    assert len(doc["tables"]) >= 1
    assert not (tmp_path / "out" / "notes").exists()


def test_resume_skips_done_documents_unless_forced(tmp_path: Path, table_png: Path) -> None:
    opts = PipelineOptions.model_validate({"export": {"previews": False}})
    first = run_batch([table_png], tmp_path, opts)
    assert first.count("ok") == 1
    again = run_batch([table_png], tmp_path, opts)
    assert again.count("skipped") == 1 and again.count("ok") == 0
    forced = run_batch([table_png], tmp_path, opts, force=True)
    assert forced.count("ok") == 1


def test_two_workers_give_the_same_tables_as_one(tmp_path: Path, finance_pdf: Path) -> None:
    opts = PipelineOptions.model_validate({"export": {"previews": False}, "page_batch": 1})
    pages = [7, 8]  # 收入决算表 and its continuation: split over two workers, merged again
    one = run_batch([finance_pdf], tmp_path / "w1", opts, workers=1, pages=pages)
    two = run_batch([finance_pdf], tmp_path / "w2", opts, workers=2, pages=pages)
    assert one.count("ok") == two.count("ok") == 1
    stem = finance_pdf.stem
    assert _tables(tmp_path / "w1" / stem / "document.json") == _tables(tmp_path / "w2" / stem / "document.json")
    _code, name, texts = _income_row(tmp_path / "w2" / stem / "document.json")
    assert name == "行政运行" and "1,511.89" in texts  # checked against the PDF's text layer


@pytest.mark.ray
def test_ray_engine_gives_the_same_tables_as_local(tmp_path: Path, finance_pdf: Path) -> None:
    pytest.importorskip("ray", reason="the ray extra is not installed")
    from juesuan.batch.ray import run_batch_ray

    opts = PipelineOptions.model_validate({"export": {"previews": False}, "page_batch": 1})
    pages = [7, 8]
    local = run_batch([finance_pdf], tmp_path / "local", opts, pages=pages)
    ray_run = run_batch_ray([finance_pdf, tmp_path / "missing.pdf"], tmp_path / "ray", opts, pages=pages, workers=2)
    assert local.count("ok") == 1
    assert ray_run.count("ok") == 1 and ray_run.count("failed") == 1
    stem = finance_pdf.stem
    assert _tables(tmp_path / "local" / stem / "document.json") == _tables(tmp_path / "ray" / stem / "document.json")
    assert _income_row(tmp_path / "ray" / stem / "document.json")[1] == "行政运行"
