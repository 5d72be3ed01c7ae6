"""``juesuan label --from-text-layer``: labelled pages from digital PDFs, with no person in the loop.

Each page is rasterized (the product works from pixels; the image is then scan-degraded like a real scan), its
words come from the PDF text layer (free ground truth for text and boxes), ruled tables come from the grid stage,
and labels from rules over the grid: header rows (rows above the first row holding an amount, a 科目编码 or a
合计 label) → HEADER; body cells by their column's header (编码/类/款/项 → CODE, 名称/项目 → NAME, 序号/行次 →
OTHER, 备注 → TEXT, any other column → AMOUNT with the flattened header as field) and by their own text (合计/小计/
总计 → TOTAL_LABEL, % → RATE); outside tables: large or 表-titled lines → TITLE, 单位：/部门： lines → UNIT, page
numbers → OTHER, numbered headings → TITLE, the rest → TEXT. Tokens are one per cell line, as the synthetic pages.
Documents, never pages, are assigned to splits.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import statistics
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from juesuan.datamodel.amounts import is_empty_mark, is_percent, is_placeholder, normalize, parse_amount
from juesuan.datamodel.labelled import LabelledCell, LabelledPage, LabelledTable, LabelledToken
from juesuan.datamodel.page import CellText, TableGrid, Token
from juesuan.datasets.labelled_page import split_for_document, write_manifest
from juesuan.lexicon import CLASSIFIED_CODE, KUAN_XIANG_PIECE, TOTAL_WORD_AT_END

log = logging.getLogger(__name__)

_UNIT = re.compile(r"^(金额)?单位[：:]|^(编制)?部门[：:]|^编制单位[：:]|^单位名称[：:]|^预算单位[：:]")
_PAGE_NO = re.compile(r"^[-—–\s]*\d{1,3}[-—–\s]*$|^第\s*\d+\s*页|^公开\s*\d+\s*表$")
_HEADING = re.compile(r"^(第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")
_ORDINAL = re.compile(r"^[一二三四五六七八九十]+、")


class AutolabelOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dpi: int = Field(150, ge=72, le=400, description="rasterization resolution of the written images")
    degrade: str = Field("scan", description="scan-simulation preset for the written image (clean: none)")
    seed: int = 0
    jpeg_quality: int = Field(85, ge=30, le=100)
    forced_splits: dict[str, str] = Field(
        default_factory=dict, description="document stem → train/dev/test; when given, unlisted documents train"
    )


def is_amount_text(text: str) -> bool:
    """A printed money/rate value: parses and has a decimal point, a thousands comma or a % (not 栏次 1, 2, 3)."""
    s = normalize(text)
    return parse_amount(s) is not None and any(ch in s for ch in ".,%")


def _is_data_text(text: str) -> bool:
    # Not 合计: headers say 本年收入合计, and real 收入决算表 print 合计 in the 类|款|项 header row.
    s = normalize(text)
    return bool(is_amount_text(s) or CLASSIFIED_CODE.match(s) or _ORDINAL.match(s))


_FIELD_WORD = re.compile(r"(数|额|费|合计|小计|栏次)$")


def header_row_count(cells: Sequence[CellText], n_rows: int) -> int:
    """Rows above the first row with data (an amount, a 科目编码 or a 一、 numbered item).

    A table without data (an empty template: 三公 with only 预算数 | 决算数 under its groups) is header down to
    its last row of column-field words, or its first row when no row is made of them (a list of names)."""
    for r in range(n_rows):
        if any(c.cell.row == r and c.text.strip() and _is_data_text(c.text) for c in cells):
            return r
    last_field_row = -1
    for r in range(n_rows):
        texts = ["".join(c.text.split()) for c in cells if c.cell.row == r and c.text.strip()]
        if len(texts) >= 2 and all(_FIELD_WORD.search(t) for t in texts):
            last_field_row = r
    return last_field_row + 1 if last_field_row >= 0 else min(1, n_rows)


def column_paths(cells: Sequence[CellText], n_cols: int, n_header: int) -> list[tuple[str, ...]]:
    """Each column's header path top→bottom (merged header cells appear in every column they span)."""
    paths: list[list[str]] = [[] for _ in range(n_cols)]
    for c in sorted(cells, key=lambda c: (c.cell.row, c.cell.col)):
        text = "".join(c.text.split())
        # 类 | 款 | 项 often share the 合计 row (real 收入决算表): they still name their columns.
        if not text or (c.cell.row >= n_header and text not in ("类", "款", "项")):
            continue
        for col in range(c.cell.col, min(n_cols, c.cell.col + c.cell.col_span)):
            if not paths[col] or paths[col][-1] != text:
                paths[col].append(text)
    return [tuple(p) for p in paths]


