"""MLflow tracking: one store per project, used by train, evaluate, promote, ``models`` and ``report`` alike.

Where the store is, first match wins: an explicit folder (``--tracking-dir``), ``JUESUAN_TRACKING_URI`` (a URI, or a
plain folder for the embedded store), ``MLFLOW_TRACKING_URI``, else the embedded store (SQLite + an artifact folder)
under the user's data dir (platformdirs: ``~/.local/share/juesuan/mlflow`` on Linux), so runs started from any
working directory land in the same place instead of ``./mlruns``.

Registry names ``juesuan-token-classifier`` and ``juesuan-table-type-classifier`` (scikit-learn, table_type.py);
the ``champion`` alias is what promote.py moves (never this module).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from juesuan.training.store import ENV_URI, _store, default_dir, tracking_uri

log = logging.getLogger(__name__)

__all__ = ["ENV_URI", "_store", "default_dir", "tracking_uri"]

REGISTERED_MODEL = "juesuan-token-classifier"
TYPE_CLASSIFIER_MODEL = "juesuan-table-type-classifier"
DESCRIPTIONS = {
    REGISTERED_MODEL: "Layout-aware token classifier (juesuan, issue 6)",
    TYPE_CLASSIFIER_MODEL: "Table-type classifier: char n-grams of title + header (juesuan, issue 6)",
}
CHAMPION = "champion"


def setup(folder: Path | str | None, experiment: str) -> Any:
    """Point mlflow at the store, make the experiment exist and be the active one; returns the experiment id.

    With the embedded store, artifacts go to ``<folder>/artifacts`` (not ./mlruns of whatever cwd we run in).
    ``mlflow.set_tracking_uri`` exports ``MLFLOW_TRACKING_URI`` for subprocesses; it is removed again unless the
    user had set it, or the next ``setup`` in this process (another folder, a test) would take it for the user's.
    """
    import mlflow

    user_env = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    uri, embedded = _store(folder)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(os.environ.get("MLFLOW_REGISTRY_URI") or uri)
    for key, value in user_env.items():
        if value is None:
            os.environ.pop(key, None)
    exp = mlflow.get_experiment_by_name(experiment)
    if exp is not None:
        experiment_id = exp.experiment_id
    else:
        artifact_location = None
        if embedded is not None:
            artifact_location = (embedded / "artifacts").as_uri()
        experiment_id = mlflow.create_experiment(experiment, artifact_location=artifact_location)
    mlflow.set_experiment(experiment_id=experiment_id)  # else start_run() logs into "Default" (./mlruns)
    return experiment_id


def register_run_model(
    run_id: str, artifact_path: str = "model", name: str = REGISTERED_MODEL, tags: dict[str, str] | None = None
) -> str:
    """Register ``<run artifacts>/<artifact_path>`` (a logged model folder) as a new version; returns it."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, description=DESCRIPTIONS.get(name, "juesuan model"))
    run = client.get_run(run_id)
    source = f"{run.info.artifact_uri.rstrip('/')}/{artifact_path}"
    version = client.create_model_version(name, source=source, run_id=run_id, tags=tags or {})
    log.info("registered %s version %s from run %s", name, version.version, run_id)
    return str(version.version)


def champion_version(name: str = REGISTERED_MODEL) -> Any | None:
    """The ModelVersion holding the ``champion`` alias, or None."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


def download_version(version: Any, dest: Path) -> Path:
    """Local copy of a registered version's checkpoint folder."""
    import mlflow

    dest.mkdir(parents=True, exist_ok=True)
    return Path(mlflow.artifacts.download_artifacts(artifact_uri=version.source, dst_path=str(dest)))


def version_for(name: str = REGISTERED_MODEL, version: str | None = None, alias: str | None = None) -> Any:
    """A registered ModelVersion by number or alias (default: the champion); ConfigError when there is none."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from juesuan.errors import ConfigError

    client = MlflowClient()
    try:
        if version is not None:
            return client.get_model_version(name, str(version))
        return client.get_model_version_by_alias(name, alias or CHAMPION)
    except MlflowException as exc:
        which = f"version {version}" if version is not None else f"alias @{alias or CHAMPION}"
        raise ConfigError(f"{name} {which} is not in the registry at {mlflow.get_registry_uri()}") from exc


def list_versions(name: str = REGISTERED_MODEL) -> list[dict[str, Any]]:
    """Every registered version, newest first: number, aliases, run, creation time and gate tags."""
    from mlflow import MlflowClient

    client = MlflowClient()
    try:
        aliases = client.get_registered_model(name).aliases or {}
    except Exception:  # no such model yet
        return []
    by_version: dict[str, list[str]] = {}
    for alias, v in aliases.items():
        by_version.setdefault(str(v), []).append(alias)
    rows = []
    for mv in client.search_model_versions(f"name='{name}'"):
        rows.append(
            {
                "version": str(mv.version),
                "aliases": sorted(by_version.get(str(mv.version), [])),
                "run_id": mv.run_id,
                "created_ms": int(mv.creation_timestamp or 0),
                "tags": dict(mv.tags or {}),
            }
        )
    return sorted(rows, key=lambda r: int(r["version"]), reverse=True)


def export_version(mv: Any, target: Path, name: str = REGISTERED_MODEL) -> Path:
    """Copy a registered version's checkpoint to ``target`` (e.g. models/token-classifier), swapped in whole.

    The copy's labels.json records the registry name and version and its card is rewritten, so the shipped folder
    says which version it is. This is the only code path that writes a trained model into models/.
    """
    import json
    import shutil
    import tempfile

    from juesuan.models.source import checkpoint_folder
    from juesuan.training.card import write_card

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="juesuan-export-") as tmp:
        source = checkpoint_folder(download_version(mv, Path(tmp) / "download"))
        staged = target.with_name(target.name + ".export-tmp")
        if staged.exists():
            shutil.rmtree(staged)
        shutil.copytree(source, staged)
    labels = staged / "labels.json"
    meta = json.loads(labels.read_text(encoding="utf-8"))
    meta["registry"] = {"name": name, "version": str(mv.version), "run_id": mv.run_id}
    labels.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_card(staged)
    old = target.with_name(target.name + ".export-old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    staged.rename(target)
    if old.exists():
        shutil.rmtree(old)
    log.info("exported %s version %s to %s", name, mv.version, target)
    return target


def register_folder(folder: Path, name: str = REGISTERED_MODEL, champion: bool = False) -> str:
    """Register an existing checkpoint folder (e.g. the shipped models/token-classifier) as a new version.

    A fresh store has no champion, and the gate promotes the first candidate it sees; registering the shipped
    checkpoint first (``champion=True`` sets the alias when none is set) makes every retrained model beat it.
    """
    import mlflow
    from mlflow import MlflowClient

    from juesuan.training.pyfunc import log_pyfunc_model

    folder = Path(folder)
    with mlflow.start_run(run_name=f"register {folder.name}") as run:
        mlflow.log_params({"registered_from": str(folder.resolve())[:400]})
        log_pyfunc_model(folder)
        version = register_run_model(run.info.run_id, "model", name=name, tags={"registered_from": folder.name})
    if champion and champion_version(name) is None:
        MlflowClient().set_registered_model_alias(name, CHAMPION, version)
        log.info("champion → version %s (%s)", version, folder)
    return version
