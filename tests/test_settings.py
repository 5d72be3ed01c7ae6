"""Where configs and models come from: shipped (importlib.resources), else the environment or the CLI flags."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from juesuan import settings
from juesuan.options import load_options

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_folders_are_the_top_level_sources_in_a_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.CONFIG_ENV, raising=False)
    monkeypatch.delenv(settings.MODELS_ENV, raising=False)
    assert settings.config_dir() == (ROOT / "configs").resolve()
    assert settings.models_dir() == (ROOT / "models").resolve()
    assert load_options().label.model_dir == str((ROOT / "models" / "token-classifier").resolve())


def test_environment_and_configure_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.CONFIG_ENV, raising=False)
    monkeypatch.delenv(settings.MODELS_ENV, raising=False)
    mine = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", mine)
    (mine / "pipeline.yaml").write_text("rasterize:\n  dpi: 150\n", encoding="utf-8")
    monkeypatch.setenv(settings.CONFIG_ENV, str(mine))
    assert settings.config_dir() == mine.resolve()
    assert load_options().rasterize.dpi == 150
    monkeypatch.delenv(settings.CONFIG_ENV)
    assert load_options().rasterize.dpi == 200
    # configure writes os.environ itself; set it through monkeypatch first so the teardown removes it again (it
    # leaked into later tests, whose classifier then found no checkpoint and fell back to rules)
    monkeypatch.setenv(settings.MODELS_ENV, str(tmp_path / "placeholder"))
    settings.configure(models_dir=tmp_path / "models")  # what --models-dir does; writes the env for workers
    assert load_options().label.model_dir == str((tmp_path / "models" / "token-classifier").resolve())


def test_no_module_guesses_the_repository_root() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "juesuan").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "__file__" in line and ("parents[" in line or "parent.parent" in line)
    ]
    assert offenders == []
