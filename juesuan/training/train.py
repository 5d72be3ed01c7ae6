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

from juesuan.datamodel.labelled import LabelledPage
from juesuan.errors import ConfigError
from juesuan.models.token_classifier import (
    CharVocab,
    TokenUnit,
    collate,
    count_parameters,
    load_checkpoint,
    make_windows,
    predict,
    save_checkpoint,
)
from juesuan.training.config import ROOT, TrainConfig, gather_data, load_config, output_folder, resolve
from juesuan.training.data import (
    add_ocr_noise,
    length_batches,
    page_units,
    pages_sha256,
)
from juesuan.training.metrics import confusion_png, evaluate, report_table
from juesuan.training.pyfunc import log_pyfunc_model

log = logging.getLogger(__name__)

# Re-exported: the config, metrics and data helpers live in leaf modules that card, promote and pretrain import, so
# none of them imports this module back (tests/test_import_cycles.py).
__all__ = [
    "ROOT",
    "TrainConfig",
    "confusion_png",
    "evaluate",
    "gather_data",
    "length_batches",
    "load_config",
    "output_folder",
    "report_table",
    "resolve",
    "train",
]


def _lr_lambda(warmup: int, total: int):  # linear warmup, cosine decay to 10 %
    def f(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        t = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t))

    return f


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
        log_pyfunc_model(out_dir)  # juesuan/training/pyfunc.py
        summary.update(results=results, history=history, parameters=n_params, minutes=minutes, pretrain=pretrain_info)
        if cfg.tracking.register_model:
            summary["version"] = tracking.register_run_model(
                run.info.run_id, "model", tags={f"f1.{k}": f"{v['f1']:.4f}" for k, v in results.items()}
            )
    return summary


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
