"""Cell grids → document tables: header rows, flattened headers, joined 类/款/项 codes, row kinds, values, 续表.

Works from rules alone; the token labeller's ``CellText.label`` (CODE / NAME / AMOUNT / TOTAL_LABEL) is used when
present to pick the code and name columns.

Dual side-by-side layouts (收入支出决算总表: 收入 | 支出; 基本支出决算表: 人员经费 | 公用经费, each with
科目编码/科目名称/决算数) are *stacked* into one table: the groups' rows follow each other and a first column
``分组`` (side) names the group each row came from. One table keeps cross-side identities (收入总计 = 支出总计) inside
one table; column ``j`` holds the ``j``-th column of every group, its header is the groups' headers joined by ``|``
where they differ.
"""

from __future__ import annotations

import difflib
import itertools
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from juesuan.datamodel.amounts import confusable_amount, parse_amount
from juesuan.datamodel.document import Cell, Column, Row, Table, TextBlock
from juesuan.datamodel.page import CellText, OcrResult, RegionKind, TableOcr, Token
from juesuan.geometry import text_lines
from juesuan.inference.cells import join_tokens, reading_lines
from juesuan.inference.hypotheses import (
    LINE_NUMBER_HEADER,
    Choice,
    choose_grouping,
    column_roles,
    fold_variants,
    header_role,
    is_line_numbers,
)
from juesuan.lexicon import (
    GRAND_TOTAL,
    HAN,
    HAN_RUN,
    SUBJECT_CODE,
    SUBJECT_CODE_PIECE,
    SUBTOTAL,
    code_without_specks,
)
from juesuan.options import StructureOptions
from juesuan.validation.codes import CodeEntry, load_catalogue, squash_name

log = logging.getLogger(__name__)

_LEVEL_WORD = re.compile(r"^[类款项]$")
# 一、 / （二） / 十四、: a numbered line item is data even when its amounts are empty (a 续表 starting with them)
_ENUMERATED = re.compile(r"^[（(]?[一二三四五六七八九十百]+[、)）.．]")
_UNIT = re.compile(r"单位\s*[:：]\s*(万元|千元|亿元|元)")
_NAME_HEADER = re.compile(r"(科目名称|项目名称|名称|项\s*目|单位名称)$")
_CODE_HEADER = re.compile(r"(科目编码|编码|代码|[类款项])$")
SIDE_HEADER = "分组"
_WRITTEN_AMOUNT = re.compile(r"\d[.,]\d")


@dataclass
class _Block:
    """One table on one page, cells as a dense matrix of cell texts (merged cells at their top-left position)."""

    ocr: TableOcr
    page: int
    n_rows: int
    n_cols: int
    grid: list[list[CellText | None]]  # anchor cell at its top-left position, None elsewhere
    cover: list[list[CellText | None]]  # the cell covering each position
    header_rows: int = 0
    headers: list[str] = field(default_factory=list)
    title: str | None = None
    unit: str | None = None
    has_title: bool = False


def _is_number(text: str) -> bool:
    return parse_amount(text) is not None


def _text(ct: CellText | None) -> str:
    return ct.text.strip() if ct is not None else ""


def _block(ocr: TableOcr, page: int) -> _Block | None:
    grid_def = ocr.grid
    if grid_def is None or grid_def.n_rows < 1 or grid_def.n_cols < 1:
        return None
    n_rows, n_cols = grid_def.n_rows, grid_def.n_cols
    grid: list[list[CellText | None]] = [[None] * n_cols for _ in range(n_rows)]
    cover: list[list[CellText | None]] = [[None] * n_cols for _ in range(n_rows)]
    for ct in ocr.cells:
        c = ct.cell
        if 0 <= c.row < n_rows and 0 <= c.col < n_cols:
            grid[c.row][c.col] = ct
            for r in range(c.row, min(c.row + c.row_span, n_rows)):
                for k in range(c.col, min(c.col + c.col_span, n_cols)):
                    cover[r][k] = ct
    return _Block(ocr=ocr, page=page, n_rows=n_rows, n_cols=n_cols, grid=grid, cover=cover)


