"""Outputs get the modes plain mkdir/open would give (tempfile makes 0700 folders and 0600 files)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from juesuan.io.atomic import atomic_dir, write_text


@pytest.mark.parametrize(("umask", "dir_mode", "file_mode"), [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_output_folders_and_files_have_normal_modes(tmp_path: Path, umask: int, dir_mode: int, file_mode: int) -> None:
    old = os.umask(umask)
    try:
        with atomic_dir(tmp_path / "doc") as tmp:
            (tmp / "inner.csv").write_text("a", encoding="utf-8")
        write_text(tmp_path / "doc" / "document.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "doc").stat().st_mode) == dir_mode
    assert stat.S_IMODE((tmp_path / "doc" / "document.json").stat().st_mode) == file_mode
