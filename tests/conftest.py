"""Shared fixtures: a CJK font (never skipped: install it), the shared real PDFs, tmp outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_REAL = ROOT.parent / "shared" / "data" / "real"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

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
    """../shared/data/real: real disclosure PDFs (read-only)."""
    if not SHARED_REAL.is_dir():
        pytest.fail(f"{SHARED_REAL} is missing: the tests expect ../shared beside the checkout")
    return SHARED_REAL


@pytest.fixture(scope="session")
def finance_pdf(shared_real: Path) -> Path:
    return shared_real / "shanghai-putuo-finance-bureau_2024_决算.pdf"


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
