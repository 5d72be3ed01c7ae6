"""Seeds (../shared/data/seeds/*.txt): OCR'd text of real disclosures whose tables are tab-separated lines.

Each run of tab-separated lines becomes one :class:`~juesuan.datamodel.document.Table`: the nearest title line above
it, the unit from 金额单位/单位 lines, header rows flattened into ``a/b/c`` headers (a spanning cell is carried to the
right over the empty cells after it), 类/款/项 columns joined into ``Row.code``. Text lines become ``Document.text``
blocks, so the narrative checks see the 情况说明. The result looks like what the assembler makes from a scan.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from juesuan.datamodel.amounts import normalize, parse_amount
from juesuan.datamodel.document import Cell, Column, Document, Row, Source, Table
from juesuan.lexicon import HAN

_UNIT = re.compile(r"(?:金额)?单位[:：]\s*(万元|元|千元)")
_SKIP_TITLE = re.compile(r"^(部门|单位|编制部门|编制单位)[:：]|^表\s*[\d\-—]+$|^备注|^注[:：]|单位[:：]")
_CODE_HEAD = {"类", "款", "项"}


def _is_table_line(line: str) -> bool:
    return "\t" in line and not re.search(r"\.{4,}\s*\t", line)  # 目录 lines: "一、收入…..\t3"


def _squash(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text).strip()


def _is_header_row(cells: list[str]) -> bool:
    """A row without amounts and without codes: part of the (multi-level) header."""
    for c in cells:
        s = normalize(c)
        if not s:
            continue
        if re.fullmatch(r"\d{2,7}", s):
            return False
        if parse_amount(s) is not None and not re.fullmatch(r"\d{1,2}", s):
            return False
    return True


def _flatten(header_rows: list[list[str]], width: int) -> list[str]:
    grid = [r + [""] * (width - len(r)) for r in header_rows]
    for r, row in enumerate(grid[:-1]):  # spans: carry a group header right, except on the last header row
        carry = ""
        for c in range(width):
            if row[c].strip():
                carry = row[c]
            elif carry and any(grid[k][c].strip() for k in range(r + 1, len(grid))):
                row[c] = carry
            else:
                carry = ""
    out = []
    for c in range(width):
        parts: list[str] = []
        for row in grid:
            t = " ".join(row[c].split())
            if t and (not parts or parts[-1] != t):
                parts.append(t)
        out.append("/".join(parts))
    return out


def parse_seed_tables(text: str, stem: str) -> tuple[list[Table], list[dict[str, object]]]:
    """Tables and text blocks of one seed file."""
    lines = text.splitlines()
    tables: list[Table] = []
    blocks: list[dict[str, object]] = []
    i = 0
    pending_title: str | None = None
    unit: str | None = None
    while i < len(lines):
        line = lines[i]
        if not _is_table_line(line):
            s = _squash(line)
            if s:
                m = _UNIT.search(s)
                if m:
                    unit = m.group(1)
                if not _SKIP_TITLE.search(s) and len(s) <= 60 and not s.startswith(("(", "（图")):
                    pending_title = s.lstrip("#").strip()
                elif len(s) > 60:
                    pending_title = None
                blocks.append({"page": 0, "bbox": [0, 0, 0, 0], "text": s})
            i += 1
            continue
        block: list[list[str]] = []
        while i < len(lines) and (_is_table_line(lines[i]) or not lines[i].strip()):
            if lines[i].strip():
                block.append([_squash(c) for c in lines[i].split("\t")])
            i += 1
        width = max(len(r) for r in block)
        n_head = 0
        while n_head < len(block) - 1 and _is_header_row(block[n_head]):
            n_head += 1
        flat_first = "".join("".join(block[0]).split())
        if "绩效" in flat_first or (
            flat_first.startswith(("项目名称", "部门名称", "单位名称")) and "指标" in "".join("".join(r) for r in block)
        ):
            n_head = 0  # a 绩效 form: field/value pairs with header rows inside the body (一级指标 … 得分)
        title = pending_title
        if title and title.startswith(("|", "-")):
            title = None
        if len([c for c in block[0] if c]) == 1 and "表" in flat_first:
            # a one-cell first row is the table's title printed inside the grid (绩效自评表)
            title = title if title and "表" in title else block[0][0] or title
        headers = _flatten(block[:n_head], width) if n_head else [""] * width
        code_cols = [c for c, h in enumerate(headers) if h.split("/")[-1].replace(" ", "") in _CODE_HEAD]
        table_id = f"{stem}-t{len(tables) + 1:02d}"
        rows: list[Row] = []
        for r, cells in enumerate(block[n_head:]):
            cells = cells + [""] * (width - len(cells))
            code = "".join(normalize(cells[c]) for c in code_cols if re.fullmatch(r"\d{2,3}", normalize(cells[c])))
            name = next((c for k, c in enumerate(cells) if k not in code_cols and HAN.search(c)), None)
            label = "".join((name or "").split())
            kind = "total" if re.fullmatch(r"(合计|总计)", label) else "subtotal" if label == "小计" else "item"
            rows.append(
                Row(
                    index=r,
                    code=code or None,
                    name=name,
                    kind=kind,
                    cells=[Cell(col=k, text=t, value=_float(t), confidence=1.0) for k, t in enumerate(cells)],
                )
            )
        columns = [Column(index=k, header=h) for k, h in enumerate(headers)]
        table = Table(id=table_id, pages=[0], bbox=[0, 0, 0, 0], title=title, unit=unit, columns=columns, rows=rows)
        tables.append(stack_dual(table))
        pending_title = None
    return tables, blocks


SIDE_HEADER = "分组"  # the assembler's name for the side column of a stacked dual layout


def stack_dual(table: Table) -> Table:
    """Side-by-side 收入 | 支出 groups → one table whose rows follow each other, like the assembler makes them.

    A group starts at each column whose last header segment is 项目/科目名称 (after the first); column 0 becomes
    ``分组`` with the group's top header, column j holds the j-th column of every group, headers joined by ``|``.
    """
    heads = [c.header for c in table.columns]
    starts = [k for k, h in enumerate(heads) if re.sub(r"\s", "", h.split("/")[-1]) in ("项目", "科目名称")]
    if len(starts) < 2 or starts[0] > 1:
        return table
    bounds = [0, *starts[1:]]
    groups = [list(range(b, bounds[i + 1] if i + 1 < len(bounds) else len(heads))) for i, b in enumerate(bounds)]
    sides = []
    for k, g in enumerate(groups):
        tops = {heads[c].split("/")[0] for c in g if "/" in heads[c]}
        sides.append(tops.pop() if len(tops) == 1 else str(k + 1))

    def strip(h: str, side: str) -> str:
        return h[len(side) + 1 :] if h.startswith(side + "/") else h

    width = max(len(g) for g in groups)
    columns = [Column(index=0, header=SIDE_HEADER)]
    for j in range(width):
        names: list[str] = []
        for g, side in zip(groups, sides, strict=True):
            if j < len(g):
                h = strip(heads[g[j]], side)
                if h not in names:
                    names.append(h)
        columns.append(Column(index=j + 1, header="|".join(n for n in names if n)))
    rows: list[Row] = []
    for g, side in zip(groups, sides, strict=True):
        for row in table.rows:
            texts = [(row.cell(c).text if row.cell(c) else "") for c in g]
            if not any(t.strip() for t in texts):
                continue
            name = texts[0].strip() or None
            label = "".join((name or "").split())
            kind = "total" if re.fullmatch(r"(合计|总计)", label) else "item"
            cells = [Cell(col=0, text=side)] + [
                Cell(col=j + 1, text=t, value=_float(t), confidence=1.0) for j, t in enumerate(texts)
            ]
            rows.append(Row(index=len(rows), code=None, name=name, kind=kind, cells=cells))
    return table.model_copy(update={"columns": columns, "rows": rows})


def _float(text: str) -> float | None:
    v = parse_amount(text)
    return float(v) if v is not None else None


def load_seed_document(path: Path) -> Document:
    """One seed file as a Document (pages and boxes are placeholders: the seed has no geometry)."""
    path = Path(path)
    raw = path.read_bytes()
    tables, blocks = parse_seed_tables(raw.decode("utf-8"), path.stem)
    return Document(
        source=Source(path=str(path), sha256=hashlib.sha256(raw).hexdigest(), pages=1),
        tables=tables,
        text=blocks,
        meta={"origin": "seed"},
    )
