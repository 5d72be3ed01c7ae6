"""Digit misreadings of an evaluation run (issue 12, fax): what they are, why repair left them, what it does now.

``counts RUN``: the run's wrong values (``RUN/cells.jsonl``) by class: one digit substituted (and which pair), two,
a dropped digit, no value; and for each single substitution whether its table has identities, one on the cell, and
whether that identity fails (repair can act only there).

``revalidate RUN``: every page result in ``RUN/extract`` has its repairs undone and is validated again with the
code on the path; the truth cells that ``cells.jsonl`` locates are scored before (as the run stored them) and
after. OCR is not run, so this isolates validation/repair changes; the scores match the harness's where the code
is the run's own (2130 of 2130 located cells of ``runs/eval-wide-final/fax`` reproduce).

``crops PDF:PAGE ...``: each page rendered at 150 dpi and degraded exactly as the harness does (``fax`` preset,
its seed); the clean page is warped the same way, both are cut with the grid found on the copy, and every cell
whose clean crop reads as a number is read on the copy. Printed: wrong readings, and for each ``1`` read where the
clean crop reads ``4`` the recogniser's score of that character.

    OMP_NUM_THREADS=1 python benchmarks/fax_digit_errors.py counts /work/main/runs/eval-wide-final/fax
    OMP_NUM_THREADS=1 python benchmarks/fax_digit_errors.py revalidate /work/main/runs/eval-wide-final/fax
    S=../shared/data/real-wide
    OMP_NUM_THREADS=1 python benchmarks/fax_digit_errors.py crops $S/yantai_audit_2026_部门预算.pdf:14 \
        $S/jiangsu_high-court_2018_部门预算.pdf:11 $S/jiangsu_npc-standing-committee-office_2019_部门预算.pdf:5
"""

from __future__ import annotations

import collections
import json
import sys
from decimal import Decimal
from pathlib import Path

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Document


def _cells(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "cells.jsonl").open(encoding="utf-8")]


def _document(run: Path, doc: str, page: int) -> Path | None:
    stem = doc.rsplit(".", 1)[0]
    found = sorted((run / "extract").glob(f"{stem}__p{page + 1:03d}__*/document.json"))
    return found[0] if found else None


def _undo_repairs(d: Document) -> Document:
    """The document as validation received it: repairs undone, and the table types and column fields that
    validation itself decides cleared (so a typing change is measured too)."""
    for t in d.tables:
        t.type = t.type_confidence = None
        for col in t.columns:
            col.field = None
        for r in t.rows:
            for x in r.cells:
                if x.repair is not None:
                    x.text = x.repair.original_text
                    x.value = parse_amount(x.text)
                    x.repair = None
    return d


def counts(run: Path) -> None:
    from juesuan.validation.check import TableTypeClassifier, annotate_tables, load_identities, load_schema
    from juesuan.validation.rules import TableView, build_rules, evaluate

    cells = _cells(run)
    wrong = [c for c in cells if c["status"] == "wrong_value"]
    kinds: collections.Counter[str] = collections.Counter()
    pairs: collections.Counter[str] = collections.Counter()
    why: collections.Counter[str] = collections.Counter()
    schema, config = load_schema(), load_identities()
    classifier = TableTypeClassifier(schema)
    tables: dict[tuple[str, int], dict] = {}
    for c in wrong:
        a, b = c["value"], c["predicted_value"]
        if b is None:
            kinds["no value"] += 1
            continue
        if len(a) != len(b):
            kinds["dropped digit" if len(a) == len(b) + 1 else "other length"] += 1
            continue
        diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        kinds[f"{len(diff)} digits substituted"] += 1
        if len(diff) != 1:
            continue
        pairs[f"{diff[0][0]}→{diff[0][1]}"] += 1
        key = (c["doc"], c["page"])
        if key not in tables:
            path = _document(run, *key)
            doc = Document.load(path) if path else None
            doc = _undo_repairs(doc) if doc else None
            tables[key] = {t.id: t for t in annotate_tables(doc.tables, schema, classifier)} if doc else {}
        table = tables[key].get(c["table_id"].split(":")[1])
        if table is None:
            why["table not found"] += 1
            continue
        view = TableView.build(table, schema)
        rules = build_rules(view, config)
        pos = next(i for i, r in enumerate(table.rows) if r.index == c["row"])
        cols = {x.col for x in table.rows[pos].cells if x.text == c["predicted_text"]}
        eqs = [e for e in rules.equations if any(r.pos == pos and r.col in cols for r in e.cells())]
        if not rules.equations:
            why[f"table without identities (type {table.type})"] += 1
        elif not eqs:
            why["no identity on the cell"] += 1
        else:
            per = Decimal("0.005")
            st = {evaluate(e, view.values, view.places, per, set(view.unreadable)).status for e in eqs}
            why["an identity on the cell fails" if "fail" in st else "its identities hold (a repeated misreading)"] += 1
    print(f"{len(cells)} cells, {len(wrong)} wrong values")
    for k, v in kinds.most_common():
        print(f"  {v:4d}  {k}")
    print("single substitutions, printed→read:", ", ".join(f"{k} {v}" for k, v in pairs.most_common(12)))
    print("single substitutions, what repair had to work with:")
    for k, v in why.most_common():
        print(f"  {v:4d}  {k}")


