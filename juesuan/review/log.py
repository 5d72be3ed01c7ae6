"""The corrections log: ``<document folder>/corrections.jsonl``, one record per edit or confirmation, append-only.

document.json holds the corrected state (edited cells carry ``source: "human"``); this log holds the history: who
changed what from what, and which tables a person looked at and left as they were (``confirm``), so
``juesuan label --from-corrections`` can count a reviewed, unchanged page as confirmed training data.
No torch, no web imports: the label command and the review server both read it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from juesuan.errors import InputError

LOG_NAME = "corrections.jsonl"


class CellState(BaseModel):
    """A cell as it was (or became): where it sits and what it says."""

    model_config = ConfigDict(extra="forbid")
    row: int
    col: int
    text: str = ""
    value: float | None = None
    label: str | None = None


class CorrectionRecord(BaseModel):
    """One line of corrections.jsonl. ``edit``: a cell changed; ``confirm``: a table reviewed and accepted."""

    model_config = ConfigDict(extra="allow")  # newer fields must not break older readers
    kind: Literal["edit", "confirm"]
    time: str  # UTC ISO 8601
    document: str  # the document folder, relative to the review root
    sha256: str  # Document.source.sha256 at the time
    table: str
    pages: list[int] = Field(default_factory=list)  # 0-based page indices the table (or cell) sits on
    reviewer: str | None = None
    before: CellState | None = None  # edit only
    after: CellState | None = None  # edit only


def append(folder: Path, records: list[CorrectionRecord]) -> None:
    """Append records to ``folder/corrections.jsonl`` (one write, flushed and fsynced)."""
    import os

    if not records:
        return
    path = Path(folder) / LOG_NAME
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(r.model_dump_json(exclude_none=True) + "\n" for r in records))
        fh.flush()
        os.fsync(fh.fileno())


def read(folder: Path) -> Iterator[CorrectionRecord]:
    """Records of ``folder/corrections.jsonl`` (none when the file is missing); a bad line names file and line."""
    path = Path(folder) / LOG_NAME
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield CorrectionRecord.model_validate(json.loads(line))
            except ValueError as exc:
                raise InputError(path, f"line {number}: {exc}") from exc
