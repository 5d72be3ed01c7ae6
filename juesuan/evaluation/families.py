"""Families (region/template) and the dev / held-out split of the evaluation documents (issue 12).

A score over all documents hides where the rules were tuned: every threshold before issue 12 came from Shanghai
Putuo. ``configs/eval/wide.yaml`` gives each shared document a family and each family a split, so the harness
reports value accuracy, defects and the raw-OCR ceiling per family and per split, and held-out regions stay
honest. Documents are matched by file name (what ``TruthPage.doc`` holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from juesuan.errors import ConfigError

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
