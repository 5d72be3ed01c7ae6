"""Pipelined engine transport and CPU accounting (issue 14): pages are pickled by the worker and counted, previews
are drawn from the worker's grey base, and document.json records CPU seconds per stage next to wall seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from juesuan.batch.pipelined import run_batch_pipelined
from juesuan.options import PipelineOptions
from tests.batch.test_pipelined import small_pages  # noqa: F401  (fixture)


@pytest.mark.slow
@pytest.mark.parametrize("layout_in_workers", [True, False])
def test_previews_and_cpu_timings_through_a_worker(
    small_pages: list[Path],  # noqa: F811
    tmp_path: Path,
    layout_in_workers: bool,
) -> None:
    opts = PipelineOptions.model_validate({"layout": {"kind": "lines_only"}, "label": {"kind": "rules"}})
    pages = small_pages[:2]
    summary = run_batch_pipelined(
        pages, tmp_path / "out", opts, cpu_workers=1, batch_pages=2, layout_in_workers=layout_in_workers
    )
    assert summary.count("ok") == 2
    stats = summary.stats
    # both pages travelled with their pixels, as one grey channel (they are black on white: rasterize.grey)
    assert 420 * 700 * 2 < stats["transport_page_bytes"] < 420 * 700 * 3 * 2
    assert 0 < stats["transport_preview_bytes"] < 420 * 700 * 3  # two grey bases: less than one RGB page
    assert stats["transport_finish_bytes"] > 0
    for path in pages:
        folder = tmp_path / "out" / path.stem
        assert list((folder / "pages").glob("*.png")), "preview written"
        meta = json.loads((folder / "document.json").read_text(encoding="utf-8"))["meta"]
        wall, cpu, model = meta["timings"], meta["timings_cpu"], meta["timings_model_cpu"]
        assert {"rasterize", "grid", "ocr", "previews", "transport", "assemble", "validate"} <= set(cpu)
        assert set(cpu) == set(wall) == set(model)
        assert cpu["ocr"] > 0 and model["ocr"] > 0 and model["grid"] == 0.0
        assert all(model[k] <= cpu[k] + 1e-3 for k in cpu)  # model time is part of the stage's CPU
