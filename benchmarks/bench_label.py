"""Label stage: speed (ms per page, CPU) and the rules-vs-classifier ablation, on held-out labelled pages.

    PYTHONPATH=. OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_label.py --threads 2 --pages 100
    PYTHONPATH=. .venv/bin/python benchmarks/bench_label.py --ablation --pages 250

Pages: the synthetic test split of configs/train/token_classifier.yaml (generated in memory, cached) or
``--data <folder>:<split>`` (e.g. datasets/real-autolabel:test). Both labellers run through the real stage
(juesuan/inference/label.py) on OcrResults built from the labelled pages, so the cell majority vote is included.
Prints a markdown table; the lead copies it into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections import defaultdict


def load(args: argparse.Namespace) -> list:
    from juesuan.training.data import load_pages, synth_pages
    from juesuan.training.train import ROOT, load_config, resolve

    if args.data:
        folder, _, split = args.data.rpartition(":")
        pages = load_pages(resolve(folder), split or "test")
    else:
        cfg = load_config(args.config)
        pages = synth_pages(cfg.data.synth, "test", ROOT)
    return pages[: args.pages]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/train/token_classifier.yaml")
    parser.add_argument("--data", help="<folder>:<split> instead of the synthetic test split")
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=8, help="pages per stage call")
    parser.add_argument("--model-dir", default="models/token-classifier")
    parser.add_argument("--ablation", action="store_true", help="cell accuracy per table type, rules vs classifier")
    args = parser.parse_args()

    import torch

    from juesuan.inference.label import ClassifierLabeler, RulesLabeler
    from juesuan.options import LabelOptions
    from juesuan.training.data import labelled_to_ocr

    torch.set_num_threads(args.threads)
    pages = load(args)
    inputs = [labelled_to_ocr(p) for p in pages]
    n_tokens = sum(len(p.tokens) for p in pages)
    stages = {
        "rules": RulesLabeler(LabelOptions(kind="rules")),
        "classifier": ClassifierLabeler(
            LabelOptions(kind="classifier", model_dir=args.model_dir, threads=args.threads)
        ),
    }
    outputs = {}
    print(
        f"{len(pages)} pages, {n_tokens / max(1, len(pages)):.0f} tokens/page, torch threads {args.threads}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"| labeller | median wall ms/page (batches of {args.batch}) | CPU ms/page | total wall s |")
    print("| --- | ---: | ---: | ---: |")
    for name, stage in stages.items():
        stage([inputs[0][0]])  # load the model outside the timing
        per_page, out = [], []
        t_all, cpu_all = time.perf_counter(), time.process_time()
        for start in range(0, len(inputs), args.batch):
            chunk = [x[0] for x in inputs[start : start + args.batch]]
            t0 = time.perf_counter()
            out += stage(chunk)
            per_page.append((time.perf_counter() - t0) * 1000 / len(chunk))
        outputs[name] = out
        cpu_ms = (time.process_time() - cpu_all) * 1000 / len(inputs)  # CPU time: robust to a busy shared machine
        print(f"| {name} | {statistics.median(per_page):.1f} | {cpu_ms:.1f} | {time.perf_counter() - t_all:.1f} |")

    if args.ablation:
        print()
        print(
            "Cell label accuracy by table type (cells with text; page tokens as 'outside tables'; "
            "the '(all ruled/borderless tables)' rows regroup the same table cells):"
        )
        print()
        stats: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for idx, (page, (_, gold)) in enumerate(zip(pages, inputs, strict=True)):
            ttype = page.fields.get("table_type") or (page.tables[0].type if page.tables else None) or "?"
            for name, out in outputs.items():
                res = out[idx]
                for t, table in enumerate(res.tables):
                    ruled = page.tables[t].ruled if t < len(page.tables) else True
                    for ct, g in zip(table.cells, gold[t], strict=True):
                        for key in (ttype, "(all ruled tables)" if ruled else "(all borderless tables)"):
                            s = stats[key][name]
                            s[0] += ct.label == g
                            s[1] += 1
                for tok, g in zip(res.tokens, gold[-1], strict=True):
                    s = stats["(outside tables)"][name]
                    s[0] += tok.label == g
                    s[1] += 1
        print("| table type | cells | rules | classifier |")
        print("| --- | ---: | ---: | ---: |")
        totals = {n: [0, 0] for n in outputs}
        for ttype in sorted(stats):
            row = stats[ttype]
            n = row["rules"][1]
            cols = []
            for name in outputs:
                c, k = row[name]
                if not ttype.startswith("(all "):  # the ruled/borderless rows regroup cells counted by type
                    totals[name][0] += c
                    totals[name][1] += k
                cols.append(f"{c / max(1, k):.4f}")
            print(f"| {ttype} | {n} | {' | '.join(cols)} |")
        print(
            f"| **all** | {totals['rules'][1]} | "
            + " | ".join(f"**{c / max(1, k):.4f}**" for c, k in totals.values())
            + " |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