def column_role(path: tuple[str, ...]) -> str:
    """CODE / NAME / OTHER / TEXT / AMOUNT from a column's header path."""
    if not path:
        return "AMOUNT"
    last = path[-1]
    joined = "".join(path)
    if last in ("类", "款", "项") or "编码" in last or last.endswith("代码"):
        return "CODE"
    if last in ("序号", "行次", "栏次") or last.startswith("序号"):
        return "OTHER"
    if last in ("备注", "说明") or "原因" in last:
        return "TEXT"
    if "名称" in last or last in ("项目", "科目", "收入", "支出", "单位") or last.endswith("项目"):
        return "NAME"
    if "编码" in joined and len(last) <= 2:
        return "CODE"
    return "AMOUNT"


ColumnHead = tuple[float, float, tuple[str, ...]]  # x0, x1 (page px before degradation), header path

_HEADER_WORDS = {"类", "款", "项", "栏次", "行次", "金额单位：万元"}


def cell_label(text: str, role: str, numeric_table: bool = True) -> str:
    """Label of a body cell from its column role and text; ``numeric_table``: the table prints amounts with
    decimals or commas, so bare integers and dashes in its amount columns are amounts too."""
    s = normalize(text)
    if s in _HEADER_WORDS:
        return "HEADER"
    if is_placeholder(s):
        return "OTHER"  # template rows "…": no code, no name, no amount
    if TOTAL_WORD_AT_END.search(s) and not is_amount_text(s) and len(s) <= 16:
        return "TOTAL_LABEL"
    if role == "CODE":
        return "CODE" if (s.isdigit() or not s) else "NAME"
    if role == "AMOUNT" and numeric_table and (parse_amount(s) is not None or is_empty_mark(s)):
        return "RATE" if is_percent(s) else "AMOUNT"  # 0, 135,200 (元 without decimals) and dashes too
    if is_amount_text(s):
        if is_percent(s):
            return "RATE"
        return "OTHER" if role == "OTHER" else "AMOUNT"
    if role == "OTHER":
        return "OTHER"
    if role == "TEXT":
        return "TEXT"
    if CLASSIFIED_CODE.match(s) or (role == "AMOUNT" and KUAN_XIANG_PIECE.match(s) and numeric_table):
        return "CODE"
    if s.isdigit() and len(s) <= 3:
        return "OTHER"  # 序号 / 行次
    return "NAME"


def _line_token(line: Sequence[Token]) -> tuple[str, tuple[float, float, float, float]]:
    from juesuan.inference.cells import join_tokens

    text = join_tokens(line)
    box = (
        min(t.bbox_px[0] for t in line),
        min(t.bbox_px[1] for t in line),
        max(t.bbox_px[2] for t in line),
        max(t.bbox_px[3] for t in line),
    )
    return text, box


def _split_line(line: Sequence[Token]) -> list[list[Token]]:
    """Break a text line at wide gaps (部门：… on the left and 单位：万元 on the right are two tokens)."""
    parts: list[list[Token]] = [[line[0]]]
    for tok in line[1:]:
        prev = parts[-1][-1]
        em = max(prev.bbox_px[3] - prev.bbox_px[1], tok.bbox_px[3] - tok.bbox_px[1], 1.0)
        if tok.bbox_px[0] - prev.bbox_px[2] > 2.0 * em:
            parts.append([tok])
        else:
            parts[-1].append(tok)
    return parts