def _row_has_amount(block: _Block, r: int) -> bool:
    """A data row holds a number in a one-row cell; 类/款/项 code digits alone do not make a row data. A cell over
    several rows counts only with a written amount (``8,534.17``): Chongqing's 项目绩效目标表 gives each project's
    金额 one cell beside all its indicator rows, and a bare integer there may be a header's year."""
    for ct in block.grid[r]:
        if ct is None:
            continue
        t = _text(ct)
        if ct.cell.row_span > 1:
            if _WRITTEN_AMOUNT.search(t) and _is_number(t):
                return True
            continue
        if _is_number(t) and not SUBJECT_CODE_PIECE.match(t) and not SUBJECT_CODE.match(t):
            return True
        if ct.label in {"AMOUNT", "TOTAL_AMOUNT"}:
            return True
    return False


def _split_code_pair(texts: Sequence[str]) -> bool:
    """A 3-digit 类 code followed by a 2-digit 款 code (``303 | 05``): a data row, even with no amount.

    The continuation page of finance-bureau 2024 基本支出决算表 (page 17) starts with such a row and no header.
    """
    return any(len(a) == 3 and a.isdigit() and len(b) == 2 and b.isdigit() for a, b in itertools.pairwise(texts))


def _find_header_rows(block: _Block) -> int:
    """Header rows = top rows before the first row with an amount (or a 合计/总计 label, for empty templates).

    A table continued from the previous page may start with data: then there is no header.
    """
    for r in range(block.n_rows):
        texts = [_text(ct) for ct in block.grid[r] if ct is not None and ct.cell.row_span == 1]
        if (
            _row_has_amount(block, r)
            or _split_code_pair(texts)
            or any((SUBJECT_CODE.match(t) and len(t) >= 5) or _ENUMERATED.match(t) for t in texts)
        ):
            return r
    # no amounts at all (an empty template table): data start at a row labelled exactly 合计/总计
    for r in range(block.n_rows):
        texts = [re.sub(r"\s+", "", _text(ct)) for ct in block.grid[r] if ct is not None and ct.cell.row_span == 1]
        if any(t in {"合计", "总计"} for t in texts[:2]):
            return r
    return min(1, block.n_rows)


def _flatten_headers(block: _Block) -> list[str]:
    headers: list[str] = []
    for c in range(block.n_cols):
        parts: list[str] = []
        for r in range(block.header_rows):
            t = fold_variants(re.sub(r"\s+", "", _text(block.cover[r][c])))
            if t and (not parts or parts[-1] != t):
                parts.append(t)
        # 类/款/项 written in the first data row's code cells (finance-bureau 收入决算表, page 8).
        if block.header_rows < block.n_rows:
            ct = block.grid[block.header_rows][c]
            if ct is not None and _LEVEL_WORD.match(_text(ct)):
                parts.append(_text(ct))
        headers.append("/".join(parts))
    return headers


def _column_roles(block: _Block, first: int) -> tuple[list[int], int | None]:
    """(code columns, name column) from labels, headers and cell contents."""
    code_cols: list[int] = []
    name_col: int | None = None
    rows = range(first, block.n_rows)
    for c in range(block.n_cols):
        cells = [block.grid[r][c] for r in rows if block.grid[r][c] is not None]
        texts = [_text(ct) for ct in cells if _text(ct)]
        labels = [ct.label for ct in cells if ct is not None and ct.label]
        head = block.headers[c] if c < len(block.headers) else ""
        codes = sum(1 for t in texts if SUBJECT_CODE_PIECE.match(_code_digits(t)) or SUBJECT_CODE.match(t))
        words = sum(1 for t in texts if HAN.search(t) and not _is_number(t))
        if labels and labels.count("CODE") > len(labels) / 2:
            code_cols.append(c)
        elif labels and labels.count("NAME") > len(labels) / 2 and name_col is None:
            name_col = c
        elif (
            texts
            and codes == len(texts) - sum(1 for t in texts if _LEVEL_WORD.match(t))
            and (_CODE_HEADER.search(head) or not head or header_role(head) == "code")
        ):
            code_cols.append(c)
        elif name_col is None and (
            words > len(texts) / 2 or (not texts and (_NAME_HEADER.search(head) or header_role(head) == "name"))
        ):
            name_col = c
    return code_cols, _item_column(block, first, name_col, code_cols)


