"""Labelled-page manifests as HuggingFace ``datasets.Dataset`` splits, so training uses the standard tooling.

One row per page: token texts, pixel boxes, boxes normalised to 0-1000 (what the classifier sees), label names
and ids (configs/labels.yaml order), AMOUNT column fields, grid row/col (-1 outside tables), page metadata.
Built in memory with ``Dataset.from_list`` (no hub access; HF_DATASETS_OFFLINE is set before import).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from juesuan.datamodel.labelled import LabelledPage
from juesuan.datasets.labelled_page import SPLITS, load_labels, read_dataset


def _features(labels: Sequence[str]):  # type: ignore[no-untyped-def]
    from datasets import ClassLabel, Features, Value
    from datasets import Sequence as HfSequence

    return Features(
        {
            "id": Value("string"),
            "image": Value("string"),
            "width": Value("int32"),
            "height": Value("int32"),
            "dpi": Value("int32"),
            "source": Value("string"),
            "document": Value("string"),
            "table_type": Value("string"),
            "tokens": HfSequence(Value("string")),
            "bboxes": HfSequence(HfSequence(Value("float32"), length=4)),
            "bbox_1000": HfSequence(HfSequence(Value("int32"), length=4)),
            "labels": HfSequence(Value("string")),
            "label_ids": HfSequence(ClassLabel(names=list(labels))),
            "fields": HfSequence(Value("string")),
            "rows": HfSequence(Value("int32")),
            "cols": HfSequence(Value("int32")),
        }
    )


def page_record(page: LabelledPage, folder: Path, label_index: dict[str, int]) -> dict[str, Any]:
    """One Dataset row; an unknown label is an error (a typo would silently become a class otherwise)."""
    w, h = max(1, page.width), max(1, page.height)

    def norm(b: list[float]) -> list[int]:
        return [
            min(1000, max(0, round(b[0] / w * 1000))),
            min(1000, max(0, round(b[1] / h * 1000))),
            min(1000, max(0, round(b[2] / w * 1000))),
            min(1000, max(0, round(b[3] / h * 1000))),
        ]

    unknown = {t.label for t in page.tokens} - set(label_index)
    if unknown:
        raise ValueError(f"{page.id}: labels not in configs/labels.yaml: {sorted(unknown)}")
    table_type = page.fields.get("table_type") or next((t.type for t in page.tables if t.type), None) or ""
    return {
        "id": page.id,
        "image": str((Path(folder) / page.image).resolve()),
        "width": page.width,
        "height": page.height,
        "dpi": page.dpi,
        "source": page.source,
        "document": page.document,
        "table_type": table_type,
        "tokens": [t.text for t in page.tokens],
        "bboxes": [list(map(float, t.bbox)) for t in page.tokens],
        "bbox_1000": [norm(t.bbox) for t in page.tokens],
        "labels": [t.label for t in page.tokens],
        "label_ids": [label_index[t.label] for t in page.tokens],
        "fields": [t.field or "" for t in page.tokens],
        "rows": [-1 if t.row is None else t.row for t in page.tokens],
        "cols": [-1 if t.col is None else t.col for t in page.tokens],
    }


def to_dataset(pages: Iterable[LabelledPage], folder: Path, labels: Sequence[str] | None = None):  # type: ignore[no-untyped-def]
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    from datasets import Dataset

    names = list(labels) if labels is not None else load_labels()
    index = {name: i for i, name in enumerate(names)}
    rows = [page_record(p, folder, index) for p in pages]
    features = _features(names)
    if not rows:  # an empty split keeps its schema, so it still concatenates with others
        return Dataset.from_dict({k: [] for k in features}, features=features)
    return Dataset.from_list(rows, features=features)


def load_splits(folders: Path | Sequence[Path], splits: Sequence[str] = SPLITS, labels: Sequence[str] | None = None):  # type: ignore[no-untyped-def]
    """``DatasetDict`` of the splits found in one or more dataset folders (the same split of each folder is
    concatenated: synthetic + auto-labelled real train pages train together)."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    from datasets import DatasetDict, concatenate_datasets

    folder_list = [Path(folders)] if isinstance(folders, (str, Path)) else [Path(f) for f in folders]
    parts: dict[str, list[Any]] = {}
    for folder in folder_list:
        for split, pages in read_dataset(folder, splits).items():
            parts.setdefault(split, []).append(to_dataset(pages, folder, labels))
    return DatasetDict({s: concatenate_datasets(v) if len(v) > 1 else v[0] for s, v in parts.items()})
