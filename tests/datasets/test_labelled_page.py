"""Labelled-page manifests: round trip, sha256 check, label set, split by document."""

from __future__ import annotations

from pathlib import Path

import pytest

from juesuan.datamodel.labelled import LabelledPage, LabelledToken
from juesuan.datasets.labelled_page import (
    check_labels,
    load_labels,
    read_dataset,
    read_manifest,
    split_for_document,
    verify_images,
    write_manifest,
)
from juesuan.errors import InputError
from juesuan.io.atomic import sha256_file


def _page(tmp: Path, n: int) -> LabelledPage:
    img = tmp / f"p{n}.png"
    img.write_bytes(b"fake image %d" % n)
    return LabelledPage(
        id=f"synth-1-{n}",
        image=img.name,
        sha256=sha256_file(img),
        width=10,
        height=20,
        dpi=200,
        source="synth",
        document=f"doc{n}",
        tokens=[LabelledToken(text="合计", bbox=[1, 2, 3, 4], label="TOTAL_LABEL", row=0, col=0, table=0)],
    )


def test_label_set_has_the_issue_labels() -> None:
    labels = load_labels()
    assert labels[:3] == ["TITLE", "UNIT", "HEADER"]
    for name in (
        "CODE",
        "NAME",
        "AMOUNT",
        "TOTAL_LABEL",
        "INDICATOR",
        "TARGET",
        "ACTUAL",
        "OPERATOR",
        "MEASURE_UNIT",
        "WEIGHT",
        "SCORE",
        "RATE",
        "TEXT",
        "OTHER",
    ):
        assert name in labels
    assert len(set(labels)) == len(labels) == 17


def test_manifest_round_trip_and_sha(tmp_path: Path) -> None:
    pages = [_page(tmp_path, n) for n in range(3)]
    assert write_manifest(tmp_path / "train.jsonl", pages) == 3
    back = read_manifest(tmp_path / "train.jsonl")
    assert back == pages
    assert verify_images(tmp_path, back) == []
    (tmp_path / "p1.png").write_bytes(b"edited")
    assert verify_images(tmp_path, back) == ["synth-1-1"]
    assert list(read_dataset(tmp_path)) == ["train"]


def test_bad_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "dev.jsonl"
    path.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        read_manifest(path)


def test_check_labels_flags_unknown(tmp_path: Path) -> None:
    page = _page(tmp_path, 0)
    page.tokens.append(LabelledToken(text="x", bbox=[0, 0, 1, 1], label="AMOUNTS"))
    assert check_labels([page]) == ["synth-1-0: AMOUNTS"]


def test_split_is_stable_and_roughly_proportional() -> None:
    splits = [split_for_document(f"doc{i}") for i in range(2000)]
    assert splits == [split_for_document(f"doc{i}") for i in range(2000)]
    assert 150 < splits.count("test") < 250 and 150 < splits.count("dev") < 250
