"""Read and write labelled-page manifests (JSONL, one :class:`LabelledPage` per line; datasets/README.md).

A dataset folder holds ``train.jsonl``, ``dev.jsonl``, ``test.jsonl`` and the images they name (paths relative
to the folder). Every record carries the sha256 of its image, so a manifest pins the exact pixels it was made
from and :func:`verify_images` catches an image that was regenerated or edited behind the labels' back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import yaml

from juesuan.datamodel.labelled import LabelledPage
from juesuan.errors import InputError
from juesuan.io.atomic import atomic_path, sha256_file
from juesuan.settings import config_dir

SPLITS: tuple[str, ...] = ("train", "dev", "test")
LABELS_YAML = config_dir() / "labels.yaml"


@lru_cache(maxsize=4)
def _label_file(path: str) -> tuple[tuple[str, str], ...]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return tuple((str(item["name"]), str(item.get("description", ""))) for item in data.get("labels", []))


def load_labels(path: Path | None = None) -> list[str]:
    """Label names in configs/labels.yaml order (the order training writes into ``id2label``)."""
    return [name for name, _ in _label_file(str(path or LABELS_YAML))]


def label_descriptions(path: Path | None = None) -> dict[str, str]:
    return dict(_label_file(str(path or LABELS_YAML)))


def manifest_path(folder: Path, split: str) -> Path:
    return Path(folder) / f"{split}.jsonl"


def write_manifest(path: Path, pages: Iterable[LabelledPage]) -> int:
    """Write pages as JSONL (atomically: a crash leaves the old manifest). Returns the number written."""
    n = 0
    with atomic_path(Path(path)) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for page in pages:
            fh.write(page.model_dump_json(exclude_none=True))
            fh.write("\n")
            n += 1
    return n


def iter_manifest(path: Path) -> Iterator[LabelledPage]:
    """Pages of one JSONL manifest; a malformed line is an :class:`InputError` naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "manifest not found")
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield LabelledPage.model_validate(json.loads(line))
            except (ValueError, TypeError) as exc:
                raise InputError(path, f"line {line_no}: {exc}") from exc


def read_manifest(path: Path) -> list[LabelledPage]:
    return list(iter_manifest(path))


def read_dataset(folder: Path, splits: Iterable[str] = SPLITS) -> dict[str, list[LabelledPage]]:
    """Every split manifest that exists in ``folder`` (missing splits are left out, not empty)."""
    out: dict[str, list[LabelledPage]] = {}
    for split in splits:
        path = manifest_path(folder, split)
        if path.is_file():
            out[split] = read_manifest(path)
    if not out:
        raise InputError(folder, f"no manifest ({', '.join(f'{s}.jsonl' for s in SPLITS)}) in this folder")
    return out


def image_path(folder: Path, page: LabelledPage) -> Path:
    return Path(folder) / page.image


def verify_images(folder: Path, pages: Iterable[LabelledPage]) -> list[str]:
    """Ids of pages whose image is missing or whose sha256 differs from the manifest."""
    bad: list[str] = []
    for page in pages:
        path = image_path(folder, page)
        if not path.is_file() or sha256_file(path) != page.sha256:
            bad.append(page.id)
    return bad


def check_labels(pages: Iterable[LabelledPage], labels: Iterable[str] | None = None) -> list[str]:
    """``"<page id>: <label>"`` for every token label not in the label set."""
    known = set(labels if labels is not None else load_labels())
    return [f"{p.id}: {t.label}" for p in pages for t in p.tokens if t.label not in known]


def split_for_document(document: str, seed: int = 0, dev: float = 0.1, test: float = 0.1) -> str:
    """Stable split of a document by hash, so pages of one document never straddle splits."""
    import hashlib

    h = int.from_bytes(hashlib.sha256(f"{seed}:{document}".encode()).digest()[:8], "big") / 2**64
    if h < test:
        return "test"
    if h < test + dev:
        return "dev"
    return "train"
