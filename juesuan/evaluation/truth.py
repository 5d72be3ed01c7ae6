"""Ground truth (真值) for table extraction, taken from a digital PDF's own text layer and vector rulings.

Independent of our pipeline on purpose: words and their boxes come from the PDF's text layer, table and cell
boundaries from the ruling lines the PDF draws as vector paths (never from our image grid). A truth unit is one
numeric cell: its value, the row key (科目编码 and/or 科目名称/项目 of the same row) and the column header above it.

Rules (docs/evaluation.md):
- A *table* is a connected set of ruling segments with at least 2 horizontal and 2 vertical lines.
- A word's *cell* is the smallest rectangle of rulings around it; words outside every ruled cell are ignored, so
  borderless tables give no truth (none in the shared PDFs: every table page draws its rulings).
- A numeric word (``parse_amount`` succeeds) in a ruled cell is a *value*, unless it is a *code*: an integer left of
  the row's label with no label to its left (类/款/项 columns are joined left to right: ``201 06 01`` → ``2010601``).
- The row *name* is the cell holding the nearest CJK word left of the value in the same row band (a name wrapped
  onto 2 lines lives in one cell, so it is joined); dual side-by-side groups therefore get their own labels.
- The *column* header joins, top to bottom with ``/``, the header cells (above the table's first value row) whose
  x-range contains the value's x-centre, like the pipeline's flattened ``项目/支出功能分类/科目编码/类``.
- Values in rows named 栏次/行次 (column numbers printed under the header) are not truth cells.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from juesuan.datamodel.amounts import normalize, parse_amount
from juesuan.datamodel.labelled import LabelledPage
from juesuan.datamodel.page import BBox, Token
from juesuan.evaluation.gold import GoldLabel
from juesuan.geometry import DisjointSets, text_lines
from juesuan.lexicon import HAN, INTEGER

_COLUMN_NUMBER_ROWS = {"栏次", "行次"}
_INDEX_HEADERS = ("序号", "栏次", "行次")
_CODE_LEVELS = {"类", "款", "项"}
_UNIT_LINE = re.compile(r"单位[:：]|^编制")  # 单位：万元 / 编制部门：… lines; 预算单位…表 is a title
_LINE_MAX_THICK_PT = 2.0  # a path thinner than this is a ruling line
_LINE_MIN_LEN_PT = 4.0
_TOUCH_PX = 3.0  # segments closer than this are connected
_MAX_FORM_DEPTH = 4  # rulings inside nested form XObjects count (pdfium's page objects, level 0 = page)


@dataclass(frozen=True, slots=True)
class RowKey:
    """Row identity: joined 科目编码 (``code``) and/or 科目名称/项目 text (``name``); either may be None."""

    code: str | None
    name: str | None

    def describe(self) -> str:
        return " ".join(p for p in (self.code, self.name) if p) or "(no label)"


@dataclass(frozen=True, slots=True)
class TruthCell:
    doc: str  # source file name
    page: int  # 0-based page index in the source
    table: int  # index of the truth table on the page, top to bottom
    row_key: RowKey
    column: str | None  # flattened header text, None when the table has no header above this column
    x_centre: float  # page pixels at TruthPage.dpi
    y_centre: float
    value: Decimal
    text: str  # the text-layer string (for character error rate)
    bbox_px: BBox  # the word's box
    cell_px: BBox  # the ruled cell around it


@dataclass(frozen=True, slots=True)
class TruthTable:
    page: int
    index: int
    bbox_px: BBox
    n_values: int  # truth numeric cells inside; a table with 0 cannot be "found" and is reported apart
    type: str | None = None  # labelled pages; PDFs: the title's type by configs/tables aliases (schema.match_title)
    title: str | None = None  # PDFs: the text-layer line above the table that names it (…表); None on a 续 page


@dataclass(frozen=True, slots=True)
class TruthPage:
    doc: str
    page: int
    dpi: int
    width: int
    height: int
    tables: tuple[TruthTable, ...]
    cells: tuple[TruthCell, ...]
    path: str = ""  # the source file (PDF or page image), for rasterizing and reports
    words: tuple[Token, ...] = field(default=(), repr=False)
    labels: tuple[GoldLabel, ...] = field(default=(), repr=False)  # gold token labels per table cell

    @property
    def has_values(self) -> bool:
        return bool(self.cells)


# ---------------------------------------------------------------------------------------------------- PDF reading


def text_layer_words(pdf_path: Path, page_index: int, dpi: int) -> list[Token]:
    """Text-layer words in page pixels, read the way the pipeline reads a digital PDF (``text_layer_tokens``)."""
    from juesuan.inference.rasterize import text_layer_tokens

    return list(text_layer_tokens(Path(pdf_path), page_index, dpi))


Segment = tuple[float, float, float, float]  # x0, y0, x1, y1 page pixels; horizontal: y0 == y1, vertical: x0 == x1


def pdf_rulings(pdf_path: Path, page_index: int, dpi: int) -> tuple[list[Segment], list[Segment]]:
    """Horizontal and vertical ruling segments the PDF draws (thin paths, and the edges of outlined rectangles).

    In the words' frame: pdfium's own user-space → pixel mapping (/Rotate, crop box origin), then the turn that
    makes the text read left to right, exactly as ``text_layer_tokens`` places words. (Jiangsu's 2019 budgets show
    landscape tables through /Rotate 90: the rulings stayed in the unrotated frame and one ruled "cell" joined the
    sheet label above the table with the 合计 header.)
    """
    import pypdfium2 as pdfium

    from juesuan.inference.rasterize import _map_box, _page_chars, _page_to_pixels_matrix, rotate_box

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[page_index]
        scale = dpi / 72.0
        width_px, height_px = (round(v * scale) for v in page.get_size())
        to_px = _page_to_pixels_matrix(page, width_px, height_px)
        turn = _page_chars(page, dpi)[2]
        upright_width_pt = (width_px if turn in (0, 180) else height_px) / scale
        horizontal: list[Segment] = []
        vertical: list[Segment] = []
        forms: list[Any] = []  # matrix of the form XObject open at each nesting level (page space)
        # Shenzhen's 2026 budgets draw every table inside a form XObject (issue 12: 0 truth pages before).
        for obj in page.get_objects(max_depth=_MAX_FORM_DEPTH):
            del forms[obj.level :]
            if obj.type == 5:  # FPDF_PAGEOBJ_FORM
                m = obj.get_matrix()
                forms.append(forms[-1].multiply(m) if forms else m)
                continue
            if obj.type != 2:  # FPDF_PAGEOBJ_PATH
                continue
            left, bottom, right, top = obj.get_bounds()
            if obj.level and forms and forms[-1].get() != (1.0, 0.0, 0.0, 1.0, 0.0, 0.0):
                left, bottom, right, top = _on_rect(forms[-1], left, bottom, right, top)
            box = _map_box(to_px, left, bottom, right, top)
            x0, y0, x1, y1 = rotate_box((box[0], box[1], box[2], box[3]), turn, width_px, height_px)
            w, h = (x1 - x0) / scale, (y1 - y0) / scale
            if h < _LINE_MAX_THICK_PT and w >= _LINE_MIN_LEN_PT:
                yc = (y0 + y1) / 2
                horizontal.append((x0, yc, x1, yc))
            elif w < _LINE_MAX_THICK_PT and h >= _LINE_MIN_LEN_PT:
                xc = (x0 + x1) / 2
                vertical.append((xc, y0, xc, y1))
            elif w >= _LINE_MIN_LEN_PT and h >= _LINE_MIN_LEN_PT and w < upright_width_pt * 0.98:
                # An outlined (or shaded) rectangle: its edges bound cells.
                horizontal += [(x0, y0, x1, y0), (x0, y1, x1, y1)]
                vertical += [(x0, y0, x0, y1), (x1, y0, x1, y1)]
        return horizontal, vertical
    finally:
        pdf.close()


def _on_rect(matrix: Any, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
    """Bounds of a rectangle in a form's space, mapped to page space by the form's matrix."""
    pts = [matrix.on_point(x, y) for x in (left, right) for y in (bottom, top)]
    return (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))


def _touch(a: Segment, b: Segment, tol: float = _TOUCH_PX) -> bool:
    return not (a[2] + tol < b[0] or b[2] + tol < a[0] or a[3] + tol < b[1] or b[3] + tol < a[1])


def table_boxes(horizontal: Sequence[Segment], vertical: Sequence[Segment]) -> list[BBox]:
    """Connected components of ruling segments with ≥ 2 horizontal and ≥ 2 vertical lines, top to bottom."""
    segs = [(s, True) for s in horizontal] + [(s, False) for s in vertical]
    sets = DisjointSets(len(segs))
    for i in range(len(segs)):
        for j in range(i + 1, len(segs)):
            if segs[i][1] != segs[j][1] and _touch(segs[i][0], segs[j][0]):
                sets.union(i, j)
    groups: dict[int, list[tuple[Segment, bool]]] = {}
    for i, seg in enumerate(segs):
        groups.setdefault(sets.find(i), []).append(seg)
    boxes: list[BBox] = []
    for members in groups.values():
        n_h = sum(1 for _, is_h in members if is_h)
        if n_h < 2 or len(members) - n_h < 2:
            continue
        boxes.append(
            (
                min(s[0] for s, _ in members),
                min(s[1] for s, _ in members),
                max(s[2] for s, _ in members),
                max(s[3] for s, _ in members),
            )
        )
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def _ruled_cell_finder(horizontal: Sequence[Segment], vertical: Sequence[Segment]) -> Callable[[BBox], BBox | None]:
    """The smallest ruled rectangle around a word box: nearest rulings above/below/left/right that cross it."""

    def cell_of(box: BBox) -> BBox | None:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        tol = _TOUCH_PX
        above = [s[1] for s in horizontal if s[0] - tol <= cx <= s[2] + tol and s[1] <= box[1] + tol]
        below = [s[1] for s in horizontal if s[0] - tol <= cx <= s[2] + tol and s[1] >= box[3] - tol]
        left = [s[0] for s in vertical if s[1] - tol <= cy <= s[3] + tol and s[0] <= box[0] + tol]
        right = [s[0] for s in vertical if s[1] - tol <= cy <= s[3] + tol and s[0] >= box[2] - tol]
        if not (above and below and left and right):
            return None
        return (max(left), max(above), min(right), min(below))

    return cell_of


# ----------------------------------------------------------------------------------------------- truth from boxes


def _inside(inner: BBox, outer: BBox, tol: float = _TOUCH_PX) -> bool:
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    return outer[0] - tol <= cx <= outer[2] + tol and outer[1] - tol <= cy <= outer[3] + tol


def _join_words(words: Iterable[Token]) -> str:
    """Reading order inside one cell: lines top to bottom (by y-centre), left to right; CJK joins without spaces."""
    items = sorted(words, key=lambda t: ((t.bbox_px[1] + t.bbox_px[3]) / 2, t.bbox_px[0]))
    lines: list[list[Token]] = []
    for tok in items:
        yc = (tok.bbox_px[1] + tok.bbox_px[3]) / 2
        if lines:
            last = lines[-1][-1]
            if abs(yc - (last.bbox_px[1] + last.bbox_px[3]) / 2) < 0.5 * (last.bbox_px[3] - last.bbox_px[1]):
                lines[-1].append(tok)
                continue
        lines.append([tok])
    return "".join("".join(t.text for t in sorted(line, key=lambda t: t.bbox_px[0])) for line in lines)


@dataclass(frozen=True, slots=True)
class _Placed:
    token: Token
    cell: BBox
    value: Decimal | None

    @property
    def xc(self) -> float:
        return (self.token.bbox_px[0] + self.token.bbox_px[2]) / 2

    @property
    def yc(self) -> float:
        return (self.token.bbox_px[1] + self.token.bbox_px[3]) / 2

    @property
    def is_label(self) -> bool:
        return bool(HAN.search(self.token.text))

    @property
    def is_integer(self) -> bool:
        return bool(INTEGER.match(normalize(self.token.text)))


def truth_from_boxes(
    doc: str,
    page: int,
    dpi: int,
    size: tuple[int, int],
    words: Sequence[Token],
    tables: Sequence[BBox],
    cell_of: Callable[[BBox], BBox | None],
    path: str = "",
    table_types: Sequence[str | None] | None = None,
    table_titles: Sequence[str | None] | None = None,
) -> TruthPage:
    """Truth cells of one page from word boxes, table boxes and a word → enclosing cell function."""
    cells: list[TruthCell] = []
    truth_tables: list[TruthTable] = []
    for t_index, t_box in enumerate(tables):
        by_cell: dict[BBox, list[Token]] = {}
        for tok in words:
            if not tok.text.strip() or not _inside(tok.bbox_px, t_box):
                continue
            cell = cell_of(tok.bbox_px)
            if cell is not None:
                by_cell.setdefault(cell, []).append(tok)
        # One item per ruled cell: a number split at its thousands comma or a name wrapped onto 2 lines is one text.
        placed = [
            _Placed(_merge(toks), cell, parse_amount(_join_words(toks), ocr_slips=False))  # printed text: strict
            for cell, toks in by_cell.items()
        ]
        first_numeric_top = min((p.cell[1] for p in placed if p.value is not None), default=t_box[3])
        header_words = [p for p in placed if p.cell[3] <= first_numeric_top + _TOUCH_PX]
        code_ids = _code_items(placed, header_words)
        values = [
            p
            for p in placed
            if p.value is not None
            and p.cell[1] >= first_numeric_top - _TOUCH_PX
            and id(p) not in code_ids
            and not _is_index(p, placed, header_words)
        ]
        values = _without_column_number_rows(values, placed)
        for p in values:
            assert p.value is not None
            cells.append(
                TruthCell(
                    doc=doc,
                    page=page,
                    table=t_index,
                    row_key=RowKey(code=_row_code(p, placed, code_ids), name=_row_name(p, placed)),
                    column=_column_header(p, header_words),
                    x_centre=p.xc,
                    y_centre=p.yc,
                    value=p.value,
                    text=p.token.text,
                    bbox_px=p.token.bbox_px,
                    cell_px=p.cell,
                )
            )
        t_type = table_types[t_index] if table_types is not None and t_index < len(table_types) else None
        title = table_titles[t_index] if table_titles is not None and t_index < len(table_titles) else None
        truth_tables.append(
            TruthTable(page=page, index=t_index, bbox_px=t_box, n_values=len(values), type=t_type, title=title)
        )
    return TruthPage(
        doc=doc,
        page=page,
        dpi=dpi,
        width=size[0],
        height=size[1],
        tables=tuple(truth_tables),
        cells=tuple(cells),
        path=path,
        words=tuple(words),
    )


def _same_band(p: _Placed, q: _Placed) -> bool:
    """q's centre lies in p's ruled row band."""
    return p.cell[1] - _TOUCH_PX <= q.yc <= p.cell[3] + _TOUCH_PX


def _merge(tokens: Sequence[Token]) -> Token:
    box = (
        min(t.bbox_px[0] for t in tokens),
        min(t.bbox_px[1] for t in tokens),
        max(t.bbox_px[2] for t in tokens),
        max(t.bbox_px[3] for t in tokens),
    )
    return Token(text=_join_words(tokens), bbox_px=box)


def _is_index(p: _Placed, placed: Sequence[_Placed], header_words: Sequence[_Placed]) -> bool:
    """序号 columns and 栏次/行次 rows number the table itself; they are not amounts."""
    header = _column_header(p, header_words) or ""
    return any(k in header for k in _INDEX_HEADERS) or _row_name(p, placed) in _COLUMN_NUMBER_ROWS


def _without_column_number_rows(values: list[_Placed], placed: Sequence[_Placed]) -> list[_Placed]:
    """Drop unnamed rows that number the columns (1 2 3 … under the header, no 栏次 label): Hangzhou's 2026
    budgets print them on every 收入/支出预算表 (issue 12); they are not amounts."""
    bands: list[list[_Placed]] = []
    for p in values:
        if _row_name(p, placed) is not None:
            continue
        band = next((b for b in bands if _same_band(b[0], p)), None)
        if band is None:
            bands.append([p])
        else:
            band.append(p)
    drop: set[int] = set()
    for band in bands:
        ordered = sorted(band, key=lambda q: q.xc)
        numbers = [q.value for q in ordered]
        if len(numbers) >= 3 and all(v is not None and v == v.to_integral_value() for v in numbers):
            ints = [int(v) for v in numbers if v is not None]
            if ints == list(range(ints[0], ints[0] + len(ints))) and ints[0] in (0, 1):
                drop |= {id(q) for q in band}
    return [p for p in values if id(p) not in drop]


def _next_right(p: _Placed, placed: Sequence[_Placed]) -> _Placed | None:
    right = [q for q in placed if q.xc > p.xc and _same_band(p, q)]
    return min(right, key=lambda q: q.xc) if right else None


def _code_items(placed: Sequence[_Placed], header_words: Sequence[_Placed]) -> set[int]:
    """ids of the cells that hold 类/款/项 codes, decided per column so a continued page without its header (and the
    second code column of a dual layout) is read like the first: a column is a code column when its header says
    编码/类/款/项, or when it holds only integers and ≥ 80% of them are followed in their row by a label (directly or
    after up to two more integers: 类 款 项 then 科目名称)."""
    columns: dict[tuple[int, int], list[_Placed]] = {}
    for p in placed:
        if p.value is not None:
            columns.setdefault((round(p.cell[0]), round(p.cell[2])), []).append(p)
    codes: set[int] = set()
    for items in columns.values():
        if not all(p.is_integer for p in items):
            continue
        header = _column_header(items[0], header_words) or ""
        by_header = "编码" in header or header.rsplit("/", 1)[-1] in _CODE_LEVELS
        code_like = 0
        for p in items:
            nxt = _next_right(p, placed)
            for _ in range(2):  # 类 → 款 → 项 → name
                if nxt is not None and nxt.is_integer:
                    nxt = _next_right(nxt, placed)
            code_like += nxt is not None and nxt.is_label
        if by_header or code_like >= 0.8 * len(items):
            codes.update(id(p) for p in items)
    return codes


def _name_cell(p: _Placed, placed: Sequence[_Placed]) -> BBox | None:
    labels = [q for q in placed if q.is_label and _same_band(p, q) and q.token.bbox_px[2] <= p.token.bbox_px[0]]
    if not labels:
        return None
    return max(labels, key=lambda q: q.xc).cell


def _row_name(p: _Placed, placed: Sequence[_Placed]) -> str | None:
    cell = _name_cell(p, placed)
    if cell is None:
        return None
    return next((q.token.text for q in placed if q.cell == cell), None) or None


def _row_code(p: _Placed, placed: Sequence[_Placed], code_ids: set[int]) -> str | None:
    cell = _name_cell(p, placed)
    limit = cell[0] if cell is not None else p.token.bbox_px[0]
    band = [q for q in placed if _same_band(p, q) and q.xc < limit]
    codes = [q for q in band if id(q) in code_ids]
    # Only the codes right after the previous column group (dual layouts print a second 编码 column mid-row).
    start = max((q.xc for q in band if q not in codes), default=float("-inf"))
    codes = [q for q in codes if q.xc > start]
    if not codes:
        return None
    return "".join(normalize(q.token.text) for q in sorted(codes, key=lambda q: q.xc))


def _column_header(p: _Placed, header_words: Sequence[_Placed]) -> str | None:
    cells: dict[BBox, list[Token]] = {}
    for q in header_words:
        if q.cell[0] - _TOUCH_PX <= p.xc <= q.cell[2] + _TOUCH_PX:
            cells.setdefault(q.cell, []).append(q.token)
    if not cells:
        return None
    parts = [_join_words(toks) for _, toks in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0]))]
    return "/".join(p for p in parts if p) or None


# ------------------------------------------------------------------------------------------------- entry points


def pdf_page_truth(pdf_path: Path, page_index: int, dpi: int = 200) -> TruthPage:
    """Truth of one PDF page from its text layer and vector rulings."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        w_pt, h_pt = pdf[page_index].get_size()
    finally:
        pdf.close()
    size = (round(w_pt * dpi / 72), round(h_pt * dpi / 72))
    words = text_layer_words(pdf_path, page_index, dpi)
    horizontal, vertical = pdf_rulings(pdf_path, page_index, dpi)
    tables = table_boxes(horizontal, vertical)
    titles = table_titles(words, tables, size[1])
    return truth_from_boxes(
        Path(pdf_path).name,
        page_index,
        dpi,
        size,
        words,
        tables,
        _ruled_cell_finder(horizontal, vertical),
        path=str(pdf_path),
        table_types=[_title_type(t) for t in titles],
        table_titles=titles,
    )