def _item_column(block: _Block, first: int, name_col: int | None, code_cols: Sequence[int]) -> int | None:
    """The column that names each row when two word columns precede the amounts: 单位名称 | 项目名称 | 金额
    (Hangzhou, Shenzhen project lists) repeats the unit down the rows, so the row is the project's. The nearer word
    column wins when the first repeats (≤ 75 % distinct texts) and the nearer one repeats no more than it."""
    if name_col is None:
        return None

    def texts(c: int) -> list[str]:
        return [t for r in range(first, block.n_rows) if (t := _text(block.grid[r][c]))]

    def is_words(c: int) -> bool:
        ts = texts(c)
        return bool(ts) and sum(1 for t in ts if HAN.search(t) and not _is_number(t)) > len(ts) / 2

    def distinct(c: int) -> float:
        keys = ["".join(HAN.findall(t)) for t in texts(c)]
        return len(set(keys)) / len(keys) if keys else 0.0

    def is_amounts(c: int) -> bool:
        ts = texts(c)
        return bool(ts) and sum(1 for t in ts if _is_number(t)) > len(ts) / 2

    first_amount = next((c for c in range(name_col + 1, block.n_cols) if c not in code_cols and is_amounts(c)), None)
    if first_amount is None or distinct(name_col) > 0.75:
        return name_col
    nearer = [c for c in range(name_col + 1, first_amount) if c not in code_cols and is_words(c)]
    if nearer and distinct(nearer[-1]) >= distinct(name_col):
        return nearer[-1]
    return name_col


def _row_kind(texts: Sequence[str], name: str | None) -> str:
    probe = name or "".join(texts[:3])
    if SUBTOTAL.search(probe):
        return "subtotal"
    if GRAND_TOTAL.search(probe):
        return "total"
    return "item"


def _cell(ct: CellText | None, col: int, page: int, parse: bool) -> Cell:
    text = _text(ct)
    value = parse_amount(text) if parse and text else None
    bbox = list(ct.cell.bbox_px) if ct is not None else [0.0, 0.0, 0.0, 0.0]
    return Cell(
        col=col,
        text=text,
        value=float(value) if value is not None else None,
        label=ct.label if ct is not None else None,
        bbox=[float(v) for v in bbox],
        page=page,
        confidence=ct.confidence if ct is not None else 1.0,
    )


@dataclass
class _Group:
    cols: list[int]
    side: str | None
    name_col: int | None = None  # the group's own 科目名称 column, when the chosen reading knows it


