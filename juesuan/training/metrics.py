"""Token-classifier evaluation: entity F1 (seqeval), per-label report, confusion matrix. A leaf of the training
package, shared by ``train``, ``promote`` and ``card``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from juesuan.datamodel.labelled import LabelledPage
from juesuan.models.token_classifier import CharVocab, ModelConfig, predict
from juesuan.training.data import entity_tags, page_units


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