def table_titles(words: Sequence[Token], tables: Sequence[BBox], page_height: float) -> list[str | None]:
    """For each table, the nearest text line above it (below the previous table, within 30 % of the page height)
    that contains 表 and is not the 单位/编制部门 line; None when there is none (a continued page)."""
    titles: list[str | None] = []
    for i, box in enumerate(tables):
        floor = max(tables[i - 1][3] if i else 0.0, box[1] - 0.3 * page_height)
        above = [w for w in words if w.bbox_px[3] <= box[1] + _TOUCH_PX and w.bbox_px[1] >= floor]
        lines = _line_texts(above)
        named = [ln for ln in lines if "表" in ln[1] and not _UNIT_LINE.search(ln[1])]
        titles.append(max(named, key=lambda ln: ln[0])[1] if named else None)
    return titles


def _line_texts(words: Sequence[Token]) -> list[tuple[float, str]]:
    """(bottom y, text) of each text line, words joined left to right."""
    return [(max(t.bbox_px[3] for t in ln), "".join(t.text for t in ln)) for ln in text_lines(words)]


def _title_type(title: str | None) -> str | None:
    """The table type the configs/tables catalogue gives this title (rules, not the pipeline's classifier)."""
    if not title:
        return None
    from juesuan.validation.schema import load_schema

    match = load_schema().match_title(title)
    return match.id if match else None


