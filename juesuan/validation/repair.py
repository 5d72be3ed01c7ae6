"""Repair OCR misreadings that the identities pin down: the smallest plausible edit of ONE cell.

A cell is a suspect only when every identity touching it fails or is off by a rounding-sized amount, and one
fails: a number that satisfies any of its identities exactly is never changed. For each suspect we try every
single-character OCR-style edit of its text (digit confusions 3↔8,
1↔7, 0↔6/8/9, 5↔6…, a dropped or extra digit, a lost leading digit, a dropped/extra/moved decimal point, a comma
read as a point, letters read for digits) and keep edits after which all its identities hold. Edits are scored by
how likely OCR makes that slip, weighted up for low-confidence cells. The best edit is applied only when it fixes
more failing identities than any rival, or at least ``repair_min_ratio`` times as likely as the runner-up.
When no single edit fits, two likely digit confusions in two cells of one failing identity are tried together
(a fax copy that loses the hairline of every 4 misreads more than one cell of a column); the pair must make every
identity of both cells hold exactly and be clearly likelier than any other pair (``_pair_repair``).
In a column that is otherwise all zeros an edit back to 0.00 is the likelier one (a fax copy reads 0.00 as 0.30).
Provenance goes to ``Cell.repair`` and ``Validation.repairs``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from juesuan.datamodel.amounts import format_amount, normalize, parse_amount
from juesuan.datamodel.document import Repair, Table
from juesuan.options import ValidationOptions
from juesuan.validation.rules import CellRef, Equation, Inequality, TableRules, TableView, evaluate

# P(OCR reads b | printed a), symmetric; pairs seen in PP-OCR errors on scanned disclosures and in glyph shape.
_PAIRS = {
    ("3", "8"): 0.6,
    ("1", "7"): 0.6,
    ("0", "6"): 0.45,
    ("0", "8"): 0.45,
    ("0", "9"): 0.4,
    ("5", "6"): 0.5,
    ("6", "8"): 0.4,
    ("3", "5"): 0.3,
    ("2", "7"): 0.3,
    ("4", "9"): 0.3,
    ("8", "9"): 0.3,
    ("1", "4"): 0.2,
    ("2", "3"): 0.2,
    ("5", "9"): 0.2,
    ("6", "9"): 0.25,
    ("0", "3"): 0.15,
    ("7", "9"): 0.15,
    ("1", "2"): 0.15,
    ("0", "2"): 0.15,  # 0.00 read 0.20 on 1-bit fax copies (runs/eval-wide-s5/fax: 2 of 28 misread zeros)
}
CONFUSION: dict[tuple[str, str], float] = {**_PAIRS, **{(b, a): w for (a, b), w in _PAIRS.items()}}
# printed → read digits of a 150 dpi 1-bit copy: the strokes binarisation loses (a 4's hairline bar, an 8's left
# loops). Counted on the wide fax run (docs/robustness.md, `benchmarks/fax_digit_errors.py counts`): of 134 single
# substitutions 4→1 53, 0→9 14, 0→6 12, 6→5 12, 0→3 11, 8→3 7, 9→3 5, most read at confidence ≥ 0.95.
FADED = {"4": "1", "0": "963", "6": "5", "8": "3", "9": "3"}
# on a degraded page (below ValidationOptions.degraded_dpi) a faded-stroke edit is as likely as the likeliest scan
# confusions: 4↔1 weighs 0.2 and 0↔3 0.15 on a scan, but a 4 read 1 is 57 of 127 single-digit misreads of the
# session-6 wide fax run
FADED_WEIGHT = 0.6
OTHER_SUB = 0.05
DROPPED_DIGIT = 0.1
LOST_LEADING_DIGIT = 0.3
EXTRA_DIGIT = 0.1
DROPPED_POINT = 0.5
EXTRA_POINT = 0.3
MOVED_POINT = 0.2
COMMA_AS_POINT = 0.6
_LETTERS = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "l": "1",
        "I": "1",
        "i": "1",
        "|": "1",
        "S": "5",
        "s": "5",
        "B": "8",
        "Z": "2",
        "z": "2",
        "G": "6",
        "b": "6",
        "q": "9",
        "g": "9",
        "A": "4",
    }
)


@dataclass(frozen=True)
class Edit:
    text: str
    value: Decimal
    weight: float
    kind: str


# A leading-zero integer is never printed as an amount. On single continuation pages without a header (wanli-street
# 2024 预算, `juesuan evaluate ../shared/data/real/*.pdf`) the 项 column was taken for amounts and "01" repaired to 0.
_CODE_LIKE = re.compile(r"^0\d+$")


def _to_value(s: str) -> Decimal | None:
    if not re.fullmatch(r"\d+(\.\d+)?", s):
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _digits_and_sign(text: str) -> tuple[str, bool]:
    s = normalize(text)
    negative = False
    if s.startswith(("(", "（")) and s.endswith((")", "）")):
        negative, s = True, s[1:-1]
    if s.startswith("-"):
        negative, s = True, s[1:]
    return s, negative


LEADING_MARKS = 0.5
_TRAILING_NUMBER = re.compile(r"\d(?:[\d,.:;]*\d)?$")
_SIGNS = frozenset("-－−–+(（")


def _leading_marks_edit(text: str) -> Edit | None:
    """The number at the end of ``text`` when marks stand before it, apart from it (a gap) or not digits (a red seal
    washed to grey, read `5 3343704.00`, `7 F 242.84`, `管理诊33.31`, `1 9 660.44`): the marks were no part of the
    printed number. Digits before a gap otherwise join the number (``1 234.00`` is 1234.00), so this edit is only a
    candidate for identities to choose."""
    t = text.strip()
    m = _TRAILING_NUMBER.search(t)
    if m is None or m.start() == 0:
        return None
    before = t[: m.start()]
    if not before.strip() or set(before.strip()) <= _SIGNS or not (before[-1].isspace() or not before[-1].isdigit()):
        return None
    if before.rstrip()[-1] in ".,:;，．":  # a separator before the digits: one number (``.5,000.00``, ``1, 212, 300``)
        return None
    value = parse_amount(m.group())
    return None if value is None else Edit(m.group(), value, LEADING_MARKS, "leading_marks")


def cell_edits(text: str, typical_places: int = 2, degraded: bool = False) -> Iterator[Edit]:
    """:func:`single_edits`, with a faded-stroke substitution (``FADED``) weighted ``FADED_WEIGHT`` where the cell
    was read on a degraded page."""
    for edit in single_edits(text, typical_places):
        read, _, printed = edit.kind.partition("→")
        if degraded and printed and read in FADED.get(printed, "") and edit.weight < FADED_WEIGHT:
            edit = Edit(edit.text, edit.value, FADED_WEIGHT, edit.kind)
        yield edit


def single_edits(text: str, typical_places: int = 2) -> Iterator[Edit]:
    """Every value one OCR slip away from ``text`` (the printed value the OCR text may have come from)."""
    marks = _leading_marks_edit(text)
    if marks is not None:
        yield marks
    raw, negative = _digits_and_sign(text)
    sign = Decimal(-1) if negative else Decimal(1)
    if re.search(r"[A-Za-z|]", raw):  # letters read for digits: one candidate, the mapped text
        mapped = raw.translate(_LETTERS).replace(",", "")
        v = _to_value(mapped)
        if v is not None:
            yield Edit(mapped, sign * v, 0.9, "letter_for_digit")
            return
        raw = raw.translate(_LETTERS)
    if re.search(r"[^\d.,]", raw):
        yield from _junk_edits(raw, sign)
        return
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(\.\d+)?", raw) or re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
        # a thousands comma read as a point: 2.946.25 / 2.946
        parts = raw.split(".")
        last_is_decimals = len(parts[-1]) != 3 and len(parts) > 2
        fixed = "".join(parts[:-1]) + "." + parts[-1] if last_is_decimals else "".join(parts)
        v = _to_value(fixed)
        if v is not None:
            yield Edit(fixed, sign * v, COMMA_AS_POINT, "comma_as_point")
    s = raw.replace(",", "")
    if s.startswith(".") and _to_value("0" + s) is not None:  # .00: the leading digit was lost
        for d in "0123456789":
            yield Edit(d + s, sign * Decimal(d + s), LOST_LEADING_DIGIT, "dropped_digit")
        return
    if _to_value(s) is None:
        return
    digits = "0123456789"
    for i, ch in enumerate(s):
        if ch.isdigit():
            for d in digits:
                if d != ch:
                    t = s[:i] + d + s[i + 1 :]
                    if len(t) > 1 and t[0] == "0" and t[1] != ".":
                        continue
                    v = _to_value(t)
                    if v is not None:
                        yield Edit(t, sign * v, CONFUSION.get((d, ch), OTHER_SUB), f"{ch}→{d}")
            t = s[:i] + s[i + 1 :]  # OCR added a digit: the printed text lacks it
            v = _to_value(t) if t and not t.startswith(".") else None
            if v is not None:
                yield Edit(t, sign * v, EXTRA_DIGIT, "extra_digit")
        for d in digits:  # OCR dropped a digit here
            t = s[:i] + d + s[i:]
            if t[0] == "0" and len(t) > 1 and t[1] != ".":
                continue
            v = _to_value(t)
            if v is not None:
                yield Edit(t, sign * v, LOST_LEADING_DIGIT if i == 0 else DROPPED_DIGIT, "dropped_digit")
    for d in "123456789":
        v = _to_value(s + d) if "." in s else None
        if v is not None:
            yield Edit(s + d, sign * v, DROPPED_DIGIT, "dropped_digit")
    if "." in s:
        bare = s.replace(".", "")
        v = _to_value(bare)
        if v is not None:
            yield Edit(bare, sign * v, EXTRA_POINT, "extra_point")
        for j in range(1, len(bare)):
            t = bare[:j] + "." + bare[j:]
            if t != s and not (t[0] == "0" and j > 1):
                v = _to_value(t)
                if v is not None:
                    yield Edit(t, sign * v, MOVED_POINT, "moved_point")
    elif len(s) > typical_places and typical_places > 0:
        t = s[:-typical_places] + "." + s[-typical_places:]
        v = _to_value(t)
        if v is not None:
            yield Edit(t, sign * v, DROPPED_POINT, "dropped_point")


STRAY_MARK = 0.5
SEPARATOR_GLYPH = 0.6


def _junk_edits(raw: str, sign: Decimal) -> Iterator[Edit]:
    """A number with a character that is no digit or separator (fax speckle, a rule stroke, ``202'24``, ``12~0.5``):
    the mark was either a separator misread (→ ``.``) or a stray mark (dropped). Unreadable cells reach repair only
    through identities that fail, so the identities choose between the readings."""
    odd = [i for i, ch in enumerate(raw) if not (ch.isdigit() or ch in ".,")]
    if len(odd) > 2:
        return
    dropped = "".join(ch for i, ch in enumerate(raw) if i not in odd).replace(",", "")
    v = _to_value(dropped)
    if v is not None:
        yield Edit(dropped, sign * v, STRAY_MARK, "stray_mark")
    if len(odd) == 1 and "." not in raw:
        i = odd[0]
        t = (raw[:i] + "." + raw[i + 1 :]).replace(",", "")
        v = _to_value(t)
        if v is not None and 0 < i < len(raw) - 1:
            yield Edit(t, sign * v, SEPARATOR_GLYPH, "separator_glyph")


@dataclass(frozen=True)
class Candidate:
    ref: CellRef
    edit: Edit
    score: float
    fixed: tuple[Equation, ...]


def _format_like(original: str, value: Decimal, edit_text: str) -> str:
    """Write the corrected value in the cell's own style (thousands commas, decimals, brackets)."""
    s = normalize(original)
    places = len(edit_text.split(".", 1)[1]) if "." in edit_text else 0
    commas = "," in s or (re.fullmatch(r"[\d.]*\.\d{3}(\.\d+)?", s) is not None and abs(value) >= 1000)
    body = format_amount(abs(value), places) if commas else f"{abs(value):.{places}f}"
    if value < 0:
        return f"({body})" if s.startswith(("(", "（")) else f"-{body}"
    return body


ELSEWHERE_BOOST = 4.0
ODD_PLACES = 0.2
ROUNDING_MIN_WEIGHT = 0.3  # a repair inside rounding takes only well-known confusions (see repair_table)
# A column of zeros (the 政府性基金 / 事业收入 columns of most departments) with one small number in it: on a fax copy
# that number is a misread 0.00 (0.30, 0.90, 9.00: 28 of the 138 single-digit misreads of runs/eval-wide-s5/fax),
# so an edit back to zero is likelier than one that bends a number in a neighbouring column to fit it.
ZERO_COLUMN_BOOST = 4.0
ZERO_COLUMN_MIN = 3
# what a 1-bit copy makes of one 0 of 0.00 (a printed 0 read 3, 9, 6 or 2): a column may hold several such misread
# zeros (shanghai-putuo justice 2026 p.10 at `fax`: 其他收入 read 3.00, 3.00, 9.00 among its 0.00s), and none of them
# makes it a column of amounts
ZERO_MISREADS = frozenset(Decimal(d).scaleb(-k) for d in "2369" for k in (0, 1, 2))


def _an_amount(v: Decimal) -> bool:
    """A non-zero value that is no misread zero: one that makes a column a column of amounts."""
    return bool(v) and abs(v) not in ZERO_MISREADS


def _zero_columns(values: Mapping[CellRef, Decimal | None]) -> dict[int, tuple[int, int]]:
    """Per column: (cells with a value, cells with a non-zero value that is no misread zero)."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for ref, v in values.items():
        if v is not None:
            out[ref.col][0] += 1
            out[ref.col][1] += _an_amount(v)
    return {c: (n, nz) for c, (n, nz) in out.items()}


def _zero_boost(ref: CellRef, value: Decimal, columns: Mapping[int, tuple[int, int]], current: Decimal | None) -> float:
    """ZERO_COLUMN_BOOST for an edit to zero of a cell whose column is otherwise all zeros (≥ ZERO_COLUMN_MIN)."""
    if value != 0:
        return 1.0
    n, nonzero = columns.get(ref.col, (0, 0))
    if current is not None:
        n, nonzero = n - 1, nonzero - _an_amount(current)
    return ZERO_COLUMN_BOOST if n >= ZERO_COLUMN_MIN and nonzero == 0 else 1.0


def repair_table(
    view: TableView,
    rules: TableRules,
    options: ValidationOptions,
    known_values: Mapping[Decimal, int] | None = None,
    degraded_pages: frozenset[int] | set[int] = frozenset(),
) -> tuple[Table, list[dict[str, Any]]]:
    """Repair one table; returns (new table, provenance records). The input table is not mutated; when nothing is
    repaired the input table itself comes back (most tables: copying every row and cell for them was a sixth of
    validation's CPU).

    ``known_values`` counts the amounts printed anywhere in the document: disclosures repeat a number across
    tables (总表, 收入表, 支出表 …), so a correction to a value printed elsewhere is likelier than one to a new
    value. It breaks the tie of a = b identities, where either cell could be the misread one. ``degraded_pages``:
    pages OCR read below ``degraded_dpi``, whose faded strokes (``FADED``) are likelier edits (:func:`cell_edits`).
    """
    known = known_values or {}
    per_term = Decimal(str(options.rounding_per_term))
    values = dict(view.values)
    places = dict(view.places)
    unreadable = set(view.unreadable)
    by_cell: dict[CellRef, list[Equation]] = defaultdict(list)
    for eq in rules.equations:
        for c in eq.cells():
            by_cell[c].append(eq)
    ineqs_by_cell: dict[CellRef, list[Inequality]] = defaultdict(list)
    for q in rules.inequalities:
        ineqs_by_cell[q.low].append(q)
        ineqs_by_cell[q.high].append(q)
    typical = _typical_places({r: p for r, p in places.items() if r.col in view.amount_cols})
    table = view.table  # read until the first repair, copied then
    records: list[dict[str, Any]] = []
    for _ in range(options.repair_max_cells):
        status = {eq: evaluate(eq, values, places, per_term, unreadable).status for eq in rules.equations}
        failing = [eq for eq, st in status.items() if st == "fail"]
        if failing:
            suspects = {
                c
                for eq in failing
                for c in eq.cells()
                if all(status[e] in ("fail", "rounding", "skip") for e in by_cell[c])
                and any(status[e] == "fail" for e in by_cell[c])
            }
            accept = ("ok", "rounding", "skip")
        elif options.repair_rounding:
            # a last-digit slip (2,106.66 → 2,106.65) hides inside rounding; when two or more identities of one
            # cell are all off and one slip makes every one of them exact, that is evidence, not rounding
            suspects = {
                c
                for eq in rules.equations
                if status[eq] == "rounding"
                for c in eq.cells()
                if sum(status[e] == "rounding" for e in by_cell[c]) >= 2
                and all(status[e] in ("rounding", "skip") for e in by_cell[c])
            }
            accept = ("ok", "skip")
        else:
            break
        # inside rounding only a well-known confusion is evidence: a 合计-row cell sits in its row's and its
        # column's identities, so a rounding difference there shows in both and 2,536.91 → 2,536.92 (1↔2) fits
        # them all (yantai audit 2026 p.15, scan, once its 人员支出/公用支出 columns were named)
        min_weight = ROUNDING_MIN_WEIGHT if accept == ("ok", "skip") else 0.0
        if not suspects:
            break
        candidates: list[Candidate] = []
        columns = _zero_columns(values)
        for ref in suspects:
            cell = table.rows[ref.pos].cell(ref.col)
            if cell is None or not (cell.text or "").strip():
                continue  # an empty cell is not an OCR misreading we can undo
            if cell.source == "human":
                continue  # a person gave this value (juesuan/io/edits.py, juesuan review): human edits win
            if _CODE_LIKE.match(cell.text.strip()):
                continue  # "01", "05": a 款/项 code part in a column taken for amounts, never a printed amount
            touching = by_cell[ref]
            edits: dict[Decimal, Edit] = {}
            # a faded stroke is the likelier edit where it mends two or more failing identities of the cell (a row
            # and a column), or in a typed table: an untyped continuation page may hold an identity it cannot close
            mends = view.table.type is not None or sum(status[e] == "fail" for e in by_cell[ref]) >= 2
            for edit in cell_edits(cell.text, typical, cell.page in degraded_pages and mends):
                if edit.weight < min_weight:
                    continue
                if edit.value != values.get(ref) and (
                    edit.value not in edits or edit.weight > edits[edit.value].weight
                ):
                    edits[edit.value] = edit  # the likeliest slip that gives this value
            for edit in edits.values():
                trial = dict(values)
                trial[ref] = edit.value
                trial_places = dict(places)
                trial_places[ref] = len(edit.text.split(".", 1)[1]) if "." in edit.text else 0
                trial_unreadable = unreadable - {ref}
                outcomes = [evaluate(e, trial, trial_places, per_term, trial_unreadable) for e in touching]
                if not all(o.status in accept for o in outcomes):
                    continue
                if any(_breaks(q, trial) for q in ineqs_by_cell.get(ref, ())):
                    continue  # 得分 above its 分值 after the edit: not the printed value
                # within rounding is allowed, exact is likelier: 641.15 beats 641.14 when both fit
                slack = sum(float(abs(o.difference) / o.tolerance) for o in outcomes if o.tolerance)
                exactness = 1.0 / (1.0 + 4.0 * slack / max(len(outcomes), 1))
                conf_factor = 1.0 + 2.0 * (1.0 - float(cell.confidence))
                # a table prints one number of decimals: 0.00 → 0.500 or 60.90 → 60.990 is unlikely to be the print
                new_places = len(edit.text.split(".", 1)[1]) if "." in edit.text else 0
                if new_places != typical and places.get(ref, typical) == typical and ref not in unreadable:
                    conf_factor *= ODD_PLACES
                inside = sum(
                    1
                    for e in touching
                    for c in e.cells()
                    if values.get(c) is not None and abs(values[c] or 0) == abs(edit.value)
                )
                seen_elsewhere = ELSEWHERE_BOOST if known.get(abs(edit.value), 0) > inside else 1.0
                zero = _zero_boost(ref, edit.value, columns, values.get(ref))
                candidates.append(
                    Candidate(
                        ref,
                        edit,
                        edit.weight * conf_factor * seen_elsewhere * exactness * zero,
                        tuple(e for e in touching if status[e] in ("fail", "rounding")),
                    )
                )
        best = _choose(candidates, options.repair_min_ratio)
        chosen = [best] if best is not None else []
        # only where no single edit fits at all: where singles fit but rival each other, a pair that makes the
        # identity exact by also bending a last digit (22.75 → 22.76 to absorb rounding) is no evidence
        if not candidates and failing and len(records) + 2 <= options.repair_max_cells:
            # no single edit explains a failure: two misread cells inside one identity (a fax copy turns every
            # hairline 4 into 1), e.g. 1,415.57 = 161.60 + 741.51 + … printed 461.60 and 744.51
            pair = _pair_repair(
                failing,
                suspects,
                by_cell,
                ineqs_by_cell,
                table,
                values,
                places,
                unreadable,
                per_term,
                typical,
                options,
                degraded_pages,
            )
            chosen = list(pair)
        if not chosen:
            break
        for cand in chosen:
            if table is view.table:
                table = view.table.model_copy(deep=True)
            records.append(_apply(table, cand, values, places, unreadable))
    return table, records


def _apply(
    table: Table,
    cand: Candidate,
    values: dict[CellRef, Decimal | None],
    places: dict[CellRef, int],
    unreadable: set[CellRef],
) -> dict[str, Any]:
    """Write one chosen edit into the (copied) table and the working values; returns its provenance record."""
    ref = cand.ref
    cell = table.rows[ref.pos].cell(ref.col)
    assert cell is not None
    new_text = _format_like(cell.text, cand.edit.value, cand.edit.text)
    record = {
        "table": table.id,
        "row": table.rows[ref.pos].index,
        "col": ref.col,
        "page": cell.page,
        "original_text": cell.text,
        "corrected_text": new_text,
        "original_value": float(values[ref]) if values.get(ref) is not None else None,
        "corrected_value": float(cand.edit.value),
        "edit": cand.edit.kind,
        "score": round(cand.score, 4),
        "identities": sorted({e.rule for e in cand.fixed}),
        "identity_labels": sorted({e.label_zh for e in cand.fixed}),
    }
    cell.repair = Repair(**{k: record[k] for k in ("original_text", "corrected_value", "edit", "score", "identities")})
    cell.text = new_text
    cell.value = float(cand.edit.value)
    values[ref] = cand.edit.value
    places[ref] = len(cand.edit.text.split(".", 1)[1]) if "." in cand.edit.text else 0
    unreadable.discard(ref)
    return record


# A two-cell repair takes only digit confusions at least this likely (1↔4 at 0.2 and up): with two free edits
# almost any difference can be met by unlikely slips, so those are never tried.
PAIR_MIN_WEIGHT = 0.2


def _pair_repair(
    failing: list[Equation],
    suspects: set[CellRef],
    by_cell: Mapping[CellRef, list[Equation]],
    ineqs_by_cell: Mapping[CellRef, list[Inequality]],
    table: Table,
    values: dict[CellRef, Decimal | None],
    places: dict[CellRef, int],
    unreadable: set[CellRef],
    per_term: Decimal,
    typical: int,
    options: ValidationOptions,
    degraded_pages: frozenset[int] | set[int] = frozenset(),
) -> tuple[Candidate, ...]:
    """Two digit confusions in two cells of one failing identity that together make it hold exactly, and every
    other identity of both cells hold; applied only when that pair is ``repair_min_ratio`` times likelier than
    every other pair that fixes the same identity (on a one-column table several pairs often fit: then nothing)."""
    edits: dict[CellRef, list[Edit]] = {}
    columns = _zero_columns(values)
    for ref in suspects:
        cell = table.rows[ref.pos].cell(ref.col)
        if cell is None or cell.source == "human" or ref in unreadable or values.get(ref) is None:
            continue
        if not (cell.text or "").strip() or _CODE_LIKE.match(cell.text.strip()):
            continue
        edits[ref] = [
            e
            for e in cell_edits(cell.text, typical, cell.page in degraded_pages)
            if "→" in e.kind and e.weight >= PAIR_MIN_WEIGHT
        ]
    for eq in failing:
        cells = [c for c in eq.cells() if edits.get(c)]
        if len(cells) < 2 or any(c in unreadable for c in eq.cells()):
            continue
        target = values.get(eq.target) if eq.constant is None else eq.constant
        residual = (target or Decimal(0)) - sum(
            (eq.sign(i) * (values.get(t) or Decimal(0)) for i, t in enumerate(eq.terms)), Decimal(0)
        )

        found: list[tuple[float, Candidate, Candidate]] = []
        for i, a in enumerate(cells):
            for b in cells[i + 1 :]:
                need: dict[Decimal, Edit] = {}
                for e in sorted(edits[b], key=lambda e: e.weight):  # the likeliest edit per gain is kept
                    need[_gain(eq, b, e.value - (values.get(b) or Decimal(0)))] = e
                for ea in edits[a]:
                    eb = need.get(-residual - _gain(eq, a, ea.value - (values.get(a) or Decimal(0))))
                    if eb is None or _within_rounding(eq, a, ea, values, places, per_term, unreadable):
                        continue  # ``ea`` alone fits up to rounding: ``eb`` would only polish the rounding
                    if _within_rounding(eq, b, eb, values, places, per_term, unreadable):
                        continue
                    trial = dict(values)
                    trial[a], trial[b] = ea.value, eb.value
                    trial_places = dict(places)
                    for ref, e in ((a, ea), (b, eb)):
                        trial_places[ref] = len(e.text.split(".", 1)[1]) if "." in e.text else 0
                    touching = {e for ref in (a, b) for e in by_cell[ref]}
                    outcomes = [evaluate(e, trial, trial_places, per_term, unreadable) for e in touching]
                    if not all(o.status in ("ok", "skip") for o in outcomes):
                        continue
                    if any(_breaks(q, trial) for ref in (a, b) for q in ineqs_by_cell.get(ref, ())):
                        continue
                    fixed = tuple(
                        e for e in touching if evaluate(e, values, places, per_term, unreadable).status == "fail"
                    )
                    score = 1.0
                    for ref, e in ((a, ea), (b, eb)):
                        cell = table.rows[ref.pos].cell(ref.col)
                        score *= e.weight * (1.0 + 2.0 * (1.0 - float(cell.confidence if cell else 1.0)))
                        score *= _zero_boost(ref, e.value, columns, values.get(ref))
                    found.append((score, Candidate(a, ea, score, fixed), Candidate(b, eb, score, fixed)))
        if not found:
            continue
        found.sort(key=lambda f: f[0], reverse=True)
        if len(found) == 1 or found[1][0] * options.repair_min_ratio <= found[0][0]:
            return found[0][1], found[0][2]
    return ()


def _within_rounding(
    eq: Equation,
    ref: CellRef,
    edit: Edit,
    values: Mapping[CellRef, Decimal | None],
    places: Mapping[CellRef, int],
    per_term: Decimal,
    unreadable: set[CellRef],
) -> bool:
    """Does ``eq`` hold (exactly or within rounding) with this one edit alone?"""
    trial = dict(values)
    trial[ref] = edit.value
    trial_places = dict(places)
    trial_places[ref] = len(edit.text.split(".", 1)[1]) if "." in edit.text else 0
    return evaluate(eq, trial, trial_places, per_term, unreadable).status in ("ok", "rounding")


def _gain(eq: Equation, ref: CellRef, delta: Decimal) -> Decimal:
    """How much ``target - Σ terms`` of ``eq`` moves when the value of ``ref`` moves by ``delta``."""
    if ref == eq.target:
        return delta
    return -sum((eq.sign(i) * delta for i, t in enumerate(eq.terms) if t == ref), Decimal(0))


def _breaks(q: Inequality, values: Mapping[CellRef, Decimal | None]) -> bool:
    low, high = values.get(q.low), values.get(q.high)
    return low is not None and high is not None and low > high


def _typical_places(places: dict[CellRef, int]) -> int:
    counts: dict[int, int] = defaultdict(int)
    for p in places.values():
        counts[p] += 1
    return max(counts, key=lambda p: counts[p]) if counts else 2


def _choose(candidates: list[Candidate], min_ratio: float) -> Candidate | None:
    """The candidate fixing most failing identities, if clearly likelier than its rivals.

    Rivals are the candidates that fix at least one of the same identities (another error elsewhere in the table is
    not a rival). Among rivals fixing as many identities, the best must be ``min_ratio`` times likelier.
    """
    ranked = sorted(candidates, key=lambda c: (len(c.fixed), c.score), reverse=True)
    for best in ranked:
        fixed = set(best.fixed)
        rivals = [
            o
            for o in ranked
            if o is not best and fixed & set(o.fixed) and not (o.ref == best.ref and o.edit.value == best.edit.value)
        ]
        if any(len(o.fixed) > len(best.fixed) for o in rivals):
            continue  # a rival explains more of these failures; it is ranked earlier and was not clear either
        same = [o for o in rivals if len(o.fixed) == len(best.fixed)]
        if all(o.score * min_ratio <= best.score * (1 + 1e-9) for o in same):
            return best
    return None
