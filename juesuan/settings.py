"""Where configs and models come from: one place, so a wheel, a checkout and a custom setup all agree.

Order: an explicit ``configure(...)`` call (the CLI's ``--config-dir``/``--models-dir`` flags) → the environment
(``JUESUAN_CONFIG_DIR``, ``JUESUAN_MODELS_DIR``) → the copies shipped inside the package, found with
``importlib.resources``. In a git checkout ``juesuan/_data/configs`` and ``juesuan/_data/models`` are symlinks to the
top-level ``configs/`` and ``models/`` folders (the editable sources); in a wheel they are real files. So no module
guesses the repository root from ``__file__``.

``configure`` writes the environment variables, so worker processes (spawned, not forked) see the same folders.
Modules that keep a path constant (``validation/schema.py``'s ``TABLES_DIR``) read it on import: call ``configure``
before importing them, as the CLI does.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

CONFIG_ENV = "JUESUAN_CONFIG_DIR"
MODELS_ENV = "JUESUAN_MODELS_DIR"


class Settings(BaseModel):
    """The resolved folders (absolute)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    config_dir: Path = Field(description="pipeline.yaml, labels.yaml, tables/*.yaml, codes/")
    models_dir: Path = Field(description="token-classifier/ (config.json, model.safetensors, labels.json)")


def _shipped(name: str) -> Path:
    """The folder shipped in the package (a real folder in a wheel, a symlink to the top level in a checkout)."""
    return Path(str(resources.files("juesuan") / "_data" / name)).resolve()


def get_settings() -> Settings:
    """Resolve now (cheap): the environment may have changed since the last call."""
    config = os.environ.get(CONFIG_ENV) or _shipped("configs")
    models = os.environ.get(MODELS_ENV) or _shipped("models")
    return Settings(config_dir=Path(config).expanduser().resolve(), models_dir=Path(models).expanduser().resolve())


def configure(config_dir: Path | str | None = None, models_dir: Path | str | None = None) -> Settings:
    """Point juesuan at other folders for this process and the workers it starts (the CLI flags call this)."""
    if config_dir is not None:
        os.environ[CONFIG_ENV] = str(Path(config_dir).expanduser().resolve())
    if models_dir is not None:
        os.environ[MODELS_ENV] = str(Path(models_dir).expanduser().resolve())
    return get_settings()


def config_dir() -> Path:
    return get_settings().config_dir


def models_dir() -> Path:
    return get_settings().models_dir


def project_dir() -> Path:
    """The checkout that holds ``configs/`` (training reads datasets/ and writes runs/ there), else the cwd.

    Only training and evaluation, which run from a checkout, use this; ``extract`` never does.
    """
    parent = config_dir().parent
    return parent if (parent / "pyproject.toml").is_file() else Path.cwd()
