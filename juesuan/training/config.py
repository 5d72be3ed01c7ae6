"""Training configuration (configs/train/*.yaml) and the data it names: a leaf of the training package.

``train``, ``promote``, ``pretrain`` and ``card`` all read these; keeping them out of ``train.py`` lets those modules
import a leaf instead of each other.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from juesuan.datamodel.labelled import LabelledPage
from juesuan.errors import ConfigError
from juesuan.models.token_classifier import ModelConfig
from juesuan.settings import project_dir
from juesuan.training.data import NoiseOptions, SynthSource, load_pages, synth_pages

log = logging.getLogger(__name__)

ROOT = project_dir()  # relative paths in training configs are relative to the checkout


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Cfg):
    datasets: list[str] = Field(default_factory=list, description="dataset folders (train/dev/test.jsonl) or JSONL")
    optional: list[str] = Field(default_factory=list, description="datasets (and eval sets) that may be missing")
    eval_sets: list[str] = Field(
        default_factory=list,
        description="fixed evaluation sets as <folder>:<split>; default: the test split of every dataset",
    )
    synth: SynthSource | None = Field(None, description="synthetic pages generated in memory (issue-5 generator)")
    oversample: int = Field(
        1,
        ge=1,
        description="repeat the pages of data.datasets this many times per epoch "
        "(a few dozen real pages next to a thousand synthetic ones)",
    )
    max_train_pages: int | None = Field(None, ge=1, description="cap for a smoke run")
    max_eval_pages: int | None = Field(None, ge=1)


class OptimConfig(_Cfg):
    lr: float = Field(5e-4, gt=0)
    weight_decay: float = Field(0.01, ge=0)
    batch_size: int = Field(16, ge=1, description="windows per step")
    max_steps: int = Field(3000, ge=1)
    warmup_steps: int = Field(100, ge=0)
    eval_every: int = Field(250, ge=1)
    patience: int = Field(4, ge=1, description="early stopping: evaluations without dev-F1 improvement")
    max_minutes: float | None = Field(None, gt=0, description="wall-clock budget; stop at the next evaluation")


class PretrainConfig(_Cfg):
    enabled: bool = True
    steps: int = Field(1500, ge=1)
    batch_size: int = Field(16, ge=1)
    lr: float = Field(5e-4, gt=0)
    mask_prob: float = Field(0.15, gt=0, lt=1)
    output_dir: str = "runs/pretrain-base"
    extra_pages: list[str] = Field(default_factory=list, description="unlabelled page sources (JSONL, seeds .txt)")
    max_minutes: float | None = Field(None, gt=0)


class TrackingConfig(_Cfg):
    dir: str | None = Field(None, description="embedded MLflow folder; default: the project store (tracking.py)")
    experiment: str = "token-classifier"
    register_model: bool = True


class TrainConfig(_Cfg):
    seed: int = 13
    threads: int = Field(2, ge=1, description="torch.set_num_threads")
    device: str = "cpu"
    output_dir: str | None = Field(
        None,
        description="where the checkpoint goes; default runs/token-classifier-<UTC time>. Never under models/: "
        "shipping a version is `juesuan models export`",
    )
    init: str | None = Field(None, description="checkpoint to fine-tune from (retraining); else pretrain/scratch")
    labels: list[str] | None = Field(None, description="default: configs/labels.yaml")
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    optim: OptimConfig = OptimConfig()
    pretrain: PretrainConfig = PretrainConfig()
    noise: NoiseOptions = NoiseOptions()
    tracking: TrackingConfig = TrackingConfig()


def load_config(path: Path | str, overrides: dict[str, Any] | None = None) -> TrainConfig:
    from juesuan.options import deep_merge

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read training config: {exc}") from exc
    try:
        return TrainConfig.model_validate(deep_merge(data, overrides or {}))
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def resolve(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else ROOT / p


# ---------------------------------------------------------------- evaluation


def gather_data(cfg: TrainConfig) -> tuple[list[LabelledPage], list[LabelledPage], dict[str, list[LabelledPage]]]:
    """(train pages, dev pages, named fixed evaluation sets)."""
    train: list[LabelledPage] = []
    dev: list[LabelledPage] = []
    for source in cfg.data.datasets:
        path = resolve(source)
        if not path.exists():
            if source in cfg.data.optional:
                log.warning("optional dataset %s is missing; training without it", path)
                continue
            raise ConfigError(f"dataset {path} does not exist (generate it: see configs/train/token_classifier.yaml)")
        train += load_pages(path, "train") * cfg.data.oversample
        if path.is_dir():
            dev += load_pages(path, "dev")
    evals: dict[str, list[LabelledPage]] = {}
    if cfg.data.synth is not None:
        train += synth_pages(cfg.data.synth, "train", ROOT)
        dev += synth_pages(cfg.data.synth, "dev", ROOT)
        test = synth_pages(cfg.data.synth, "test", ROOT)
        if test:
            evals["synth-test"] = test[: cfg.data.max_eval_pages] if cfg.data.max_eval_pages else test
    eval_specs = cfg.data.eval_sets or [f"{s}:test" for s in cfg.data.datasets if resolve(s).is_dir()]
    for spec in eval_specs:
        folder, _, split = spec.rpartition(":")
        if not resolve(folder).exists() and folder in cfg.data.optional:
            continue
        pages = load_pages(resolve(folder), split)
        if cfg.data.max_eval_pages:
            pages = pages[: cfg.data.max_eval_pages]
        if pages:
            evals[f"{Path(folder).name}-{split}"] = pages
    if cfg.data.max_train_pages:
        train = train[: cfg.data.max_train_pages]
    if cfg.data.max_eval_pages:
        dev = dev[: cfg.data.max_eval_pages]
    if not train:
        raise ConfigError("no training pages: data.datasets names no train split")
    return train, dev, evals


def load_eval_pages(specs: Sequence[str]) -> dict[str, list[LabelledPage]]:
    """``<folder or jsonl>[:split]`` → pages (split defaults to test)."""
    out: dict[str, list[LabelledPage]] = {}
    for spec in specs:
        folder, sep, split = spec.rpartition(":")
        if not sep or "/" in split:
            folder, split = spec, "test"
        pages = load_pages(resolve(folder), split)
        if not pages:
            raise ConfigError(f"evaluation set {spec} is empty or missing")
        out[f"{Path(folder).name}-{split}"] = pages
    return out


def output_folder(cfg: TrainConfig) -> Path:
    """``cfg.output_dir`` or a fresh ``runs/token-classifier-<UTC time>``; a folder under models/ is refused.

    Training used to write models/token-classifier and so replaced the shipped checkpoint whether or not the
    champion gate would accept it (issue 16); now only ``juesuan models export`` writes there.
    """
    if cfg.output_dir is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        return ROOT / "runs" / f"token-classifier-{stamp}"
    out = resolve(cfg.output_dir).resolve()
    shipped = (ROOT / "models").resolve()
    if out == shipped or shipped in out.parents:
        raise ConfigError(
            f"{cfg.output_dir}: training never writes into models/; train into runs/<name>/ and ship a version with "
            "`juesuan models export --version N --to models/token-classifier`"
        )
    return out
