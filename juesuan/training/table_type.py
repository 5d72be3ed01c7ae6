"""The table-type classifier (表类型, scikit-learn) trained and tracked in MLflow the way the token classifier is.

One run per training: params (seed, titles per type, digests of configs/tables), accuracy and macro-F1 on the fixed
evaluation sets, the joblib bundle as artifact ``model/table_type_classifier.joblib``, a registered version of
``juesuan-table-type-classifier``. promote.py moves its ``champion`` alias when the new version is not worse.

The fixed sets (:func:`fixed_eval_sets`): ``generated``, noisy titles drawn from types.yaml with a seed training
never uses; ``real_titles``, the titled tables of the auto-labelled real pages (datasets/real-autolabel/*.jsonl,
never trained on: the model learns from types.yaml alone); ``real_titles_noisy``, the same titles with OCR noise.
Scores are of the model alone, without the alias rules that run first at inference (rules would score the clean
real titles perfectly and hide the model).

Run: ``juesuan train --type-classifier [--tracking-dir DIR] [--promote]``. The shipped bundle
(juesuan/resources/table_type_classifier.joblib) changes only with ``--output`` pointing at it.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from juesuan.models.type_classifier import (
    MODEL_PATH,
    OTHER,
    SEED,
    _noisy,
    predict_types,
    tables_digest,
    train,
    training_texts,
    yaml_digest,
)
from juesuan.settings import project_dir
from juesuan.validation.schema import Schema, load_schema, normalize_title

log = logging.getLogger(__name__)

ROOT = project_dir()
EXPERIMENT = "table-type-classifier"
BUNDLE_NAME = "table_type_classifier.joblib"
REAL_DIR = ROOT / "datasets" / "real-autolabel"
EVAL_PER_TYPE = 80  # the held-out set main() always printed: seed SEED + 1, 80 texts per type

EvalSets = dict[str, tuple[list[str], list[str]]]


def fixed_eval_sets(schema: Schema | None = None, real_dir: Path | None = None) -> EvalSets:
    """``{name: (texts, type ids)}``; the real sets only when ``real_dir`` (default :data:`REAL_DIR`) holds
    labelled-page manifests."""
    schema = schema or load_schema()
    sets: EvalSets = {"generated": training_texts(schema, per_type=EVAL_PER_TYPE, seed=SEED + 1)}
    real_dir = Path(real_dir) if real_dir is not None else REAL_DIR
    manifests = sorted(real_dir.glob("*.jsonl"))
    if manifests:
        texts, labels = real_titles(schema, manifests)
        if texts:
            sets["real_titles"] = (texts, labels)
            sets["real_titles_noisy"] = (noisy_copies(texts), labels)
    else:
        log.warning("no labelled-page manifests under %s: scoring on generated titles only", real_dir)
    return sets


def evaluate(model: Any, eval_sets: Mapping[str, tuple[Sequence[str], Sequence[str]]]) -> dict[str, dict[str, float]]:
    return {name: score(model, texts, labels) for name, (texts, labels) in eval_sets.items()}


def gate_score(results: Mapping[str, Mapping[str, float]]) -> float:
    """Mean macro-F1 over the sets (each set counts once, so 47 real titles are not drowned by 2,000 generated)."""
    return sum(r["macro_f1"] for r in results.values()) / max(1, len(results))


def errors_markdown(model: Any, eval_sets: Mapping[str, tuple[Sequence[str], Sequence[str]]], limit: int = 60) -> str:
    """Misclassified texts of every set (first ``limit`` per set): what a person reads before trusting a version."""
    lines = ["| set | text | gold | predicted |", "| --- | --- | --- | --- |"]
    for name, (texts, labels) in eval_sets.items():
        wrong = [(t, g, p) for t, g, p in zip(texts, labels, predict_types(model, texts), strict=True) if g != p]
        for text, gold, pred in wrong[:limit]:
            lines.append(f"| {name} | {text.replace('|', '/')} | {gold} | {pred} |")
    return "\n".join(lines) + "\n"


def train_tracked(
    seed: int = SEED,
    per_type: int = 80,
    tracking_dir: Path | str | None = None,
    real_dir: Path | None = None,
    output: Path | None = None,
    command: str = "",
    register: bool = True,
) -> dict[str, Any]:
    """Train, score on the fixed sets, log one MLflow run, register a version; returns a summary.

    ``output`` also writes the bundle there (the shipped file when it is juesuan/resources/...joblib).
    ``real_dir`` defaults to :data:`REAL_DIR` (the gate must score on the same sets).
    """
    import mlflow
    import sklearn

    from juesuan.training import tracking

    schema = load_schema()
    eval_sets = fixed_eval_sets(schema, real_dir)
    tracking.setup(tracking_dir, EXPERIMENT)
    summary: dict[str, Any] = {}
    with mlflow.start_run() as run:
        summary["run_id"] = run.info.run_id
        train_texts, _ = training_texts(schema, per_type=per_type, seed=seed)
        mlflow.log_params(
            {
                "seed": seed,
                "per_type": per_type,
                "train_texts": len(train_texts),
                "types": len(schema.types),
                "types_yaml_sha256": yaml_digest()[:16],
                "tables_yaml_sha256": tables_digest()[:16],
                "real_dir": str(real_dir or REAL_DIR),
                **{f"eval_size.{k}": len(v[0]) for k, v in eval_sets.items()},
                "sklearn": sklearn.__version__,
                "python": platform.python_version(),
                "command": command[:400],
            }
        )
        started = time.monotonic()
        model = train(schema, seed=seed, per_type=per_type)
        seconds = time.monotonic() - started
        results = evaluate(model, eval_sets)
        mlflow.log_metrics(
            {
                **{f"{name}_{k}": v[k] for name, v in results.items() for k in ("accuracy", "macro_f1")},
                "gate_score": gate_score(results),
                "train_seconds": seconds,
            }
        )
        mlflow.log_text(errors_markdown(model, eval_sets), "errors.md")
        with tempfile.TemporaryDirectory(prefix="juesuan-type-clf-") as tmp:
            folder = Path(tmp) / "model"
            save_bundle(model, folder / BUNDLE_NAME, seed=seed, per_type=per_type)
            mlflow.log_artifacts(str(folder), "model")
        if output is not None:
            save_bundle(model, output, seed=seed, per_type=per_type)
            log.info("wrote %s", output)
        summary.update(results=results, gate_score=gate_score(results), seconds=seconds, output=output)
        if register:
            summary["version"] = tracking.register_run_model(
                run.info.run_id,
                "model",
                name=tracking.TYPE_CLASSIFIER_MODEL,
                tags={f"macro_f1.{k}": f"{v['macro_f1']:.4f}" for k, v in results.items()},
            )
    return summary


def load_version_model(version: Any, dest: Path) -> Any:
    """The fitted pipeline of a registered version (downloaded into ``dest``)."""
    from juesuan.models.type_classifier import load_bundle
    from juesuan.training import tracking

    folder = tracking.download_version(version, dest)
    path = folder / BUNDLE_NAME if folder.is_dir() else folder
    return load_bundle(path)["model"]


def score(model: Any, texts: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 over the classes present in ``labels`` (a title set covers only some types)."""
    from sklearn.metrics import f1_score

    gold = list(labels)
    if not gold:
        return {"accuracy": 0.0, "macro_f1": 0.0, "n": 0.0}
    predicted = predict_types(model, texts)
    accuracy = float(np.mean(np.asarray(predicted) == np.asarray(gold)))
    macro = float(f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0))
    return {"accuracy": accuracy, "macro_f1": macro, "n": float(len(gold))}


