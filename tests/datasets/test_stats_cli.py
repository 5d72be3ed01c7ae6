"""`juesuan synth` and `juesuan data stats` end to end on a tiny dataset."""

from __future__ import annotations

import json
from pathlib import Path

from juesuan.cli import main


def test_synth_then_stats(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "tiny"
    assert main(["-q", "synth", "--pages", "4", "-o", str(out), "--seed", "3", "--workers", "1"]) == 0
    assert (out / "README.md").read_text(encoding="utf-8").count("juesuan synth --pages 4") == 1
    capsys.readouterr()
    assert main(["-q", "data", "stats", str(out), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert sum(stats["pages"].values()) == 4
    assert stats["sources"] == {"synth": 4}
    assert sum(stats["labels"].values()) == sum(stats["tokens"].values()) > 0
    assert stats["documents_in_several_splits"] == []
