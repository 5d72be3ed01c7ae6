"""Structure hypotheses: when a table's column groups are ambiguous, build the candidates and keep the one the
evidence supports.

Side-by-side layouts (收支总表: 收入 | 支出; 基本支出决算表: 经济分类科目编码 | 科目名称 | 决算数, three times across)
were split only where a header cell read exactly 科目名称/项目. On fax copies a header is misread (``项H``, issue 12:
shanghai-putuo-commerce 2025 预算 page 9 at 150 dpi lost its whole 支出 side) or a broken rule adds a column, and
the split went wrong with nothing to warn. Here every plausible grouping is scored by what it does to the amounts:

- an *orphan* is an amount whose row has neither a code nor a name inside its group (no row to attach it to);
- a *misattached* amount sits right of a second name column inside one group (in a one-group reading of a dual
  layout the 支出 amounts would belong to the 收入 name);
- each group must read ``[code…] name amount…``, and groups that repeat one pattern are likelier than ragged ones.

The lowest penalty wins; the margin to the runner-up becomes the table's structure confidence. Column roles come
from the token labels where present, then from cell contents, then from fuzzy header matching (:func:`header_role`),
so one misread header character does not decide the structure.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from juesuan.datamodel.amounts import is_empty_mark, parse_amount
from juesuan.lexicon import HAN, SUBJECT_CODE, SUBJECT_CODE_PIECE

Role = Literal["code", "name", "amount", "empty", "other"]

_LEVEL_WORD = re.compile(r"^[类款项]$")

# Header words of the disclosure templates, by the role of the column they head. Matching is fuzzy
# (:func:`canonical_header`): ``科日编码`` → 科目编码, ``決算数`` → 决算数, ``项H`` → 项目.
NAME_HEADERS = ("科目名称", "项目名称", "单位名称", "项目", "名称", "功能分类科目名称", "经济分类科目名称")
CODE_HEADERS = ("科目编码", "功能分类科目编码", "经济分类科目编码", "编码", "代码", "项目编码", "科目代码")
AMOUNT_HEADERS = (
    "决算数",
    "预算数",
    "调整预算数",
    "执行数",
    "合计",
    "小计",
    "基本支出",
    "项目支出",
    "人员经费",
    "公用经费",
    "金额",
    "本年收入",
    "本年支出",
    "年初结转和结余",
    "年末结转和结余",
    "财政拨款收入",
    "一般公共预算",
    "政府性基金预算",
    "国有资本经营预算",
    "财政拨款",
    "事业收入",
    "经营收入",
    "其他收入",
)
HEADER_WORDS: tuple[str, ...] = NAME_HEADERS + CODE_HEADERS + AMOUNT_HEADERS
# Traditional or variant forms OCR returns for the simplified glyphs of header words.
_VARIANTS = str.maketrans(
    {
        "決": "决",
        "數": "数",
        "編": "编",
        "碼": "码",
        "稱": "称",
        "項": "项",
        "預": "预",
        "計": "计",
        "類": "类",
        "經": "经",
        "費": "费",
        "額": "额",
        "結": "结",
        "餘": "余",
        "轉": "转",
        "収": "收",
    }
)


# Misreadings of header words that are no word themselves (commerce 2025 预算 page 15, 150 dpi `fax`: 科日编码,
# 项日支出), so the printed text is certain.
_HEADER_SLIPS = (("科日", "科目"), ("项日", "项目"))


def fold_variants(text: str) -> str:
    """Traditional/variant glyphs and sure slips OCR returns for header words → the printed ones (決算数 → 决算数,
    科日编码 → 科目编码)."""
    text = text.translate(_VARIANTS)
    for wrong, right in _HEADER_SLIPS:
        text = text.replace(wrong, right)
    return text


def _distance_at_most_one(a: str, b: str) -> bool:
    """Levenshtein distance ≤ 1 (one substituted, dropped or extra character)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def canonical_header(text: str, words: Sequence[str] = HEADER_WORDS) -> str:
    """The template header word ``text`` was misread from, else ``text`` (after variant folding).

    One character may differ from a word of three or more characters (``科日编码``); a two-character word only when
    the odd character is not a CJK glyph (``项H`` → 项目; ``项目`` and ``项次`` are both real words).
    """
    t = unicodedata.normalize("NFKC", re.sub(r"\s+", "", text)).translate(_VARIANTS)
    if not t or t in words:
        return t
    best: str | None = None
    for w in words:
        if len(w) < 2 or not _distance_at_most_one(t, w):
            continue
        if len(w) == 2 or len(t) <= 2:
            odd = [ch for ch in t if ch not in w]
            if any(HAN.match(ch) for ch in odd) or len(t) != len(w):
                continue
        if best is None or len(w) > len(best):
            best = w
    return best or t


