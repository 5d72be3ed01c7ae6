"""Fine-tune the token classifier on labelled pages, evaluate with seqeval, track in MLflow, register a version.

Reads top to bottom like transformers' run_ner.py: one config (YAML → :class:`TrainConfig`), ``set_seed`` before the
model exists, labels from configs/labels.yaml written into ``config.id2label``, ``max_steps`` for a smoke run,
model card written next to the weights. A plain loop instead of ``Trainer``: our batches are char-composed tokens
(B x T x C) and the loop is 40 lines, whereas Trainer would need a custom collator, a custom model signature and a
callback for MLflow's per-step metrics anyway.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from juesuan.datamodel.labelled import LabelledPage
from juesuan.errors import ConfigError
from juesuan.models.token_classifier import (
    CharVocab,
    ModelConfig,
    TokenUnit,
    collate,
    count_parameters,
    load_checkpoint,
    make_windows,
    predict,
    save_checkpoint,
)
from juesuan.training.data import (
    NoiseOptions,
    SynthSource,
    add_ocr_noise,
    entity_tags,
    load_pages,
    page_units,
    pages_sha256,
    synth_pages,
)

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]


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


# ---------------------------------------------------------------- evaluation


def evaluate(
    model: Any,
    vocab: CharVocab,
    cfg: ModelConfig,
    labels: Sequence[str],
    pages: Sequence[LabelledPage],
    batch_size: int = 16,
    device: str = "cpu",
) -> dict[str, Any]:
    """Entity P/R/F1 (seqeval, micro and per label), token accuracy and the token confusion matrix."""
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

    units = [page_units(p) for p in pages]
    model.eval()
    pred_ids = predict(model, vocab, cfg, units, batch_size=batch_size, device=device)
    index = {lab: i for i, lab in enumerate(labels)}
    y_true, y_pred = [], []
    n = len(labels)
    confusion = np.zeros((n, n), dtype=np.int64)
    correct = total = 0
    for page_u, ids in zip(units, pred_ids, strict=True):
        gold = [u.label for u in page_u]
        pred = [labels[i] for i in ids]
        y_true.append(entity_tags(page_u, gold))
        y_pred.append(entity_tags(page_u, pred))
        for g, p in zip(gold, pred, strict=True):
            if g in index:
                confusion[index[g], index[p]] += 1
                correct += g == p
                total += 1
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    per_label = {
        k: {m: float(v[m]) for m in ("precision", "recall", "f1-score", "support")}
        for k, v in report.items()
        if k in labels
    }
    return {
        "f1": float(f1_score(y_true, y_pred, zero_division=0)),
        "precision": float(precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(recall_score(y_true, y_pred, zero_division=0)),
        "token_accuracy": correct / max(total, 1),
        "pages": len(pages),
        "tokens": total,
        "per_label": per_label,
        "confusion": confusion.tolist(),
    }


def confusion_png(confusion: Sequence[Sequence[int]], labels: Sequence[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = np.asarray(confusion, dtype=float)
    norm = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(9, 8))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if m[i, j]:
                ax.text(
                    j,
                    i,
                    int(m[i, j]),
                    ha="center",
                    va="center",
                    fontsize=5,
                    color="white" if norm[i, j] > 0.5 else "black",
                )
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report_table(metrics: dict[str, Any]) -> str:
    """Per-label markdown table (for the model card and the MLflow artifact)."""
    lines = ["| label | precision | recall | F1 | support |", "| --- | ---: | ---: | ---: | ---: |"]
    for label, m in metrics["per_label"].items():
        lines.append(
            f"| {label} | {m['precision']:.4f} | {m['recall']:.4f} | {m['f1-score']:.4f} | {int(m['support'])} |"
        )
    lines.append(
        f"| **micro** | {metrics['precision']:.4f} | {metrics['recall']:.4f} | {metrics['f1']:.4f} | "
        f"{sum(int(m['support']) for m in metrics['per_label'].values())} |"
    )
    return "\n".join(lines)


# ---------------------------------------------------------------- training


def _lr_lambda(warmup: int, total: int):  # linear warmup, cosine decay to 10 %
    def f(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        t = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t))

    return f


def length_batches(windows: Sequence[Any], batch_size: int, rng: np.random.Generator) -> list[list[Any]]:
    """Shuffled batches of similar length: pages run from 10 to 500 tokens, and padding to the longest window in
    a random batch would spend most of the (CPU) step on padding."""
    order = list(rng.permutation(len(windows)))
    pool = batch_size * 32
    batches = []
    for start in range(0, len(order), pool):
        group = sorted(order[start : start + pool], key=lambda i: len(windows[i].char_ids))
        batches += [[windows[i] for i in group[k : k + batch_size]] for k in range(0, len(group), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def fit(
    model: Any,
    vocab: CharVocab,
    cfg: TrainConfig,
    labels: Sequence[str],
    train_pages: Sequence[LabelledPage],
    dev_pages: Sequence[LabelledPage],
    on_eval: Any = None,
) -> dict[str, Any]:
    """Training loop with noise re-drawn every epoch and early stopping on dev entity F1.

    Returns the history; the model is left holding the best dev weights.
    """
    import torch

    label2id = {lab: i for i, lab in enumerate(labels)}
    clean = [page_units(p) for p in train_pages]
    opt_cfg = cfg.optim
    optim = torch.optim.AdamW(model.parameters(), lr=opt_cfg.lr, weight_decay=opt_cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, _lr_lambda(opt_cfg.warmup_steps, opt_cfg.max_steps))
    history: dict[str, Any] = {"loss": [], "evals": []}
    best_f1, best_state, bad_evals, step, epoch = -1.0, None, 0, 0, 0
    started = time.monotonic()
    stop = False
    while not stop:
        rng = np.random.default_rng([cfg.seed, epoch])
        windows = [
            w for units in clean for w in make_windows(add_ocr_noise(units, rng, cfg.noise), vocab, cfg.model, label2id)
        ]
        model.train()
        for chunk in length_batches(windows, opt_cfg.batch_size, rng):
            batch = collate(chunk, cfg.model.max_token_chars)
            batch = {k: v.to(cfg.device) for k, v in batch.items()}
            loss = model(**batch)["loss"]
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            step += 1
            history["loss"].append(float(loss.item()))
            if step % opt_cfg.eval_every == 0 or step >= opt_cfg.max_steps:
                elapsed = (time.monotonic() - started) / 60
                metrics = (
                    evaluate(model, vocab, cfg.model, labels, dev_pages, device=cfg.device)
                    if dev_pages
                    else {"f1": -float(np.mean(history["loss"][-opt_cfg.eval_every :]))}
                )
                model.train()
                train_loss = float(np.mean(history["loss"][-opt_cfg.eval_every :]))
                history["evals"].append(
                    {
                        "step": step,
                        "epoch": epoch,
                        "train_loss": train_loss,
                        "dev_f1": metrics["f1"],
                        "minutes": elapsed,
                    }
                )
                log.info(
                    "step %d epoch %d loss %.4f dev F1 %.4f (%.1f min)", step, epoch, train_loss, metrics["f1"], elapsed
                )
                if on_eval is not None:
                    on_eval(step, train_loss, metrics)
                if metrics["f1"] > best_f1:
                    best_f1, bad_evals = metrics["f1"], 0
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    bad_evals += 1
                if (
                    bad_evals >= opt_cfg.patience
                    or step >= opt_cfg.max_steps
                    or (opt_cfg.max_minutes is not None and elapsed >= opt_cfg.max_minutes)
                ):
                    history["stopped"] = (
                        "patience"
                        if bad_evals >= opt_cfg.patience
                        else "max_steps"
                        if step >= opt_cfg.max_steps
                        else "max_minutes"
                    )
                    stop = True
                    break
        epoch += 1
    if best_state is not None:
        model.load_state_dict(best_state)
    history.update(steps=step, epochs=epoch, best_dev_f1=best_f1)
    return history


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


def train(cfg: TrainConfig, command: str = "") -> dict[str, Any]:
    """One training run end to end; returns a summary (metrics, run id, registered version, output dir)."""
    import mlflow
    import torch
    from transformers import set_seed

    from juesuan.datasets.labelled_page import load_labels
    from juesuan.training import tracking

    torch.set_num_threads(cfg.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    labels = list(cfg.labels or load_labels())
    train_pages, dev_pages, eval_sets = gather_data(cfg)
    out_dir = output_folder(cfg)
    tracking.setup(resolve(cfg.tracking.dir) if cfg.tracking.dir else None, cfg.tracking.experiment)
    set_seed(cfg.seed)
    summary: dict[str, Any] = {"output_dir": str(out_dir)}
    with mlflow.start_run() as run:
        summary["run_id"] = run.info.run_id
        mlflow.log_params(
            {
                "seed": cfg.seed,
                "init": cfg.init or "",
                "train_pages": len(train_pages),
                "dev_pages": len(dev_pages),
                "train_sha256": pages_sha256(train_pages)[:16],
                "dev_sha256": pages_sha256(dev_pages)[:16],
                "command": command[:400],
                **{f"eval_sha256.{k}": pages_sha256(v)[:16] for k, v in eval_sets.items()},
                **{f"model.{k}": v for k, v in asdict(cfg.model).items()},
                **{f"optim.{k}": v for k, v in cfg.optim.model_dump().items()},
                **{f"noise.{k}": v for k, v in cfg.noise.model_dump().items()},
                "pretrain.enabled": cfg.pretrain.enabled and not cfg.init,
            }
        )
        mlflow.log_dict(cfg.model_dump(mode="json"), "train_config.json")

        pretrain_info: dict[str, Any] = {}
        if cfg.init:
            model, vocab, model_cfg, init_labels = load_checkpoint(resolve(cfg.init), cfg.device)
            if init_labels != labels:
                raise ConfigError(f"{cfg.init}: its labels differ from the configured label set")
            cfg = cfg.model_copy(update={"model": model_cfg})
            model.train()
        elif cfg.pretrain.enabled:
            from juesuan.training.pretrain import pretrain

            held_out = {p.document for pages in eval_sets.values() for p in pages}
            model, vocab, pretrain_info = pretrain(cfg, labels, train_pages, held_out)
            mlflow.log_metrics({f"pretrain_{k}": v for k, v in pretrain_info.items() if isinstance(v, float)})
        else:
            from juesuan.models.token_classifier import build_model

            vocab = CharVocab.build(t.text for p in train_pages for t in p.tokens)
            model = build_model(cfg.model, labels, len(vocab))
        model.to(cfg.device)
        n_params = count_parameters(model)
        mlflow.log_param("parameters", n_params)

        def on_eval(step: int, train_loss: float, metrics: dict[str, Any]) -> None:
            mlflow.log_metrics({"train_loss": train_loss, "dev_f1": metrics["f1"]}, step=step)

        started = time.monotonic()
        history = fit(model, vocab, cfg, labels, train_pages, dev_pages, on_eval)
        minutes = (time.monotonic() - started) / 60
        for i, loss in enumerate(history["loss"]):
            if i % 10 == 0:
                mlflow.log_metric("loss", loss, step=i + 1)
        results: dict[str, Any] = {}
        for name, pages in eval_sets.items():
            metrics = evaluate(model, vocab, cfg.model, labels, pages, device=cfg.device)
            results[name] = metrics
            mlflow.log_metrics(
                {f"test_{name}_{k}": metrics[k] for k in ("f1", "precision", "recall", "token_accuracy")}
            )
        mlflow.log_metrics({"fit_minutes": minutes, "best_dev_f1": history["best_dev_f1"]})

        extra = {
            "trained": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seed": cfg.seed,
            "mlflow_run_id": run.info.run_id,
            "parameters": n_params,
            "train_sha256": pages_sha256(train_pages),
            "train_pages": len(train_pages),
            "eval": {
                k: {m: v[m] for m in ("f1", "precision", "recall", "token_accuracy", "pages")}
                for k, v in results.items()
            },
            "history": {k: history[k] for k in ("steps", "epochs", "best_dev_f1", "stopped") if k in history},
            "fit_minutes": round(minutes, 2),
            "pretrain": pretrain_info,
            "command": command,
            "init": cfg.init,
        }
        tmp = out_dir.with_name(out_dir.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        save_checkpoint(model, vocab, cfg.model, tmp, extra)
        card_extras = tmp / "eval"
        card_extras.mkdir()
        for name, metrics in results.items():
            confusion_png(metrics["confusion"], labels, card_extras / f"confusion-{name}.png", f"{name}: tokens")
            (card_extras / f"report-{name}.md").write_text(report_table(metrics) + "\n", encoding="utf-8")
            (card_extras / f"metrics-{name}.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
        mlflow.log_artifacts(str(card_extras), "eval")
        sample = _sample_predictions(model, vocab, cfg, labels, next(iter(eval_sets.values()), dev_pages)[:2])
        if sample:
            mlflow.log_text(sample, "sample_predictions.md")
        _log_sample_images(model, vocab, cfg, labels, eval_sets)
        from juesuan.training.card import write_card

        write_card(tmp)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(out_dir)
        log_pyfunc_model(out_dir)
        summary.update(results=results, history=history, parameters=n_params, minutes=minutes, pretrain=pretrain_info)
        if cfg.tracking.register_model:
            summary["version"] = tracking.register_run_model(
                run.info.run_id, "model", tags={f"f1.{k}": f"{v['f1']:.4f}" for k, v in results.items()}
            )
    return summary


def log_pyfunc_model(checkpoint: Path, artifact_path: str = "model") -> None:
    """Log the checkpoint as an MLflow pyfunc model (signature + input example) under the active run's
    ``artifact_path``; tracking.register_run_model registers that folder, so ``mlflow.pyfunc.load_model`` works
    on every registered version."""
    import tempfile

    import mlflow

    from juesuan.training.pyfunc import save_pyfunc

    with tempfile.TemporaryDirectory(prefix="juesuan-pyfunc-") as tmp:
        folder = save_pyfunc(checkpoint, Path(tmp) / artifact_path)
        mlflow.log_artifacts(str(folder), artifact_path)


def _sample_predictions(
    model: Any, vocab: CharVocab, cfg: TrainConfig, labels: Sequence[str], pages: Sequence[LabelledPage]
) -> str:
    """A few predicted vs gold tokens per page, as a markdown table (errors first)."""
    rows = []
    units = [page_units(p) for p in pages]
    preds = predict(model, vocab, cfg.model, units, device=cfg.device)
    for page, page_u, ids in zip(pages, units, preds, strict=True):
        pairs = [(u, labels[i]) for u, i in zip(page_u, ids, strict=True)]
        pairs.sort(key=lambda p: p[0].label == p[1])
        for u, pred in pairs[:25]:
            mark = "" if u.label == pred else " ✗"
            rows.append(f"| {page.id} | {u.text[:30]} | {u.row},{u.col} | {u.label} | {pred}{mark} |")
    return "| page | token | row,col | gold | predicted |\n| --- | --- | --- | --- | --- |\n" + "\n".join(rows)


def image_folders(cfg: TrainConfig) -> dict[str, list[Path]]:
    """Where each evaluation set's page images live (``LabelledPage.image`` is relative to its dataset folder).

    Names follow :func:`gather_data`; every dataset folder is a fallback, and synthetic pages need none (their
    images are regenerated from the page id).
    """
    datasets = [resolve(s) for s in cfg.data.datasets]
    fallback = [p if p.is_dir() else p.parent for p in datasets]
    specs = cfg.data.eval_sets or [f"{s}:test" for s in cfg.data.datasets if resolve(s).is_dir()]
    out: dict[str, list[Path]] = {}
    for spec in specs:
        folder, _, split = spec.rpartition(":")
        path = resolve(folder)
        out[f"{Path(folder).name}-{split}"] = [path if path.is_dir() else path.parent, *fallback]
    return out


def _log_sample_images(
    model: Any, vocab: CharVocab, cfg: TrainConfig, labels: Sequence[str], eval_sets: dict[str, list[LabelledPage]]
) -> None:
    """Artifacts ``samples/<eval set>/<page>.png``: the first 3 pages of each evaluation set, predictions drawn.

    A failure here is logged with its traceback and the run goes on: the pictures are for people, and a broken
    font or image file must not throw away the trained model.
    """
    import tempfile

    import mlflow

    from juesuan.training.samples import render_samples

    try:
        pngs = render_samples(
            model, vocab, cfg.model, labels, eval_sets, image_folders(cfg), n_pages=3, device=cfg.device
        )
        with tempfile.TemporaryDirectory(prefix="juesuan-samples-") as tmp:
            for rel, data in pngs.items():
                target = Path(tmp) / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            if pngs:
                mlflow.log_artifacts(tmp, "samples")
    except Exception:
        log.exception("sample prediction images could not be drawn; the run goes on without them")


def units_from_pages(pages: Sequence[LabelledPage]) -> list[list[TokenUnit]]:
    return [page_units(p) for p in pages]
