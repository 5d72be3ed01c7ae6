"""Years and names: every year a disclosure prints, and every time it names its department, against the cover.

A 2026 预算 copied from last year's file keeps 2025 in a heading, a 截至…12月31日 sentence or a column header; a
department's file built from another's keeps that department's name in a table header. Rules:

- ``year_title``    a table title's year is not the reporting year Y
- ``year_text``     a heading or sentence opening ``Y年…`` / ``…Y年度部门决算`` names another year
- ``year_cutoff``   截至X年…月…日: X must be Y in a 决算 (assets at year end), Y − 1 in a 预算 (last closed data)
- ``year_compare``  与X年度相比 / 比X年 / 较X年: X must be Y − 1
- ``year_column``   a column header's year: 执行数/上年 columns Y − 1, 预算数/决算数 columns Y, others Y − 1 or Y
- ``issuer_name``   编制部门：X, “X主要职能/机构设置”, “X Y年…” name another department than the cover (warning when
                    the text may be an OCR misread: the names differ by one character)

Y comes from :func:`juesuan.validation.context.report_year` (Document.info.year, else cover, else titles).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from juesuan.datamodel.document import Document, Table, Violation
from juesuan.validation.context import Context, block_doubt, clean_issuer, is_template, looks_like_issuer
from juesuan.validation.schema import normalize_text
from juesuan.validation.uncertainty import ISSUER_NAME_EN

_LEAD = r"^(?:[一二三四五六七八九十]{1,3}[、.．]|（[一二三四五六七八九十]{1,3}）|\d{1,2}[、.．])?"
_TEXT_YEAR = re.compile(_LEAD + r"(20\d{2})年度?(?=[，,])")  # 2026年，上海市…收入预算: the 编制说明's opening
_KIND_YEAR = re.compile(r"(20\d{2})年度?(?:区级|市级|省级|县级)?(?:部门|单位)(预算|决算)(?!执行)")
_CUTOFF = re.compile(r"截[至止](20\d{2})年(\d{1,2})月(?:(\d{1,2})日)?|截[至止](20\d{2})年(?:底|末)")
_COMPARE = re.compile(r"(?:与|同|较|比)(20\d{2})年度?(?!\d)")
_HEADER_YEAR = re.compile(r"(20\d{2})年度?")
_ISSUER_PLACES = [
    re.compile(
        r"(?:编制部门|编制单位|预算主管部门|预算单位|部门名称|单位名称)[:：]\s*([^\s:：，。；]{2,40}?)(?=单位[:：]|金额单位|$|\s)"
    ),
    re.compile(r"^(.{4,30}?)(?:主要职能|机构设置|部门预算编制说明|单位预算编制说明)$"),
    re.compile(r"^(.{4,30}?)(?:20\d{2})年度?(?:区级|市级)?(?:部门|单位)(?:预算|决算)"),
]


def _v(rule: str, page: int | None, zh: str, en: str, severity: str = "error", **extra: object) -> Violation:
    return Violation(rule=rule, severity=severity, page=page, message_zh=zh, message_en=en, **extra)


def _doubt_suffix(block: dict[str, object] | None, ctx: Context) -> tuple[str, str]:
    reason = block_doubt(block, ctx.uncertain_confidence) if block else None
    return ("warning", f"（{reason}，可能是识别错误）") if reason else ("error", "")


def _check_titles(tables: Sequence[Table], y: int) -> tuple[list[Violation], int]:
    out: list[Violation] = []
    checks = 0
    for t in tables:
        title = normalize_text(t.title or "")
        for m in re.finditer(r"(20\d{2})年", title):
            checks += 1
            x = int(m.group(1))
            if x != y:
                out.append(
                    _v(
                        "year_title",
                        t.pages[0] if t.pages else None,
                        f"表“{t.title}”的年份为{x}年，报告年度为{y}年",
                        f"table title “{t.title}” says {x}; the reporting year is {y}",
                        table=t.id,
                        text=t.title,
                    )
                )
    return out, checks


def _check_headers(tables: Sequence[Table], y: int, kind: str | None) -> tuple[list[Violation], int]:
    out: list[Violation] = []
    checks = 0
    for t in tables:
        latest = max(
            (int(m.group(1)) for c in t.columns for m in _HEADER_YEAR.finditer(normalize_text(c.header))), default=None
        )
        for col in t.columns:
            header = normalize_text(col.header)
            found = list(_HEADER_YEAR.finditer(header))
            for k, m in enumerate(found):
                x = int(m.group(1))
                after = header[m.end() : found[k + 1].start() if k + 1 < len(found) else m.end() + 12]
                checks += 1
                if "执行" in after or after.startswith("上年") or "上年" in header[: m.start()]:
                    ok, want = x == y - 1, f"{y - 1}"
                elif x == latest:
                    ok, want = x == y, f"{y}"  # the newest year a table shows is the reporting year
                else:
                    ok, want = x == y - 1, f"{y - 1}"  # an older column compares with last year
                if not ok:
                    row0 = t.rows[0].index if t.rows else 0
                    cell = t.rows[0].cell(col.index) if t.rows else None
                    out.append(
                        _v(
                            "year_column",
                            cell.page if cell else (t.pages[0] if t.pages else None),
                            f"“{t.title or t.id}”列标题“{col.header}”的年份为{x}年，应为{want}年",
                            f"column header “{col.header}” of {t.id} says {x}; expected {want}",
                            table=t.id,
                            cols=[col.index],
                            target={"row": row0, "col": col.index},
                            text=col.header,  # the words the year was read from (an OCR doubt looks at them)
                        )
                    )
    return out, checks


def _check_text(doc: Document, ctx: Context, y: int) -> tuple[list[Violation], int]:
    """Sentences and headings: opening year, Y年部门预算, 截至, 与X年相比."""
    out: list[Violation] = []
    checks = 0
    kind = ctx.kind
    for s in ctx.sentences:
        t = s.text
        if "XX" in t and "20" not in t:
            continue
        m = _TEXT_YEAR.match(t)
        opened = m.start(1) if m else -1
        if m and not re.match(r"^.{0,12}(20\d{2})年度?(?:年初|预算执行|执行)", t):
            x = int(m.group(1))
            checks += 1
            following = t[m.end() : m.end() + 14]
            allowed = {y}
            if kind == "预算" and re.match(r"^度?(?:[^，。]{0,6})?(?:预算)?执行|^度?决算|^度?部门决算", following):
                allowed = {y - 1}
            if x not in allowed:
                out.append(
                    _v(
                        "year_text",
                        s.page,
                        f"“{t[:40]}”：年份为{x}年，报告年度为{y}年",
                        f"sentence opens with {x}; the reporting year is {y}",
                        text=t[:160],
                    )
                )
        for m in _KIND_YEAR.finditer(t):
            if m.start(1) == opened:
                continue  # the opening-year check above already judged this year
            if m.group(2) != kind or (m.start() > 0 and t[m.start() - 1] in "比较与同"):
                continue
            before = t[max(0, m.start() - 3) : m.start()]
            if re.search(r"[比较与同]$|相比", before):
                continue
            x = int(m.group(1))
            checks += 1
            if x != y:
                out.append(
                    _v(
                        "year_text",
                        s.page,
                        f"“{m.group(0)}”：年份应为{y}年",
                        f"“{m.group(0)}” names {x}; the reporting year is {y}",
                        text=t[:160],
                    )
                )
        for m in _CUTOFF.finditer(t):
            x = int(m.group(1) or m.group(4))
            checks += 1
            want = y if kind == "决算" else y - 1
            ok = x == want
            if not ok:
                out.append(
                    _v(
                        "year_cutoff",
                        s.page,
                        f"“{m.group(0)}”：{kind or ''}的截止年份应为{want}年",
                        f"“{m.group(0)}”: the cut-off year of a {kind or 'document'} should be {want}",
                        text=t[:160],
                    )
                )
        for m in _COMPARE.finditer(t):
            x = int(m.group(1))
            rest = t[m.end() : m.end() + 16]
            if (
                not re.match(r"^(?:[^，。；]{0,10})?(?:相比|比较|预算|决算|执行|增|减|持平|下降|上升|有所)", rest)
                and t[m.start()] not in "比较"
            ):
                continue
            checks += 1
            if x != y - 1:
                out.append(
                    _v(
                        "year_compare",
                        s.page,
                        f"“{m.group(0)}{rest[:6]}”：应与上年（{y - 1}年）相比",
                        f"“{m.group(0)}”: the comparison year should be {y - 1}",
                        text=t[:160],
                    )
                )
    return out, checks


def _same_issuer(a: str, b: str) -> bool:
    a, b = clean_issuer(a), clean_issuer(b)
    return a == b or a in b or b in a


def _one_char_apart(a: str, b: str) -> bool:
    """One character substituted, where the shorter name lines up with part of the longer one (as :func:`_same_issuer`
    accepts a name inside the other): “社会制利院” against the cover's “社会福利院单位” is one misread character."""
    short, long_ = sorted((a, b), key=len)
    n = len(short)
    return any(
        sum(x != y for x, y in zip(short, long_[j : j + n], strict=True)) == 1 for j in range(len(long_) - n + 1)
    )


