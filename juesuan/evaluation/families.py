"""Metrics per template family, so accuracy over time can be watched per kind of document (issue 16).

A template family is the publisher's template, read from the file name's first part the way the shared data names
files (``<region>[-<issuer>]_<year>_<kind>.pdf``): ``shanghai-putuo-finance-bureau_2024_决算.pdf`` → ``shanghai``,
``central_state-petitions-bureau_2024_部门决算.pdf`` → ``central``. Documents of one region share a template.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from juesuan.datamodel.document import Document

_SAFE = re.compile(r"[^0-9A-Za-z_.-]+")


def family_of(name: str) -> str:
    """Template family of a document name or path (ASCII, safe as an MLflow metric key part)."""
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
