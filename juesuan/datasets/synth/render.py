"""Render a synthetic disclosure page with PIL and record exact token boxes, labels and the table grid.

A page is described by data (:class:`TableSpec`, :class:`PageSpec`) and drawn by :func:`render_page`. Every
token is one line of one cell (or one line of text outside tables); its box is the glyph box PIL reports for
the exact string drawn at the exact position, so labels never come from OCR. Layout (column widths, line
wrapping, row heights) is computed before drawing, so a long table can be cut into pages (续表) without drawing
the parts that are not kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from juesuan.datamodel.labelled import LabelledCell, LabelledTable, LabelledToken

# (path, face index, style) — SC faces of the .ttc collections; Song/Ming, Hei, Kai styles.
FONTS: tuple[tuple[str, int, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2, "song"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, "hei"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "hei"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "song"),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0, "kai"),
)
BOLD_FONTS: dict[str, tuple[str, int]] = {
    "song": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2),
    "hei": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    "kai": ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
}


def available_fonts() -> list[tuple[str, int, str]]:
    """The CJK fonts of :data:`FONTS` installed here (Debian: fonts-noto-cjk, fonts-wqy-zenhei, fonts-arphic-*)."""
    return [f for f in FONTS if Path(f[0]).is_file()]


@lru_cache(maxsize=64)
def load_font(path: str, index: int, size: int):  # type: ignore[no-untyped-def]
    """A PIL FreeType font; cached per process (fonts are read-only, loading one costs ~5 ms)."""
    from PIL import ImageFont

    return ImageFont.truetype(path, size, index=index)


@dataclass(slots=True)
class CellSpec:
    """One grid cell: position, spans, text (``\\n`` forces a line break), the label of its tokens."""

    row: int
    col: int
    text: str
    label: str
    field: str | None = None
    row_span: int = 1
    col_span: int = 1
    header: bool = False
    align: str = "l"  # l | c | r
    indent: int = 0  # leading em spaces (款/项 names indented under their 类)


@dataclass(slots=True)
class TableSpec:
    """A table before layout: ``n_header_rows`` header rows then body rows; cells may span rows/columns."""

    type: str
    title: str
    n_cols: int
    col_weights: list[float]
    cells: list[CellSpec]
    n_header_rows: int
    ruled: bool = True
    note: str | None = None
    unit_line: str | None = "单位：万元"
    org_line: str | None = None
    corner_code: str | None = None  # e.g. 公开01表, printed top right
    paginate: bool = True  # forms are shrunk to fit instead of being cut

    @property
    def n_rows(self) -> int:
        return max((c.row + c.row_span for c in self.cells), default=0)


@dataclass(slots=True)
class PageSpec:
    """Page geometry and type style."""

    width_mm: float
    height_mm: float
    dpi: int
    font: tuple[str, int, str]
    font_pt: float = 9.0
    title_pt: float = 16.0
    margin_mm: float = 15.0
    line_px: float = 1.0
    ink: int = 0
    page_number: str | None = None
    title_bold: bool = True


@dataclass(slots=True)
class RenderedPage:
    """Pixels (grey H x W uint8) and the exact truth of one page."""

    image: np.ndarray
    dpi: int
    tokens: list[LabelledToken]
    tables: list[LabelledTable]
    table_type: str | None
    next_row: int | None = None  # first body row not drawn (the table continues on the next page)
    fields: dict[str, str] = field(default_factory=dict)


def _px(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


def _pt_px(pt: float, dpi: int) -> int:
    return max(6, round(pt / 72.0 * dpi))


def wrap(text: str, font, width: float) -> list[str]:  # type: ignore[no-untyped-def]
    """Greedy line breaking by character (CJK has no spaces); explicit ``\\n`` always breaks."""
    lines: list[str] = []
    for para in text.split("\n"):
        if not para:
            lines.append("")
            continue
        start = 0
        while start < len(para):
            end = len(para)
            if font.getlength(para[start:end]) > width:
                lo, hi = start + 1, len(para)
                while lo < hi:  # largest end with fitting prefix
                    mid = (lo + hi + 1) // 2
                    if font.getlength(para[start:mid]) <= width:
                        lo = mid
                    else:
                        hi = mid - 1
                end = max(start + 1, lo)
            lines.append(para[start:end])
            start = end
    return lines


@dataclass(slots=True)
class _Layout:
    col_x: list[float]
    row_h: list[float]
    lines: dict[int, list[str]]  # cell index → wrapped lines
    font_px: int
    line_h: float
    pad: float


def layout_table(spec: TableSpec, width_px: float, font, font_px: int) -> _Layout:  # type: ignore[no-untyped-def]
    """Column edges from weights, wrapped lines per cell, and row heights that fit every cell."""
    total = sum(spec.col_weights)
    col_x = [0.0]
    for w in spec.col_weights:
        col_x.append(col_x[-1] + width_px * w / total)
    pad = max(2.0, font_px * 0.3)
    line_h = font_px * 1.3
    n_rows = spec.n_rows
    min_h = line_h + 2 * pad
    row_h = [min_h] * n_rows
    lines: dict[int, list[str]] = {}
    spanning: list[tuple[int, float]] = []
    for i, cell in enumerate(spec.cells):
        cw = col_x[cell.col + cell.col_span] - col_x[cell.col] - 2 * pad - cell.indent * font_px
        ls = wrap(cell.text, font, max(cw, font_px)) if cell.text else []
        lines[i] = ls
        need = max(1, len(ls)) * line_h + 2 * pad
        if cell.row_span == 1:
            row_h[cell.row] = max(row_h[cell.row], need)
        else:
            spanning.append((i, need))
    for i, need in spanning:
        cell = spec.cells[i]
        have = sum(row_h[cell.row : cell.row + cell.row_span])
        if have < need:
            last = cell.row + cell.row_span - 1
            row_h[last] += need - have
    return _Layout(col_x, row_h, lines, font_px, line_h, pad)


@dataclass(slots=True)
class _Fit:
    font: object
    font_px: int
    title_px: int
    layout: _Layout
    avail: float
    header_h: float


def fit_table(spec: TableSpec, page: PageSpec) -> _Fit:
    """Font size and layout; forms (``paginate=False``) shrink until they fit the page, tables keep their size."""
    dpi = page.dpi
    w, h = _px(page.width_mm, dpi), _px(page.height_mm, dpi)
    margin = _px(page.margin_mm, dpi)
    font_px = _pt_px(page.font_pt, dpi)
    title_px = _pt_px(page.title_pt, dpi)
    for _ in range(8):
        font = load_font(page.font[0], page.font[1], font_px)
        lay = layout_table(spec, w - 2 * margin, font, font_px)
        header_h = sum(lay.row_h[: spec.n_header_rows])
        top_block = (title_px * 1.8 if spec.title else 0) + font_px * 1.7 + (font_px * 1.5 if spec.corner_code else 0)
        avail = h - 2 * margin - top_block - (font_px * 4 if spec.note else font_px * 2)
        if spec.paginate or sum(lay.row_h) <= avail or font_px <= 8:
            break
        font_px = max(8, int(font_px * 0.88))
        title_px = max(font_px, int(title_px * 0.9))
    return _Fit(font, font_px, title_px, lay, avail, header_h)


def _rows_that_fit(spec: TableSpec, fit: _Fit, first_body: int, show_header: bool) -> int:
    if not spec.paginate:
        return spec.n_rows
    used = fit.header_h if show_header else 0.0
    last = first_body
    while last < spec.n_rows and used + fit.layout.row_h[last] <= fit.avail:
        used += fit.layout.row_h[last]
        last += 1
    if last == first_body and first_body < spec.n_rows:  # a single row taller than the page: draw it anyway
        last += 1
    return last


def page_starts(spec: TableSpec, page: PageSpec, repeat_header: bool = True) -> list[int]:
    """First body row of every page the table needs (without drawing), so a 续表 page can be drawn alone."""
    fit = fit_table(spec, page)
    starts = [spec.n_header_rows]
    while True:
        nxt = _rows_that_fit(spec, fit, starts[-1], show_header=len(starts) == 1 or repeat_header)
        if nxt >= spec.n_rows:
            return starts
        starts.append(nxt)


def render_page(
    spec: TableSpec | None,
    page: PageSpec,
    rng: np.random.Generator,
    start_row: int | None = None,
    continued: bool = False,
    repeat_header: bool = True,
    text_blocks: list[tuple[str, str]] | None = None,
) -> RenderedPage:
    """Draw one page: title, unit lines, the table from body row ``start_row`` (default: first), note, page number.

    ``text_blocks`` (label, text) draws narrative paragraphs instead of a table (情况说明 pages): TITLE blocks
    centred, TEXT blocks wrapped to the text width with a two-character first-line indent.
    """
    from PIL import Image, ImageDraw

    dpi = page.dpi
    w, h = _px(page.width_mm, dpi), _px(page.height_mm, dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    margin = _px(page.margin_mm, dpi)
    font_path, font_index, style = page.font
    tokens: list[LabelledToken] = []
    tables: list[LabelledTable] = []

    def text_token(x: float, y: float, text: str, font, label: str, **kw) -> None:  # type: ignore[no-untyped-def]
        draw.text((x, y), text, font=font, fill=page.ink)
        x0, y0, x1, y1 = draw.textbbox((x, y), text, font=font)
        tokens.append(LabelledToken(text=text, bbox=[float(x0), float(y0), float(x1), float(y1)], label=label, **kw))

    y = margin
    if spec is None:
        _draw_text_blocks(text_blocks or [], page, text_token, margin, w, y)
        if page.page_number:
            _draw_page_number(page, text_token, w, h, margin)
        return RenderedPage(np.asarray(img), dpi, tokens, tables, None)

    fit = fit_table(spec, page)
    font, font_px, title_px, lay = fit.font, fit.font_px, fit.title_px, fit.layout
    usable_w = w - 2 * margin
    first_body = spec.n_header_rows if start_row is None else start_row
    show_header = (not continued) or repeat_header
    last = _rows_that_fit(spec, fit, first_body, show_header)
    next_row = last if last < spec.n_rows else None

    # Title, corner code, unit lines.
    if spec.corner_code:
        small = load_font(font_path, font_index, font_px)
        tw = small.getlength(spec.corner_code)
        text_token(w - margin - tw, y, spec.corner_code, small, "OTHER")
        y += font_px * 1.5
    title = spec.title + ("（续）" if continued and rng.random() < 0.6 else "") if spec.title else None
    if title and (not continued or rng.random() < 0.7):
        tpath, tindex = BOLD_FONTS.get(style, (font_path, font_index)) if page.title_bold else (font_path, font_index)
        tfont = load_font(tpath, tindex, title_px)
        tw = tfont.getlength(title)
        text_token(max(margin, (w - tw) / 2), y, title, tfont, "TITLE")
        y += title_px * 1.8
    else:
        title = None
    ufont = load_font(font_path, font_index, font_px)
    if spec.org_line or spec.unit_line:
        if spec.org_line:
            text_token(margin, y, spec.org_line, ufont, "UNIT")
        if spec.unit_line:
            tw = ufont.getlength(spec.unit_line)
            text_token(w - margin - tw, y, spec.unit_line, ufont, "UNIT")
        y += font_px * 1.7

    # The kept rows: header (unless a continuation without repeated header) + body rows [first_body, last).
    kept_rows = (list(range(spec.n_header_rows)) if show_header else []) + list(range(first_body, last))
    new_index = {r: i for i, r in enumerate(kept_rows)}
    row_y = [float(y)]
    for r in kept_rows:
        row_y.append(row_y[-1] + lay.row_h[r])
    x_off = margin
    col_x = [x_off + c for c in lay.col_x]
    table_idx = 0
    lcells: list[LabelledCell] = []
    line_w = max(1, round(page.line_px * dpi / 150))

    for i, cell in enumerate(spec.cells):
        rows = [r for r in range(cell.row, cell.row + cell.row_span) if r in new_index]
        if not rows:
            continue
        r0, r1 = new_index[rows[0]], new_index[rows[-1]]
        x0, x1 = col_x[cell.col], col_x[cell.col + cell.col_span]
        y0, y1 = row_y[r0], row_y[r1 + 1]
        lines = lay.lines[i]
        lcells.append(
            LabelledCell(
                row=r0,
                col=cell.col,
                row_span=r1 - r0 + 1,
                col_span=cell.col_span,
                bbox=[float(x0), float(y0), float(x1), float(y1)],
                header=cell.header,
                text="".join(lines),
            )
        )
        if not lines:
            continue
        block_h = len(lines) * lay.line_h
        ty = (y0 + y1) / 2 - block_h / 2 + (lay.line_h - font_px) / 2 - font_px * 0.1
        for line in lines:
            lw = font.getlength(line)
            if cell.align == "r":
                tx = x1 - lay.pad - lw
            elif cell.align == "c":
                tx = (x0 + x1) / 2 - lw / 2
            else:
                tx = x0 + lay.pad + cell.indent * font_px
            if line.strip():
                text_token(tx, ty, line, font, cell.label, field=cell.field, row=r0, col=cell.col, table=table_idx)
            ty += lay.line_h

    table_bbox = [float(col_x[0]), float(row_y[0]), float(col_x[-1]), float(row_y[-1])]
    if spec.ruled:
        _draw_rules(draw, spec, kept_rows, new_index, col_x, row_y, line_w, page.ink)
    else:  # borderless: top and bottom rules and a rule under the header, as many bureaus print
        for yy in {row_y[0], row_y[-1]} | (
            {row_y[spec.n_header_rows]} if show_header and spec.n_header_rows else set()
        ):
            draw.line([(col_x[0], yy), (col_x[-1], yy)], fill=page.ink, width=line_w)
    y = row_y[-1] + font_px * 0.8
    if spec.note and next_row is None:
        nfont = load_font(font_path, font_index, max(6, int(font_px * 0.9)))
        for line in wrap(spec.note, nfont, usable_w):
            text_token(margin, y, line, nfont, "TEXT")
            y += font_px * 1.35
    if page.page_number:
        _draw_page_number(page, text_token, w, h, margin)
    tables.append(
        LabelledTable(
            bbox=table_bbox,
            type=spec.type,
            n_rows=len(kept_rows),
            n_cols=spec.n_cols,
            cells=lcells,
            ruled=spec.ruled,
            title=title,
        )
    )
    return RenderedPage(np.asarray(img), dpi, tokens, tables, spec.type, next_row=next_row)


def _draw_rules(draw, spec: TableSpec, kept_rows, new_index, col_x, row_y, line_w: int, ink: int) -> None:  # type: ignore[no-untyped-def]
    """Outer frame plus every cell's own edges, so merged cells have no line through them."""
    for cell in spec.cells:
        rows = [r for r in range(cell.row, cell.row + cell.row_span) if r in new_index]
        if not rows:
            continue
        x0, x1 = col_x[cell.col], col_x[cell.col + cell.col_span]
        y0, y1 = row_y[new_index[rows[0]]], row_y[new_index[rows[-1]] + 1]
        draw.rectangle([x0, y0, x1, y1], outline=ink, width=line_w)
    # Cells nobody filled (sparse specs) still get their grid lines.
    draw.rectangle([col_x[0], row_y[0], col_x[-1], row_y[-1]], outline=ink, width=line_w)


