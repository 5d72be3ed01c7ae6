from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest


@pytest.fixture(scope="session")
def table_png(tmp_path_factory: pytest.TempPathFactory, finance_pdf: Path) -> Path:
    """Page 8 of the finance bureau 决算 (收入决算表) as a 200 dpi PNG: pixels only, no text layer."""
    out = tmp_path_factory.mktemp("pages") / "finance-p8.png"
    pdf = pypdfium2.PdfDocument(str(finance_pdf))
    pdf[7].render(scale=200 / 72).to_pil().convert("RGB").save(out, dpi=(200, 200))
    return out
