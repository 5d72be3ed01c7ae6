"""Structure-only accuracy on every table page: words from the PDF's text layer (no OCR), the ruled grid and the
assembler, scored against the text-layer truth (issue 12).

OCR costs ~90 % of a page's seconds, so a `juesuan evaluate` over all table pages of the 39 shared documents is
hours on the 2-core box; this reads the same pages in seconds each and isolates what the structure stages
(grid → assemble) do with right text. It is not the `scan` figure: no token labels, no OCR slips.

    OMP_NUM_THREADS=1 python benchmarks/structure_textlayer.py ../shared/data/real/*.pdf \
        ../shared/data/real-wide/*.pdf --families configs/eval/wide.yaml \
        --truth-cache runs/eval-wide/truth-cache --out out/structure.json

Two code versions on the same pages: run it twice with PYTHONPATH pointing at each tree.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from juesuan.datamodel.document import Document, PageInfo, Source
from juesuan.evaluation.defects import document_defects
from juesuan.evaluation.families import load_families
from juesuan.evaluation.harness import EvaluateOptions, collect_truth
from juesuan.evaluation.metrics import match_page
from juesuan.evaluation.textlayer import text_layer_page
from juesuan.evaluation.truth import TruthPage
from juesuan.inference.assemble import Assembler
from juesuan.inference.grid import RuledGrid


def page_result(tp: TruthPage, pdf_path: Path, grid: RuledGrid) -> dict[str, Any]:
    page = text_layer_page(pdf_path, tp.page, tp.dpi, grid)
    tables = Assembler()([page])
    h, w = page.page.image.shape[:2]
    doc = Document(
        source=Source(path=str(pdf_path), sha256="", pages=1),
        pages=[PageInfo(index=tp.page, width=w, height=h, dpi=tp.dpi)],
        tables=tables,
    )
    outcomes = match_page(tp, doc)
    return {
        "doc": tp.doc,
        "page": tp.page,
        "cells": len(outcomes),
        "ok": sum(o.ok for o in outcomes),
        **document_defects(doc),
        "misses": [
            [o.truth.row_key.describe(), str(o.truth.value), o.status, o.predicted_name] for o in outcomes if not o.ok
        ],
    }


def _share(rows: Sequence[dict[str, Any]], num: str, den: str) -> float | None:
    d = sum(r[den] for r in rows)
    return round(sum(r[num] for r in rows) / d, 6) if d else None


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "pages": len(rows),
        "cells": sum(r["cells"] for r in rows),
        "value_accuracy": _share(rows, "ok", "cells"),
        "amounts": sum(r["amounts"] for r in rows),
        "orphans": sum(r["orphans"] for r in rows),
        "null_numeric": sum(r["null_numeric"] for r in rows),
        "orphan_share": _share(rows, "orphans", "amounts"),
        "null_numeric_share": _share(rows, "null_numeric", "amounts"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pdfs", nargs="+", type=Path)
    ap.add_argument("--families", type=Path, required=True, help="configs/eval/wide.yaml (families, split, exclude)")
    ap.add_argument("--truth-cache", type=Path, default=None)
    ap.add_argument("--sample-pages", type=int, default=None, help="N table pages per document (seeded as evaluate)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    split = load_families(args.families)
    pdfs = [p for p in args.pdfs if not split.excluded(p.name)]
    options = EvaluateOptions(sample_pages=args.sample_pages, mlflow=False)
    truth = collect_truth(pdfs, options, args.truth_cache)
    by_name = {p.name: p for p in pdfs}
    grid = RuledGrid()
    rows: list[dict[str, Any]] = []
    t0, c0 = time.perf_counter(), time.process_time()
    for tp in truth:
        rows.append(page_result(tp, by_name[tp.doc], grid))
    groups: dict[str, dict[str, Any]] = {"all": summary(rows)}
    for key, name_of in (("split", split.split_of), ("family", split.family_of)):
        names = sorted({name_of(r["doc"]) for r in rows})
        for n in names:
            groups[f"{key}:{n}"] = summary([r for r in rows if name_of(r["doc"]) == n])
    result = {
        "command": " ".join(sys.argv),
        "seconds": round(time.perf_counter() - t0, 1),
        "cpu_seconds": round(time.process_time() - c0, 1),
        "groups": groups,
        "pages": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    for k, v in groups.items():
        print(
            f"{k:32s} pages {v['pages']:4d} cells {v['cells']:6d} acc {v['value_accuracy']} "
            f"orphans {v['orphan_share']} nulls {v['null_numeric_share']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