def outside_label(
    text: str, height: float, median_h: float, centred: bool, y_frac: float, full_line: bool = False
) -> str:
    """Label of a text line outside tables. ``full_line``: it reaches the right margin, so it is the first line of
    a paragraph (（十）执行国家……), never a heading."""
    s = "".join(text.split())
    if _UNIT.match(s):
        return "UNIT"
    if _PAGE_NO.match(s):
        return "OTHER"
    if s.startswith(("注：", "注:", "说明：")):
        return "TEXT"
    if height >= 1.3 * median_h and len(s) <= 40:
        return "TITLE"
    if centred and (s.endswith("表") or s.endswith("表（续）") or s.endswith("表(续)")) and len(s) <= 40:
        return "TITLE"
    if _HEADING.match(s) and len(s) <= 40 and not s.endswith("。") and not full_line:
        return "TITLE"
    return "TEXT"


def label_page(
    words: Sequence[Token],
    grids: Sequence[TableGrid],
    width: int,
    height: int,
    inherited: Sequence[ColumnHead] | None = None,
) -> tuple[list[LabelledToken], list[LabelledTable], list[list[ColumnHead]]]:
    """Labelled tokens (one per cell line / text line), tables, and each table's column header paths.

    ``inherited``: the column heads of the last table on the previous page; a first table without header rows (or
    whose top rows share no text with that header) is its continuation (续表 without a repeated header), and each
    column takes the path of the inherited column it overlaps most in x (grids of two pages rarely split alike).
    """
    from juesuan.inference.cells import assign_tokens_to_cells, reading_lines

    keyed: list[tuple[tuple[float, float, float, float], LabelledToken]] = []
    tables: list[LabelledTable] = []
    all_heads: list[list[ColumnHead]] = []
    in_table: set[int] = set()
    word_ids = {id(w): k for k, w in enumerate(words)}
    for t_index, grid in enumerate(grids):
        cells = assign_tokens_to_cells(grid, words)
        for c in cells:
            in_table.update(word_ids[id(t)] for t in c.tokens if id(t) in word_ids)
        n_header = header_row_count(cells, grid.n_rows)
        paths = column_paths(cells, grid.n_cols, n_header)
        if t_index == 0 and inherited and not _text_above(words, grid):
            known = {part for _, _, path in inherited for part in path}
            if n_header == 0 or not any(part in known for path in paths for part in path):
                n_header, paths = 0, [_overlapping_path(inherited, grid, c) for c in range(grid.n_cols)]
        all_heads.append([(grid.col_edges[c], grid.col_edges[c + 1], paths[c]) for c in range(grid.n_cols)])
        roles = [column_role(p) for p in paths]
        # Bare integers / dashes count as amounts only in a table that prints real amounts (序号 1, 2, 3 do not).
        has_amounts = any(c.cell.row >= n_header and is_amount_text(c.text) for c in cells)
        lcells: list[LabelledCell] = []
        for c in cells:
            header = c.cell.row < n_header
            lcells.append(
                LabelledCell(
                    row=c.cell.row,
                    col=c.cell.col,
                    row_span=c.cell.row_span,
                    col_span=c.cell.col_span,
                    bbox=[float(v) for v in c.cell.bbox_px],
                    header=header,
                    text=c.text,
                )
            )
            if not c.tokens:
                continue
            role = roles[c.cell.col] if c.cell.col < len(roles) else "AMOUNT"
            label = "HEADER" if header else cell_label(c.text, role, has_amounts and bool(paths[c.cell.col]))
            field = "/".join(paths[c.cell.col]) if label in ("AMOUNT", "RATE") and role == "AMOUNT" else None
            for li, line in enumerate(reading_lines(c.tokens)):
                text, box = _line_token(line)
                tok = LabelledToken(
                    text=text,
                    bbox=[float(v) for v in box],
                    label=label,
                    field=field or None,
                    row=c.cell.row,
                    col=c.cell.col,
                    table=t_index,
                )
                keyed.append(((grid.bbox_px[1], float(c.cell.row), float(c.cell.col), float(li)), tok))
        tables.append(
            LabelledTable(
                bbox=[float(v) for v in grid.bbox_px],
                n_rows=grid.n_rows,
                n_cols=grid.n_cols,
                cells=lcells,
                ruled=grid.ruled,
            )
        )
    outside = [w for k, w in enumerate(words) if k not in in_table]
    heights = [w.bbox_px[3] - w.bbox_px[1] for w in words] or [1.0]
    median_h = statistics.median(heights)
    parts = [_line_token(part) for line in reading_lines(outside) for part in _split_line(line)]
    right = max((box[2] for text, box in parts if len(text) > 10), default=float(width))
    for text, box in parts:
        if not text.strip():
            continue
        centre = (box[0] + box[2]) / 2
        centred = abs(centre - width / 2) < 0.1 * width
        full = box[2] >= right - 2 * median_h and len(text) > 20
        label = outside_label(text, box[3] - box[1], median_h, centred, box[1] / max(height, 1), full)
        keyed.append(((box[1], 0.0, box[0], 0.0), LabelledToken(text=text, bbox=[float(v) for v in box], label=label)))
    # Titles name the table below them.
    for table in tables:
        above = [t for _, t in keyed if t.label == "TITLE" and t.table is None and t.bbox[3] <= table.bbox[1] + 2]
        if above:
            nearest = max(above, key=lambda t: t.bbox[3])
            table.title = nearest.text
            name = re.sub(r"[（(]续[）)]$", "", "".join(nearest.text.split()))
            table.type = re.sub(r"^20\d\d年度?", "", name)  # the year is a document field, not part of the type
    keyed.sort(key=lambda kv: kv[0])
    return [t for _, t in keyed], tables, all_heads


