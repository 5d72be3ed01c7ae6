"""docs/api.md runs: its ```python blocks, top to bottom in one namespace, from the repository root."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "api.md"


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.S)


def test_api_doc_has_the_examples() -> None:
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 7
    assert "juesuan.extract(" in blocks[0] and "juesuan.Pipeline(" in blocks[5]


@pytest.mark.slow  # three sample pages through the real models (~25 CPU-seconds)
def test_api_doc_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    namespace: dict[str, object] = {}
    for i, block in enumerate(python_blocks(DOC.read_text(encoding="utf-8"))):
        exec(compile(block, f"{DOC}:block{i + 1}", "exec"), namespace)