def _check_issuer(doc: Document, tables: Sequence[Table], ctx: Context) -> tuple[list[Violation], int]:
    out: list[Violation] = []
    checks = 0
    issuer = ctx.issuer
    if not looks_like_issuer(issuer) or is_template(doc, issuer):
        return out, checks  # no department to compare with: the template's placeholder, or a misread cover
    for block in doc.text:
        text = normalize_text(str(block.get("text", "")))
        page = int(block.get("page", 0) or 0)
        for k, pattern in enumerate(_ISSUER_PLACES):
            if k > 0 and len(text) > 40:
                continue  # headings only: a long paragraph names other bodies freely
            for m in pattern.finditer(text):
                name = clean_issuer(m.group(1))
                if k == 2:
                    name = re.sub(r"^上海市普陀区\d{4}年.*$", "", name)
                if len(name) < 3 or not re.search(r"[局厅委办院馆所站队会部社心处司庭]$", name):
                    continue
                checks += 1
                if _same_issuer(name, issuer):
                    continue
                close = difflib.SequenceMatcher(None, name, issuer).ratio()
                severity, doubt = _doubt_suffix(block, ctx)
                one_char = _one_char_apart(name, clean_issuer(issuer))
                if one_char and severity == "error":
                    severity, doubt = "warning", "（仅差一字，可能是识别错误或简称）"
                out.append(
                    _v(
                        "issuer_name",
                        page,
                        f"第{page + 1}页写“{name}”，封面为“{issuer}”{doubt}",
                        ISSUER_NAME_EN.format(page=page + 1, found=name, cover=issuer, close=close),
                        severity=severity,
                        text=text[:160],
                        found_name=name,
                    )
                )
    return out, checks


def check(doc: Document, tables: Sequence[Table], ctx: Context) -> tuple[list[Violation], int]:
    if ctx.year is None:
        return [], 0
    y = ctx.year
    out: list[Violation] = []
    checks = 0
    for found, n in (
        _check_titles(tables, y),
        _check_headers(tables, y, ctx.kind),
        _check_text(doc, ctx, y),
        _check_issuer(doc, tables, ctx),
    ):
        out += found
        checks += n
    return out, checks