def _text_above(words: Sequence[Token], grid: TableGrid) -> bool:
    """Is there text (other than a page number) above the table? A new table has a title; a 续表 may not."""
    top = grid.bbox_px[1]
    return any(w.bbox_px[3] <= top and not _PAGE_NO.match("".join(w.text.split())) for w in words)


def _overlapping_path(heads: Sequence[ColumnHead], grid: TableGrid, col: int) -> tuple[str, ...]:
    x0, x1 = grid.col_edges[col], grid.col_edges[col + 1]
    best, best_overlap = (), 0.0
    for hx0, hx1, path in heads:
        overlap = min(x1, hx1) - max(x0, hx0)
        if overlap > best_overlap:
            best, best_overlap = path, overlap
    return best if best_overlap > 0.5 * (x1 - x0) else ()


def autolabel_page(
    pdf: Path, index: int, options: AutolabelOptions, inherited: Sequence[ColumnHead] | None = None
) -> tuple[np.ndarray, LabelledPage, list[ColumnHead] | None]:
    """Rasterize, take the text layer, find ruled grids, label, degrade; boxes follow the degradation."""
    from juesuan.datamodel.page import LayoutResult
    from juesuan.datasets.synth.degrade import degrade_with_transform, transform_boxes
    from juesuan.inference.grid import RuledGrid
    from juesuan.inference.rasterize import Rasterizer
    from juesuan.options import GridOptions, RasterizeOptions

    raster = Rasterizer(
        RasterizeOptions(dpi=options.dpi, text_layer="auto", deskew=False, rotate=False, suppress_red=False, grey=False)
    )
    page = raster([(pdf, index)])[0]
    words = tuple(w for w in (page.text_layer or ()) if w.text.strip())
    grid_result = RuledGrid(GridOptions())([LayoutResult(page=page, regions=())])[0]
    grids = [c.grid for c in grid_result.tables if c.grid is not None]
    tokens, tables, paths = label_page(words, grids, page.width, page.height, inherited)
    rng = np.random.default_rng([options.seed, int(hashlib.sha256(pdf.name.encode()).hexdigest()[:8], 16), index])
    image = page.image
    if options.degrade != "clean":
        res = degrade_with_transform(image, rng, options.degrade)
        image = res.image
        h, w = image.shape[:2]
        if tokens:
            boxes = transform_boxes([t.bbox for t in tokens], res.matrix, w, h)
            tokens = [
                t.model_copy(update={"bbox": [round(float(v), 1) for v in b]})
                for t, b in zip(tokens, boxes, strict=True)
            ]
        new_tables = []
        for t in tables:
            tb = transform_boxes([t.bbox], res.matrix, w, h)[0]
            cb = transform_boxes([c.bbox for c in t.cells], res.matrix, w, h) if t.cells else []
            cells = [
                c.model_copy(update={"bbox": [round(float(v), 1) for v in b]}) for c, b in zip(t.cells, cb, strict=True)
            ]
            new_tables.append(t.model_copy(update={"bbox": [round(float(v), 1) for v in tb], "cells": cells}))
        tables = new_tables
    else:
        tokens = [t.model_copy(update={"bbox": [round(v, 1) for v in t.bbox]}) for t in tokens]
    fields: dict[str, str] = {"degrade": options.degrade}
    m = re.search(r"_(20\d\d)_", pdf.name)
    if m:
        fields["year"] = m.group(1)
    unit_tok = next(
        (
            t
            for t in tokens
            if t.label == "UNIT"
            and re.match(r"^(编制)?(部门|单位)[：:]", t.text)
            and "万元" not in t.text
            and not t.text.endswith("元")
        ),
        None,
    )
    if unit_tok:
        fields["unit_name"] = re.split(r"[：:]", unit_tok.text, maxsplit=1)[1].strip()
    unit_line = next((t.text for t in tokens if t.label == "UNIT" and "元" in t.text), None)
    if unit_line:
        fields["amount_unit"] = "万元" if "万元" in unit_line else "元"
    if tables and tables[0].type:
        fields["table_type"] = tables[0].type
    labelled = LabelledPage(
        id=f"{pdf.stem}#{index}",
        image="",
        sha256="",
        width=int(image.shape[1]),
        height=int(image.shape[0]),
        dpi=options.dpi,
        source="text-layer",
        document=pdf.stem,
        page_index=index,
        tokens=tokens,
        tables=tables,
        fields=fields,
    )
    return image, labelled, (paths[-1] if paths else None)


