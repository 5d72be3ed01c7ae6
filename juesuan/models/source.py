"""Where the token classifier comes from: a checkpoint folder (the shipped default) or the MLflow registry.

``LabelOptions.model_dir`` (and ``JUESUAN_MODEL``, ``juesuan extract --model``) takes either a folder or a registry
URI, ``models:/juesuan-token-classifier@champion`` (an alias) or ``models:/juesuan-token-classifier/7`` (a version).
A registry model is downloaded once into the user's cache dir (``~/.cache/juesuan/models/<name>/v<version>``) and read
from there afterwards; the alias is looked up once per process, so every page of a run uses the same version even
if someone promotes another one meanwhile. MLflow is imported only for ``models:/`` URIs: the default folder works
offline without it.

A registered version is an MLflow pyfunc model whose checkpoint sits in ``artifacts/checkpoint/``
(training/pyfunc.py); versions registered before that are bare checkpoint folders, and both are accepted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from juesuan.errors import ConfigError

log = logging.getLogger(__name__)

ENV_MODEL = "JUESUAN_MODEL"
CHECKPOINT_FILE = "model.safetensors"
_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")


@dataclass(frozen=True, slots=True)
class ModelSource:
    """A resolved model: the local checkpoint folder plus what to record in document.json ``meta.model``."""

    folder: Path
    uri: str  # what was asked for: a folder path or a models:/ URI
    name: str | None = None  # registered model name (None for a plain folder)
    version: str | None = None  # registered version the alias pointed at when resolved
    run_id: str | None = None  # MLflow run that trained it (from the registry, or the checkpoint's labels.json)

    def to_meta(self) -> dict[str, Any]:
        return {"uri": self.uri, "name": self.name, "version": self.version, "run_id": self.run_id}


def is_registry_uri(ref: str) -> bool:
    return str(ref).startswith("models:/")


def cache_dir() -> Path:
    """``JUESUAN_MODEL_CACHE`` or the user's cache dir (platformdirs)."""
    env = os.environ.get("JUESUAN_MODEL_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("juesuan", appauthor=False)) / "models"


def checkpoint_folder(folder: Path) -> Path:
    """The folder holding model.safetensors inside a downloaded version (pyfunc layout or a bare checkpoint)."""
    for candidate in (folder, folder / "artifacts" / "checkpoint", folder / "model", folder / "model" / "checkpoint"):
        if (candidate / CHECKPOINT_FILE).is_file():
            return candidate
    found = sorted(folder.rglob(CHECKPOINT_FILE))
    if found:
        return found[0].parent
    raise ConfigError(f"{folder}: no {CHECKPOINT_FILE} in this registered model version")


def _folder_source(ref: str) -> ModelSource:
    folder = Path(ref)
    run_id = None
    labels = folder / "labels.json"
    if labels.is_file():
        try:
            run_id = json.loads(labels.read_text(encoding="utf-8")).get("mlflow_run_id")
        except (OSError, ValueError):
            run_id = None
    return ModelSource(folder=folder, uri=str(ref), run_id=run_id)


@lru_cache(maxsize=8)
def _resolve_registry(ref: str, tracking: str) -> ModelSource:
    match = _URI.match(ref)
    if match is None:
        raise ConfigError(f"{ref}: not a registry URI (models:/<name>@<alias> or models:/<name>/<version>)")
    try:
        import mlflow
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException
    except ImportError as exc:  # pragma: no cover - the train extra is missing
        raise ConfigError(f"{ref}: needs mlflow (pip install 'juesuan[train]')") from exc
    name = match["name"]
    client = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    try:
        if match["alias"]:
            mv = client.get_model_version_by_alias(name, match["alias"])
        else:
            mv = client.get_model_version(name, match["version"])
    except MlflowException as exc:
        raise ConfigError(f"{ref}: not in the registry at {tracking} ({str(exc).splitlines()[0]})") from exc
    dest = cache_dir() / name / f"v{mv.version}"
    marker = dest / ".complete"
    if not marker.is_file():
        tmp = dest.with_name(dest.name + ".partial")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        mlflow.artifacts.download_artifacts(artifact_uri=mv.source, dst_path=str(tmp), tracking_uri=tracking)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
        marker.write_text(json.dumps({"source": mv.source, "run_id": mv.run_id}), encoding="utf-8")
        log.info("%s → version %s, cached in %s", ref, mv.version, dest)
    return ModelSource(
        folder=checkpoint_folder(dest), uri=ref, name=name, version=str(mv.version), run_id=mv.run_id or None
    )


def resolve_model(ref: str | Path) -> ModelSource:
    """A folder as it is; a ``models:/`` URI looked up in the project's tracking store and cached locally."""
    ref = str(ref)
    if not is_registry_uri(ref):
        return _folder_source(ref)
    from juesuan.training.store import tracking_uri  # the one place that knows where the store is

    return _resolve_registry(ref, tracking_uri())
