"""Champion gate: move the ``champion`` alias to a new version only if it beats the champion on a fixed set.

Both models are re-evaluated here, on the same pages, with the same code: metrics stored at training time may
come from other evaluation sets or older metric code, so they are never compared. A tie is not a win (the shipped
model stays), and a refused promotion is reported with the full comparison table so a person can see why.

Run: ``python -m juesuan.training.promote --version 7`` (the config's fixed sets) or ``--eval <folder>:test``
(``juesuan train --promote`` calls the same function right after training).

The table-type classifier (``juesuan-table-type-classifier``) has its own gate, :func:`promote_type_classifier`:
mean macro-F1 over its fixed title sets (training/table_type.py), and there a tie moves the alias (not worse is
enough: the model is retrained from the YAML, so a newer version with the same scores carries the newer YAML).
``python -m juesuan.training.promote --type-classifier --version 3``.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from juesuan.datamodel.labelled import LabelledPage
from juesuan.errors import ConfigError
from juesuan.training.config import gather_data, load_config, load_eval_pages, resolve
from juesuan.training.metrics import evaluate

log = logging.getLogger(__name__)


@dataclass
class Promotion:
    candidate: str
    champion: str | None
    promoted: bool
    candidate_f1: float
    champion_f1: float | None
    table: str
    per_set: dict[str, tuple[float, float | None]] = field(default_factory=dict)


def _evaluate_folder(folder: Path, eval_sets: Mapping[str, list[LabelledPage]]) -> dict[str, dict[str, Any]]:
    from juesuan.models.source import checkpoint_folder
    from juesuan.models.token_classifier import load_checkpoint

    model, vocab, cfg, labels = load_checkpoint(checkpoint_folder(folder))
    return {name: evaluate(model, vocab, cfg, labels, pages) for name, pages in eval_sets.items()}


def _pooled_f1(results: dict[str, dict[str, Any]]) -> float:
    """Mean F1 over the evaluation sets (each set counts once, so the small real set is not drowned)."""
    return sum(r["f1"] for r in results.values()) / max(1, len(results))


def comparison_table(
    cand: dict[str, dict[str, Any]], champ: dict[str, dict[str, Any]] | None, cand_name: str, champ_name: str | None
) -> str:
    head = f"| set / label | candidate v{cand_name} | champion {('v' + champ_name) if champ_name else '(none)'} | Δ |"
    lines = [head, "| --- | ---: | ---: | ---: |"]
    for name, res in cand.items():
        other = champ.get(name) if champ else None
        rows = [(f"**{name}** micro F1", res["f1"], other["f1"] if other else None)]
        for label, m in res["per_label"].items():
            o = other["per_label"].get(label, {}).get("f1-score") if other else None
            rows.append((f"{name} {label}", m["f1-score"], o))
        for title, a, b in rows:
            delta = "" if b is None else f"{a - b:+.4f}"
            lines.append(f"| {title} | {a:.4f} | {'' if b is None else f'{b:.4f}'} | {delta} |")
    return "\n".join(lines)


def gate_decision(
    cand: Mapping[str, Mapping[str, Any]],
    champ: Mapping[str, Mapping[str, Any]] | None,
    max_drop: float | None = None,
) -> tuple[bool, str]:
    """(wins, why): the candidate must beat the champion's mean F1 over the sets and, with ``max_drop``, lose no
    more than that on any one set (the mean alone lets a gain on new pages hide a loss on the old ones)."""
    if champ is None:
        return True, "no champion yet"
    cand_f1, champ_f1 = _pooled_f1(dict(cand)), _pooled_f1(dict(champ))
    if cand_f1 <= champ_f1:
        return False, f"mean F1 {cand_f1:.4f} does not beat {champ_f1:.4f}"
    if max_drop is not None:
        drops = {k: champ[k]["f1"] - v["f1"] for k, v in cand.items() if k in champ}
        worst = max(drops, key=drops.__getitem__, default=None)
        if worst is not None and drops[worst] > max_drop:
            return False, f"{worst} drops {drops[worst]:.4f} > max_drop {max_drop}"
    return True, f"mean F1 {cand_f1:.4f} beats {champ_f1:.4f}"


def promote(
    version: str,
    eval_sets: Mapping[str, list[LabelledPage]],
    name: str | None = None,
    dry_run: bool = False,
    max_drop: float | None = None,
) -> Promotion:
    """Evaluate registered ``version`` and the current champion on ``eval_sets``; move the alias if it wins."""
    from mlflow import MlflowClient

    from juesuan.training import tracking

    name = name or tracking.REGISTERED_MODEL
    client = MlflowClient()
    candidate = client.get_model_version(name, version)
    champion = tracking.champion_version(name)
    if not eval_sets or not all(eval_sets.values()):
        raise ConfigError("the fixed evaluation set is empty: nothing to compare on")
    with tempfile.TemporaryDirectory(prefix="juesuan-promote-") as tmp:
        cand_res = _evaluate_folder(tracking.download_version(candidate, Path(tmp) / "candidate"), eval_sets)
        champ_res = None
        if champion is not None and str(champion.version) != str(version):
            champ_res = _evaluate_folder(tracking.download_version(champion, Path(tmp) / "champion"), eval_sets)
    cand_f1 = _pooled_f1(cand_res)
    champ_f1 = _pooled_f1(champ_res) if champ_res is not None else None
    promoted, why = gate_decision(cand_res, champ_res, max_drop)
    if champion is not None and str(champion.version) == str(version):
        promoted = False  # already the champion
    table = comparison_table(cand_res, champ_res, str(version), str(champion.version) if champion else None)
    table += f"\n\nmean F1 over sets: candidate {cand_f1:.4f}" + (
        f", champion {champ_f1:.4f}" if champ_f1 is not None else ", no champion yet"
    )
    table += f"\ngate: {'accept' if promoted else 'refuse'} ({why})"
    for set_name, res in cand_res.items():
        client.set_model_version_tag(name, str(version), f"gate_f1.{set_name}", f"{res['f1']:.4f}")
    if promoted and not dry_run:
        client.set_registered_model_alias(name, tracking.CHAMPION, str(version))
        log.info("champion → version %s (F1 %.4f vs %s)", version, cand_f1, champ_f1)
    elif not promoted:
        log.warning("version %s not promoted: %s", version, why)
    return Promotion(
        candidate=str(version),
        champion=str(champion.version) if champion else None,
        promoted=promoted and not dry_run,
        candidate_f1=cand_f1,
        champion_f1=champ_f1,
        table=table,
        per_set={k: (v["f1"], champ_res[k]["f1"] if champ_res else None) for k, v in cand_res.items()},
    )


def type_comparison_table(
    cand: Mapping[str, Mapping[str, float]],
    champ: Mapping[str, Mapping[str, float]] | None,
    cand_name: str,
    champ_name: str | None,
) -> str:
    head = f"| set | metric | candidate v{cand_name} | champion {('v' + champ_name) if champ_name else '(none)'} | Δ |"
    lines = [head, "| --- | --- | ---: | ---: | ---: |"]
    for name, res in cand.items():
        other = champ.get(name) if champ else None
        for metric in ("accuracy", "macro_f1"):
            b = other[metric] if other else None
            delta = "" if b is None else f"{res[metric] - b:+.4f}"
            shown = "" if b is None else f"{b:.4f}"
            lines.append(f"| {name} (n={int(res['n'])}) | {metric} | {res[metric]:.4f} | {shown} | {delta} |")
    return "\n".join(lines)


def promote_type_classifier(
    version: str,
    eval_sets: Mapping[str, tuple[Sequence[str], Sequence[str]]] | None = None,
    dry_run: bool = False,
    real_dir: Path | None = None,
) -> Promotion:
    """Score registered ``version`` and the champion on the same fixed sets; move the alias unless it is worse."""
    from mlflow import MlflowClient

    from juesuan.training import table_type, tracking

    name = tracking.TYPE_CLASSIFIER_MODEL
    client = MlflowClient()
    candidate = client.get_model_version(name, version)
    champion = tracking.champion_version(name)
    if eval_sets is None:
        eval_sets = table_type.fixed_eval_sets(real_dir=real_dir)
    if not eval_sets or not all(texts for texts, _ in eval_sets.values()):
        raise ConfigError("the fixed evaluation set is empty: nothing to compare on")
    same = champion is not None and str(champion.version) == str(version)
    with tempfile.TemporaryDirectory(prefix="juesuan-promote-") as tmp:
        cand_res = table_type.evaluate(table_type.load_version_model(candidate, Path(tmp) / "candidate"), eval_sets)
        champ_res = None
        if champion is not None and not same:
            champ_model = table_type.load_version_model(champion, Path(tmp) / "champion")
            champ_res = table_type.evaluate(champ_model, eval_sets)
    cand_score = table_type.gate_score(cand_res)
    champ_score = table_type.gate_score(champ_res) if champ_res is not None else None
    promoted = not same and (champ_score is None or cand_score >= champ_score)
    champ_name = str(champion.version) if champion else None
    table = type_comparison_table(cand_res, champ_res, str(version), champ_name)
    table += f"\n\nmean macro-F1 over sets: candidate {cand_score:.4f}" + (
        f", champion {champ_score:.4f}" if champ_score is not None else ", no champion yet"
    )
    for set_name, res in cand_res.items():
        client.set_model_version_tag(name, str(version), f"gate_macro_f1.{set_name}", f"{res['macro_f1']:.4f}")
    if promoted and not dry_run:
        client.set_registered_model_alias(name, tracking.CHAMPION, str(version))
        log.info("%s champion → version %s (macro-F1 %.4f vs %s)", name, version, cand_score, champ_score)
    elif not promoted and not same:
        log.warning("version %s not promoted: macro-F1 %.4f is below champion %.4f", version, cand_score, champ_score)
    return Promotion(
        candidate=str(version),
        champion=champ_name,
        promoted=promoted and not dry_run,
        candidate_f1=cand_score,
        champion_f1=champ_score,
        table=table,
        per_set={k: (v["macro_f1"], champ_res[k]["macro_f1"] if champ_res else None) for k, v in cand_res.items()},
    )


def main(argv: Sequence[str] | None = None) -> int:
    from juesuan.training import tracking

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--version", required=True, help="registered version to consider")
    parser.add_argument(
        "--config",
        default="configs/train/token_classifier.yaml",
        help="training YAML whose fixed evaluation sets (synth test + data.eval_sets) are used",
    )
    parser.add_argument("--eval", nargs="+", help="<dataset folder>[:split] sets added to the config's sets")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument(
        "--type-classifier",
        action="store_true",
        help="gate a juesuan-table-type-classifier version (its own fixed title sets; --config/--eval unused)",
    )
    parser.add_argument("--tracking-dir", help="embedded MLflow folder (ignored when MLFLOW_TRACKING_URI is set)")
    args = parser.parse_args(argv)
    if args.type_classifier:
        from juesuan.training.table_type import EXPERIMENT

        tracking.setup(args.tracking_dir, EXPERIMENT)
        result = promote_type_classifier(args.version, dry_run=args.dry_run)
        print(result.table)
        print("promoted" if result.promoted else "NOT promoted: worse than the champion, or already the champion")
        return 0 if result.promoted else 1
    cfg = load_config(args.config)
    folder = args.tracking_dir or cfg.tracking.dir
    tracking.setup(resolve(folder) if folder else None, cfg.tracking.experiment)
    eval_sets = {**gather_data(cfg)[2], **(load_eval_pages(args.eval) if args.eval else {})}
    result = promote(args.version, eval_sets, dry_run=args.dry_run)
    print(result.table)
    print("promoted" if result.promoted else "NOT promoted: the candidate does not beat the champion")
    return 0 if result.promoted else 1


if __name__ == "__main__":
    raise SystemExit(main())
