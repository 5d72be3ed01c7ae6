"""Labelled pages → model windows, OCR-realistic noise, and entity tags for seqeval.

The shipped labeller sees OCR output, never the clean renderer text, so training pages pass through
:func:`add_ocr_noise` (character confusions, token split/merge, box jitter, grid slips, lost tables) each epoch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from juesuan.datamodel.labelled import LabelledPage
from juesuan.models.token_classifier import TokenUnit, reading_order, to_1000

# OCR confusions seen on PP-OCR output of scanned tables (both directions are applied).
CONFUSIONS: tuple[tuple[str, str], ...] = (
    ("0", "O"),
    ("0", "o"),
    ("0", "D"),
    ("1", "l"),
    ("1", "I"),
    ("1", "7"),
    ("5", "S"),
    ("8", "B"),
    ("8", "3"),
    ("6", "b"),
    ("2", "Z"),
    ("9", "g"),
    (",", "."),
    (",", "，"),
    (".", "·"),
    ("-", "一"),
    ("-", "—"),
    ("口", "0"),
    ("人", "入"),
    ("己", "已"),
    ("未", "末"),
    ("土", "士"),
    ("日", "曰"),
    ("%", "％"),
)
_CONFUSE: dict[str, list[str]] = {}
for _a, _b in CONFUSIONS:
    _CONFUSE.setdefault(_a, []).append(_b)
    _CONFUSE.setdefault(_b, []).append(_a)


class NoiseOptions(BaseModel):
    """Probabilities of OCR-like corruptions applied to training pages (per token unless said otherwise)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    char_confusion: float = Field(0.08, ge=0, le=1, description="replace one character by a look-alike")
    char_drop: float = Field(0.03, ge=0, le=1, description="drop or duplicate one character")
    split: float = Field(0.04, ge=0, le=1, description="split a token in two (OCR breaks a line)")
    merge: float = Field(0.04, ge=0, le=1, description="merge with the next token of the same cell/line")
    box_jitter: float = Field(6.0, ge=0, description="max box jitter in 0-1000 units")
    grid_slip: float = Field(0.02, ge=0, le=1, description="row or column index off by one")
    lose_tables: float = Field(0.05, ge=0, le=1, description="per page: tokens lose their table/row/col")


def page_units(page: LabelledPage) -> list[TokenUnit]:
    """Tokens of a labelled page as model units, in the canonical reading order."""
    units = [
        TokenUnit(
            text=t.text,
            bbox_1000=to_1000(t.bbox, page.width, page.height),
            row=-1 if t.row is None or t.table is None else t.row,
            col=-1 if t.col is None or t.table is None else t.col,
            table=-1 if t.table is None or t.row is None else t.table,
            label=t.label,
        )
        for t in page.tokens
        if t.text.strip()
    ]
    return [units[i] for i in reading_order(units)]


def _same_group(a: TokenUnit, b: TokenUnit) -> bool:
    if a.table >= 0 or b.table >= 0:
        return (a.table, a.row, a.col) == (b.table, b.row, b.col)
    return abs(a.bbox_1000[1] - b.bbox_1000[1]) <= 5 and a.label == b.label


def add_ocr_noise(units: Sequence[TokenUnit], rng: np.random.Generator, opt: NoiseOptions) -> list[TokenUnit]:
    """A corrupted copy of a page's units (labels follow their tokens; merged tokens keep the first label)."""
    lose = rng.random() < opt.lose_tables
    out: list[TokenUnit] = []
    i = 0
    n = len(units)
    while i < n:
        u = units[i]
        text = u.text
        if i + 1 < n and rng.random() < opt.merge and _same_group(u, units[i + 1]) and units[i + 1].label == u.label:
            v = units[i + 1]
            text = text + v.text
            box = (
                min(u.bbox_1000[0], v.bbox_1000[0]),
                min(u.bbox_1000[1], v.bbox_1000[1]),
                max(u.bbox_1000[2], v.bbox_1000[2]),
                max(u.bbox_1000[3], v.bbox_1000[3]),
            )
            u = TokenUnit(text, box, u.row, u.col, u.table, u.label)
            i += 1
        i += 1
        if text and rng.random() < opt.char_confusion:
            positions = [k for k, ch in enumerate(text) if ch in _CONFUSE]
            if positions:
                k = int(rng.choice(positions))
                text = text[:k] + str(rng.choice(_CONFUSE[text[k]])) + text[k + 1 :]
        if len(text) > 1 and rng.random() < opt.char_drop:
            k = int(rng.integers(len(text)))
            text = text[:k] + text[k + 1 :] if rng.random() < 0.5 else text[:k] + text[k] + text[k:]
        row, col, table = u.row, u.col, u.table
        if table >= 0 and rng.random() < opt.grid_slip:
            if rng.random() < 0.5:
                row = max(0, row + int(rng.choice([-1, 1])))
            else:
                col = max(0, col + int(rng.choice([-1, 1])))
        if lose:
            row, col, table = -1, -1, -1
        j = opt.box_jitter
        box = tuple(int(np.clip(v + rng.uniform(-j, j), 0, 1000)) for v in u.bbox_1000) if j > 0 else u.bbox_1000
        x0, y0, x1, y1 = box
        box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        if len(text) >= 4 and rng.random() < opt.split:
            k = int(rng.integers(1, len(text)))
            xm = int(x0 + (x1 - x0) * k / len(text))
            out.append(TokenUnit(text[:k], (box[0], box[1], xm, box[3]), row, col, table, u.label))
            out.append(TokenUnit(text[k:], (xm, box[1], box[2], box[3]), row, col, table, u.label))
        else:
            out.append(TokenUnit(text or u.text, box, row, col, table, u.label))  # type: ignore[arg-type]
    return out


