"""Issuer, year and kind from real covers: the text-layer lines of the first two pages of every ../shared PDF
(vendored in tests/fixtures/real/cover-lines.json), checked against ../shared/data/real-wide/MANIFEST.tsv."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from juesuan.datamodel.document import Document, Source, Table
from juesuan.inference.docinfo import DocInfoReader, read_docinfo

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "cover-lines.json"
COVERS = json.loads(FIXTURE.read_text(encoding="utf-8"))

# Documents that open on a table (公开01表, 部门：… 单位：万元): no cover, so no year or kind on their first pages.
NO_COVER = {
    "jiangsu_cppcc-office_2018_部门预算.pdf",
    "jiangsu_cppcc-office_2019_部门预算.pdf",
    "jiangsu_npc-standing-committee-office_2019_部门预算.pdf",
    "jiangsu_party-committee-office_2019_部门预算.pdf",
}
# The issuer the document itself prints differs from the manifest's (预算单位：上海钻石宝玉石交易联合管理办公室).
ISSUER_AS_PRINTED = {"shanghai-city_diamond-exchange_2026_单位预算.pdf": "上海钻石宝玉石交易联合管理办公室"}


def _norm(text: str | None) -> str | None:
    return None if text is None else text.replace("（", "(").replace("）", ")")


WIDE = [c for c in COVERS if c["issuer"]]


def test_fixture_covers_the_manifest() -> None:
    assert len(WIDE) == 32


@pytest.mark.parametrize("cover", WIDE, ids=[c["file"].split("/")[1][:40] for c in WIDE])
def test_issuer_year_kind_match_the_manifest(cover: dict) -> None:
    name = cover["file"].split("/")[1]
    info = read_docinfo(cover["lines"])
    assert _norm(info.issuer) == _norm(ISSUER_AS_PRINTED.get(name, cover["issuer"]))
    if name in NO_COVER:
        assert (info.year, info.kind, info.title) == (None, None, None)
    else:
        assert info.year == cover["year"]
        assert info.kind is not None and info.kind in cover["kind"]  # 部门预算 / 单位预算 → 预算
        assert info.title is not None and str(cover["year"]) in info.title


def test_shanghai_covers_by_hand() -> None:
    by_file = {c["file"]: read_docinfo(c["lines"]) for c in COVERS}
    finance = by_file["real/shanghai-putuo-finance-bureau_2024_决算.pdf"]
    assert (finance.issuer, finance.year, finance.kind, finance.title) == (
        "上海市普陀区财政局",
        2024,
        "决算",
        "上海市普陀区财政局2024年度部门决算",  # the 目录 on page 2 is not part of the title
    )
    commerce = by_file["real/shanghai-putuo-commerce_2025_部门预算.pdf"]
    assert (commerce.issuer, commerce.year, commerce.kind) == ("上海市普陀区商务委员会", 2025, "预算")


def test_kind_falls_back_to_table_titles_when_there_is_no_cover() -> None:
    doc = Document(
        source=Source(path="scan.pdf", sha256="x", pages=1),
        tables=[Table(id="t1", pages=[0], bbox=[0, 0, 1, 1], title="收入决算表")],
        text=[
            {"page": 0, "bbox": [0, 0, 1, 1], "text": "收入决算表"},
            {"page": 0, "bbox": [0, 2, 1, 3], "text": "单位：万元"},
        ],
    )
    info = DocInfoReader()([doc])[0]
    assert (info.issuer, info.year, info.kind, info.title) == (None, None, "决算", None)


def test_vendored_lines_are_the_shared_pdfs_text() -> None:
    import sys

    shared = FIXTURE.parents[3].parent / "shared" / "data" / "real-wide" / "MANIFEST.tsv"
    if not shared.is_file():
        pytest.skip(f"needs {shared} (../shared beside the checkout; CI has it)")
    sys.path.insert(0, str(FIXTURE.parent))
    from make_fixtures import cover_lines

    assert cover_lines() == COVERS
