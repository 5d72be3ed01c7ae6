"""Where the project's MLflow store is (see tracking.py's docstring for the order): a leaf module, so the model
loader (models/source.py) can find the store without importing the training code that registers models."""

from __future__ import annotations

import os
from pathlib import Path

ENV_URI = "JUESUAN_TRACKING_URI"


def default_dir() -> Path:
    """The embedded store's folder under the user's data dir (``XDG_DATA_HOME`` is honoured)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("juesuan", appauthor=False)) / "mlflow"


def _store(folder: Path | str | None) -> tuple[str, Path | None]:
    """(tracking URI, embedded folder or None for a server/other URI); see the module docstring for the order."""
    if folder is None:
        env = os.environ.get(ENV_URI)
        if env and ("://" in env or env.startswith("sqlite:")):
            return str(env), None
        if env:
            folder = env
        elif os.environ.get("MLFLOW_TRACKING_URI"):
            return os.environ["MLFLOW_TRACKING_URI"], None
        else:
            folder = default_dir()
    path = Path(folder).expanduser().resolve()
    if path.exists() and not path.is_dir():
        from juesuan.errors import ConfigError

        raise ConfigError(f"{path}: not a folder (the MLflow tracking store is a folder holding mlflow.db)")
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'mlflow.db'}", path


def tracking_uri(folder: Path | str | None = None) -> str:
    """The store's URI: ``sqlite:///<folder>/mlflow.db`` (folder created) or the configured URI."""
    return _store(folder)[0]
