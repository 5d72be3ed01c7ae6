"""Measure detection and repair on real tables: perturb one character of one amount the way OCR does.

    PYTHONPATH=. python -m juesuan.evaluation.perturb --seeds ../shared/data/seeds [--documents out/*/document.json]

For every amount cell that takes part in at least one identity, each OCR-style slip (a confusable digit, a dropped
or extra digit, a lost leading digit, a dropped/extra decimal point, a comma read as a point) is applied alone, the
table is validated, and we count: a violation names the cell (detection, repair off); repair restores the printed
value (repair on); unperturbed tables get no repair. Seeded, so the printed numbers are reproducible.
"""

from __future__ import annotations

import argparse
import glob
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from juesuan.datamodel.amounts import normalize, parse_amount
from juesuan.datamodel.document import Document, Table, Violation
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate, check_table, document_values
from juesuan.validation.repair import CONFUSION, repair_table
from juesuan.validation.rules import TableView, build_rules, load_identities
from juesuan.validation.schema import load_schema


@dataclass(frozen=True)
class Perturbation:
    row: int  # Row.index
    col: int
    original: str
    perturbed: str
    kind: str


def perturbations(text: str) -> Iterator[tuple[str, str]]:
    """(perturbed text, kind) for every single OCR-style slip of an amount's text that changes its value."""
    s = normalize(text)
    original = parse_amount(s)
    seen: set[str] = set()

    def emit(t: str, kind: str) -> Iterator[tuple[str, str]]:
        v = parse_amount(t)
        unreadable = v is None and bool(re.search(r"\d", t))
        if t not in seen and t != s and (unreadable or (v is not None and v != original)):
            seen.add(t)
            yield t, kind

    for i, ch in enumerate(s):
        if ch.isdigit():
            for (a, b), _w in CONFUSION.items():
                if a == ch:
                    yield from emit(s[:i] + b + s[i + 1 :], f"confusion {a}→{b}")
            yield from emit(s[:i] + s[i + 1 :], "lost_leading_digit" if i == 0 else "dropped_digit")
        if ch == ".":
            yield from emit(s[:i] + s[i + 1 :], "dropped_point")
        if ch == ",":
            yield from emit(s[:i] + "." + s[i + 1 :], "comma_as_point")
    digits = [i for i, ch in enumerate(s) if ch.isdigit()]
    if digits:
        i = digits[len(digits) // 2]
        yield from emit(s[:i] + s[i] + s[i:], "extra_digit")
    if "." not in s and len(s) > 2:
        yield from emit(s[:-2] + "." + s[-2:], "extra_point")


def covered_cells(table: Table) -> set[tuple[int, int]]:
    """(Row.index, col) of amount cells that take part in at least one identity of an annotated table."""
    view = TableView.build(table, load_schema())
    rules = build_rules(view, load_identities())
    out = set()
    for eq in rules.equations:
        for ref in eq.cells():
            if view.values.get(ref) is not None:
                out.add((view.row_index(ref.pos), ref.col))
    return out


def names_cell(v: Violation, row: int, col: int) -> bool:
    cells = v.cells
    if cells:
        return [row, col] in [list(c) for c in cells]
    return row in v.rows and col in v.cols


def _with_text(doc: Document, table_id: str, row: int, col: int, text: str) -> Document:
    out = doc.model_copy(deep=True)
    t = next(t for t in out.tables if t.id == table_id)
    r = next(r for r in t.rows if r.index == row)
    c = r.cell(col)
    assert c is not None
    c.text = text
    v = parse_amount(text)
    c.value = float(v) if v is not None else None
    return out


@dataclass
class Rates:
    cells: int = 0
    covered: int = 0
    trials: int = 0
    detected: int = 0
    detected_error: int = 0
    restored: int = 0
    wrong_repair: int = 0
    clean_tables: int = 0
    clean_repairs: int = 0
    # the same counts over tables whose printed values already pass every identity (no error before perturbing)
    base_ok_trials: int = 0
    base_ok_detected: int = 0
    base_ok_restored: int = 0
    by_kind: Counter[str] | None = None
    missed_kind: Counter[str] | None = None


def measure(docs: Sequence[Document], max_trials_per_cell: int = 4, seed: int = 0) -> Rates:
    """Perturb each covered cell of each table alone; the rest of the document stays as printed."""
    rng = np.random.default_rng([seed])
    rates = Rates(by_kind=Counter(), missed_kind=Counter())
    schema = load_schema()
    config = load_identities()
    options = ValidationOptions()
    for doc in docs:
        annotated = annotate_and_validate(doc, ValidationOptions(repair=False, narrative=False))
        base_known = document_values(annotated.tables, doc.text)
        for t in annotated.tables:
            rates.cells += sum(1 for r in t.rows for c in r.cells if parse_amount(c.text or "") is not None)
            cov = covered_cells(t)
            if not cov:
                continue
            view = TableView.build(t, schema)
            rules = build_rules(view, config)
            base_errors, _ = check_table(view, rules, options)
            base_ok = not any(v.severity == "error" for v in base_errors)
            rates.clean_tables += 1
            _, clean = repair_table(view, rules, options, base_known)
            rates.clean_repairs += len(clean)
            for row, col in sorted(cov):
                cell = next(r for r in t.rows if r.index == row).cell(col)
                assert cell is not None
                choices = list(perturbations(cell.text))
                if not choices:
                    continue
                rates.covered += 1
                original = parse_amount(cell.text)
                for k in rng.permutation(len(choices))[: max_trials_per_cell or len(choices)]:
                    text, kind = choices[int(k)]
                    trial = _with_text(Document(source=doc.source, tables=[t]), t.id, row, col, text).tables[0]
                    tview = TableView.build(trial, schema)
                    trules = build_rules(tview, config)
                    found, _ = check_table(tview, trules, options)
                    rates.trials += 1
                    rates.base_ok_trials += base_ok
                    assert rates.by_kind is not None and rates.missed_kind is not None
                    rates.by_kind[kind.split(" ")[0]] += 1
                    if any(names_cell(v, row, col) for v in found):
                        rates.detected += 1
                        rates.base_ok_detected += base_ok
                        if any(names_cell(v, row, col) and v.severity == "error" for v in found):
                            rates.detected_error += 1
                    else:
                        rates.missed_kind[kind.split(" ")[0]] += 1
                    known = Counter(base_known)
                    if original:
                        known[abs(original)] -= 1
                    pv = parse_amount(text)
                    if pv:
                        known[abs(pv)] += 1
                    repaired, records = repair_table(tview, trules, options, known)
                    rc = next(x for x in repaired.rows if x.index == row).cell(col)
                    assert rc is not None
                    if parse_amount(rc.text) == original:
                        rates.restored += 1
                        rates.base_ok_restored += base_ok
                    elif records:
                        rates.wrong_repair += 1
    return rates


def main() -> int:
    from juesuan.datasets.seeds import load_seed_document

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=Path, help="folder of seed .txt files")
    parser.add_argument("--documents", nargs="*", default=[], help="document.json files (globs allowed)")
    parser.add_argument("--trials-per-cell", type=int, default=4, help="slips tried per cell (0: every one)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    docs: list[Document] = []
    if args.seeds:
        docs += [load_seed_document(p) for p in sorted(args.seeds.glob("*.txt"))]
    for pattern in args.documents:
        docs += [Document.load(Path(p)) for p in sorted(glob.glob(pattern))]
    r = measure(docs, args.trials_per_cell, args.seed)

    def pct(a: int, b: int) -> str:
        return f"{100 * a / b:.2f}% ({a}/{b})" if b else "n/a"

    print(f"documents: {len(docs)}; amount cells: {r.cells}; cells inside identities and perturbed: {r.covered}")
    print(f"perturbations: {r.trials}  by kind: {dict(r.by_kind or {})}")
    print(
        f"detection (a violation names the cell): {pct(r.detected, r.trials)}; as error: "
        f"{pct(r.detected_error, r.trials)}; missed by kind: {dict(r.missed_kind or {})}"
    )
    print(
        f"repair restores the printed value: {pct(r.restored, r.trials)}; wrong repairs: "
        f"{pct(r.wrong_repair, r.trials)}"
    )
    print(
        f"tables that pass before perturbing: detection {pct(r.base_ok_detected, r.base_ok_trials)}; "
        f"restored {pct(r.base_ok_restored, r.base_ok_trials)}"
    )
    print(f"unperturbed tables repaired: {r.clean_repairs} repairs in {r.clean_tables} tables")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
