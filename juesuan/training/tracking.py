"""MLflow tracking: embedded by default (SQLite + an artifact folder), any server via ``MLFLOW_TRACKING_URI``.

Registry names ``juesuan-token-classifier`` and ``juesuan-table-type-classifier`` (scikit-learn, table_type.py);
the ``champion`` alias is what promote.py moves (never this module).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from juesuan.settings import project_dir

log = logging.getLogger(__name__)

REGISTERED_MODEL = "juesuan-token-classifier"
TYPE_CLASSIFIER_MODEL = "juesuan-table-type-classifier"
DESCRIPTIONS = {
    REGISTERED_MODEL: "Layout-aware token classifier (juesuan, issue 6)",
    TYPE_CLASSIFIER_MODEL: "Table-type classifier: char n-grams of title + header (juesuan, issue 6)",
}
CHAMPION = "champion"
DEFAULT_DIR = project_dir() / "runs" / "mlflow"


def tracking_uri(folder: Path | str | None = None) -> str:
    """``MLFLOW_TRACKING_URI`` when set, else ``sqlite:///<folder>/mlflow.db`` (folder created)."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    folder = Path(folder or DEFAULT_DIR).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def setup(folder: Path | str | None, experiment: str) -> Any:
    """Point mlflow at the store, make the experiment exist and be the active one; returns the experiment id.

    With the embedded store, artifacts go to ``<folder>/artifacts`` (not ./mlruns of whatever cwd we run in).
    ``mlflow.set_tracking_uri`` exports ``MLFLOW_TRACKING_URI`` for subprocesses; it is removed again unless the
    user had set it, or the next ``setup`` in this process (another folder, a test) would take it for the user's.
    """
    import mlflow

    user_env = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    uri = tracking_uri(folder)
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
        if uri.startswith("sqlite:///") and not user_env["MLFLOW_TRACKING_URI"]:
            artifact_location = (Path(folder or DEFAULT_DIR).resolve() / "artifacts").as_uri()
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
