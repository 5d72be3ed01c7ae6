"""Peer tools for the side-by-side benchmark (issue 7), read the same way as juesuan.

Each peer turns one page image into a pseudo :class:`Document` (one table per page, one row per naive row
segment), so :func:`juesuan.evaluation.metrics.match_page` scores every tool with the *same* rule: the truth value
must sit in a row with the truth row key, at the truth column's x-position.

Naive row grouping (what a user gets from raw OCR without table structure): text pieces whose vertical centre falls
inside the running row's y-span are one row; inside a row, each label (a piece with CJK text) opens a segment that
takes the integers just before it as its 科目编码 and the numbers after it as its cells. So side-by-side 收入/支出
groups get their own labels, and a number OCR put on its own line (vertically centred in a tall cell) stays unlabelled.

Peers: ``ppocr_v6`` (rapidocr 3.10 PP-OCRv6 small det+rec), ``ppocr_v4`` (rapidocr-onnxruntime 1.4.4 PP-OCRv4),
``tesseract`` (Tesseract 5 ``chi_sim``, TSV words), ``img2table`` (img2table + Tesseract, gives columns; optional),
``slanet_plus`` (issue 12: SLANet+ structure on each table's box, given from the truth, + PP-OCRv6 full-page text
placed into its cells; then the same row rule, one visual row per ``<tr>``).
Models load on first use; nothing is downloaded.
"""

from __future__ import annotations

import importlib
import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from juesuan.datamodel.amounts import normalize, parse_amount
from juesuan.datamodel.document import Cell, Document, PageInfo, Row, Source, Table
from juesuan.datamodel.page import BBox, Token
from juesuan.geometry import text_lines
from juesuan.inference.registry import PEERS
from juesuan.lexicon import HAN, INTEGER

log = logging.getLogger(__name__)

_PIECE = re.compile(r"[0-9０-９.,，．()（）%％+\-－]+|[^0-9０-９.,，．()（）%％+\-－]+")


# -------------------------------------------------------------------------------------------- naive row grouping


def _char_units(text: str) -> float:
    """Rough glyph width: CJK and full-width glyphs are twice as wide as digits."""
    return sum(2.0 if ord(ch) > 0x2E80 else 1.0 for ch in text) or 1.0


def split_pieces(tokens: Sequence[Token]) -> list[Token]:
    """Split OCR lines at spaces and at CJK/number boundaries; a piece's box is its share of the line's width."""
    out: list[Token] = []
    for tok in tokens:
        x0, y0, x1, y1 = tok.bbox_px
        total = _char_units(tok.text)
        pos = 0.0
        for word in re.split(r"(\s+)", tok.text):
            for piece in _PIECE.findall(word) if word.strip() else [word]:
                width = _char_units(piece) / total * (x1 - x0)
                if piece.strip():
                    out.append(Token(piece, (x0 + pos, y0, x0 + pos + width, y1), tok.confidence))
                pos += width
    return out


def rows_to_document(
    tokens: Sequence[Token], width: int, height: int, dpi: int, name: str = "page", page: int = 0
) -> Document:
    """Naive rows of one page as a pseudo document, for :func:`match_page`."""
    rows: list[Row] = []
    for line in text_lines(split_pieces(tokens)):
        rows += segment_row(line, page, start=len(rows))
    table = Table(id=f"{name}#p{page}", pages=[page], bbox=[0.0, 0.0, float(width), float(height)], rows=rows)
    return Document(
        source=Source(path=name, sha256="", pages=1),
        pages=[PageInfo(index=page, width=width, height=height, dpi=dpi)],
        tables=[table],
    )


def segment_row(line: Sequence[Token], page: int = 0, start: int = 0) -> list[Row]:
    """One visual row (pieces left to right) → logical rows: each label opens one, taking the integers right before
    it as its code and the numbers after it as its cells."""
    rows: list[Row] = []

    def close(codes: list[str], label: str | None, cells: list[Cell]) -> None:
        if cells or label:
            rows.append(Row(index=start + len(rows), code="".join(codes) or None, name=label, cells=cells))

    codes: list[str] = []
    label: str | None = None
    label_end = 0.0
    cells: list[Cell] = []
    pending: list[str] = []  # integers right before the next label: its 类/款/项 code
    for tok in line:
        text = normalize(tok.text)
        if HAN.search(tok.text):
            height = tok.bbox_px[3] - tok.bbox_px[1]
            if label is not None and not cells and not pending and tok.bbox_px[0] - label_end < 1.5 * height:
                label += tok.text  # one label read as two pieces
                label_end = tok.bbox_px[2]
                continue
            close(codes, label, cells)
            codes, label, cells, pending = pending, tok.text, [], []
            label_end = tok.bbox_px[2]
        elif INTEGER.match(text) and _next_is_label(line, tok):
            pending.append(text)
        elif parse_amount(tok.text) is not None:
            box = [float(v) for v in tok.bbox_px]
            cells.append(Cell(col=len(cells), text=tok.text, bbox=box, page=page, confidence=tok.confidence))
    close(codes, label, cells)
    return rows


