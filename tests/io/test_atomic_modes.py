"""Outputs get the modes plain mkdir/open would give (tempfile makes 0700 folders and 0600 files)."""

from __future__ import annotations

import json
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


def test_xlsx_drops_control_characters_from_a_text_layer(tmp_path: Path) -> None:
    """shenzhen_water_2026_部门预算.pdf carries a \\x02 inside a sentence; openpyxl refused the whole workbook."""
    from openpyxl import load_workbook

    from juesuan.datamodel.document import Cell, Column, Document, Row, Source, Table
    from juesuan.io.export import write_document_outputs

    row = Row(index=0, name="公明\x02石岩", cells=[Cell(col=0, text="公明\x02石岩")])
    column = Column(index=0, header="说明")
    table = Table(id="t1", pages=[0], bbox=[0, 0, 10, 10], title="项目\x02表", columns=[column], rows=[row])
    out = write_document_outputs(Document(source=Source(path="x.pdf", sha256="ab", pages=1), tables=[table]), tmp_path)
    ws = load_workbook(out / "tables.xlsx").worksheets[0]
    assert ws.cell(row=1, column=1).value == "项目表"
    assert ws.cell(row=3, column=4).value == "公明石岩"
    data = json.loads((out / "document.json").read_text(encoding="utf-8"))
    assert data["tables"][0]["rows"][0]["name"] == "公明\x02石岩"
