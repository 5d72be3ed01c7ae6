"""Planted-error benchmark: detection per rule class on real text layers, and errors on the unedited documents.

    PYTHONPATH=. python -m juesuan extract --text-layer auto --no-validate --no-previews -o OUT \
        ../shared/data/real/*.pdf ../shared/data/real-wide/*.pdf
    PYTHONPATH=. python benchmarks/planted_errors.py 'OUT/*/document.json' --json docs/bench/planted.json

For every document: validate it as extracted (repair off: a text layer is what is printed) and list its errors,
warnings and rounding notes; then apply each planted class of ``juesuan.evaluation.planted`` that fits it, validate
the edited copy, and count a detection when a new violation with an expected rule id names the edited page, table
or cell. Prints a markdown table (docs/validation.md) and writes the metrics JSON.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import time
from collections import Counter, defaultdict
from pathlib import Path

from juesuan.datamodel.document import Document
from juesuan.evaluation.planted import CLASSES, detected, plant_all
from juesuan.models.type_classifier import TableTypeClassifier
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate, annotate_tables
from juesuan.validation.context import build_context
from juesuan.validation.schema import load_schema


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("documents", help="glob of document.json files (quote it)")
    ap.add_argument("--json", type=Path, help="write metrics here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--classes", default=",".join(CLASSES), help="comma-separated planted classes")
    args = ap.parse_args(argv)
    options = ValidationOptions(repair=False)
    schema = load_schema()
    classifier = TableTypeClassifier(schema)
    classes = [c for c in args.classes.split(",") if c]
    applied: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    misses: dict[str, list[str]] = defaultdict(list)
    baseline: dict[str, dict[str, object]] = {}
    t0 = time.process_time()
    paths = sorted(glob.glob(args.documents))
    for path in paths:
        doc = Document.load(Path(path))
        name = Path(path).parent.name
        typed = doc.model_copy(update={"tables": annotate_tables(doc.tables, schema, classifier)})
        base = annotate_and_validate(typed, options).validation.violations
        ctx = build_context(typed)
        sev = Counter(v.severity for v in base)
        baseline[name] = {
            "year": ctx.year,
            "year_source": ctx.year_source,
            "kind": ctx.kind,
            "issuer": ctx.issuer,
            "errors": [
                {
                    "rule": v.rule,
                    "page": v.model_dump(mode="json").get("page"),
                    "table": v.table,
                    "message": v.message_zh,
                    "text": str(v.model_dump(mode="json").get("text", ""))[:120],
                }
                for v in base
                if v.severity == "error"
            ],
            "warnings": sev.get("warning", 0),
            "warnings_by_rule": dict(Counter(v.rule for v in base if v.severity == "warning")),
            "rounding_notes": sev.get("info", 0),
        }
        for plant in plant_all(typed, schema, seed=args.seed, classes=classes):
            applied[plant.cls] += 1
            after = annotate_and_validate(plant.doc, options).validation.violations
            if detected(plant, base, after) is not None:
                hits[plant.cls] += 1
            else:
                new = sorted(
                    {(v.rule, v.model_dump(mode="json").get("page")) for v in after}
                    - {(v.rule, v.model_dump(mode="json").get("page")) for v in base},
                    key=str,
                )
                misses[plant.cls].append(f"{name}: {plant.description} — new: {new[:6]}")
        print(f"{name}: {sev.get('error', 0)} errors, {sev.get('warning', 0)} warnings", flush=True)
    cpu = time.process_time() - t0
    rows = []
    for cls in classes:
        n, k = applied[cls], hits[cls]
        rows.append({"class": cls, "documents": n, "detected": k, "rate": round(k / n, 4) if n else None})
    total_errors = sum(len(b["errors"]) for b in baseline.values())  # type: ignore[arg-type]
    print("\n| class | documents | detected | rate |\n| --- | --- | --- | --- |")
    for r in rows:
        rate = f"{100 * r['rate']:.1f} %" if r["rate"] is not None else "—"
        print(f"| {r['class']} | {r['documents']} | {r['detected']} | {rate} |")
    print(
        f"\nunedited documents: {len(baseline)}; errors: {total_errors}; warnings: "
        f"{sum(int(b['warnings']) for b in baseline.values())}; rounding notes: "  # type: ignore[call-overload]
        f"{sum(int(b['rounding_notes']) for b in baseline.values())}"
    )  # type: ignore[call-overload]
    for name, b in baseline.items():
        for e in b["errors"]:  # type: ignore[attr-defined]
            print(f"  error {name} p{(e['page'] or 0) + 1}: {e['rule']} — {e['message'][:100]}")
    for cls, lst in misses.items():
        for m in lst:
            print(f"  missed {cls}: {m}")
    print(f"cpu seconds: {cpu:.0f} (load average {os.getloadavg()[0]:.1f})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "command": "PYTHONPATH=. python benchmarks/planted_errors.py "
                    f"'{args.documents}' --seed {args.seed}",
                    "documents": len(paths),
                    "classes": rows,
                    "misses": misses,
                    "baseline": baseline,
                    "cpu_seconds": round(cpu, 1),
                    "load_average": round(os.getloadavg()[0], 1),
                    "machine": f"{platform.machine()} {os.cpu_count()} CPUs, {platform.python_implementation()} "
                    f"{platform.python_version()}",
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