def _next_is_label(line: Sequence[Token], tok: Token) -> bool:
    later = [t for t in line if t.bbox_px[0] > tok.bbox_px[0]]
    for t in later:
        if HAN.search(t.text):
            return True
        if not INTEGER.match(normalize(t.text)):
            return False
    return False


# ------------------------------------------------------------------------------------------------------- engines


class RapidOcrPeer:
    """Raw full-page PP-OCR (det + rec, no 180° classifier: pages are upright), one onnxruntime thread."""

    def __init__(self, version: str = "v6", threads: int = 1) -> None:
        self.version = version
        self.threads = threads
        self._engine: Callable[[np.ndarray], list[Token]] | None = None

    def _load(self) -> Callable[[np.ndarray], list[Token]]:
        """``juesuan.inference.ocr.full_page_ocr``: the same code path as the pipeline's OCR, sessions reused."""
        from juesuan.inference.ocr import PpOcrEngine, full_page_ocr

        kind = f"ppocr_{self.version}"
        engine = PpOcrEngine(kind, self.threads)
        return lambda image: list(full_page_ocr(image, kind, threads=self.threads, engine=engine))

    def tokens(self, image: np.ndarray, dpi: int | None = None) -> list[Token]:
        self._engine = self._engine or self._load()
        return self._engine(image)


def _quad_token(box: Any, text: str, score: float) -> Token:
    pts = np.asarray(box, dtype=float).reshape(-1, 2)
    return Token(
        str(text),
        (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())),
        float(score),
    )


class TesseractPeer:
    """Tesseract 5 ``chi_sim`` through its CLI (TSV); words joined into lines by Tesseract's own line ids.

    ``--psm 4`` (one column of text of variable sizes) reads table rows best of 3/4/6/11 on a 收入决算表 page at
    200 dpi: psm 6 drops decimal points (``2,112.86`` → ``211286``), psm 11 loses the rows.
    """

    def __init__(self, lang: str = "chi_sim", psm: int = 4, threads: int = 1) -> None:
        self.lang = lang
        self.psm = psm
        self.threads = threads

    @staticmethod
    def available() -> bool:
        return shutil.which("tesseract") is not None

    def tokens(self, image: np.ndarray, dpi: int | None = None) -> list[Token]:
        from PIL import Image

        with tempfile.TemporaryDirectory(prefix="juesuan-tess-") as tmp:
            src = Path(tmp) / "page.png"
            # Tesseract scales by the image's dpi; without it (70 assumed) it finds 4 of 30 lines on a 200-dpi page.
            Image.fromarray(image).save(src, dpi=(dpi, dpi) if dpi else None)
            env = {"OMP_THREAD_LIMIT": str(self.threads), "PATH": "/usr/bin:/bin"}
            proc = subprocess.run(
                ["tesseract", str(src), "stdout", "-l", self.lang, "--psm", str(self.psm), "tsv"],
                capture_output=True,
                text=True,
                check=False,
                env=env,
            )
        if proc.returncode != 0:
            raise RuntimeError(f"tesseract failed: {proc.stderr.strip()[:300]}")
        return parse_tesseract_tsv(proc.stdout)


