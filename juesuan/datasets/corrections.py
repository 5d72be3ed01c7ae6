"""Reviewed pages → labelled pages: ``juesuan label --from-corrections OUT/ -o datasets/corrections/``.

A page becomes training data when a person looked at it in ``juesuan review``: a table on it was edited or
confirmed (corrections.jsonl). Its tokens are the table cells of document.json as they stand after review: text,
label and grid position, with the human edits in them; a reviewed page left unchanged counts as confirmed, so its
machine labels are taken as right. Header text is one HEADER token per column run above the first row (document.json
keeps headers on columns, without boxes, so the box spans the column's cells and the gap above the first row).

The image is the source page rendered again the way extraction saw it (dpi, rotation, deskew from document.json),
cropped to the reviewed tables plus a margin, so a person checking the dataset sees exactly what was labelled.
Splits are by page (a stable hash of the page id) unless ``split_by="document"``: a few dozen corrected pages
usually come from two or three documents, and a document-level split would leave no held-out page for the gate.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from juesuan.datamodel.document import Document, Table
from juesuan.datamodel.labelled import LabelledPage, LabelledTable, LabelledToken
from juesuan.inference.page_image import render_page
from juesuan.review import log as corrections

log = logging.getLogger(__name__)

MARGIN_PX = 24


def _header_tokens(table: Table, ti: int, page: int) -> list[LabelledToken]:
    """One HEADER token per run of equal column headers, boxed above the table's first row on ``page``."""
    rows = [r for r in table.rows if any(c.page == page and any(c.bbox) for c in r.cells)]
    if not rows or not table.columns:
        return []
    first_top = min(c.bbox[1] for c in rows[0].cells if c.page == page and any(c.bbox))
    top = table.bbox[1] if table.bbox[1] < first_top else max(0.0, first_top - 40)
    xs: dict[int, tuple[float, float]] = {}
    for r in rows:
        for c in r.cells:
            if c.page == page and any(c.bbox):
                x0, x1 = xs.get(c.col, (c.bbox[0], c.bbox[2]))
                xs[c.col] = (min(x0, c.bbox[0]), max(x1, c.bbox[2]))
    out: list[LabelledToken] = []
    run: list[int] = []
    cols = sorted(table.columns, key=lambda c: c.index)

    def flush() -> None:
        boxes = [xs[i] for i in run if i in xs]
        header = cols_by_index[run[0]].header.strip()
        if boxes and header and first_top - top >= 4:
            x0, x1 = min(b[0] for b in boxes), max(b[1] for b in boxes)
            out.append(
                LabelledToken(text=header, bbox=[x0, top, x1, first_top], label="HEADER", row=0, col=run[0], table=ti)
            )

    cols_by_index = {c.index: c for c in cols}
    for col in cols:
        if run and cols_by_index[run[-1]].header == col.header and col.index == run[-1] + 1:
            run.append(col.index)
            continue
        if run:
            flush()
        run = [col.index]
    if run:
        flush()
    return out


def page_tokens(doc: Document, page: int, tables: Sequence[Table]) -> tuple[list[LabelledToken], list[LabelledTable]]:
    """Tokens (headers, then cells row by row) and table outlines of ``tables`` on ``page``; grid rows start at 1
    under the header row 0, the way the classifier sees a table at extraction."""
    tokens: list[LabelledToken] = []
    outlines: list[LabelledTable] = []
    for ti, table in enumerate(tables):
        cells = [(r, c) for r in table.rows for c in r.cells if c.page == page and c.text.strip() and any(c.bbox)]
        if not cells:
            continue
        tokens += _header_tokens(table, ti, page)
        for row, cell in cells:
            tokens.append(
                LabelledToken(
                    text=cell.text.strip(),
                    bbox=[float(v) for v in cell.bbox],
                    label=cell.label or "OTHER",
                    row=row.index + 1,
                    col=cell.col,
                    table=ti,
                )
            )
        n_cols = max([c.index for c in table.columns] + [c.col for _, c in cells]) + 1
        outlines.append(
            LabelledTable(
                bbox=[float(v) for v in table.bbox],
                type=table.type,
                n_rows=len(table.rows) + 1,
                n_cols=n_cols,
                title=table.title,
            )
        )
    return tokens, outlines


def _crop_box(tokens: Sequence[LabelledToken], width: int, height: int) -> tuple[int, int, int, int]:
    x0 = max(0, int(min(t.bbox[0] for t in tokens)) - MARGIN_PX)
    y0 = max(0, int(min(t.bbox[1] for t in tokens)) - MARGIN_PX)
    x1 = min(width, int(max(t.bbox[2] for t in tokens)) + MARGIN_PX)
    y1 = min(height, int(max(t.bbox[3] for t in tokens)) + MARGIN_PX)
    return x0, y0, x1, y1


def _split(key: str, seed: int, dev: float, test: float) -> str:
    h = int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big") / 2**64
    return "test" if h < test else "dev" if h < test + dev else "train"


@dataclass
class CorrectionsResult:
    pages: int = 0
    edited_pages: int = 0
    confirmed_pages: int = 0
    edits: int = 0
    documents: int = 0
    tokens: int = 0
    splits: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def reviewed_pages(folder: Path) -> dict[int, dict[str, Any]]:
    """``{page: {"tables": {table ids}, "edits": n}}`` from a document folder's corrections log."""
    pages: dict[int, dict[str, Any]] = {}
    for record in corrections.read(folder):
        for page in record.pages:
            entry = pages.setdefault(page, {"tables": set(), "edits": 0})
            entry["tables"].add(record.table)
            entry["edits"] += record.kind == "edit"
    return pages