def _header_starts(block: _Block) -> list[int]:
    """Columns a header names as a 科目名称/项目 column (fuzzily: ``项H`` is 项目) that hold words."""
    first = block.header_rows
    starts: list[int] = []
    for c in range(block.n_cols):
        head = block.headers[c].split("/")[-1] if block.headers[c] else ""
        texts = [_text(block.grid[r][c]) for r in range(first, block.n_rows)]
        words = sum(1 for t in texts if HAN_RUN.search(t) and not _is_number(t))
        filled = len([t for t in texts if t])
        if (_NAME_HEADER.search(head) or header_role(head) == "name") and words >= max(1, filled // 2):
            starts.append(c)
        elif not any(block.headers) and filled and words > filled / 2:  # no header text (empty top rows too)
            starts.append(c)  # a 续表 page without header that could not be merged: word columns start groups
    return starts


def _groups(block: _Block, code_cols: list[int], name_col: int | None, split: bool) -> tuple[list[_Group], Choice]:
    """Column groups of a dual layout, chosen among candidate readings by :mod:`juesuan.inference.hypotheses`."""
    first = block.header_rows

    def cells(c: int) -> list[tuple[str, str | None]]:
        return [
            (_text(ct), ct.label)
            for r in range(first, block.n_rows)
            if (ct := block.grid[r][c]) is not None and ct.cell.row_span == 1
        ]

    roles = column_roles(block.n_cols, cells, block.headers)
    for c in code_cols:
        roles[c] = "code"
    if name_col is not None and roles[name_col] in ("empty", "other"):
        roles[name_col] = "name"
    rows = [[_text(block.grid[r][c]) for c in range(block.n_cols)] for r in range(first, block.n_rows)]
    starts = _header_starts(block) if split and name_col is not None else []
    choice = choose_grouping(roles, block.headers, starts, rows)
    if not split or len(choice.grouping.groups) < 2:
        return [_Group(list(range(block.n_cols)), None)], choice
    groups: list[_Group] = []
    for k, g in enumerate(choice.grouping.groups):
        cols = list(g)
        tops = {block.headers[c].split("/")[0] for c in cols if block.headers[c]}
        side = tops.pop() if len(tops) == 1 and len(cols) > 1 else str(k + 1)
        own_name = next((c for c in cols if roles[c] == "name"), None)
        groups.append(_Group(cols, side, own_name))
    return groups, choice


def _strip_side(header: str, side: str | None) -> str:
    if side and header.startswith(side + "/"):
        return header[len(side) + 1 :]
    return header


class Assembler:
    """All pages of one document → its tables (ids t1, t2, ... in document order)."""

    def __init__(self, options: StructureOptions | None = None) -> None:
        self.options = options or StructureOptions()
        self.hypotheses_seconds = 0.0  # time spent scoring structure hypotheses (pipeline reports it in timings)
        self.hypotheses_cpu_seconds = 0.0  # the same, process CPU

    def text_blocks(self, pages: Sequence[OcrResult]) -> list[TextBlock]:
        """The document's text outside tables (see :func:`text_blocks`)."""
        return text_blocks(pages)

    def __call__(self, pages: Sequence[OcrResult]) -> list[Table]:
        self.hypotheses_seconds = 0.0
        self.hypotheses_cpu_seconds = 0.0
        blocks: list[_Block] = []
        for page in pages:
            page_blocks = []
            for ocr in sorted(page.tables, key=lambda t: (t.region.bbox_px[1], t.region.bbox_px[0])):
                block = _block(ocr, page.ref.index)
                if block is None:
                    continue
                block.header_rows = _find_header_rows(block)
                block.headers = _flatten_headers(block)
                page_blocks.append(block)
            _titles(page, page_blocks)
            blocks.extend(page_blocks)
        merged = self._merge_continued(blocks) if self.options.merge_continued else [[b] for b in blocks]
        tables = []
        for chain in merged:
            table = self._table(chain, f"t{len(tables) + 1}")
            if table is not None:
                tables.append(table)
        return tables

    # ------------------------------------------------------------- 续表
    def _merge_continued(self, blocks: Sequence[_Block]) -> list[list[_Block]]:
        """Merge a 续表 into the table before it: next page, same column count and x-positions, no own title
        (or one with 续). Some bureaus repeat the header and some do not, so match on columns, not header text."""
        chains: list[list[_Block]] = []
        for block in blocks:
            prev = chains[-1][-1] if chains else None
            if prev is not None and _continues(prev, block):
                chains[-1].append(block)
            else:
                chains.append([block])
        return chains

    # ------------------------------------------------------------- table
    def _table(self, chain: Sequence[_Block], table_id: str) -> Table | None:
        head = chain[0]
        first = head.header_rows
        code_cols, name_col = _column_roles(head, first)
        t0, c0 = time.perf_counter(), time.process_time()
        groups, choice = _groups(head, code_cols, name_col, self.options.split_dual)
        self.hypotheses_seconds += time.perf_counter() - t0
        self.hypotheses_cpu_seconds += time.process_time() - c0
        dual = len(groups) > 1
        width = max(len(g.cols) for g in groups)
        columns: list[Column] = []
        offset = 1 if dual else 0
        if dual:
            columns.append(Column(index=0, header=SIDE_HEADER))
        for j in range(width):
            names: list[str] = []
            for g in groups:
                if j < len(g.cols):
                    h = _strip_side(head.headers[g.cols[j]], g.side)
                    if h not in names:
                        names.append(h)
            columns.append(Column(index=j + offset, header="|".join(n for n in names if n) if names else ""))
        rows: list[Row] = []
        for g in groups:
            g_code = [c for c in g.cols if c in code_cols]
            g_name = next((c for c in g.cols if c == name_col), None)
            if dual and g_name is None:
                g_name = g.name_col
            if dual and g_name is None:
                # each group has its own name column: the first word column of the group
                g_name = next(
                    (c for c in g.cols if c not in g_code and _NAME_HEADER.search(head.headers[c].split("/")[-1])),
                    None,
                )
            for part, block in enumerate(chain):
                start = block.header_rows if part == 0 or block.header_rows else 0
                if part > 0 and block.header_rows and block.headers != head.headers:
                    start = block.header_rows
                for r in range(start, block.n_rows):
                    row = self._row(block, r, g, g_code, g_name, offset, len(rows))
                    if row is not None:
                        rows.append(row)
        x0 = min(b.ocr.grid.bbox_px[0] for b in chain if b.ocr.grid)
        x1 = max(b.ocr.grid.bbox_px[2] for b in chain if b.ocr.grid)
        bbox = list(head.ocr.grid.bbox_px) if head.ocr.grid else [0.0] * 4
        if len(chain) > 1:
            bbox = [x0, bbox[1], x1, bbox[3]]
        line_cols = {
            c.index
            for c in columns
            if LINE_NUMBER_HEADER.search(c.header.split("|")[-1].split("/")[-1])
            or is_line_numbers([cell.text for row in rows if (cell := row.cell(c.index)) is not None])
        }
        if self.options.vocabulary_names:
            rows = read_item_names(rows, load_catalogue().named_items("economic"))
        rows = read_confusable_amounts(rows, columns, line_cols)
        orphans = count_orphans(rows, offset, line_cols)
        reasons = [f"orphans:{orphans}"] if orphans else []
        if choice.runner_up is not None and choice.confidence < STRUCTURE_REVIEW_BELOW:
            reasons.append(f"structure_close:{choice.runner_up}")
        return Table(
            id=table_id,
            pages=sorted({b.page for b in chain}),
            bbox=[float(v) for v in bbox],
            title=head.title,
            unit=next((b.unit for b in chain if b.unit), None),
            columns=columns,
            rows=rows,
            confidence=choice.confidence,
            needs_review=bool(reasons),
            review_reasons=reasons,
            orphans=orphans,
        )

    def _row(
        self, block: _Block, r: int, g: _Group, code_cols: list[int], name_col: int | None, offset: int, index: int
    ) -> Row | None:
        texts = [_text(block.grid[r][c]) for c in g.cols]
        if not any(texts):
            return None
        code_parts = [_text(block.grid[r][c]) for c in code_cols]
        code_parts = [_code_digits(code_without_specks(re.sub(r"\s+", "", p))) for p in code_parts]
        code = "".join(p for p in code_parts if p.isdigit()) or None
        name = _text(block.grid[r][name_col]) if name_col is not None else None
        if not name and name_col is not None and (ct := block.cover[r][name_col]) is not None and ct.cell.row == r:
            # 当年支出小计 / 支出合计 written across the name columns of two side-by-side groups (Jiangsu 2019
            # 收支预算总表: 功能分类 | 支出用途): the label is the later group's too, and its amount is there
            name = _text(ct)
        name = re.sub(r"\s+", "", name) if name else None
        if not name:
            # a label cell merged across the code columns (人员经费合计) or a table without a name column
            name = next((re.sub(r"\s+", "", t) for t in texts if t and not _is_number(t)), None)
        cells: list[Cell] = []
        if offset:
            cells.append(Cell(col=0, text=g.side or "", page=block.page))
        for j, c in enumerate(g.cols):
            ct = block.grid[r][c]
            if ct is not None and _LEVEL_WORD.match(_text(ct)):
                ct = None
            cells.append(_cell(ct, j + offset, block.page, parse=c not in code_cols and c != name_col))
        if not any(cell.text for cell in cells[offset:]):
            return None
        return Row(index=index, code=code, name=name, kind=_row_kind(texts, name), cells=cells)  # type: ignore[arg-type]


# ---------------------------------------------------------------- row names from the 经济分类 vocabulary
# A code-less 部门经济分类 table (Shenzhen 项目类别 tables list 基本工资, 奖金, 办公费 ... with no 科目编码) keeps a row
# only by its name, and a 1-bit copy misreads short names (手续费 → 手续弗, 水费 → 八费). Their names are a closed,
# ordered vocabulary, so a misread name is read as the one catalogue name it can stand for: a near-miss of one name
# clearly better than any other, or the only name of its length that fits between the rows above and below (tables
# list items in code order). The cell keeps the text as read; the name cell's confidence drops to NAME_READ_CONFIDENCE.
NAME_MIN_ANCHORS = 3  # rows of the table named exactly by the vocabulary: fewer and it is not an item list
NAME_ANCHOR_SHARE = 1 / 3  # ... and at least this share of its named rows
NAME_NEAR_SIMILARITY = 0.6  # near-miss: difflib ratio with the best name
NAME_NEAR_MARGIN = 0.15  # ... and over the runner-up
NAME_GAP_SIMILARITY = 0.3  # gap reading: the only fitting name must share this much with the text ...
NAME_GAP_UNSURE = 0.6  # ... unless OCR itself was this unsure of the text (寶世 for 奖金 at 0.08)
NAME_READ_CONFIDENCE = 0.5  # below validation's uncertain_confidence: a name read from the vocabulary is a guess


def _name_ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def read_item_names(rows: list[Row], items: Sequence[CodeEntry]) -> list[Row]:
    """Rows of a code-less item list whose OCR name is not a vocabulary name get the one name it stands for.

    ``items``: the vocabulary in code order (``Catalogue.named_items``). A row is considered only without a code,
    with an OCR name cell (confidence < 1: a text layer is never second-guessed), a name of CJK words that is not
    itself a vocabulary name, and only in a table where enough other rows are vocabulary names (anchors)."""
    names = [squash_name(e.name) for e in items]
    position = {n: i for i, n in enumerate(names)}
    pos: list[int | None] = [position.get(squash_name(r.name)) if r.name else None for r in rows]
    named = sum(1 for r in rows if r.name)
    anchors = sum(p is not None for p in pos)
    if anchors < NAME_MIN_ANCHORS or anchors < NAME_ANCHOR_SHARE * named:
        return rows
    todo: dict[int, tuple[str, Cell]] = {}
    for i, r in enumerate(rows):
        if pos[i] is not None or r.code or not r.name or r.kind != "item" or not HAN.search(r.name):
            continue
        if any(ch.isdigit() for ch in r.name):
            continue
        cell = next((c for c in r.cells if c.text and re.sub(r"\s+", "", c.text) == r.name), None)
        if cell is not None and cell.confidence < 1.0:
            todo[i] = (squash_name(r.name), cell)
    if not todo:
        return rows

    def bounds(i: int) -> tuple[int, int]:
        """Vocabulary positions strictly between the nearest anchors above and below (open ends: the whole list)."""
        lo = next((p for p in reversed(pos[:i]) if p is not None), -1)
        hi = next((p for p in pos[i + 1 :] if p is not None), len(items))
        return lo, hi

    fixes: dict[int, int] = {}
    # near-miss: one name clearly closest, of about the same length, where the rows around allow it
    for i, (text, _) in todo.items():
        scored = sorted(
            ((_name_ratio(text, n), k) for k, n in enumerate(names) if abs(len(n) - len(text)) <= 1), reverse=True
        )
        if not scored or scored[0][0] < NAME_NEAR_SIMILARITY:
            continue
        if len(scored) > 1 and scored[0][0] - scored[1][0] < NAME_NEAR_MARGIN:
            continue
        lo, hi = bounds(i)
        if lo < hi and not lo < scored[0][1] < hi:
            continue
        fixes[i] = scored[0][1]
    for i, k in fixes.items():
        pos[i] = k
    # gap: the only name of about the same length that fits between the anchors above and below
    gap: dict[int, int] = {}
    for i, (text, cell) in todo.items():
        if i in fixes:
            continue
        lo, hi = bounds(i)
        if lo < 0 or hi >= len(items) or lo >= hi:
            continue
        fit = [k for k in range(lo + 1, hi) if abs(len(names[k]) - len(text)) <= 1]
        if len(fit) != 1:
            continue
        if _name_ratio(text, names[fit[0]]) < NAME_GAP_SIMILARITY and cell.confidence >= NAME_GAP_UNSURE:
            continue
        gap[i] = fit[0]
    claimed = [k for k in gap.values()]
    fixes.update({i: k for i, k in gap.items() if claimed.count(k) == 1})
    if not fixes:
        return rows
    out = list(rows)
    for i, k in fixes.items():
        text, cell = todo[i]
        log.debug("row name %r read as %s %s", text, items[k].code, items[k].name)
        new_cells = [
            c.model_copy(update={"confidence": min(c.confidence, NAME_READ_CONFIDENCE)}) if c is cell else c
            for c in rows[i].cells
        ]
        out[i] = rows[i].model_copy(update={"name": items[k].name, "cells": new_cells})
    return out


STRUCTURE_REVIEW_BELOW = 0.8
# Letters OCR reads for digits in a 类/款/项 code part on 1-bit copies (finance-bureau 2024 决算 page 11 at 150 dpi
# `fax`: 项 ``o1`` dropped, so 2101101 became 21011). Only a 2-3 character part with a digit is read this way.
_CODE_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "〇": "0", "l": "1", "I": "1", "|": "1"})


