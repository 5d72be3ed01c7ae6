"""Row names read from the 经济分类 vocabulary (issue 12, fax): the class, and what ``read_item_names`` does to it.

For each RUN (an evaluation output folder): its ``no_row`` truth cells, how many of them are code-less rows whose
truth name is a vocabulary name (the class), and of those how many the extracted row misread by one character
(edit distance 1, the near-miss part of the class); then every table in ``RUN/extract/*/document.json`` is passed
through ``read_item_names`` with the code on the path (OCR is not run), each renamed row is printed, and the
``no_row`` cells whose truth name the page now has are counted. A rename to a name no truth row of the page has is
counted as wrong.

    python benchmarks/vocabulary_names.py /work/main/runs/eval-wide-final/{fax,scan,photo}
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

from juesuan.datamodel.document import Document
from juesuan.evaluation.metrics import edit_distance
from juesuan.inference.assemble import read_item_names
from juesuan.validation.codes import load_catalogue


def main(runs: list[str]) -> None:
    items = load_catalogue().named_items("economic")
    vocab = {e.name for e in items}
    for run in map(Path, runs):
        no_row: dict[tuple[str, int], list[dict]] = collections.defaultdict(list)
        names: dict[tuple[str, int], set[str]] = collections.defaultdict(set)
        for line in (run / "cells.jsonl").open(encoding="utf-8"):
            d = json.loads(line)
            key = (d["doc"].removesuffix(".pdf"), d["page"])
            names[key].add(d["name"])
            if d["status"] == "no_row":
                no_row[key].append(d)
        in_class = [d for v in no_row.values() for d in v if d["code"] is None and d["name"] in vocab]
        renamed = wrong = fixed = near = 0
        for path in sorted((run / "extract").glob("*/document.json")):
            stem, _, rest = path.parent.name.partition("__p")
            key = (stem, int(rest[:3]) - 1)
            doc = Document.model_validate_json(path.read_text(encoding="utf-8"))
            for table in doc.tables:
                for old, new in zip(table.rows, read_item_names(list(table.rows), items), strict=True):
                    if old.name == new.name:
                        continue
                    renamed += 1
                    hits = [d for d in no_row.get(key, []) if d["name"] == new.name]
                    fixed += len(hits)
                    near += len(hits) if edit_distance(old.name or "", new.name or "") == 1 else 0
                    wrong += new.name not in names.get(key, set())
                    print(f"  {stem} page {key[1]} {table.id}: {old.name!r} -> {new.name!r}, no_row cells: {len(hits)}")
        total = sum(map(len, no_row.values()))
        print(
            f"{run}: no_row {total}; code-less with a vocabulary name {len(in_class)}; rows renamed {renamed} "
            f"(to a name not on the page: {wrong}); no_row cells whose name the page now has {fixed} "
            f"(misread by one character: {near})"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
