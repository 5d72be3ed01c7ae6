"""Zero false errors on a real PDF: its text layer through the pipeline, then validation (docs/validation.md)."""

from pathlib import Path

import pytest

from juesuan.options import PipelineOptions


@pytest.mark.slow
def test_justice_bureau_errors_are_the_documents_own(shared_real: Path) -> None:
    from juesuan.inference.pipeline import Pipeline

    pdf = shared_real / "shanghai-putuo-justice-bureau_2026_部门预算.pdf"
    options = PipelineOptions.model_validate({"rasterize": {"text_layer": "auto"}})
    doc = Pipeline(options).run_document(pdf, pages=list(range(8, 21)))
    errors = sorted((v.rule, v.found, v.expected) for v in doc.validation.violations if v.severity == "error")
    # page 9 of the PDF: three stated changes that the stated amounts contradict, and 201.50 vs the table's 208.80
    assert errors == [
        ("narrative_change", 5.27, 1.59),
        ("narrative_change", 17.62, -91.11),
        ("narrative_change", 17.66, 17.93),
        ("narrative_table", 201.5, 208.8),
    ]
    assert doc.validation.repairs == []
    assert {t.type for t in doc.tables} >= {"budget.summary", "budget.general_budget_expenditure", "budget.sangong"}
