"""Families (region/template) and the dev / held-out split of the evaluation documents (issues 12 and 16).

A score over all documents hides where the rules were tuned: every threshold before issue 12 came from Shanghai
Putuo. ``configs/eval/wide.yaml`` gives each shared document a family and each family a split, so the harness
reports value accuracy, defects and the raw-OCR ceiling per family and per split, and held-out regions stay
honest. Documents are matched by file name (what ``TruthPage.doc`` holds). A document the YAML does not list gets
the region prefix of its file name (``<region>[-<issuer>]_<year>_<kind>.pdf``: ``central_…`` → ``central``), so
accuracy over time can still be watched per family in MLflow (``family_metrics``, ``flat``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from juesuan.datamodel.document import Document
from juesuan.errors import ConfigError
from juesuan.settings import config_dir

UNASSIGNED = "(no family)"


class Family(BaseModel):
    """One region/template: its documents (paths relative to ``../shared/data``) and its split."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str = Field(description="issuing region, as MANIFEST.tsv writes it (地区)")
    split: Literal["dev", "held_out"]
    template: str = ""
    documents: tuple[str, ...]


class FamilySplit(BaseModel):
    """All families, plus the documents excluded from scoring with the reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    families: dict[str, Family]
    exclude: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _each_document_once(self) -> FamilySplit:
        seen: dict[str, str] = {}
        for name, fam in self.families.items():
            for doc in fam.documents:
                key = Path(doc).name
                if key in seen:
                    raise ValueError(f"{doc} is in families {seen[key]!r} and {name!r}")
                seen[key] = name
        return self

    def family_of(self, doc: str) -> str:
        name = Path(doc).name
        for fam, spec in self.families.items():
            if any(Path(d).name == name for d in spec.documents):
                return fam
        return UNASSIGNED

    def split_of(self, doc: str) -> str:
        fam = self.family_of(doc)
        return self.families[fam].split if fam in self.families else UNASSIGNED

    def excluded(self, doc: str) -> str | None:
        name = Path(doc).name
        return next((why for d, why in self.exclude.items() if Path(d).name == name), None)

    def paths(self, root: Path, split: str | None = None) -> list[Path]:
        """Every listed document under ``root`` (``../shared/data``), dev or held-out only when ``split`` says."""
        return [
            root / d for spec in self.families.values() if split is None or spec.split == split for d in spec.documents
        ]


def load_families(path: Path | str) -> FamilySplit:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return FamilySplit.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def group_of(split: FamilySplit | None, docs: Mapping[str, object]) -> dict[str, tuple[str, str]]:
    """doc → (family, split) for every document name in ``docs``."""
    if split is None:
        return {d: (UNASSIGNED, UNASSIGNED) for d in docs}
    return {d: (split.family_of(d), split.split_of(d)) for d in docs}


@cache
def _configured() -> FamilySplit | None:
    """The shipped families (configs/eval/wide.yaml), None when that file is not there."""
    path = config_dir() / "eval" / "wide.yaml"
    return load_families(path) if path.is_file() else None


_SAFE = re.compile(r"[^0-9A-Za-z_.-]+")


def family_of(name: str) -> str:
    """Template family of a document name or path (ASCII, safe as an MLflow metric key part): the family
    configs/eval/wide.yaml gives it, else the file name's region prefix."""
    configured = _configured().family_of(name) if _configured() is not None else UNASSIGNED
    if configured != UNASSIGNED:
        return _SAFE.sub("", configured).lower()
    stem = PurePosixPath(str(name).replace("\\", "/")).name
    first = re.split(r"[_\-.]", stem, maxsplit=1)[0]
    return _SAFE.sub("", first).lower() or "other"


def family_metrics(
    truth_docs: Sequence[str],
    outcomes: Sequence[Any],
    label_outcomes: Sequence[Any] = (),
    docs: Sequence[tuple[str, Document | None]] = (),
) -> dict[str, dict[str, Any]]:
    """``{family: {pages, cells, value_accuracy, label_f1, identity_pass_rate}}`` (None where not measured).

    ``truth_docs``: the truth document name of every evaluated page; ``outcomes``: cell outcomes (``.truth.doc``,
    ``.ok``); ``label_outcomes``: token-label outcomes (``.doc``); ``docs``: (truth doc name, extracted document).
    """
    from juesuan.evaluation.labels import label_metrics
    from juesuan.evaluation.metrics import identity_metrics

    pages: dict[str, int] = defaultdict(int)
    for name in truth_docs:
        pages[family_of(name)] += 1
    cells: dict[str, list[Any]] = defaultdict(list)
    for o in outcomes:
        cells[family_of(o.truth.doc)].append(o)
    labels: dict[str, list[Any]] = defaultdict(list)
    for o in label_outcomes:
        labels[family_of(o.doc)].append(o)
    extracted: dict[str, list[Document]] = defaultdict(list)
    for name, doc in docs:
        if doc is not None:
            extracted[family_of(name)].append(doc)
    out: dict[str, dict[str, Any]] = {}
    for fam in sorted(pages):
        n = len(cells[fam])
        ok = sum(bool(o.ok) for o in cells[fam])
        ids = identity_metrics(extracted[fam])["after_repair"] if extracted[fam] else {"pass_rate": None}
        out[fam] = {
            "pages": pages[fam],
            "cells": n,
            "value_accuracy": round(ok / n, 6) if n else None,
            "label_f1": label_metrics(labels[fam])["label_f1"] if labels[fam] else None,
            "identity_pass_rate": ids["pass_rate"],
        }
    return out


def flat(families: dict[str, dict[str, Any]], preset: str) -> dict[str, float]:
    """MLflow metric keys ``family.<family>.<preset>.<metric>`` for every measured number."""
    preset = _SAFE.sub("", preset) or "none"
    return {
        f"family.{fam}.{preset}.{key}": float(value)
        for fam, block in families.items()
        for key, value in block.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }
