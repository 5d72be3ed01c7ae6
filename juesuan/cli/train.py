"""``juesuan train``: pretrain (optional), fine-tune, evaluate and register the token classifier; optionally promote.

Retraining on corrected pages: ``juesuan train --config configs/train/token_classifier.yaml
--init models/token-classifier --data datasets/corrections --name retrained --promote``. The checkpoint goes to
``runs/<name>/`` (never models/); ``--promote`` registers the version and moves ``champion`` only through the gate,
which scores on the config's fixed sets plus the held-out (test) split of every ``--data`` folder. Shipping a version
in the repo is explicit: ``juesuan models export --version N --to models/token-classifier``.

Table-type classifier (scikit-learn, from configs/tables/types.yaml): ``juesuan train --type-classifier --promote``
(one MLflow run, registered ``juesuan-table-type-classifier``, champion moved unless worse; ``--output FILE`` writes
the joblib bundle too, e.g. juesuan/resources/table_type_classifier.joblib, the one inference loads).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("train", help="train the token classifier (MLflow-tracked)", description=__doc__)
    p.add_argument("--config", default="configs/train/token_classifier.yaml", help="training YAML")
    p.add_argument("--init", help="checkpoint folder to fine-tune from (skips pretraining)")
    p.add_argument(
        "--data",
        nargs="+",
        help="dataset folders (train/dev/test.jsonl) or JSONL files; replaces the config's data.datasets",
    )
    p.add_argument("--oversample", type=int, help="repeat the --data pages N times per epoch")
    p.add_argument("--eval", nargs="+", help="fixed evaluation sets <folder>:<split>; replaces data.eval_sets")
    p.add_argument("--max-steps", type=int, help="fine-tuning steps (smoke runs)")
    p.add_argument("--max-minutes", type=float, help="fine-tuning wall-clock budget")
    p.add_argument("--pretrain-steps", type=int, help="masked-token pretraining steps (default: config)")
    p.add_argument("--no-pretrain", action="store_true", help="start from random weights (the ablation)")
    p.add_argument("--name", help="run name: the checkpoint goes to runs/<name>/ (default token-classifier-<time>)")
    p.add_argument(
        "-o", "--output", "--out", help="where the checkpoint goes (default: runs/<name>/; never under models/)"
    )
    p.add_argument("--seed", type=int, help="random seed (default: config)")
    p.add_argument("--threads", type=int, help="torch threads (default: config)")
    p.add_argument(
        "--tracking-dir", help="embedded MLflow folder (default: JUESUAN_TRACKING_URI, MLFLOW_TRACKING_URI, data dir)"
    )
    p.add_argument("--promote", action="store_true", help="move the champion alias if the new version beats it")
    p.add_argument(
        "--max-drop",
        type=float,
        default=None,
        help="--promote: also refuse when F1 on any one fixed set falls by more than this (e.g. 0.005)",
    )
    p.add_argument(
        "--type-classifier",
        action="store_true",
        help="train the table-type classifier instead (uses --seed, --per-type, --output FILE, --tracking-dir, "
        "--promote; without --promote the champion comparison is printed only)",
    )
    p.add_argument("--per-type", type=int, default=80, help="--type-classifier: generated titles per table type")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.type_classifier:
        return run_type_classifier(args)
    from juesuan.training.train import load_config, train

    over: dict[str, Any] = {}
    if args.init:
        over["init"] = args.init
    if args.data:
        over.setdefault("data", {})["datasets"] = list(args.data)
    if args.oversample:
        over.setdefault("data", {})["oversample"] = args.oversample
    if args.eval:
        over.setdefault("data", {})["eval_sets"] = list(args.eval)
    if args.max_steps is not None:
        over.setdefault("optim", {})["max_steps"] = args.max_steps
    if args.max_minutes is not None:
        over.setdefault("optim", {})["max_minutes"] = args.max_minutes
    if args.pretrain_steps is not None:
        over.setdefault("pretrain", {})["steps"] = args.pretrain_steps
    if args.no_pretrain:
        over.setdefault("pretrain", {})["enabled"] = False
    if args.output:
        over["output_dir"] = args.output
    elif args.name:
        over["output_dir"] = f"runs/{args.name}"
    if args.seed is not None:
        over["seed"] = args.seed
    if args.threads is not None:
        over["threads"] = args.threads
    if args.tracking_dir:
        over.setdefault("tracking", {})["dir"] = args.tracking_dir
    cfg = load_config(args.config, over)
    if args.data and not args.eval:  # the gate also scores on the held-out part of the new data (corrections)
        from juesuan.training.train import resolve

        held_out = [f"{d}:test" for d in args.data if (resolve(d) / "test.jsonl").is_file()]
        eval_sets = [*cfg.data.eval_sets, *(s for s in held_out if s not in cfg.data.eval_sets)]
        cfg = load_config(args.config, {**over, "data": {**over.get("data", {}), "eval_sets": eval_sets}})
    command = "juesuan " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    summary = train(cfg, command)
    rows = {
        name: {k: round(v[k], 4) for k in ("f1", "precision", "recall", "token_accuracy")}
        for name, v in summary["results"].items()
    }
    print(
        json.dumps(
            {
                "run_id": summary["run_id"],
                "version": summary.get("version"),
                "output": summary["output_dir"],
                "minutes": round(summary["minutes"], 2),
                "parameters": summary["parameters"],
                "best_dev_f1": summary["history"]["best_dev_f1"],
                "test": rows,
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    if args.promote and summary.get("version"):
        from juesuan.training.promote import promote
        from juesuan.training.tracking import champion_version
        from juesuan.training.train import gather_data

        if champion_version() is None:
            print(
                "no champion yet, so this version becomes it unopposed; to gate against the shipped model, run "
                "`juesuan models register models/token-classifier --champion` first"
            )
        result = promote(summary["version"], gather_data(cfg)[2], max_drop=args.max_drop)
        print(result.table)
        print("promoted to champion" if result.promoted else "NOT promoted: it does not beat the champion")
        return 0 if result.promoted else 1
    return 0


def run_type_classifier(args: argparse.Namespace) -> int:
    from pathlib import Path

    from juesuan.models.type_classifier import SEED
    from juesuan.training.promote import promote_type_classifier
    from juesuan.training.table_type import train_tracked

    command = "juesuan " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    summary = train_tracked(
        seed=SEED if args.seed is None else args.seed,
        per_type=args.per_type,
        tracking_dir=args.tracking_dir,
        output=Path(args.output) if args.output else None,
        command=command,
    )
    print(
        json.dumps(
            {
                "run_id": summary["run_id"],
                "version": summary.get("version"),
                "output": str(summary["output"]) if summary["output"] else None,
                "seconds": round(summary["seconds"], 2),
                "gate_score": round(summary["gate_score"], 4),
                "test": {
                    k: {m: round(v[m], 4) for m in ("accuracy", "macro_f1")} for k, v in summary["results"].items()
                },
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    result = promote_type_classifier(summary["version"], dry_run=not args.promote)
    print(result.table)
    if not args.promote:
        would = result.champion_f1 is None or result.candidate_f1 >= result.champion_f1
        print("not promoted (no --promote): " + ("it is not worse than the champion" if would else "it is worse"))
        return 0
    print("promoted to champion" if result.promoted else "NOT promoted: it is worse than the champion")
    return 0 if result.promoted else 1