def header_role(header: str) -> Role | None:
    """Role a flattened header (``收入/项目``, last part decides) names, fuzzily; None when it names none."""
    last = canonical_header(header.split("/")[-1]) if header else ""
    if not last:
        return None
    if last in CODE_HEADERS or re.search(r"(编码|代码)$", last) or _LEVEL_WORD.match(last):
        return "code"
    if last in NAME_HEADERS or re.search(r"名称$", last):
        return "name"
    if last in AMOUNT_HEADERS or re.search(r"(数|费|支出|收入|合计|金额)$", last):
        return "amount"
    return None


def text_role(text: str) -> Role:
    """What one cell's text looks like: a 类款项 code part, a name (CJK words), an amount, or empty."""
    t = re.sub(r"\s+", "", text)
    if not t or is_empty_mark(t):
        return "empty"
    if SUBJECT_CODE_PIECE.match(t) or SUBJECT_CODE.match(t) or _LEVEL_WORD.match(t):
        return "code"
    if parse_amount(t) is not None:
        return "amount"
    if HAN.search(t):
        return "name"
    return "other"


LINE_NUMBER_HEADER = re.compile(r"^(行次|栏次|行号|序号)$")


def is_line_numbers(texts: Sequence[str]) -> bool:
    """A 行次 column: at least 3 integers, nearly all one more than the one above (central_state-petitions-bureau
    2024 部门决算 收支总表: 1, 2, … beside 收入, 32, 33, … beside 支出)."""
    values = [int(t) for t in (re.sub(r"\s+", "", x) for x in texts) if t.isdigit() and len(t) <= 3]
    if len(values) < 3 or len(values) < 0.8 * len([t for t in texts if t.strip()]):
        return False
    steps = sum(1 for a, b in itertools.pairwise(values) if b == a + 1)
    return steps >= 0.8 * (len(values) - 1)


_LABEL_ROLE: dict[str, Role] = {
    "CODE": "code",
    "NAME": "name",
    "TOTAL_LABEL": "name",
    "AMOUNT": "amount",
    "TOTAL_AMOUNT": "amount",
}


def column_roles(
    n_cols: int, cells: Callable[[int], Sequence[tuple[str, str | None]]], headers: Sequence[str]
) -> list[Role]:
    """One role per column: token labels if most cells carry one, else cell contents, else the (fuzzy) header.

    ``cells(c)`` returns the ``(text, label)`` of column ``c``'s data cells. An amount column with a few code-like
    integers (``12``, ``305``) stays an amount column: codes must be (nearly) all its cells.
    """
    roles: list[Role] = []
    for c in range(n_cols):
        items = [(t, lab) for t, lab in cells(c) if t.strip()]
        head = headers[c] if c < len(headers) else ""
        labels = [_LABEL_ROLE[lab] for _, lab in items if lab in _LABEL_ROLE]
        kinds = [text_role(t) for t, _ in items]
        kinds = [k for k in kinds if k != "empty"]
        role: Role
        parts = sum(1 for t, _ in items if SUBJECT_CODE_PIECE.match(re.sub(r"\s+", "", t)))
        if items and parts >= 0.8 * len(items):
            role = "code"  # 类/款 parts (301, 01): amounts are never all 2-3 digit integers, whatever a label says
        elif LINE_NUMBER_HEADER.search(head.split("/")[-1] if head else "") or is_line_numbers([t for t, _ in items]):
            role = "code"  # 行次/栏次 (1, 2, 3 …): a row label, never an amount (central 决算 templates)
        elif labels and max(labels.count(r) for r in set(labels)) > len(items) / 2:
            role = max(set(labels), key=labels.count)
            if role == "code" and any(k == "amount" for k in kinds) and kinds.count("code") < 0.8 * len(kinds):
                role = "amount"
        elif kinds:
            counts = {r: kinds.count(r) for r in set(kinds)}
            if counts.get("code", 0) >= 0.8 * len(kinds) and header_role(head) in (None, "code"):
                role = "code"
            elif counts.get("name", 0) > len(kinds) / 2:
                role = "name"
            elif counts.get("amount", 0) + counts.get("code", 0) > len(kinds) / 2:
                role = "amount"
            else:
                role = "other"
        else:
            role = "empty"
            hr = header_role(head)
            if hr == "name":
                role = "name"
        roles.append(role)
    return roles


