"""``juesuan models list|promote|export``: the token-classifier registry (the project's MLflow store).

``juesuan models export --to models/token-classifier`` (the champion, or ``--version N``) is the one explicit way a
trained version replaces the shipped checkpoint; ``juesuan train`` never writes into models/.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("models", help="list, promote and export registered token-classifier versions")
    p.add_argument("--tracking-dir", help="embedded MLflow folder (default: JUESUAN_TRACKING_URI, …, data dir)")
    sub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ls = sub.add_parser("list", help="registered versions, newest first, with aliases and gate scores")
    ls.add_argument("--json", action="store_true", help="print the versions as JSON")
    pr = sub.add_parser("promote", help="run the champion gate for a version (moves the alias only if it wins)")
    pr.add_argument("--version", required=True, help="registered version to promote through the gate")
    pr.add_argument("--config", default="configs/train/token_classifier.yaml", help="training YAML: fixed sets")
    pr.add_argument("--eval", nargs="+", help="more evaluation sets <folder>[:split] (e.g. datasets/corrections)")
    pr.add_argument("--dry-run", action="store_true", help="compare only; never move the alias")
    pr.add_argument("--max-drop", type=float, default=None, help="refuse when any one set's F1 falls by more")
    rg = sub.add_parser("register", help="register a checkpoint folder (first: the shipped one, as champion)")
    rg.add_argument("folder", type=Path, help="checkpoint folder, e.g. models/token-classifier")
    rg.add_argument("--champion", action="store_true", help="make it the champion if there is none yet")
    ex = sub.add_parser("export", help="copy a version's checkpoint into a folder (e.g. models/token-classifier)")
    ex.add_argument("--to", required=True, type=Path, help="target folder, replaced whole")
    which = ex.add_mutually_exclusive_group()
    which.add_argument("--version", help="registered version number")
    which.add_argument("--alias", default=None, help="alias (default: champion)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from juesuan.training import tracking

    tracking.setup(args.tracking_dir, "token-classifier")
    if args.models_command == "list":
        rows = tracking.list_versions()
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=1))
            return 0
        print(f"{tracking.REGISTERED_MODEL} at {tracking.tracking_uri(args.tracking_dir)}")
        print("| version | aliases | created (UTC) | run | gate F1 |")
        print("| ---: | --- | --- | --- | --- |")
        for r in rows:
            made = datetime.fromtimestamp(r["created_ms"] / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M")
            gate = ", ".join(f"{k.split('.', 1)[1]} {v}" for k, v in sorted(r["tags"].items()) if k.startswith("gate"))
            print(f"| {r['version']} | {', '.join(r['aliases'])} | {made} | {r['run_id'] or ''} | {gate} |")
        return 0
    if args.models_command == "promote":
        from juesuan.training.promote import load_eval_pages, promote
        from juesuan.training.train import gather_data, load_config

        cfg = load_config(args.config)
        eval_sets = {**gather_data(cfg)[2], **(load_eval_pages(args.eval) if args.eval else {})}
        result = promote(args.version, eval_sets, dry_run=args.dry_run, max_drop=args.max_drop)
        print(result.table)
        print("promoted to champion" if result.promoted else "NOT promoted: it does not beat the champion")
        return 0 if result.promoted else 1
    if args.models_command == "register":
        if not (args.folder / "model.safetensors").is_file():
            from juesuan.errors import InputError

            raise InputError(args.folder, "no model.safetensors: not a token-classifier checkpoint")
        version = tracking.register_folder(args.folder, champion=args.champion)
        champion = tracking.champion_version()
        print(
            f"{args.folder} → {tracking.REGISTERED_MODEL} version {version}; champion: v{champion.version}"
            if champion
            else f"{args.folder} → version {version}; no champion"
        )
        return 0
    if args.models_command == "export":
        mv = tracking.version_for(version=args.version, alias=args.alias)
        target = tracking.export_version(mv, args.to)
        print(f"{tracking.REGISTERED_MODEL} version {mv.version} → {target}")
        return 0
    raise AssertionError(args.models_command)