def _code_digits(part: str) -> str:
    if 2 <= len(part) <= 3 and any(ch.isdigit() for ch in part):
        mapped = part.translate(_CODE_LOOKALIKES)
        if mapped.isdigit():
            return mapped
    return part


ZERO_CONFUSABLE_CONFIDENCE = 0.5  # below validation's uncertain_confidence (0.8): identities treat it as OCR-uncertain


def read_confusable_amounts(
    rows: Sequence[Row], columns: Sequence[Column], skip_cols: set[int] | frozenset[int] = frozenset()
) -> list[Row]:
    """Body cells of an amount column that OCR did not read cleanly but that mean one amount get it
    (:func:`confusable_amount`: a zero whose glyphs became letters, ``C``, ``G,00``, ``180,000.C0``; a number with a
    stray mark glued to it, ``π 20,120,000.00``, ``通0.00``, ``—— 394.49``), keep their text, and drop to
    ``ZERO_CONFUSABLE_CONFIDENCE``, so identities check the reading and repair may overrule it (issue 12, fax/photo).

    A column is an amount column when most of its other filled cells parse as amounts, at least two of them or one
    under a header that names amounts (数/金额/合计…), or when such a header has no other filled cell (a one-row
    record); code, name and 行次 columns (``skip_cols``) hold no parsed values, so nothing there is touched, nor a
    cell the token labeller called CODE or NAME, nor a header row.
    """
    headers = {c.index: c.header for c in columns}
    candidates: dict[int, list[tuple[int, Cell]]] = {}
    filled: dict[int, int] = {}
    numbers: dict[int, int] = {}
    for i, row in enumerate(rows):
        if row.kind == "header":
            continue
        for cell in row.cells:
            if cell.col in skip_cols or not cell.text.strip():
                continue
            if cell.value is None and cell.label not in ("CODE", "NAME") and confusable_amount(cell.text) is not None:
                candidates.setdefault(cell.col, []).append((i, cell))
                continue
            filled[cell.col] = filled.get(cell.col, 0) + 1
            numbers[cell.col] = numbers.get(cell.col, 0) + (cell.value is not None)
    out = list(rows)
    for col, cells in candidates.items():
        n = numbers.get(col, 0)
        named = header_role(headers.get(col, "").split("|")[-1]) == "amount"
        alone = named and filled.get(col, 0) == 0  # a one-row record (三公经费表): the header alone says amounts
        if not (n > filled.get(col, 0) / 2 and (n >= 2 or (named and n >= 1))) and not alone:
            continue
        for i, cell in cells:
            value = confusable_amount(cell.text)
            new = cell.model_copy(
                update={"value": float(value), "confidence": min(cell.confidence, ZERO_CONFUSABLE_CONFIDENCE)}
            )
            row = out[i]
            out[i] = row.model_copy(update={"cells": [new if c is cell else c for c in row.cells]})
    return out


