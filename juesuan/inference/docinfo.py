"""What a document is — issuer, year, 决算 or 预算, title — read from its cover or first-page heading.

Covers print the same three facts in many orders, often broken over lines (``2026 年度 | 福州市仓山生态环境局 |
单位预算``, ``上海市普陀区2025年区级部门预算 | 预算主管部门：上海市普陀区商务委员会``), and some documents have
no cover at all but open on a table (``部门：江苏省政协办公厅 单位：万元``). So: a labelled issuer
(预算主管部门/预算单位/部门：…) wins; otherwise the short lines at the top are joined and the year and the kind
phrase are cut out of them, which leaves the issuer. The kind falls back to the table titles (收入决算表), the year
to the first 20xx年 anywhere in the text. Checked against ../shared/data/real-wide/MANIFEST.tsv
(tests/inference/test_docinfo.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from juesuan.datamodel.document import Document, DocumentInfo

MAX_COVER_LINES = 6
MAX_COVER_LINE_CHARS = 32  # a cover line is short; body text and table rows are longer
_YEAR = re.compile(r"(20\d{2})\s*年")
_LABEL = re.compile(
    r"(?:预算主管部门|主管部门|预算单位|编制单位|单位名称|部门名称|部门)[：:]\s*([^\s：:，,]{2,40}?)(?=单位[：:]|[\s，,]|$)"
)
_KIND_TAIL = re.compile(
    r"(?:区级|市级|省级|县级|本级)?(?:部门|单位)?(?:预算|决算)(?:草案)?(?:情况说明|公开|说明|报告|表)?.*$"
)
_KIND_END = re.compile(r"(?:部门|单位)?(?:预算|决算)(?:草案)?(?:情况说明|公开)?")
_YEAR_PART = re.compile(r"20\d{2}\s*年(?:度)?")
_NOT_COVER = re.compile(  # page numbers and publication dates (二〇二五年七月, 2018年2月24日)
    r"^(?:\d+|第\d+页|[一二三四五六七八九〇零十]+年[一二三四五六七八九十]+月|20\d{2}年\d{1,2}月(?:\d{1,2}日)?)$"
)
_UNIT_LINE = re.compile(r"单位[：:]\s*(?:万?元|千元)")


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _kind(text: str) -> str | None:
    at = {k: text.find(k) for k in ("决算", "预算") if k in text}
    return min(at, key=lambda k: at[k]) if at else None  # type: ignore[return-value]


def read_docinfo(lines: Sequence[str], table_titles: Sequence[str] = ()) -> DocumentInfo:
    """``lines``: the document's text lines in reading order, first page first (a few pages are enough)."""
    cleaned = [_clean(line) for line in lines]
    cleaned = [c for c in cleaned if c]
    cover: list[str] = []
    for line in cleaned[: MAX_COVER_LINES * 2]:
        if _NOT_COVER.match(line):
            continue
        if line.startswith("目录") or line.endswith("表"):
            break  # a table title (收入决算表) is not a cover: the document opens on its tables
        if len(line) > MAX_COVER_LINE_CHARS or _UNIT_LINE.search(line) or _LABEL.search(line):
            break
        cover.append(line)
        if len(cover) >= MAX_COVER_LINES:
            break
    head = "".join(cover)
    end = _KIND_END.search(head)
    head = head[: end.end()] if end else head  # the title ends with its kind phrase (目录 may follow on the page)
    if not (_kind(head) or _YEAR.search(head)):
        head = ""  # the document opens on something else (a table): no cover title
    issuer: str | None = None
    for line in cleaned[:40]:
        m = _LABEL.search(line)
        if m and not _UNIT_LINE.match(m.group(1)) and not m.group(1).startswith("单位"):
            issuer = m.group(1)
            break
    if issuer is None and head:
        rest = _KIND_TAIL.sub("", _YEAR_PART.sub("", head)).strip("：:，,。 ")
        issuer = rest if len(rest) >= 2 else None
    year_m = _YEAR.search(head) or next((m for line in cleaned if (m := _YEAR.search(line))), None)
    kind = _kind(head) or next((k for t in table_titles if (k := _kind(_clean(t)))), None)
    return DocumentInfo(
        issuer=issuer,
        year=int(year_m.group(1)) if year_m else None,
        kind=kind,  # type: ignore[arg-type]
        title=head or None,
    )


def document_lines(doc: Document, max_pages: int = 2) -> list[str]:
    """The text lines of the first ``max_pages`` pages read, top to bottom (text blocks hold one line each or more)."""
    pages = sorted({int(b.get("page", 0)) for b in doc.text})[:max_pages]
    blocks = sorted(
        (b for b in doc.text if int(b.get("page", 0)) in pages),
        key=lambda b: (int(b.get("page", 0)), float(b.get("bbox", [0, 0])[1])),
    )
    return [line for b in blocks for line in str(b.get("text", "")).splitlines()]


class DocInfoReader:
    """The stage: documents in, their DocumentInfo out (no models; runs where the document is finished)."""

    def __call__(self, docs: Sequence[Document]) -> list[DocumentInfo]:
        return [read_docinfo(document_lines(d), [t.title or "" for t in d.tables]) for d in docs]