def entity_tags(units: Sequence[TokenUnit], labels: Sequence[str | None], outside: str = "OTHER") -> list[str]:
    """IOB tags for seqeval: consecutive tokens of one cell (or one line outside tables) with one label = one entity.

    ``OTHER`` is the outside class, so page numbers and stamps do not inflate F1.
    """
    tags: list[str] = []
    prev: tuple[TokenUnit, str] | None = None
    for u, lab in zip(units, labels, strict=True):
        if lab is None or lab == outside:
            tags.append("O")
            prev = None
            continue
        if prev is not None and prev[1] == lab and _same_group(prev[0], u):
            tags.append(f"I-{lab}")
        else:
            tags.append(f"B-{lab}")
        prev = (u, lab)
    return tags


def pages_sha256(pages: Iterable[LabelledPage]) -> str:
    """Hash of the pages' content (ids, tokens, labels): the dataset fingerprint logged to MLflow."""
    h = hashlib.sha256()
    for page in pages:
        h.update(page.model_dump_json(exclude_none=True).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def load_pages(source: str | Path, split: str) -> list[LabelledPage]:
    """Pages of one split: ``source`` is a dataset folder (``<split>.jsonl`` inside), a JSONL manifest or a Label
    Studio JSON export (corrected pages go straight into retraining); a single file counts as the train split."""
    from juesuan.datasets.labelled_page import manifest_path, read_manifest

    path = Path(source)
    if path.is_file() and path.suffix == ".json":
        import json

        from juesuan.datasets.label_studio import import_tasks
        from juesuan.errors import InputError

        tasks = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(tasks, list):
            raise InputError(path, "expected a Label Studio JSON export (a list of tasks)")
        return import_tasks(tasks, str(path)) if split == "train" else []
    if path.is_file():
        return read_manifest(path) if split == "train" else []
    manifest = manifest_path(path, split)
    return read_manifest(manifest) if manifest.is_file() else []


class SynthSource(BaseModel):
    """Synthetic pages drawn in memory from the issue-5 generator (no images written): page ``i`` of ``seed``.

    Index ranges keep the splits apart (train ``[0, train)``, dev next, test after), and every synthetic page is its
    own document. Generated pages are cached as JSONL under ``cache_dir`` keyed by seed, range and generator code.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    seed: int = 1
    train_pages: int = Field(2000, ge=0)
    dev_pages: int = Field(100, ge=0)
    test_pages: int = Field(300, ge=0)
    workers: int = Field(2, ge=1)
    cache_dir: str | None = "runs/synth-cache"

    def indices(self, split: str) -> range:
        a, b = self.train_pages, self.train_pages + self.dev_pages
        return {"train": range(0, a), "dev": range(a, b), "test": range(b, b + self.test_pages)}[split]


def _synth_chunk(args: tuple[int, list[int]]) -> list[str]:
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from juesuan.datasets.synth.generator import SynthOptions, generate_page

    seed, indices = args
    opts = SynthOptions(seed=seed)
    return [generate_page(seed, i, opts).page.model_dump_json(exclude_none=True) for i in indices]


def _generator_fingerprint() -> str:
    from juesuan.datasets import synth

    h = hashlib.sha256()
    for path in sorted(Path(synth.__file__).parent.glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def synth_pages(source: SynthSource, split: str, root: Path | None = None) -> list[LabelledPage]:
    """The pages of one split (cached; regenerated when the generator code changes)."""
    import json
    from concurrent.futures import ProcessPoolExecutor

    from juesuan.datasets.labelled_page import read_manifest, write_manifest

    idx = list(source.indices(split))
    if not idx:
        return []
    cache = None
    if source.cache_dir:  # fingerprint taken before generating: the code that runs is the code named
        folder = Path(source.cache_dir)
        if not folder.is_absolute() and root is not None:
            folder = root / folder
        cache = folder / f"synth-{source.seed}-{idx[0]}-{idx[-1]}-{_generator_fingerprint()}.jsonl"
        if cache.is_file():
            return read_manifest(cache)
    chunks = [(source.seed, idx[k : k + 25]) for k in range(0, len(idx), 25)]
    if source.workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=source.workers) as pool:
            texts = [t for chunk in pool.map(_synth_chunk, chunks) for t in chunk]
    else:
        texts = [t for chunk in map(_synth_chunk, chunks) for t in chunk]
    pages = [LabelledPage.model_validate(json.loads(t)) for t in texts]
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_manifest(cache, pages)
    return pages


def labelled_to_ocr(page: LabelledPage) -> tuple[Any, list[list[str | None]]]:
    """A labelled page as the label stage's input (an OcrResult with cells), plus the gold label of every unit.

    Lets the classifier and the rules be measured through the real stage code (cell majority vote included).
    Returns ``(ocr_result, gold)`` where ``gold[t]`` lists the gold cell labels of table ``t`` in cell order and
    ``gold[-1]`` the labels of the page tokens.
    """
    import numpy as np

    from juesuan.datamodel.page import (
        CellText,
        GridCell,
        OcrResult,
        PageImage,
        PageRef,
        Region,
        RegionKind,
        TableGrid,
        TableOcr,
        Token,
    )

    n_tables = max([t.table for t in page.tokens if t.table is not None] + [len(page.tables) - 1, -1]) + 1
    cells: list[dict[tuple[int, int], list[Any]]] = [{} for _ in range(n_tables)]
    outside: list[Any] = []
    for t in page.tokens:
        if not t.text.strip():
            continue
        tok = Token(t.text, tuple(t.bbox), 1.0)  # type: ignore[arg-type]
        if t.table is not None and t.row is not None and t.col is not None:
            cells[t.table].setdefault((t.row, t.col), []).append((tok, t.label))
        else:
            outside.append((tok, t.label))
    tables = []
    gold: list[list[str | None]] = []
    for ti in range(n_tables):
        cts, labs = [], []
        for (r, c), items in sorted(cells[ti].items()):
            boxes = [it[0].bbox_px for it in items]
            box = (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
            toks = tuple(it[0] for it in items)
            cts.append(CellText(GridCell(r, c, 1, 1, box), "".join(t.text for t in toks), 1.0, toks))
            votes: dict[str, int] = {}
            for tok, lab in items:
                votes[lab] = votes.get(lab, 0) + max(1, len(tok.text))
            labs.append(max(votes, key=lambda k: votes[k]))
        if cts:
            xs = sorted({ct.cell.bbox_px[0] for ct in cts})
            ys = sorted({ct.cell.bbox_px[1] for ct in cts})
            bbox = (
                min(ct.cell.bbox_px[0] for ct in cts),
                min(ct.cell.bbox_px[1] for ct in cts),
                max(ct.cell.bbox_px[2] for ct in cts),
                max(ct.cell.bbox_px[3] for ct in cts),
            )
            grid = TableGrid(bbox, tuple(ys[:1] + ys), tuple(xs[:1] + xs), tuple(ct.cell for ct in cts), True)
            region = Region(RegionKind.TABLE, bbox, 1.0)
            tables.append(TableOcr(region, grid, tuple(cts), tuple(t for ct in cts for t in ct.tokens)))
            gold.append(labs)
    gold.append([lab for _, lab in outside])
    image = np.empty((page.height, page.width, 0), dtype=np.uint8)
    ref = PageRef(page.id, page.page_index, page.dpi)
    result = OcrResult(
        PageImage(ref, image), tuple(t.region for t in tables), tuple(tables), tuple(tok for tok, _ in outside)
    )
    return result, gold


def length_batches(windows: Sequence[Any], batch_size: int, rng: np.random.Generator) -> list[list[Any]]:
    """Shuffled batches of similar length: pages run from 10 to 500 tokens, and padding to the longest window in
    a random batch would spend most of the (CPU) step on padding."""
    order = list(rng.permutation(len(windows)))
    pool = batch_size * 32
    batches = []
    for start in range(0, len(order), pool):
        group = sorted(order[start : start + pool], key=lambda i: len(windows[i].char_ids))
        batches += [[windows[i] for i in group[k : k + batch_size]] for k in range(0, len(group), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]
