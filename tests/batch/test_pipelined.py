"""Pipelined engine: same document.json as the local engine, one failed DocResult per bad input, resume, bounds."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from juesuan.batch.pipelined import options_for_workers, run_batch_pipelined, split_stages
from juesuan.batch.runner import run_batch
from juesuan.cli import main
from juesuan.options import PipelineOptions
from tests.batch.test_runner import _tables

SAMPLE = Path(__file__).resolve().parents[2] / "datasets" / "samples" / "finance-bureau-2024_scan.pdf"
DRAWN: dict[str, list[list[str]]] = {}  # small_pages: the numbers drawn into each page's rows, by file stem


def _first_row_texts(document: Path) -> list[str]:
    """Cell texts of the first row of the first table: engines must agree on a row that exists, not on nothing."""
    tables = _tables(document)
    assert tables and tables[0]["rows"], f"{document}: no table rows"
    return tables[0]["rows"][0][2]


def _blocks(blocks: list[dict]) -> list[dict]:
    """Text blocks without their confidences (block and per-line spans): those are float noise, offsets are not."""
    return [
        {**{k: v for k, v in b.items() if k != "confidence"}, "spans": [s[:2] for s in b.get("spans", [])]}
        for b in blocks
    ]


def _same_document(a: Path, b: Path) -> None:
    """Equal up to float noise: texts, codes, names, titles, text blocks, page sizes and violations.

    Recognition confidences move in the 4th decimal with batch composition (crops are padded to the widest crop
    of their batch), so they are not compared; every text is.
    """
    assert _tables(a) == _tables(b)
    da = json.loads(a.read_text(encoding="utf-8"))
    db = json.loads(b.read_text(encoding="utf-8"))
    assert da["source"] == db["source"]
    assert da["pages"] == db["pages"]
    assert _blocks(da["text"]) == _blocks(db["text"])
    assert [(v["rule"], v["severity"]) for v in da["validation"]["violations"]] == [
        (v["rule"], v["severity"]) for v in db["validation"]["violations"]
    ]
    assert da["validation"]["repairs"] == db["validation"]["repairs"]
    assert da["meta"]["pages_requested"] == db["meta"]["pages_requested"]


def test_layout_runs_on_the_cpu_workers_unless_asked_not_to() -> None:
    assert split_stages(True) == (("rasterize", "layout", "grid"), ("ocr", "structure", "label"))
    assert split_stages(False) == (("rasterize",), ("layout", "grid", "ocr", "structure", "label"))
    gpu = PipelineOptions.model_validate({d: {"device": "cuda"} for d in ("layout", "ocr", "label")})
    workers = options_for_workers(gpu, layout_in_workers=True)
    assert (workers.layout.device, workers.ocr.device, workers.label.device) == ("cpu", "cuda", "cuda")
    assert gpu.layout.device == "cuda"  # the caller's options are not changed
    assert options_for_workers(gpu, layout_in_workers=False).layout.device == "cuda"


@pytest.fixture(scope="module")
def small_pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Four small ruled tables of digits (100 dpi PNGs): cheap pages, real stages."""
    folder = tmp_path_factory.mktemp("small")
    rng = np.random.default_rng([8, 2024])
    paths = []
    for k in range(4):
        img = np.full((420, 700, 3), 255, np.uint8)
        rows, cols = 4 + k % 2, 3
        xs = np.linspace(40, 660, cols + 1).astype(int)
        ys = np.linspace(60, 60 + 60 * rows, rows + 1).astype(int)
        for x in xs:
            cv2.line(img, (int(x), int(ys[0])), (int(x), int(ys[-1])), (0, 0, 0), 2)
        for y in ys:
            cv2.line(img, (int(xs[0]), int(y)), (int(xs[-1]), int(y)), (0, 0, 0), 2)
        drawn: list[list[str]] = []
        for r in range(rows):
            drawn.append([])
            for c in range(cols):
                text = f"{rng.integers(10, 99999)}.{rng.integers(0, 99):02d}"
                drawn[r].append(text)
                cv2.putText(img, text, (int(xs[c]) + 12, int(ys[r]) + 40), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
        path = folder / f"page{k}.png"
        DRAWN[path.stem] = drawn
        cv2.imwrite(str(path), img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        paths.append(path)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return paths


def test_small_pages_match_local_and_batches_stay_bounded(small_pages: list[Path], tmp_path: Path) -> None:
    opts = PipelineOptions.model_validate({"layout": {"kind": "lines_only"}, "label": {"kind": "rules"}})
    broken = small_pages[0].parent / "broken.png"
    local = run_batch(small_pages, tmp_path / "local", opts)
    pipe = run_batch_pipelined([*small_pages, broken], tmp_path / "pipe", opts, cpu_workers=0, batch_pages=2)
    assert local.count("ok") == 4
    assert pipe.count("ok") == 4 and pipe.count("failed") == 1
    (failed,) = [d for d in pipe.documents if d.status == "failed"]
    assert "broken.png" in (failed.error or "") and "\n" not in (failed.error or "")
    for path in small_pages:
        a = tmp_path / "local" / path.stem
        b = tmp_path / "pipe" / path.stem
        _same_document(a / "document.json", b / "document.json")
        assert _first_row_texts(b / "document.json") == DRAWN[path.stem][0]
        assert sorted(p.name for p in (b / "pages").iterdir()) == sorted(p.name for p in (a / "pages").iterdir())
    stats = pipe.stats
    assert stats["neural_pages"] == 4
    assert stats["batch_pages"] == 2 and stats["max_ready_pages"] <= stats["queue_pages"] == 4
    assert stats["neural_batches"] == 2  # inline workers fill the queue (2 * batch_pages) at once: 2 + 2 pages
    assert 0 < stats["neural_busy_s"] <= stats["neural_span_s"] <= stats["stream_s"]
    assert 0 < stats["neural_utilisation"] <= 1
    assert json.loads(json.dumps(pipe.to_dict()))["stats"]["neural_pages"] == 4
    assert "stats" not in local.to_dict()  # the local engine's summary is unchanged

    again = run_batch_pipelined(small_pages, tmp_path / "pipe", opts, cpu_workers=0)
    assert again.count("skipped") == 4 and again.stats["neural_pages"] == 0


@pytest.mark.slow
def test_sample_pdf_matches_local_fails_corrupt_alone_and_resumes(tmp_path: Path) -> None:
    opts = PipelineOptions.model_validate({"export": {"previews": False}})
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(SAMPLE.read_bytes()[:5000])  # a truncated scan: header and first objects only
    local = run_batch([SAMPLE], tmp_path / "local", opts, workers=1)
    pipe = run_batch_pipelined([SAMPLE, corrupt], tmp_path / "pipe", opts, cpu_workers=1)
    assert local.count("ok") == 1 and local.pages == 6
    assert pipe.count("ok") == 1 and pipe.pages == 6
    (failed,) = [d for d in pipe.documents if d.status == "failed"]
    assert "corrupt.pdf" in (failed.error or "") and "\n" not in (failed.error or "")
    stem = SAMPLE.stem
    _same_document(tmp_path / "local" / stem / "document.json", tmp_path / "pipe" / stem / "document.json")
    income = _tables(tmp_path / "pipe" / stem / "document.json")[0]
    assert income["title"] == "收入决算表"  # and its 行政运行 row as tests/test_sample.py reads it from the scan
    assert next(r for r in income["rows"] if r[0] == "2010601")[1] == "行政运行"
    assert pipe.stats["neural_pages"] == 6 and 0 < pipe.stats["neural_utilisation"] <= 1

    again = run_batch_pipelined([SAMPLE, corrupt], tmp_path / "pipe", opts, cpu_workers=1)
    assert again.count("skipped") == 1 and again.count("failed") == 1 and again.count("ok") == 0


@pytest.mark.slow
def test_cli_engine_pipelined(small_pages: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = tmp_path / "summary.json"
    args = ["extract", *map(str, small_pages[:2]), "-o", str(tmp_path / "out"), "--engine", "pipelined"]
    code = main([*args, "--cpu-workers", "1", "--no-previews", "--labeler", "rules", "--summary-json", str(summary)])
    out = capsys.readouterr().out
    assert code == 0
    assert "2 ok" in out and "neural stage: busy" in out
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["stats"]["neural_pages"] == 2 and data["stats"]["cpu_workers"] == 1
    assert (tmp_path / "out" / small_pages[0].stem / "document.json").is_file()


@pytest.mark.slow
def test_layout_in_the_neural_process_and_two_workers(small_pages: list[Path], tmp_path: Path) -> None:
    opts = PipelineOptions.model_validate(
        {"layout": {"kind": "lines_only"}, "label": {"kind": "rules"}, "export": {"previews": False}}
    )
    local = run_batch(small_pages, tmp_path / "local", opts)
    pipe = run_batch_pipelined(
        small_pages, tmp_path / "pipe", opts, cpu_workers=2, batch_pages=3, queue_pages=3, layout_in_workers=False
    )
    assert local.count("ok") == pipe.count("ok") == 4
    for path in small_pages:
        name = f"{path.stem}/document.json"
        _same_document(tmp_path / "local" / name, tmp_path / "pipe" / name)
        assert _first_row_texts(tmp_path / "pipe" / name) == DRAWN[path.stem][0]
    assert pipe.stats["neural_pages"] == 4 and pipe.stats["max_ready_pages"] <= 3
    assert pipe.stats["mean_batch_pages"] <= 3


@pytest.mark.gpu
@pytest.mark.slow
def test_cuda_neural_stage_reads_the_same_tables_as_cpu(tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("no CUDA execution provider (onnxruntime-gpu and a GPU are needed)")
    cpu = PipelineOptions.model_validate({"export": {"previews": False}})
    gpu = PipelineOptions.model_validate(
        {"export": {"previews": False}, **{s: {"device": "cuda"} for s in ("layout", "ocr", "label")}}
    )
    local = run_batch([SAMPLE], tmp_path / "cpu", cpu, pages=[0, 1, 2])
    pipe = run_batch_pipelined([SAMPLE], tmp_path / "gpu", gpu, cpu_workers=2, pages=[0, 1, 2])
    assert local.count("ok") == pipe.count("ok") == 1
    assert pipe.stats["batch_pages"] == 16
    stem = SAMPLE.stem
    assert _tables(tmp_path / "cpu" / stem / "document.json") == _tables(tmp_path / "gpu" / stem / "document.json")
    income = _tables(tmp_path / "gpu" / stem / "document.json")[0]
    assert income["title"] == "收入决算表" and any(r[:2] == ("2010601", "行政运行") for r in income["rows"])