def real_titles(schema: Schema, manifests: Iterable[Path]) -> tuple[list[str], list[str]]:
    """(title, type id) of every titled table in labelled-page JSONL manifests, each pair once, in file order.

    The auto-labeller writes ``tables[].type`` as the Chinese type name (收入支出决算总表); it maps to the id by
    the id itself, the name or an alias (rules), and a table no type describes (部门决算单位构成) is ``__other__``.
    """
    by_name = {normalize_title(n): tt.id for tt in schema.types for n in (tt.id, tt.name_zh, *tt.aliases)}
    seen: set[tuple[str, str]] = set()
    texts: list[str] = []
    labels: list[str] = []
    for manifest in manifests:
        with Path(manifest).open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                for table in json.loads(line).get("tables", []):
                    title, kind = (table.get("title") or "").strip(), table.get("type")
                    if not title or not kind:
                        continue
                    rule = schema.match_title(kind)
                    label = by_name.get(normalize_title(kind)) or (rule.id if rule else OTHER)
                    if (title, label) not in seen:
                        seen.add((title, label))
                        texts.append(title)
                        labels.append(label)
    return texts, labels


def noisy_copies(texts: Sequence[str], seed: int = SEED + 2) -> list[str]:
    """The same titles through the OCR noise of the training texts (dropped and confused characters, spaces)."""
    rng = np.random.default_rng([seed])
    return [_noisy(t, rng) for t in texts]


def save_bundle(model: Any, path: Path, seed: int = SEED, per_type: int = 80) -> Path:
    """The shipped format: ``{"model", "yaml_sha256", "seed", "per_type"}`` (joblib, compressed)."""
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    bundle = {"model": model, "yaml_sha256": yaml_digest(), "seed": seed, "per_type": per_type}
    joblib.dump(bundle, path, compress=3)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description="Train the table-type classifier from configs/tables/types.yaml.")
    parser.add_argument("--write", action="store_true", help=f"save to {MODEL_PATH}")
    args = parser.parse_args()
    schema = load_schema()
    model = train(schema)
    texts, labels = training_texts(schema, seed=SEED + 1)
    held_out = score(model, texts, labels)
    print(
        f"held-out generated accuracy (seed {SEED + 1}): {held_out['accuracy']:.4f}, "
        f"macro-F1 {held_out['macro_f1']:.4f} on {len(texts)} texts"
    )
    if args.write:
        save_bundle(model, MODEL_PATH)
        print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