@dataclass(frozen=True, slots=True)
class Grouping:
    """One reading of a table's columns: groups of column indices, left to right, and where it came from."""

    groups: tuple[tuple[int, ...], ...]
    source: str  # "single", "header", "content", "periodic"


@dataclass(slots=True)
class Scored:
    grouping: Grouping
    valid: bool
    orphans: int
    misattached: int
    ragged: int
    penalty: float
    details: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Choice:
    """The grouping kept, its score and how clearly it beat the runner-up (0..1)."""

    grouping: Grouping
    orphans: int
    amounts: int
    confidence: float
    candidates: int
    runner_up: str | None


def _starts_to_groups(starts: Sequence[int], roles: Sequence[Role], n_cols: int) -> tuple[tuple[int, ...], ...]:
    """Group starts at name columns → column groups; a group begins at the code columns just before its name."""
    bounds: list[int] = []
    for s in sorted(set(starts)):
        b = s
        while b - 1 >= 0 and roles[b - 1] == "code" and (not bounds or b - 1 > bounds[-1]):
            b -= 1
        bounds.append(b)
    if not bounds:
        return (tuple(range(n_cols)),)
    bounds[0] = 0
    out = []
    for k, b in enumerate(bounds):
        end = bounds[k + 1] if k + 1 < len(bounds) else n_cols
        if end > b:
            out.append(tuple(range(b, end)))
    return tuple(out)


def candidate_groupings(roles: Sequence[Role], headers: Sequence[str], header_starts: Sequence[int]) -> list[Grouping]:
    """The readings worth scoring: one group; the header-based split; a split at every name column that follows an
    amount column; equal-width periodic splits whose groups repeat one role pattern."""
    n = len(roles)
    found: dict[tuple[tuple[int, ...], ...], Grouping] = {}

    def add(groups: tuple[tuple[int, ...], ...], source: str) -> None:
        if groups and groups not in found:
            found[groups] = Grouping(groups, source)

    add((tuple(range(n)),), "single")
    if len(header_starts) >= 2:
        add(_starts_to_groups(header_starts, roles, n), "header")
    fuzzy = [c for c in range(n) if header_role(headers[c] if c < len(headers) else "") == "name"]
    labels = [c for c in range(n) if roles[c] == "name" or (roles[c] == "empty" and c in fuzzy)]
    if labels:
        # the first label column, then every label column that follows an amount column of the group before
        starts = [labels[0]]
        for c in labels[1:]:
            if any(roles[k] == "amount" for k in range(starts[-1] + 1, c)):
                starts.append(c)
        if len(starts) >= 2:
            add(_starts_to_groups(starts, roles, n), "content")
    for k in (2, 3, 4):
        if n % k == 0 and n // k >= 2:
            width = n // k
            add(tuple(tuple(range(g * width, (g + 1) * width)) for g in range(k)), "periodic")
    return list(found.values())


def _pattern_ok(roles: Sequence[Role]) -> bool:
    """``[code…] name [name…] [amount|empty|other|code…]`` with at least one amount column after the name; a name
    column may spill into the next ones (a wrapped 七、附属单位上缴收入), but no name follows an amount."""
    i = 0
    while i < len(roles) and roles[i] == "code":
        i += 1
    if i >= len(roles) or roles[i] not in ("name", "empty", "other"):
        return False
    rest = roles[i + 1 :]
    first_amount = next((k for k, r in enumerate(rest) if r == "amount"), None)
    if first_amount is None:
        return False
    return all(r in ("amount", "empty", "other", "code") for r in rest[first_amount:])