def parse_tesseract_tsv(tsv: str) -> list[Token]:
    """Level-5 words → one token per Tesseract line, words joined (no space between CJK, one between numbers)."""
    lines: dict[tuple[int, ...], list[tuple[str, BBox, float]]] = {}
    for row in tsv.splitlines()[1:]:
        parts = row.split("\t")
        if len(parts) < 12 or parts[0] != "5" or not parts[11].strip():
            continue
        key = tuple(int(p) for p in parts[1:5])
        x, y, w, h = (float(p) for p in parts[6:10])
        lines.setdefault(key, []).append((parts[11].strip(), (x, y, x + w, y + h), float(parts[10]) / 100))
    out: list[Token] = []
    for words in lines.values():
        # A gap wider than a glyph height splits the line: Tesseract often reads a whole table row as one line.
        words.sort(key=lambda w: w[1][0])
        group: list[tuple[str, BBox, float]] = []
        for w in words:
            if group:
                prev = group[-1][1]
                if w[1][0] - prev[2] > 1.0 * max(prev[3] - prev[1], w[1][3] - w[1][1]):
                    out.append(_join_words(group))
                    group = []
            group.append(w)
        if group:
            out.append(_join_words(group))
    return out


def _join_words(words: Sequence[tuple[str, BBox, float]]) -> Token:
    text = ""
    for t, _, _ in words:
        if text and text[-1].isascii() and text[-1].isalnum() and t[0].isascii() and t[0].isalnum():
            text += " "
        text += t
    box = (
        min(w[1][0] for w in words),
        min(w[1][1] for w in words),
        max(w[1][2] for w in words),
        max(w[1][3] for w in words),
    )
    return Token(text, box, min(w[2] for w in words))


class Img2TablePeer:
    """img2table (ruled-table detection on the image) + its Tesseract OCR: a peer that also gives columns."""

    def __init__(self, lang: str = "chi_sim") -> None:
        self.lang = lang
        self._ocr: Any = None

    @staticmethod
    def available() -> str | None:
        """None when usable, else why not."""
        try:
            importlib.import_module("img2table")
        except Exception as exc:
            return f"img2table not importable: {exc}"
        if shutil.which("tesseract") is None:
            return "tesseract CLI missing"
        return None

    def document(self, image: np.ndarray, dpi: int, name: str = "page", page: int = 0) -> Document:
        from img2table.document import Image as I2TImage
        from img2table.ocr import TesseractOCR
        from PIL import Image

        self._ocr = self._ocr or TesseractOCR(n_threads=1, lang=self.lang)
        with tempfile.TemporaryDirectory(prefix="juesuan-i2t-") as tmp:
            src = Path(tmp) / "page.png"
            Image.fromarray(image).save(src, dpi=(dpi, dpi))
            doc = I2TImage(src=str(src))
            tables = doc.extract_tables(ocr=self._ocr, implicit_rows=False, borderless_tables=False, min_confidence=1)
        out_tables: list[Table] = []
        for k, t in enumerate(tables):
            rows: list[Row] = []
            for row in t.content.values():
                cells = [
                    Token((c.value or "").replace("\n", ""), (c.bbox.x1, c.bbox.y1, c.bbox.x2, c.bbox.y2)) for c in row
                ]
                # Merged cells repeat across the columns they span; keep one copy.
                unique = [c for i, c in enumerate(cells) if c.text.strip() and c not in cells[:i]]
                rows += segment_row(sorted(unique, key=lambda c: c.bbox_px[0]), page, start=len(rows))
            bb = t.bbox
            out_tables.append(Table(id=f"{name}#t{k}", pages=[page], bbox=[bb.x1, bb.y1, bb.x2, bb.y2], rows=rows))
        h, w = image.shape[:2]
        return Document(
            source=Source(path=name, sha256="", pages=1),
            pages=[PageInfo(index=page, width=w, height=h, dpi=dpi)],
            tables=out_tables,
        )