def count_orphans(rows: Sequence[Row], offset: int = 0, line_cols: set[int] | frozenset[int] = frozenset()) -> int:
    """Amounts in a row with neither a code nor a name: no row to attach them to (issue 12). A table none of whose
    rows has a label (三公经费预算表: one row of amounts under its headers) is a record, not rows of orphans."""
    if not any(row.code or row.name for row in rows):
        return 0
    return sum(  # 行次 numbers (line_cols) label rows; they are no amounts
        1
        for row in rows
        if not row.code and not row.name
        for cell in row.cells[offset:]
        if cell.value is not None and cell.col not in line_cols
    )


def _continues(prev: _Block, block: _Block) -> bool:
    if block.page != prev.page + 1 or prev.n_cols != block.n_cols:
        return False
    if block.has_title and not (block.title and "续" in block.title):
        return False
    pg, bg = prev.ocr.grid, block.ocr.grid
    if pg is None or bg is None:
        return False

    # relative column positions: a rescanned or photographed page shifts and scales the table a little
    def rel(edges: Sequence[float]) -> list[float]:
        span = max(edges[-1] - edges[0], 1.0)
        return [(e - edges[0]) / span for e in edges]

    width = max(pg.bbox_px[2] - pg.bbox_px[0], 1.0)
    if abs((bg.bbox_px[2] - bg.bbox_px[0]) - width) > 0.08 * width:
        return False
    return all(abs(a - b) <= 0.02 for a, b in zip(rel(pg.col_edges), rel(bg.col_edges), strict=True))