def score_grouping(grouping: Grouping, roles: Sequence[Role], rows: Sequence[Sequence[str]]) -> Scored:
    """Penalty of one reading over the data rows (``rows[r][c]`` = cell text)."""
    orphans = misattached = 0
    for g in grouping.groups:
        name_cols = [c for c in g if roles[c] == "name"]
        code_cols = [c for c in g if roles[c] == "code"]
        for row in rows:
            texts = {c: re.sub(r"\s+", "", row[c]) if c < len(row) else "" for c in g}
            amount_cells = [c for c in g if roles[c] not in ("name", "code") and text_role(texts[c]) == "amount"]
            if not amount_cells:
                continue
            has_label = any(texts[c] for c in code_cols) or any(
                texts[c] and text_role(texts[c]) in ("name", "other") for c in g if c not in amount_cells
            )
            if not has_label:
                orphans += len(amount_cells)
                continue
            # a name column after an amount column starts another logical row (the 支出 side of a 总表)
            # (only where that row has a label there: a fax speck read as one Han character in an otherwise empty
            # column, wuxi education 2026 at `fax`, split a 政府采购 table and orphaned its last amount column)
            # — and only where this row has an amount before it: a 绩效目标表's indicator rows (一级/二级/三级指标
            # | 指标值 | 分值权重) leave the 项目资金 amount column empty, so 指标值 and 分值 finish the row rather than
            # start one (central petitions 2026 p.31 was split into two "sides" and lost its 分值 column)
            later = [
                c for c in name_cols if texts[c] and any(roles[k] == "amount" and k in amount_cells for k in g if k < c)
            ]
            if later:
                misattached += sum(1 for c in amount_cells if c > later[0])
    if not any(roles[c] in ("code", "name") for c in range(len(roles))) and not any(
        text_role(t) in ("name", "code") for row in rows for t in row
    ):
        orphans = 0  # no labels anywhere (三公经费预算表): the headers identify the amounts
    multi = len(grouping.groups) > 1
    patterns = [tuple(roles[c] for c in g) for g in grouping.groups]
    valid = not multi or all(_pattern_ok(p) for p in patterns)
    ragged = 0
    if multi:
        # the label roles of each group, repeats collapsed (a name spilling into a second column is one name)
        core = [tuple(k for k, _ in itertools.groupby(r for r in p if r in ("code", "name"))) for p in patterns]
        ragged = len(set(core)) - 1
        # without a header naming the groups, only groups that repeat one pattern are a side-by-side layout
        # (项目名称 | 金额 | 实施单位 | 金额 is one logical row)
        valid = valid and (grouping.source == "header" or ragged == 0)
    penalty = orphans + misattached + 0.5 * ragged + (0.25 if multi else 0.0)
    return Scored(grouping, valid, orphans, misattached, ragged, penalty)


def choose_grouping(
    roles: Sequence[Role], headers: Sequence[str], header_starts: Sequence[int], rows: Sequence[Sequence[str]]
) -> Choice:
    """Score every candidate and keep the best valid one (the one-group reading is always valid)."""
    cands = candidate_groupings(roles, headers, header_starts)
    scored = [score_grouping(g, roles, rows) for g in cands]
    valid = [s for s in scored if s.valid]
    # ties: the header split (today's behaviour, checked on the 7 Shanghai PDFs), then fewer groups
    order = {"header": 0, "single": 1, "content": 2, "periodic": 3}
    valid.sort(key=lambda s: (s.penalty, order[s.grouping.source], len(s.grouping.groups)))
    best = valid[0]
    amounts = sum(
        1
        for row in rows
        for c, t in enumerate(row)
        if c < len(roles) and roles[c] not in ("name", "code") and text_role(t) == "amount"
    )
    if len(valid) > 1:
        margin = valid[1].penalty - best.penalty
        closeness = min(1.0, margin / max(1.0, 0.05 * amounts))
        runner = valid[1].grouping.source
    else:
        closeness, runner = 1.0, None
    quality = max(0.0, 1.0 - best.orphans / max(1, amounts))
    confidence = round(quality * (0.5 + 0.5 * closeness), 4)
    return Choice(best.grouping, best.orphans, amounts, confidence, len(scored), runner)