def autolabel_pdfs(pdfs: Sequence[Path], out_dir: Path, options: AutolabelOptions) -> dict[str, object]:
    """Label every page of every PDF into ``out_dir`` (images/ + train/dev/test.jsonl); split by document."""
    from PIL import Image

    from juesuan.inference.rasterize import Rasterizer
    from juesuan.options import RasterizeOptions

    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    splits: dict[str, list[LabelledPage]] = {"train": [], "dev": [], "test": []}
    doc_split: dict[str, str] = {}
    raster = Rasterizer(RasterizeOptions(dpi=options.dpi, grey=False))  # pages are degraded and saved as RGB
    for pdf in pdfs:
        pdf = Path(pdf)
        if options.forced_splits:  # an explicit split list: unlisted documents train
            split = options.forced_splits.get(pdf.stem, "train")
        else:
            split = split_for_document(pdf.stem, options.seed)
        doc_split[pdf.stem] = split
        inherited: list[ColumnHead] | None = None
        for index in range(raster.page_count(pdf)):
            image, page, inherited = autolabel_page(pdf, index, options, inherited)
            buf = io.BytesIO()
            Image.fromarray(image).save(buf, format="JPEG", quality=options.jpeg_quality)
            data = buf.getvalue()
            rel = f"images/{pdf.stem}_p{index + 1:03d}.jpg"
            (out_dir / rel).write_bytes(data)
            splits[split].append(page.model_copy(update={"image": rel, "sha256": hashlib.sha256(data).hexdigest()}))
            log.debug("%s page %d: %d tokens, %d tables", pdf.name, index + 1, len(page.tokens), len(page.tables))
        log.info("%s: %s", pdf.name, split)
    for split, pages in splits.items():
        write_manifest(out_dir / f"{split}.jsonl", pages)
    return {"documents": doc_split, "pages": {k: len(v) for k, v in splits.items()}}
