"""PP-OCR ONNX runners: model files from the wheels, DB detection, CTC recognition, direction classifier."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from juesuan.errors import ConfigError
from juesuan.models.ppocr import (
    CtcRecognizer,
    DbTextDetector,
    DetParams,
    PpOcrEngine,
    crop_quad,
    ctc_decode,
    find_model_files,
    sort_quads,
)


def render_line(font_path: Path, text: str, size: int = 28, pad: int = 10) -> np.ndarray:
    """One line of black text on white, RGB, tightly padded like a detected text box."""
    font = ImageFont.truetype(str(font_path), size)
    x0, y0, x1, y1 = font.getbbox(text)
    img = Image.new("RGB", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), "white")
    ImageDraw.Draw(img).text((pad - x0, pad - y0), text, font=font, fill="black")
    return np.array(img)


def render_page(font_path: Path, lines: list[tuple[int, int, str]], size=(900, 420)) -> np.ndarray:
    font = ImageFont.truetype(str(font_path), 28)
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    for x, y, text in lines:
        draw.text((x, y), text, font=font, fill="black")
    return np.array(img)


@pytest.fixture(scope="module")
def v6() -> PpOcrEngine:
    return PpOcrEngine("ppocr_v6", threads=1)


@pytest.mark.parametrize("kind", ["ppocr_v6", "ppocr_v4"])
def test_model_files_come_from_the_wheels(kind: str) -> None:
    files = find_model_files(kind)
    assert files.det.is_file() and files.rec.is_file() and files.cls.is_file()
    assert files.det.parent.name == "models"
    assert files.det.parent.parent.name == {"ppocr_v6": "rapidocr", "ppocr_v4": "rapidocr_onnxruntime"}[kind]


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="ppocr_v4, ppocr_v6"):
        find_model_files("ppocr_v9")


def test_ctc_decode_merges_repeats_and_drops_blanks() -> None:
    chars = ["blank", "1", "2", ",", " "]
    steps = [1, 1, 0, 1, 3, 3, 2, 0, 0]  # "1 1 _ 1 , , 2 _ _" -> "11,2"
    probs = np.full((1, len(steps), len(chars)), 0.01, dtype=np.float32)
    for t, k in enumerate(steps):
        probs[0, t, k] = 0.9 if t != 4 else 0.5
    (line,) = ctc_decode(probs, chars)
    assert line.text == "11,2"
    assert line.cols == (0, 3, 4, 6)
    assert line.score == pytest.approx((0.9 + 0.9 + 0.5 + 0.9) / 4, abs=1e-5)
    (empty,) = ctc_decode(np.eye(5, dtype=np.float32)[[0, 0, 0]][None], chars)
    assert (empty.text, empty.score) == ("", 0.0)


def test_sort_quads_reads_lines_top_down_then_left_right() -> None:
    def quad(x: float, y: float) -> np.ndarray:
        return np.array([[x, y], [x + 50, y], [x + 50, y + 20], [x, y + 20]], dtype=np.float32)

    quads = np.stack([quad(300, 104), quad(10, 100), quad(10, 200), quad(150, 98)])
    assert sort_quads(quads).tolist() == [1, 3, 0, 2]


def test_batches_group_similar_widths_and_cap_the_count() -> None:
    rec = CtcRecognizer(session=None, characters=["blank", "a", " "])  # type: ignore[arg-type]
    ratios = np.array([2.0, 2.1, 10.0, 2.0, 2.2, 10.5])
    groups = rec.batches(ratios, batch_size=3, min_width=0)
    assert sorted(i for g in groups for i in g) == list(range(6))
    assert all(len(g) <= 3 for g in groups)
    assert {frozenset(g) for g in groups} == {frozenset({0, 3, 1}), frozenset({4}), frozenset({2, 5})}


def test_detector_finds_each_text_line(cjk_font: Path, v6: PpOcrEngine) -> None:
    truth = [
        (40, 40, "一般公共服务支出"),
        (40, 160, "2,946.25"),
        (420, 160, "社会保障和就业支出"),
        (40, 300, "单位：万元"),
    ]
    quads = v6.detect(render_page(cjk_font, truth))
    assert len(quads) == len(truth)
    for (x, y, _), q in zip(sorted(truth, key=lambda t: (t[1], t[0])), quads, strict=True):
        assert q[:, 0].min() <= x + 4 and q[:, 1].min() <= y + 8 <= q[:, 1].max()


@pytest.mark.parametrize(
    "text", ["2,946.25", "一般公共服务支出", "1,511.90", "-12.30", "机关事业单位基本养老保险缴费支出"]
)
def test_recogniser_reads_numbers_and_chinese_exactly(cjk_font: Path, v6: PpOcrEngine, text: str) -> None:
    lines = v6.rec([render_line(cjk_font, text)])
    assert lines[0].text == text
    assert lines[0].score > 0.8


def test_recogniser_keeps_input_order_and_padding_floor(cjk_font: Path, v6: PpOcrEngine) -> None:
    texts = ["一般公共服务支出", "6.20", "201", "2,112.86"]
    crops = [render_line(cjk_font, t) for t in texts]
    assert [r.text for r in v6.rec(crops, batch_size=2)] == texts
    assert [r.text for r in v6.rec(crops, batch_size=32, min_width=320)] == texts  # PaddleOCR's own padding


def test_grey_crops_read_like_colour_ones(cjk_font: Path, v6: PpOcrEngine) -> None:
    rgb = render_line(cjk_font, "2,946.25")
    assert v6.rec([rgb[:, :, 0]])[0].text == "2,946.25"


def test_direction_classifier_flags_upside_down_lines(cjk_font: Path, v6: PpOcrEngine) -> None:
    line = render_line(cjk_font, "一般公共预算财政拨款支出决算表")
    assert v6.cls([line, np.rot90(line, 2)]) == [False, True]


def test_full_ocr_reads_a_small_page(cjk_font: Path, v6: PpOcrEngine) -> None:
    page = render_page(cjk_font, [(30, 40, "收入决算表"), (30, 180, "2,940.05")], size=(360, 300))
    lines = v6.ocr(page)
    assert [line.text for line in lines] == ["收入决算表", "2,940.05"]
    assert lines[1].quad[:, 1].min() <= 190 <= lines[1].quad[:, 1].max()


def test_batched_detection_matches_one_by_one(cjk_font: Path, v6: PpOcrEngine) -> None:
    det = DbTextDetector(v6.det.session, DetParams(limit_side_len=2000, limit_type="max"))
    page = render_page(cjk_font, [(60, 60, "收入决算表"), (60, 200, "2,940.05")], size=(600, 300))
    images = [page, page[:140, :400]]
    single = [det(img)[0] for img in images]
    batched = [q for q, _ in det.detect_batch(images)]
    assert [len(q) for q in batched] == [len(q) for q in single] == [2, 1]
    assert np.abs(batched[0] - single[0]).max() <= 2


def test_crop_quad_turns_tall_crops_upright() -> None:
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    tall = np.array([[10, 10], [30, 10], [30, 90], [10, 90]], dtype=np.float32)
    assert crop_quad(image, tall).shape[:2] == (20, 80)
