"""Model card (models/token-classifier/README.md) written from the checkpoint's own records, never by hand.

Every number comes from ``labels.json`` (written by ``juesuan train``) and ``eval/*.json`` next to the weights, so a
retrained checkpoint gets a card that matches it. ``--compare DIR`` adds another checkpoint's test F1 (the
no-pretraining ablation) as a column.

Run: ``python -m juesuan.training.card models/token-classifier --compare runs/v6-no-pretrain``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from juesuan.errors import ConfigError

WEAK_SPOTS = """\
- Trained on synthetic pages (issue-5 generator) plus whatever auto-labelled real pages were present at training
  time (see *Data*); real scans with layouts the generator does not draw (hand-made forms, rotated headers,
  tables split across columns) are the first place to look for errors.
- The model sees text, boxes and grid row/column only, not pixels: a cell whose OCR text is wrong *and* whose
  column gives no hint (a free-text cell in a form) can be mislabelled.
- Sequence positions are tokens (OCR lines), so a line that OCR merged across two cells gets one label.
- Real test pages (documents never trained on: the finance bureau's 决算 and the commerce 预算) are only the
  shared Shanghai Putuo family; the remaining errors there are 款 code parts of 基本支出 column groups read as
  amounts, 小计 in a header row, and cover/contents lines (目录, 上海市普陀区财政局) called TITLE or TEXT.
  List them with `benchmarks/bench_label.py --ablation --data datasets/real-autolabel:test`. Labels of the
  real pages come from rules, not people (hand check: 99.4 %), so part of any gap is label noise.
- "…" / "。。。" template rows are OTHER by convention (auto-labeller, rules and generator agree).
- Rare labels (RATE, OPERATOR, MEASURE_UNIT, TARGET/ACTUAL) have far fewer examples than AMOUNT/NAME; check
  their rows in the per-label tables before trusting them on a new document family.
"""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _meta(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "labels.json").read_text(encoding="utf-8")))


def data_section(meta: dict[str, Any]) -> list[str]:
    """``## Data``: what the checkpoint was trained and evaluated on, read from the training config in its command."""
    import shlex

    from juesuan.training.config import load_config, resolve

    words = shlex.split(meta.get("command", ""))
    path = words[words.index("--config") + 1] if "--config" in words[:-1] else "configs/train/token_classifier.yaml"
    try:
        cfg = load_config(resolve(path))
    except (OSError, ConfigError) as exc:
        return ["", "## Data", "", f"Training config `{path}` not readable here ({exc})."]
    data = cfg.data
    lines = ["", "## Data", ""]
    if data.synth is not None:
        lines.append(
            f"- Synthetic pages from the issue-5 generator (`juesuan synth`, datasets/synth/README.md), seed "
            f"{data.synth.seed}: {data.synth.train_pages} train, {data.synth.dev_pages} dev, "
            f"{data.synth.test_pages} test (the `synth-test` set below)."
        )
    for folder in data.datasets:
        lines.append(
            f"- `{folder}` ({folder}/README.md): its train split ×{data.oversample}, dev for early stopping; its "
            "test documents are never trained on."
        )
    lines.append(
        f"- {meta.get('train_pages', '?')} training pages in all, content sha256 `{meta.get('train_sha256', '?')}` "
        f"(`juesuan.training.data.pages_sha256`); config `{path}`."
    )
    evals = ", ".join(f"`{s}`" for s in data.eval_sets) or "none"
    lines.append(f"- Fixed evaluation sets of the champion gate: {evals}, plus `synth-test`.")
    return lines


def evaluate_into(folder: Path, specs: Sequence[str]) -> None:
    """Evaluate the checkpoint on more labelled sets (``<folder>:<split>``) and keep the results in ``eval/``.

    The card then lists them next to the sets evaluated at training time (e.g. auto-labelled real pages that
    appeared after the model was trained).
    """
    from juesuan.models.token_classifier import load_checkpoint
    from juesuan.training.config import load_eval_pages
    from juesuan.training.metrics import confusion_png, evaluate, report_table

    model, vocab, cfg, labels = load_checkpoint(folder)
    out = Path(folder) / "eval"
    out.mkdir(exist_ok=True)
    for name, pages in load_eval_pages(specs).items():
        metrics = evaluate(model, vocab, cfg, labels, pages)
        (out / f"metrics-{name}.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
        (out / f"report-{name}.md").write_text(report_table(metrics) + "\n", encoding="utf-8")
        confusion_png(metrics["confusion"], labels, out / f"confusion-{name}.png", f"{name}: tokens")


def _all_evals(folder: Path, meta: dict[str, Any]) -> dict[str, Any]:
    evals: dict[str, Any] = dict(meta.get("eval", {}))
    for path in sorted((folder / "eval").glob("metrics-*.json")):
        name = path.stem.removeprefix("metrics-")
        if name not in evals:
            m = json.loads(path.read_text(encoding="utf-8"))
            evals[name] = {k: m[k] for k in ("f1", "precision", "recall", "token_accuracy", "pages")}
    return evals


def write_card(folder: Path, compare: Sequence[Path] = ()) -> Path:
    """Write ``<folder>/README.md`` from the checkpoint's records; returns its path."""
    folder = Path(folder)
    meta = _meta(folder)
    model = meta["model"]
    evals = _all_evals(folder, meta)
    others = {str(c): {**_meta(Path(c)), "eval": _all_evals(Path(c), _meta(Path(c)))} for c in compare}
    init = meta.get("init") or ("masked-token pretraining" if meta.get("pretrain") else "random")
    lines = [
        "# juesuan token classifier",
        "",
        "Layout-aware token classifier (版面感知字段标注) used by `juesuan extract` (stage `label`, kind",
        "`classifier`): one label per OCR token from its characters, its box (0-1000) and its table row/column;",
        "a cell takes the majority label of its characters. Architecture: LayoutLM encoder (transformers, config",
        "built locally, no downloaded weights) over tokens composed from character embeddings",
        "(`juesuan/models/token_classifier.py`).",
        "",
        "| | |",
        "| --- | --- |",
        f"| trained | {meta.get('trained', '?')} |",
        f"| command | `{meta.get('command', '?')}` |",
        f"| seed | {meta.get('seed', '?')} |",
        f"| MLflow run | `{meta.get('mlflow_run_id', '?')}` (registered model `juesuan-token-classifier`) |",
        *(
            [f"| registry version | `{meta['registry']['name']}` v{meta['registry']['version']} (exported) |"]
            if meta.get("registry")
            else []
        ),
        f"| initialised from | {init} |",
        f"| parameters | {meta.get('parameters', 0):,} |",
        f"| size | hidden {model['hidden_size']}, {model['num_hidden_layers']} layers, "
        f"{model['num_attention_heads']} heads, FFN {model['intermediate_size']}, ≤ {model['max_positions']} "
        f"tokens per window, ≤ {model['max_token_chars']} chars per token |",
        f"| fine-tuning | {meta.get('history', {}).get('steps', '?')} steps, "
        f"{meta.get('history', {}).get('epochs', '?')} epochs, stopped by "
        f"{meta.get('history', {}).get('stopped', '?')}, {meta.get('fit_minutes', '?')} min wall |",
        f"| training pages | {meta.get('train_pages', '?')} (content sha256 `{meta.get('train_sha256', '?')[:16]}`) |",
        f"| labels | {', '.join(meta['labels'])} (configs/labels.yaml; OTHER is the outside class for F1) |",
        "",
        "## Files",
        "",
        "| file | sha256 |",
        "| --- | --- |",
    ]
    for name in ("model.safetensors", "config.json", "vocab.txt", "labels.json"):
        path = folder / name
        if path.is_file():
            lines.append(f"| {name} | `{_sha256(path)}` |")
    lines += data_section(meta)
    pre = meta.get("pretrain") or {}
    if pre:
        lines += [
            "",
            "## Pretraining",
            "",
            f"Masked-token modelling (bag of characters of 15 % masked tokens) on {int(pre.get('pages', 0))} "
            f"unlabelled pages, {int(pre.get('steps', 0))} steps, {pre.get('minutes', 0):.1f} min; loss "
            f"{pre.get('first_loss', float('nan')):.3f} → {pre.get('last_loss', float('nan')):.3f}. Pages of "
            "the evaluation documents are excluded.",
        ]
    lines += ["", "## Results (entity P/R/F1, seqeval; one entity = the tokens of one cell or text line)", ""]
    header = "| evaluation set | pages | precision | recall | F1 | token accuracy |"
    for name in others:
        header += f" F1 of `{name}` |"
    lines += [header, "| --- " * (6 + len(others)) + "|"]
    for set_name, m in evals.items():
        row = (
            f"| {set_name} | {m['pages']} | {m['precision']:.4f} | {m['recall']:.4f} | **{m['f1']:.4f}** | "
            f"{m['token_accuracy']:.4f} |"
        )
        for other in others.values():
            o = other.get("eval", {}).get(set_name)
            row += f" {o['f1']:.4f} |" if o else " – |"
        lines.append(row)
    if others:
        lines.append("")
        for name, other in others.items():
            h = other.get("history", {})
            plain = not other.get("pretrain") and not other.get("init")
            how = "no pretraining (random init)" if plain else "see its card"
            lines.append(
                f"`{name}`: {how}, {h.get('steps', '?')} fine-tuning steps, same data, seed and noise "
                f"(`{other.get('command', '?')}`)."
            )
    for set_name in evals:
        report = folder / "eval" / f"report-{set_name}.md"
        if report.is_file():
            lines += [
                "",
                f"### Per label: {set_name}",
                "",
                report.read_text(encoding="utf-8").strip(),
                "",
                f"Confusion matrix (tokens): `eval/confusion-{set_name}.png`.",
            ]
    lines += [
        "",
        "## Reproduce",
        "",
        "```",
        meta.get("command", "juesuan train --config configs/train/token_classifier.yaml"),
        "```",
        "",
        "Synthetic pages are generated in memory from the configured seed (cached in runs/synth-cache);",
        "auto-labelled real pages are read from the folders in `data.datasets` when present.",
        "",
        "## Weak spots",
        "",
        WEAK_SPOTS,
    ]
    out = folder / "README.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write a checkpoint's model card")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--compare", type=Path, nargs="*", default=[], help="checkpoints to show as F1 columns")
    parser.add_argument(
        "--eval",
        nargs="*",
        default=[],
        help="<folder>:<split> sets to evaluate first (all checkpoints), e.g. runs/real-autolabel:test",
    )
    args = parser.parse_args(argv)
    for folder in [args.folder, *args.compare]:
        if args.eval:
            evaluate_into(folder, args.eval)
    print(write_card(args.folder, args.compare))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
