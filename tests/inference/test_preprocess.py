"""Preprocessing of scanned pages: red seals, 90/180/270 rotation, small-angle deskew."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from juesuan.inference import preprocess as pp

LINES = [
    "2024年度部门决算收入支出决算总表",
    "一般公共服务支出 2,112.86 财政事务 1,511.90",
    "行政运行 1,511.89 一般行政管理事务 16.19",
    "信息化建设 135.25 社会保障和就业支出 432.10",
    "行政事业单位养老支出 301.54 住房保障支出 88.20",
    "本年收入合计 2,946.25 财政拨款收入 2,940.05",
]


def _text_page(font_path: Path, *, width: int = 1654, height: int = 2339, rules: bool = True) -> np.ndarray:
    """A white A4 page at 200 dpi with rows of CJK text and amounts between horizontal rules."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(font_path), 34)
    y = 180
    for i in range(40):
        draw.text((150, y), LINES[i % len(LINES)], font=font, fill=(0, 0, 0))
        if rules:
            draw.line((120, y - 12, width - 120, y - 12), fill=(0, 0, 0), width=2)
        y += 52
    return np.asarray(img).copy()


@pytest.fixture(scope="module")
def text_page(cjk_font: Path) -> np.ndarray:
    return _text_page(cjk_font)


def test_to_gray_shapes() -> None:
    rgb = np.zeros((5, 7, 3), dtype=np.uint8)
    rgb[..., 0] = 255
    gray = pp.to_gray(rgb)
    assert gray.shape == (5, 7) and gray.dtype == np.uint8
    assert int(gray[0, 0]) == 76  # ITU-R 601 weight of pure red
    assert pp.to_gray(gray) is gray


def test_suppress_red_keeps_black_text_under_a_seal(cjk_font: Path) -> None:
    page = _text_page(cjk_font, width=800, height=800, rules=False)
    text_ink = page.mean(axis=2) < 100
    seal_img = Image.fromarray(page.copy())
    draw = ImageDraw.Draw(seal_img)
    draw.ellipse((200, 150, 600, 550), outline=(220, 30, 40), width=14)  # 公章 ring
    draw.regular_polygon((400, 350, 60), 5, fill=(220, 30, 40))  # star
    seal_font = ImageFont.truetype(str(cjk_font), 40)
    draw.text((260, 420), "财政局专用章", font=seal_font, fill=(225, 35, 35))
    # red ink is translucent over black: where both, the pixel stays dark
    sealed = np.asarray(seal_img).copy()
    sealed[text_ink] = page[text_ink]
    seal_ink = (np.abs(sealed.astype(int) - page.astype(int)).sum(axis=2) > 60) & ~text_ink
    assert seal_ink.sum() > 20_000

    cleaned = pp.suppress_red(sealed)
    gray = pp.to_gray(cleaned)
    assert (gray[seal_ink] > 200).mean() > 0.97  # the seal is gone
    assert (gray[text_ink] < 100).mean() > 0.97  # text under it survives
    assert np.array_equal(pp.suppress_red(page), page)  # black and white pages pass unchanged
    assert pp.to_gray(sealed)[seal_ink].mean() < 110  # (without suppression the seal is dark ink)


def test_rotate_turns_counter_clockwise() -> None:
    image = np.zeros((2, 3), dtype=np.uint8)
    image[0, 2] = 1  # top-right corner
    assert pp.rotate(image, 90)[0, 0] == 1  # counter-clockwise: top-right goes to top-left
    assert pp.rotate(image, 0) is image
    assert pp.rotate(pp.rotate(image, 90), 270).tolist() == image.tolist()


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_detect_rotation_synthetic(text_page: np.ndarray, turned: int) -> None:
    classifier = pp.TextDirectionClassifier()
    scanned = pp.rotate(text_page, turned)  # the scanner turned it counter-clockwise by `turned`
    assert pp.detect_rotation(scanned, classifier) == (360 - turned) % 360


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_detect_rotation_real_landscape_table(finance_pdf: Path, turned: int) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(finance_pdf))
    page = pdf[7].render(scale=150 / 72, rev_byteorder=True).to_numpy()[:, :, :3].copy()
    pdf.close()
    assert pp.detect_rotation(page, pp.TextDirectionClassifier()) == 0
    assert pp.detect_rotation(pp.rotate(page, turned), pp.TextDirectionClassifier()) == (360 - turned) % 360


def test_detect_rotation_blank_page_is_left_alone() -> None:
    blank = np.full((400, 300, 3), 255, dtype=np.uint8)
    assert pp.detect_rotation(blank, pp.TextDirectionClassifier()) == 0
    assert pp.estimate_skew(blank) == 0.0


def _tilt(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)  # counter-clockwise as seen
    return cv2.warpAffine(image, matrix, (w, h), borderValue=(255, 255, 255))


@pytest.mark.parametrize("angle", [-4.2, -1.0, 0.35, 2.5])
def test_estimate_skew_and_undo(text_page: np.ndarray, angle: float) -> None:
    tilted = _tilt(text_page, angle)
    found = pp.estimate_skew(tilted, max_deg=5.0)
    assert abs(found - angle) <= 0.08
    straight = pp.rotate_small(tilted, found)
    assert abs(pp.estimate_skew(straight, max_deg=5.0)) <= 0.08
    assert straight.shape == tilted.shape
    assert straight[0, 0].tolist() == [255, 255, 255]  # corners fill white


