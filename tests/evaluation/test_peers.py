"""Naive row grouping of raw OCR output, and Tesseract TSV parsing, on hand-made tokens."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from juesuan.datamodel.page import Token
from juesuan.evaluation.metrics import cell_metrics, match_page
from juesuan.evaluation.peers import (
    TesseractPeer,
    parse_tesseract_tsv,
    rows_to_document,
    split_pieces,
)
from juesuan.evaluation.truth import RowKey, TruthCell, TruthPage, TruthTable


def test_split_pieces_cuts_cjk_from_numbers() -> None:
    pieces = split_pieces([Token("行政运行1,511.89", (0, 0, 160, 20))])
    assert [p.text for p in pieces] == ["行政运行", "1,511.89"]
    assert pieces[0].bbox_px[2] == pytest.approx(pieces[1].bbox_px[0])
    assert pieces[1].bbox_px[2] == pytest.approx(160)
    assert [p.text for p in split_pieces([Token("201 06 01", (0, 0, 90, 20))])] == ["201", "06", "01"]


def test_rows_to_document_codes_labels_and_dual_groups() -> None:
    tokens = [
        Token("201", (10, 100, 40, 120)),
        Token("06", (50, 100, 70, 120)),
        Token("01", (80, 100, 100, 120)),
        Token("行政运行", (120, 100, 200, 120)),
        Token("1,511.89", (300, 100, 380, 120)),
        Token("八、其他收入", (10, 200, 120, 220)),
        Token("6.20", (300, 200, 340, 220)),
        Token("八、社会保障和就业支出", (400, 200, 600, 220)),
        Token("326.71", (700, 200, 760, 220)),
    ]
    doc = rows_to_document(tokens, 1000, 400, 200)
    rows = [(r.code, r.name, [c.text for c in r.cells]) for r in doc.tables[0].rows]
    assert rows == [
        ("2010601", "行政运行", ["1,511.89"]),
        (None, "八、其他收入", ["6.20"]),
        (None, "八、社会保障和就业支出", ["326.71"]),
    ]
    truth = TruthPage(
        doc="a.pdf",
        page=0,
        dpi=200,
        width=1000,
        height=400,
        tables=(TruthTable(0, 0, (0, 0, 1000, 400), 2),),
        cells=(
            TruthCell(
                "a.pdf",
                0,
                0,
                RowKey(None, "八、其他收入"),
                None,
                320,
                210,
                Decimal("6.20"),
                "6.20",
                (300, 200, 340, 220),
                (290, 195, 390, 225),
            ),
            TruthCell(
                "a.pdf",
                0,
                0,
                RowKey(None, "八、社会保障和就业支出"),
                None,
                730,
                210,
                Decimal("326.71"),
                "326.71",
                (700, 200, 760, 220),
                (690, 195, 790, 225),
            ),
            TruthCell(
                "a.pdf",
                0,
                0,
                RowKey("2010601", "行政运行"),
                None,
                340,
                110,
                Decimal("1511.89"),
                "1,511.89",
                (300, 100, 380, 120),
                (290, 95, 390, 125),
            ),
        ),
    )
    assert cell_metrics(match_page(truth, doc))["value_accuracy"] == 1.0


def test_parse_tesseract_tsv_splits_wide_gaps() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "5\t1\t1\t1\t1\t1\t10\t100\t20\t20\t95\t行政",
        "5\t1\t1\t1\t1\t2\t31\t100\t20\t20\t90\t运行",
        "5\t1\t1\t1\t1\t3\t300\t100\t60\t20\t80\t1,511.89",
        "4\t1\t1\t1\t1\t0\t10\t100\t350\t20\t-1\t",
    ]
    toks = parse_tesseract_tsv("\n".join([header, *rows]))
    assert [(t.text, t.bbox_px) for t in toks] == [("行政运行", (10, 100, 51, 120)), ("1,511.89", (300, 100, 360, 120))]
    assert toks[1].confidence == pytest.approx(0.8)


def test_tesseract_is_installed() -> None:
    assert TesseractPeer.available(), "apt install tesseract-ocr tesseract-ocr-chi-sim (the Tesseract peer needs it)"


def test_labels_join_only_when_close() -> None:
    tokens = [
        Token("行政", (120, 100, 160, 120)),
        Token("运行", (165, 100, 200, 120)),
        Token("1.00", (300, 100, 340, 120)),
        Token("一、财政拨款收入", (10, 200, 120, 220)),
        Token("一、公共安全支出", (400, 200, 600, 220)),
        Token("87.00", (700, 200, 760, 220)),
    ]
    rows = rows_to_document(tokens, 1000, 400, 200).tables[0].rows
    assert [(r.name, [c.text for c in r.cells]) for r in rows] == [
        ("行政运行", ["1.00"]),
        ("一、财政拨款收入", []),
        ("一、公共安全支出", ["87.00"]),
    ]


@pytest.mark.slow
def test_tesseract_gets_page_dpi(shared_real) -> None:
    """Bug: without the dpi in the PNG Tesseract assumed 70 dpi and read 4 of ~30 lines of a 200-dpi table page."""
    import pypdfium2 as pdfium

    from juesuan.evaluation.peers import TesseractPeer

    pdf = pdfium.PdfDocument(str(shared_real / "shanghai-putuo-justice-bureau_2026_部门预算.pdf"))
    image = np.asarray(pdf[9].render(scale=200 / 72).to_pil().convert("RGB"))
    pdf.close()
    numbers = [t for t in TesseractPeer().tokens(image, 200) if any(ch.isdigit() for ch in t.text)]
    assert len(numbers) >= 10
