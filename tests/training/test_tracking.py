"""One tracking store: flag, JUESUAN_TRACKING_URI (URI or folder), MLFLOW_TRACKING_URI, else the user data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from juesuan.training import tracking


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for key in ("JUESUAN_TRACKING_URI", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return monkeypatch


def test_store_order(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert tracking.tracking_uri() == f"sqlite:///{tmp_path / 'xdg' / 'juesuan' / 'mlflow' / 'mlflow.db'}"
    clean_env.setenv("MLFLOW_TRACKING_URI", "http://mlflow.example:5000")
    assert tracking.tracking_uri() == "http://mlflow.example:5000"
    clean_env.setenv("JUESUAN_TRACKING_URI", str(tmp_path / "project"))
    assert tracking.tracking_uri() == f"sqlite:///{tmp_path / 'project' / 'mlflow.db'}"
    clean_env.setenv("JUESUAN_TRACKING_URI", "postgresql://db/mlflow")
    assert tracking.tracking_uri() == "postgresql://db/mlflow"
    assert tracking.tracking_uri(tmp_path / "flag") == f"sqlite:///{tmp_path / 'flag' / 'mlflow.db'}"


@pytest.mark.slow  # a fresh MLflow SQLite store: schema migrations take 5-30 s
def test_embedded_store_keeps_artifacts_beside_the_database(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import mlflow

    clean_env.setenv("JUESUAN_TRACKING_URI", str(tmp_path / "store"))
    tracking.setup(None, "store-test")
    with mlflow.start_run() as run:
        mlflow.log_text("x", "a.txt")
    assert run.info.artifact_uri.startswith((tmp_path / "store" / "artifacts").as_uri())
    assert (tmp_path / "store" / "mlflow.db").is_file()
