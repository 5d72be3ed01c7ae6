"""Skipping tests that need ../shared (the real PDFs beside the checkout): a module of its own, importable from
any test folder (``from conftest import …`` picks whichever of the several conftest.py files came first)."""

from __future__ import annotations

from pathlib import Path

import pytest


def needs_shared(what: Path) -> None:
    """Skip (never fail) when ../shared is not beside the checkout; the reason names what is missing."""
    if not what.exists():
        pytest.skip(f"needs {what} (../shared beside the checkout; CI has it)")