def revalidate(run: Path) -> None:
    from juesuan.validation.check import annotate_and_validate

    by_page: dict[tuple[str, int], list[dict]] = collections.defaultdict(list)
    for c in _cells(run):
        if c["status"] in ("ok", "wrong_value") and c["table_id"]:
            by_page[(c["doc"], c["page"])].append(c)
    tally: collections.Counter[str] = collections.Counter()
    for (doc, page), cs in sorted(by_page.items()):
        path = _document(run, doc, page)
        if path is None:
            tally["no document.json"] += len(cs)
            continue
        d = Document.load(path)
        located = []
        for c in cs:
            t = next((t for t in d.tables if t.id == c["table_id"].split(":")[1]), None)
            r = next((r for r in t.rows if r.index == c["row"]), None) if t else None
            hit = [x.col for x in (r.cells if r else []) if x.text == c["predicted_text"]]
            if hit:
                located.append((c, t.id, c["row"], hit[0]))
            else:
                tally["not located"] += 1
        tally["errors before"] += sum(v.severity == "error" for v in (d.validation.violations if d.validation else []))
        again = annotate_and_validate(_undo_repairs(d))
        tally["errors after"] += sum(
            v.severity == "error" for v in (again.validation.violations if again.validation else [])
        )
        tally["repairs after"] += len(again.validation.repairs) if again.validation else 0
        index = {(t.id, r.index, x.col): x for t in again.tables for r in t.rows for x in r.cells}
        for c, tid, row, col in located:
            x = index[(tid, row, col)]
            now = x.value is not None and abs(Decimal(str(x.value)) - Decimal(c["value"])) < Decimal("0.001")
            was = c["status"] == "ok"
            tally["cells"] += 1
            tally["right before"] += was
            tally["right after"] += now
            if now != was:
                print("fixed" if now else "broken", doc, page, c["value"], repr(c["predicted_text"]), "→", repr(x.text))
    print(dict(tally))


def crops(specs: list[str]) -> None:
    import cv2
    import numpy as np
    import pypdfium2 as pdfium

    from juesuan.datasets.synth.degrade import degrade_with_transform
    from juesuan.evaluation.harness import page_seed
    from juesuan.inference import grid as grids
    from juesuan.inference.ocr import CellCropper
    from juesuan.models.ppocr import PpOcrEngine
    from juesuan.options import GridOptions

    engine = PpOcrEngine("ppocr_v6", 1, "cpu")
    options = GridOptions()
    scores: list[float] = []
    numbers = wrong = 0
    for spec in specs:
        name, _, index_text = spec.rpartition(":")
        index = int(index_text)
        pdf = pdfium.PdfDocument(name)
        clean = pdf[index].render(scale=150 / 72).to_numpy()[:, :, :3].copy()
        pdf.close()
        result = degrade_with_transform(clean, page_seed(7, Path(name).name, index), "fax")
        copy = result.image if result.image.ndim == 3 else cv2.cvtColor(result.image, cv2.COLOR_GRAY2RGB)
        h, w = clean.shape[:2]
        warped = cv2.warpPerspective(
            clean, np.asarray(result.matrix, dtype=float), (w, h), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255)
        )
        gray_clean = cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY)
        gray_copy = cv2.cvtColor(copy, cv2.COLOR_RGB2GRAY)
        cutter = CellCropper(150, stray_specks=True)
        for box, hs, vs in grids.group_structures(grids.detect_lines(copy, 150, options), 150, options):
            grid = grids.build_grid(box, hs, vs, 150, options)
            for lc, lf in zip(cutter(gray_clean, grid).lines, cutter(gray_copy, grid).lines, strict=True):
                if len(lc) != 1 or len(lf) != 1:
                    continue
                truth = engine.recognise([lc[0].image])[0].text.replace(",", "").replace(" ", "")
                if not truth or parse_amount(truth, ocr_slips=False) is None:
                    continue
                numbers += 1
                line = engine.recognise([lf[0].image])[0]
                read = line.text.replace(",", "").replace(" ", "")
                if read == truth:
                    continue
                wrong += 1
                print(f"{Path(name).stem} p{index}: {truth} read {line.text!r}")
                chars = [(ch, s) for ch, s in zip(line.text, line.char_scores, strict=False) if ch not in ", "]
                if len(read) == len(truth) and len(chars) == len(read):
                    scores += [s for (ch, s), t in zip(chars, truth, strict=True) if ch == "1" and t == "4"]
    print(f"{numbers} number crops, {wrong} read wrong; a 4 read 1: {len(scores)} characters", end="")
    if scores:
        print(f", recogniser score median {float(np.median(scores)):.3f}, ≥ 0.95 in {sum(s >= 0.95 for s in scores)}")
    else:
        print()


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "counts":
        counts(Path(args[0]))
    elif mode == "revalidate":
        revalidate(Path(args[0]))
    elif mode == "crops":
        crops(args)
    else:
        raise SystemExit(f"unknown mode {mode!r}: counts, revalidate or crops")