def build_dataset(
    root: Path,
    dest: Path,
    seed: int = 0,
    dev: float = 0.1,
    test: float = 0.2,
    split_by: Literal["page", "document"] = "page",
    command: str | None = None,
) -> CorrectionsResult:
    """Every reviewed page under ``root`` → ``dest/{train,dev,test}.jsonl`` + ``images/`` + README.md (card)."""
    from PIL import Image

    from juesuan.datasets.labelled_page import SPLITS, manifest_path, write_manifest
    from juesuan.io.atomic import sha256_file, write_bytes
    from juesuan.review.store import ReviewStore

    store = ReviewStore(root)
    dest = Path(dest)
    (dest / "images").mkdir(parents=True, exist_ok=True)
    result = CorrectionsResult()
    by_split: dict[str, list[LabelledPage]] = {s: [] for s in SPLITS}
    for doc_id, folder in store.documents().items():
        pages = reviewed_pages(folder)
        if not pages:
            continue
        doc = store.load(doc_id)
        result.documents += 1
        stem = Path(doc.source.path).stem
        for page, seen in sorted(pages.items()):
            tables = [t for t in doc.tables if t.id in seen["tables"] and page in t.pages]
            tokens, outlines = page_tokens(doc, page, tables)
            if not tokens:
                result.skipped.append(f"{doc_id} page {page + 1}: no cells with text and boxes")
                continue
            info = next(p for p in doc.pages if p.index == page)
            x0, y0, x1, y1 = _crop_box(tokens, info.width, info.height)
            image = render_page(doc, page)[y0:y1, x0:x1]
            name = f"images/{doc.source.sha256[:12]}-p{page + 1:03d}.png"
            import io

            buf = io.BytesIO()
            Image.fromarray(image).save(buf, format="PNG")
            write_bytes(dest / name, buf.getvalue())

            def shift(b: Sequence[float], x0: int = x0, y0: int = y0) -> list[float]:
                return [round(b[0] - x0, 1), round(b[1] - y0, 1), round(b[2] - x0, 1), round(b[3] - y0, 1)]

            page_id = f"{stem}#{page}"
            split = _split(page_id if split_by == "page" else stem, seed, dev, test)
            labelled = LabelledPage(
                id=page_id,
                image=name,
                sha256=sha256_file(dest / name),
                width=int(x1 - x0),
                height=int(y1 - y0),
                dpi=info.dpi,
                source="corrections" if seen["edits"] else "confirmed",
                document=stem,
                page_index=page,
                tokens=[t.model_copy(update={"bbox": shift(t.bbox)}) for t in tokens],
                tables=[o.model_copy(update={"bbox": shift(o.bbox)}) for o in outlines],
            )
            by_split[split].append(labelled)
            result.pages += 1
            result.tokens += len(tokens)
            result.edits += seen["edits"]
            result.edited_pages += seen["edits"] > 0
            result.confirmed_pages += seen["edits"] == 0
    for split, pages_ in by_split.items():
        if pages_:
            write_manifest(manifest_path(dest, split), pages_)
        elif manifest_path(dest, split).exists():
            manifest_path(dest, split).unlink()
    result.splits = {s: len(p) for s, p in by_split.items()}
    write_card(dest, root, result, seed=seed, dev=dev, test=test, split_by=split_by, command=command)
    return result


def write_card(
    dest: Path,
    root: Path,
    result: CorrectionsResult,
    *,
    seed: int,
    dev: float,
    test: float,
    split_by: str,
    command: str | None,
) -> Path:
    """``dest/README.md``: where the pages came from, how they were split, what the set does not cover."""
    from juesuan.io.atomic import write_text

    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    lines = [
        "# Corrections dataset (juesuan review → labelled pages)",
        "",
        "Pages a person reviewed in `juesuan review`, turned into labelled pages by",
        f"`{command or f'juesuan label --from-corrections {root} -o {dest}'}` on {when}.",
        "",
        "| | |",
        "| --- | --- |",
        f"| source | document folders under `{root}` (document.json + corrections.jsonl) |",
        f"| documents | {result.documents} |",
        f"| pages | {result.pages} ({result.edited_pages} with edits, {result.confirmed_pages} confirmed unchanged) |",
        f"| edits | {result.edits} |",
        f"| tokens | {result.tokens} |",
        f"| splits | {', '.join(f'{k} {v}' for k, v in result.splits.items())} (by {split_by}, seed {seed}, "
        f"dev {dev:.0%}, test {test:.0%}) |",
        "| licence | as the source documents (government disclosures, public) |",
        "",
        "Tokens are the table cells after review (text, label, grid row/column; header text as one HEADER token",
        "per column run); page text outside tables (titles, unit lines) is not included. Images are the source",
        "pages rendered again as extraction saw them and cropped to the reviewed tables; boxes are in the crop's",
        "pixels. Confirmed pages carry the machine's labels, which a person accepted by looking, not by checking",
        "every cell. "
        + (
            "Pages of one document can sit in different splits (split by page), so test measures the same "
            "documents' other pages, not unseen documents."
            if split_by == "page"
            else "Documents never straddle splits."
        ),
        "",
    ]
    if result.skipped:
        lines += ["Skipped:", "", *(f"- {s}" for s in result.skipped), ""]
    path = Path(dest) / "README.md"
    write_text(path, "\n".join(lines))
    return path