def _titles(page: OcrResult, blocks: Sequence[_Block]) -> None:
    """Title: the tallest line among the page's text lines above the table (nearest wins ties); unit: 单位 line."""
    above_all = [t for t in page.tokens if t.text.strip()]
    lines = reading_lines(above_all)
    prev_bottom = 0.0
    for block in blocks:
        top = block.ocr.region.bbox_px[1]
        cands: list[tuple[float, float, str]] = []
        unit: str | None = None
        for line in lines:
            y0 = min(t.bbox_px[1] for t in line)
            y1 = max(t.bbox_px[3] for t in line)
            if y1 > top + 4 or y0 < prev_bottom - 4:
                continue
            text = join_tokens(line)
            m = _UNIT.search(text.replace(" ", ""))
            if m:
                unit = m.group(1)
                text = _UNIT.sub("", text.replace(" ", "")).strip()
            if not text or re.fullmatch(r"[\d\-—\s第页/共]+", text) or _is_number(text):
                continue
            if not HAN_RUN.search(text):
                continue
            cands.append((_line_height(line), y1, text))
        if cands:
            tallest = max(h for h, _, _ in cands)
            best = max((c for c in cands if c[0] >= 0.85 * tallest), key=lambda c: c[1])
            block.title = re.sub(r"\s+", "", best[2])
            block.has_title = True
        if unit is None:
            unit = _unit_in_cells(block)
        block.unit = unit
        if block.ocr.grid is not None:
            prev_bottom = block.ocr.grid.bbox_px[3]


