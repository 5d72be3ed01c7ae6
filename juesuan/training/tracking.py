"""MLflow tracking: embedded by default (SQLite + an artifact folder), any server via ``MLFLOW_TRACKING_URI``.

Registry name ``juesuan-token-classifier``; the ``champion`` alias is what promote.py moves (never this module).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

REGISTERED_MODEL = "juesuan-token-classifier"
CHAMPION = "champion"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "runs" / "mlflow"


def tracking_uri(folder: Path | str | None = None) -> str:
    """``MLFLOW_TRACKING_URI`` when set, else ``sqlite:///<folder>/mlflow.db`` (folder created)."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    folder = Path(folder or DEFAULT_DIR).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def setup(folder: Path | str | None, experiment: str) -> Any:
    """Point mlflow at the store and make sure the experiment exists; returns the experiment id.

    With the embedded store, artifacts go to ``<folder>/artifacts`` (not ./mlruns of whatever cwd we run in).
    """
    import mlflow

    uri = tracking_uri(folder)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    exp = mlflow.get_experiment_by_name(experiment)
    if exp is not None:
        return exp.experiment_id
    artifact_location = None
    if uri.startswith("sqlite:///") and not os.environ.get("MLFLOW_TRACKING_URI"):
        artifact_location = (Path(folder or DEFAULT_DIR).resolve() / "artifacts").as_uri()
    return mlflow.create_experiment(experiment, artifact_location=artifact_location)


def register_run_model(
    run_id: str, artifact_path: str = "model", name: str = REGISTERED_MODEL, tags: dict[str, str] | None = None
) -> str:
    """Register ``runs:/<run_id>/<artifact_path>`` (a logged checkpoint folder) as a new version; returns it."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, description="Layout-aware token classifier (juesuan, issue 6)")
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