def pdf_truth(pdf_path: Path, dpi: int = 200, pages: Iterable[int] | None = None) -> list[TruthPage]:
    """Truth for the pages of a PDF (all by default), including pages without tables."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    n = len(pdf)
    pdf.close()
    indices = range(n) if pages is None else [i for i in pages if 0 <= i < n]
    return [pdf_page_truth(pdf_path, i, dpi) for i in indices]


def table_pages(pdf_path: Path, dpi: int = 200) -> list[int]:
    """Pages with at least one truth numeric cell: the page set the acceptance numbers are measured on."""
    return [t.page for t in pdf_truth(pdf_path, dpi) if t.has_values]


def labelled_page_truth(page: LabelledPage) -> TruthPage:
    """Truth from a labelled page (synthetic or human-checked): its table cells are the words and the cells."""
    words: list[Token] = []
    boxes: dict[tuple[float, ...], BBox] = {}
    for table in page.tables:
        for c in table.cells:
            if not c.text.strip():
                continue
            box = (float(c.bbox[0]), float(c.bbox[1]), float(c.bbox[2]), float(c.bbox[3]))
            words.append(Token(text=c.text, bbox_px=box))
            boxes[box] = box
    tables = [(float(t.bbox[0]), float(t.bbox[1]), float(t.bbox[2]), float(t.bbox[3])) for t in page.tables]
    from juesuan.evaluation.labels import gold_cells

    truth = truth_from_boxes(
        page.document,
        page.page_index,
        page.dpi,
        (page.width, page.height),
        words,
        tables,
        lambda box: boxes.get(box),
        path=page.image,
        table_types=[_type_id(t.type) for t in page.tables],
        table_titles=[t.title for t in page.tables],
    )
    return replace(truth, labels=gold_cells(page.tokens))


def _type_id(type_name: str | None) -> str | None:
    """Labelled pages may name a type in Chinese (支出决算表); predictions carry catalogue ids (final.expenditure)."""
    if type_name is None or "." in type_name:
        return type_name
    return _title_type(type_name) or type_name


def load_labelled_truth(manifest: Path) -> list[TruthPage]:
    """Truth pages from a labelled-pages JSONL manifest; image paths become absolute."""
    out: list[TruthPage] = []
    base = Path(manifest).parent
    for line in Path(manifest).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        page = LabelledPage.model_validate(json.loads(line))
        page = page.model_copy(update={"image": str((base / page.image).resolve())})
        out.append(labelled_page_truth(page))
    return out


def truth_summary(pages: Sequence[TruthPage]) -> dict[str, Any]:
    return {
        "pages": len(pages),
        "typed_tables": sum(1 for p in pages for t in p.tables if t.n_values and t.type),
        "table_pages": sum(1 for p in pages if p.has_values),
        "tables": sum(len(p.tables) for p in pages),
        "tables_with_values": sum(1 for p in pages for t in p.tables if t.n_values),
        "cells": sum(len(p.cells) for p in pages),
    }


def _main(argv: Sequence[str]) -> int:
    """``python -m juesuan.evaluation.truth [--dpi N] PDF...``: how much truth each PDF holds (docs/evaluation.md)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m juesuan.evaluation.truth")
    parser.add_argument("pdfs", nargs="+", type=Path)
    parser.add_argument("--dpi", type=int, default=100)
    args = parser.parse_args(argv)
    for pdf in args.pdfs:
        print(json.dumps({"pdf": pdf.name, **truth_summary(pdf_truth(pdf, args.dpi))}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))