def _line_height(line: Sequence[Token]) -> float:
    hs = sorted(t.bbox_px[3] - t.bbox_px[1] for t in line)
    return hs[len(hs) // 2]


def _unit_in_cells(block: _Block) -> str | None:
    for r in range(min(block.header_rows + 1, block.n_rows)):
        for ct in block.grid[r]:
            m = _UNIT.search(_text(ct).replace(" ", ""))
            if m:
                return m.group(1)
    return None


def _join_text(a: str, b: str) -> str:
    """Join text pieces: no space between CJK, one space between Latin/digits."""
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return f"{a} {b}"
    return a + b


def text_blocks(results: Sequence[OcrResult]) -> list[TextBlock]:
    """Non-table text per layout region (titles, unit lines, 情况说明 narrative), for narrative checks and search."""
    blocks: list[TextBlock] = []
    for r in results:
        regions = [g for g in r.regions if g.kind is not RegionKind.TABLE]
        buckets: dict[int, list[Token]] = {}
        for tok in r.tokens:
            cx = (tok.bbox_px[0] + tok.bbox_px[2]) / 2
            cy = (tok.bbox_px[1] + tok.bbox_px[3]) / 2
            hit = -1
            for k, g in enumerate(regions):
                x0, y0, x1, y1 = g.bbox_px
                if x0 <= cx <= x1 and y0 <= cy <= y1:
                    hit = k
                    break
            buckets.setdefault(hit, []).append(tok)
        for k, toks in sorted(buckets.items(), key=lambda kv: min(t.bbox_px[1] for t in kv[1])):
            lines = text_lines(toks)
            text = ""
            spans: list[tuple[int, int, float]] = []  # OCR tokens below 1.0, as offsets in ``text``
            for line in lines:
                piece = ""
                marks: list[tuple[int, int, float]] = []
                for t in line:
                    piece = _join_text(piece, t.text)
                    if t.confidence < 1.0:
                        marks.append((len(piece) - len(t.text), len(piece), round(float(t.confidence), 4)))
                text = _join_text(text, piece)
                base = len(text) - len(piece)
                spans += [(base + a, base + b, c) for a, b, c in marks]
            kind = regions[k].kind.value if k >= 0 else "text"
            bbox = [
                min(t.bbox_px[0] for t in toks),
                min(t.bbox_px[1] for t in toks),
                max(t.bbox_px[2] for t in toks),
                max(t.bbox_px[3] for t in toks),
            ]
            blocks.append(
                TextBlock(
                    page=r.page.ref.index,
                    kind=kind,
                    bbox=[round(v, 1) for v in bbox],
                    text=text,
                    confidence=min((c for _, _, c in spans), default=None),
                    spans=spans,
                )
            )
    return blocks
