"""Shared fixtures: a CJK font (never skipped: install it), the shared real PDFs, tmp outputs.

The suite runs on a clean clone with nothing beside it: tests that need ../shared (the real PDFs, seeds) skip with
the reason when it is missing (CI has it, so they run there), and the finance bureau 决算 falls back to the vendored
trimmed copy in tests/fixtures/real/ (same 25 pages, content on the pages the fast tests read).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shared_data import needs_shared

ROOT = Path(__file__).resolve().parent.parent
SHARED_REAL = ROOT.parent / "shared" / "data" / "real"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FINANCE_NAME = "shanghai-putuo-finance-bureau_2024_决算.pdf"
FINANCE_TRIMMED = FIXTURES / "real" / "finance-bureau-2024" / FINANCE_NAME  # same name: tests compare names


_FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
]


@pytest.fixture(scope="session")
def cjk_font() -> Path:
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    pytest.fail("no CJK font found: apt install fonts-noto-cjk (scripts/setup.sh does this)")


@pytest.fixture(scope="session")
def shared_real() -> Path:
    """../shared/data/real: real disclosure PDFs (read-only); skipped when absent."""
    needs_shared(SHARED_REAL)
    return SHARED_REAL


@pytest.fixture(scope="session")
def finance_pdf() -> Path:
    """The finance bureau 决算 from ../shared, else the vendored trimmed copy (tests/fixtures/real/make_fixtures.py)."""
    full = SHARED_REAL / FINANCE_NAME
    return full if full.is_file() else FINANCE_TRIMMED


@pytest.fixture(scope="session")
def finance_pdf_full() -> Path:
    """The whole finance bureau 决算, for tests that read pages the trimmed copy leaves blank; skipped without it."""
    full = SHARED_REAL / FINANCE_NAME
    needs_shared(full)
    return full


def pytest_configure(config: pytest.Config) -> None:
    # Offline by construction: make any hub look-up fail fast instead of hanging.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    # One MLflow store and model cache per test session, never the user's (~/.local/share/juesuan, ~/.cache).
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="juesuan-tests-"))
    os.environ.setdefault("JUESUAN_TRACKING_URI", str(scratch / "mlflow"))
    os.environ.setdefault("JUESUAN_MODEL_CACHE", str(scratch / "model-cache"))
