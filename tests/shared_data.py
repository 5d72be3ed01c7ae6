"""Skipping tests that need ../shared (the real PDFs beside the checkout): a module of its own, importable from
any test folder (``from conftest import …`` picks whichever of the several conftest.py files came first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def needs_shared(what: Path) -> None:
    """Skip (never fail) when ../shared is not beside the checkout; the reason names what is missing."""
    if not what.exists():
        pytest.skip(f"needs {what} (../shared beside the checkout; CI has it)")


def fax_copy_outcomes(pdf_path: Path, page: int, tmp_path: Path) -> tuple[Any, list[Any]]:
    """One real page as the evaluation's fax copy (150 dpi, 1-bit, seed 7), extracted with the shipped pipeline and
    scored against the PDF's text layer: ``(run, outcomes)``; skipped without ../shared."""
    from juesuan.evaluation.harness import EvaluateOptions, collect_truth, prepare_pages, run_juesuan, score
    from juesuan.options import PipelineOptions

    needs_shared(pdf_path)
    options = EvaluateOptions(dpi=150, degrade="fax", labels=False, mlflow=False, revalidate_without_repair=False)
    truth = [tp for tp in collect_truth([pdf_path], options) if tp.page == page]
    pages = prepare_pages(truth, tmp_path / "pages", options)
    pipeline = PipelineOptions()
    run = run_juesuan(pages, tmp_path / "extract", pipeline)
    _, outcomes, _ = score(pages, run, options, pipeline)
    return run, list(outcomes)