class SlanetPeer:
    """SLANet+ table structure on each given table box + raw PP-OCRv6 text placed into its predicted cells.

    What a user of PaddleOCR's table pipeline gets when the table is found for them (issue 12 gave it the box, so
    do we: the truth table's ruled box, padded by ``pad_px``). Each ``<tr>`` is one visual row; its cells, left to
    right, go through :func:`segment_row`, so codes, names and amounts are read by the same rule as the other peers.
    An OCR piece goes to the cell box that holds most of it (at least ``min_overlap`` of its area).
    """

    def __init__(self, threads: int = 1, pad_px: int = 6, min_overlap: float = 0.3) -> None:
        from juesuan.models.slanet import SlanetOptions, SlanetPlus

        self.ocr = RapidOcrPeer("v6", threads)
        self.structure = SlanetPlus(SlanetOptions(threads=threads))
        self.pad_px = pad_px
        self.min_overlap = min_overlap

    def document(
        self,
        image: np.ndarray,
        dpi: int,
        name: str = "page",
        page: int = 0,
        table_boxes: Sequence[Sequence[float]] = (),
    ) -> Document:
        h, w = image.shape[:2]
        pieces = split_pieces(self.ocr.tokens(image, dpi))
        tables: list[Table] = []
        for k, box in enumerate(table_boxes):
            x0 = max(0, int(box[0]) - self.pad_px)
            y0 = max(0, int(box[1]) - self.pad_px)
            x1, y1 = min(w, int(box[2]) + self.pad_px), min(h, int(box[3]) + self.pad_px)
            if x1 - x0 < 8 or y1 - y0 < 8:
                continue
            (result,) = self.structure([image[y0:y1, x0:x1]])
            cells = result.cell_boxes + np.array([x0, y0, x0, y0], dtype=float)
            rows = slanet_rows(result.structure_tokens, cells, pieces, page, self.min_overlap)
            tables.append(
                Table(id=f"{name}#t{k}", pages=[page], bbox=[float(x0), float(y0), float(x1), float(y1)], rows=rows)
            )
        return Document(
            source=Source(path=name, sha256="", pages=1),
            pages=[PageInfo(index=page, width=w, height=h, dpi=dpi)],
            tables=tables,
        )


def slanet_rows(
    structure: Sequence[str], cells: np.ndarray, pieces: Sequence[Token], page: int = 0, min_overlap: float = 0.3
) -> list[Row]:
    """Rows of one SLANet+ table: each ``<tr>`` a visual row of cell boxes, filled with the OCR pieces they hold."""
    from juesuan.models.slanet import CELL_TOKENS

    row_of: list[int] = []  # cell index -> visual row
    row = -1
    for token in structure:
        if token == "<tr>":
            row += 1
        elif token in CELL_TOKENS:
            row_of.append(max(row, 0))
    texts: list[list[Token]] = [[] for _ in range(len(cells))]
    if len(cells):
        for piece in pieces:
            px0, py0, px1, py1 = piece.bbox_px
            area = max(1e-6, (px1 - px0) * (py1 - py0))
            ix = np.clip(np.minimum(cells[:, 2], px1) - np.maximum(cells[:, 0], px0), 0, None)
            iy = np.clip(np.minimum(cells[:, 3], py1) - np.maximum(cells[:, 1], py0), 0, None)
            share = ix * iy / area
            best = int(share.argmax())
            if share[best] >= min_overlap:
                texts[best].append(piece)
    out: list[Row] = []
    for r in range(max(row_of, default=-1) + 1):
        line: list[Token] = []
        for i, cell_row in enumerate(row_of[: len(cells)]):
            if cell_row != r or not texts[i]:
                continue
            ordered = sorted(texts[i], key=lambda t: ((t.bbox_px[1] + t.bbox_px[3]) / 2, t.bbox_px[0]))
            text = "".join(t.text for t in ordered)
            box = tuple(float(v) for v in cells[i])
            line.append(Token(text, (box[0], box[1], box[2], box[3]), min(t.confidence for t in ordered)))
        out += segment_row(sorted(line, key=lambda t: t.bbox_px[0]), page, start=len(out))
    return out


def peer_document(
    peer: str,
    engine: Any,
    image: np.ndarray,
    dpi: int,
    name: str = "page",
    page: int = 0,
    table_boxes: Sequence[Sequence[float]] = (),
) -> Document:
    """Run one peer on one page image and read it as a pseudo document (``table_boxes``: SLANet+'s crops)."""
    h, w = image.shape[:2]
    if peer == "img2table":
        return engine.document(image, dpi, name, page)
    if peer == "slanet_plus":
        return engine.document(image, dpi, name, page, table_boxes)
    return rows_to_document(engine.tokens(image, dpi), w, h, dpi, name, page)


def build_peer(peer: str, threads: int = 1) -> Any:
    if peer == "ppocr_v6":
        return RapidOcrPeer("v6", threads)
    if peer == "ppocr_v4":
        return RapidOcrPeer("v4", threads)
    if peer == "tesseract":
        return TesseractPeer(threads=threads)
    if peer == "img2table":
        return Img2TablePeer()
    if peer == "slanet_plus":
        return SlanetPeer(threads)
    raise ValueError(f"unknown peer {peer!r}; known: {', '.join(PEERS)}")