def test_estimate_skew_upright_page_is_zero(text_page: np.ndarray) -> None:
    assert pp.estimate_skew(text_page) == 0.0


def test_estimate_skew_respects_limit(text_page: np.ndarray) -> None:
    found = pp.estimate_skew(_tilt(text_page, 8.0), max_deg=3.0)
    assert -3.0 <= found <= 3.0
    assert pp.estimate_skew(_tilt(text_page, 2.0), max_deg=0.0) == 0.0


def test_binarize_ignores_uneven_light(text_page: np.ndarray) -> None:
    """A photographed page: a dark corner must not become ink (it did with plain Otsu, and broke deskew)."""
    gray = pp.to_gray(text_page).astype(np.float32)
    h, w = gray.shape
    yy, xx = np.mgrid[0:h, 0:w]
    light = 1.0 - 0.55 * np.clip(1.0 - np.hypot(yy / h, xx / w), 0, 1) ** 2  # darker towards the top-left
    shaded = (gray * light).astype(np.uint8)
    clean = pp.binarize(pp.to_gray(text_page))
    ink = pp.binarize(shaded)
    assert abs(int(ink.sum()) - int(clean.sum())) < 0.1 * clean.sum()
    assert ink[:200, :200].mean() < 0.05  # the shadow is paper


def test_orient_turns_and_deskews_in_one_call(text_page: np.ndarray) -> None:
    scanned = pp.rotate(_tilt(text_page, -1.2), 270)  # tilted, then scanned sideways
    out, rotation, skew = pp.orient(scanned, pp.TextDirectionClassifier())
    assert rotation == 90
    assert abs(skew + 1.2) <= 0.08
    assert out.shape == text_page.shape
    assert abs(pp.estimate_skew(out)) <= 0.08
    assert np.abs(out.astype(int) - text_page.astype(int)).mean() < 6  # back where it started, up to blur
    same, rotation, skew = pp.orient(scanned, None, detect_turn=False, max_skew_deg=0.0)
    assert (rotation, skew) == (0, 0.0) and same is scanned


@pytest.mark.parametrize("index", [28, 31])
def test_upright_synthetic_table_page_is_not_turned(index: int) -> None:
    # Synthetic landscape tables in small type (seed 11): on the work copy their glyphs merge into wide blobs, so the
    # tall-glyph cue said "turned 90" (log-odds -3.5) against a clear run cue (+2.9); the page was read sideways.
    from juesuan.datasets.synth.generator import SynthOptions, generate_page

    kinds = ["summary", "revenue", "expenditure", "gpb_expenditure", "basic_expenditure", "fiscal_summary"]
    kinds += ["sangong", "performance", "project_expenditure"]
    opts = SynthOptions(seed=11, table_weights={k: 1.0 for k in kinds}, dpi_choices=(150, 200, 300))
    page = generate_page(11, index, opts).image
    assert pp.text_lines_horizontal(page)[0]
    assert not pp.text_lines_horizontal(pp.rotate(page, 90))[0]


@pytest.mark.slow
@pytest.mark.parametrize("turned", [0, 180])
@pytest.mark.parametrize(
    ("name", "index"),
    [("shanghai-putuo-gov-office_2025_部门预算.pdf", 5), ("shanghai-putuo-justice-bureau_2026_部门预算.pdf", 13)],
)
def test_upright_table_pages_are_not_turned(shared_real: Path, name: str, index: int, turned: int) -> None:
    """Two upright pages (`scan`, 200 dpi, seed 7) were turned 180 (`python benchmarks/orientation_survey.py`, issue
    12): their text lines are up to 40:1 and the classifier squeezes a line into 48 x 192 px. Cut into 4:1 pieces,
    all 63 pieces of gov-office page 6 vote upright; turned by 180, the same pages are still turned back."""
    import zlib

    import pypdfium2 as pdfium

    from juesuan.datasets.synth.degrade import degrade

    pdf = pdfium.PdfDocument(str(shared_real / name))
    page = pdf[index].render(scale=200 / 72).to_numpy()[:, :, :3].copy()
    pdf.close()
    page = degrade(page, np.random.default_rng([7, zlib.crc32(name.encode()), index]), "scan")
    assert pp.detect_rotation(pp.rotate(page, turned), pp.TextDirectionClassifier()) == turned


def test_upside_down_vote_needs_strong_evidence() -> None:
    assert not pp.upside_down_vote(np.array([0.95, 0.97, 0.6, 0.02]))  # two sure pieces are not enough
    assert not pp.upside_down_vote(np.array([0.95] * 6 + [0.02] * 3))  # 6 : 3 is not 3 to 1
    assert pp.upside_down_vote(np.array([0.95] * 6 + [0.02] * 2 + [0.5]))
    assert pp.upside_down_vote(np.array([0.99]))  # a cover page's one line, when sure
    assert not pp.upside_down_vote(np.array([0.99, 0.4]))
    assert not pp.upside_down_vote(np.zeros(0))