def _draw_page_number(page: PageSpec, text_token, w: int, h: int, margin: int) -> None:  # type: ignore[no-untyped-def]
    font = load_font(page.font[0], page.font[1], _pt_px(page.font_pt, page.dpi))
    text = page.page_number or ""
    tw = font.getlength(text)
    text_token((w - tw) / 2, h - margin * 0.7, text, font, "OTHER")


def _draw_text_blocks(blocks, page: PageSpec, text_token, margin: int, w: int, y: float) -> float:  # type: ignore[no-untyped-def]
    dpi = page.dpi
    font_px = _pt_px(page.font_pt * 1.25, dpi)
    font = load_font(page.font[0], page.font[1], font_px)
    style = page.font[2]
    usable = w - 2 * margin
    h_limit = _px(page.height_mm, dpi) - margin * 1.5
    for label, text in blocks:
        if label == "TITLE":
            tpath, tindex = BOLD_FONTS.get(style, (page.font[0], page.font[1]))
            tfont = load_font(tpath, tindex, int(font_px * 1.15))
            for line in wrap(text, tfont, usable):
                if y + font_px * 2 > h_limit:
                    return y
                text_token(margin, y + font_px * 0.4, line, tfont, "TITLE")
                y += font_px * 2.0
            continue
        first = True
        indent = font_px * 2
        rest = text
        while rest:
            avail = usable - (indent if first else 0)
            line = wrap(rest, font, avail)[0]
            if y + font_px * 1.8 > h_limit:
                return y
            text_token(margin + (indent if first else 0), y, line, font, label)
            rest = rest[len(line) :]
            first = False
            y += font_px * 1.75
    return y
