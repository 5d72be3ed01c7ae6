"""HF datasets loader over a tiny generated dataset (offline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from juesuan.datasets.labelled_page import load_labels, read_manifest, write_manifest
from juesuan.datasets.loaders import load_splits
from juesuan.datasets.synth.generator import SynthOptions, generate_dataset


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    generate_dataset(folder, 8, SynthOptions(seed=21, dev_fraction=0.25, test_fraction=0.25), workers=1)
    return folder


def test_splits_become_datasets(tiny: Path) -> None:
    dd = load_splits(tiny)
    assert set(dd) <= {"train", "dev", "test"} and sum(len(d) for d in dd.values()) == 8
    ds = max(dd.values(), key=len)
    row = ds[0]
    assert len(row["tokens"]) == len(row["bbox_1000"]) == len(row["label_ids"]) == len(row["labels"])
    names = ds.features["label_ids"].feature.names
    assert names == load_labels()
    assert [names[i] for i in row["label_ids"]] == row["labels"]
    assert all(0 <= v <= 1000 for box in row["bbox_1000"] for v in box)
    assert Path(row["image"]).is_file()


def test_two_folders_concatenate(tiny: Path) -> None:
    one = load_splits(tiny)
    two = load_splits([tiny, tiny])
    for split in one:
        assert len(two[split]) == 2 * len(one[split])


def test_unknown_label_is_an_error(tiny: Path, tmp_path: Path) -> None:
    src = next(p for p in tiny.glob("*.jsonl") if p.stat().st_size)
    pages = read_manifest(src)
    pages[0].tokens[0].label = "AMOUNTS"
    write_manifest(tmp_path / "train.jsonl", pages)
    with pytest.raises(ValueError, match="AMOUNTS"):
        load_splits(tmp_path)
