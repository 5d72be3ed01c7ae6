"""One table from several ``juesuan evaluate`` runs (one per preset): family x preset, raw ceiling alongside.

    python -m juesuan.evaluation.wide runs/eval-wide/*/metrics.json > table.md

Each run's ``metrics.groups`` (``harness.group_metrics``) gives value accuracy, orphan and null-numeric shares and
the raw PP-OCRv6 ceiling per family, per split and per document; this module only lays them side by side
(benchmarks/eval_wide.sh writes docs/benchmarks.md's "Worst preset over all 39 documents" from it).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from juesuan.evaluation.defects import pooled


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.2f}%"


def load_runs(paths: Sequence[Path], exclude: Sequence[str] = ()) -> list[tuple[str, dict[str, Any]]]:
    """(column name ``preset dpi``, metrics) per column, in the order first seen. Runs of the same preset and dpi
    (e.g. a later run over documents the first one lacked) are merged document by document, and their family,
    split and overall groups recomputed from the per-document counts; a document in two runs keeps the later."""
    by_column: dict[str, dict[str, Any]] = {}
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        opts = data["options"]
        name = f"{opts['degrade']} {opts['dpi']}"
        docs = by_column.setdefault(name, {})
        found = (data["metrics"].get("groups") or {}).get("by_document") or {}
        docs.update({d: row for d, row in found.items() if d not in exclude})
    return [(name, {"groups": regroup(docs)}) for name, docs in by_column.items()]


def regroup(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``harness.group_metrics``' family, split and overall pools, from its per-document rows."""
    families: dict[str, list[dict[str, Any]]] = {}
    splits: dict[str, list[dict[str, Any]]] = {}
    for row in documents.values():
        families.setdefault(row.get("family", ""), []).append(row)
        splits.setdefault(row.get("split", ""), []).append(row)
    by_family = {}
    for f, rows in sorted(families.items()):
        accs = [a for a in (pooled([r])["value_accuracy"] for r in rows) if a is not None]
        by_family[f] = {
            **pooled(rows),
            "split": rows[0].get("split", ""),
            "worst_document_accuracy": min(accs, default=None),
        }
    return {
        "all": pooled(documents.values()),
        "by_split": {s: pooled(rows) for s, rows in sorted(splits.items())},
        "by_family": by_family,
        "by_document": {d: {**row, **pooled([row])} for d, row in sorted(documents.items())},
    }


def _cell(part: dict[str, Any] | None) -> str:
    if not part:
        return "—"
    return f"{_pct(part.get('value_accuracy'))} ({_pct(part.get('raw_ceiling'))})"


def markdown(runs: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """Family x preset (value accuracy, raw ceiling in brackets), splits, defects, and the worst documents."""
    names = [n for n, _ in runs]
    groups = [m.get("groups") or {} for _, m in runs]
    families = sorted({f for g in groups for f in (g.get("by_family") or {})})
    split_of = {
        f: next((g["by_family"][f].get("split") for g in groups if f in g.get("by_family", {})), "") for f in families
    }
    families.sort(key=lambda f: (split_of[f] != "dev", f))
    head = "| family | split | docs | pages | cells | " + " | ".join(names) + " |"
    lines = [
        "Value accuracy per family and preset; in brackets the raw PP-OCRv6 ceiling (share of the truth numbers "
        "found anywhere in the full-page OCR text of the same degraded page).",
        "",
        head,
        "|" + " --- |" * (5 + len(names)),
    ]
    for f in families:
        first = next(g["by_family"][f] for g in groups if f in g.get("by_family", {}))
        row = [f, split_of[f], str(first.get("documents")), str(first.get("pages")), str(first.get("cells"))]
        row += [_cell((g.get("by_family") or {}).get(f)) for g in groups]
        lines.append("| " + " | ".join(row) + " |")
    for s in sorted({s for g in groups for s in (g.get("by_split") or {})}):
        first = next(g["by_split"][s] for g in groups if s in g.get("by_split", {}))
        row = [f"**{s}**", "", str(first.get("documents")), str(first.get("pages")), str(first.get("cells"))]
        row += [_cell((g.get("by_split") or {}).get(s)) for g in groups]
        lines.append("| " + " | ".join(row) + " |")
    alls = [g.get("all") or {} for g in groups]
    a0 = alls[0] if alls else {}
    lines.append(
        "| **all** | | "
        + f"{a0.get('documents')} | {a0.get('pages')} | {a0.get('cells')} | "
        + " | ".join(_cell(a) for a in alls)
        + " |"
    )
    lines += ["", "| defects | " + " | ".join(names) + " |", "|" + " --- |" * (1 + len(names))]
    for key, count, label in (
        ("orphan_share", "orphans", "orphan amounts / amounts"),
        ("null_numeric_share", "null_numeric", "numeric-looking nulls / amounts"),
    ):
        vals = [f"{_pct(a.get(key))} ({a.get(count)} of {a.get('amounts')})" for a in alls]
        lines.append(f"| {label} | " + " | ".join(vals) + " |")
    lines.append(
        "| pages with a raw ceiling / pages | "
        + " | ".join(f"{a.get('ceiling_pages')} / {a.get('pages')}" for a in alls)
        + " |"
    )
    # documents below 97% in any preset, worst first
    docs: dict[str, list[float | None]] = {}
    for k, g in enumerate(groups):
        for d, part in (g.get("by_document") or {}).items():
            docs.setdefault(d, [None] * len(groups))[k] = part.get("value_accuracy")
    bad = sorted(
        (d for d, v in docs.items() if any(x is not None and x < 0.97 for x in v)),
        key=lambda d: min(x for x in docs[d] if x is not None),
    )
    if bad:
        lines += ["", "Documents below 97% in some preset (value accuracy, raw ceiling):", ""]
        lines += ["| document | family | " + " | ".join(names) + " |", "|" + " --- |" * (2 + len(names))]
        for d in bad:
            fam = next((g["by_document"][d].get("family") for g in groups if d in g.get("by_document", {})), "")
            cells = [_cell((g.get("by_document") or {}).get(d)) for g in groups]
            lines.append(f"| {d} | {fam} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    """``[--families YAML] metrics.json...``: documents the YAML excludes are left out (a run made before they were
    excluded still lists them), and named under the table."""
    args = list(argv)
    families = None
    if args[:1] == ["--families"] and len(args) > 1:
        families, args = args[1], args[2:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    excluded: dict[str, str] = {}
    if families:
        from juesuan.evaluation.families import load_families

        excluded = {Path(d).name: why for d, why in load_families(families).exclude.items()}
    sys.stdout.write(markdown(load_runs([Path(a) for a in args], tuple(excluded))))
    if excluded:
        sys.stdout.write(
            "\nExcluded (configs/eval/wide.yaml):\n\n" + "".join(f"- {d}: {w}\n" for d, w in excluded.items())
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
