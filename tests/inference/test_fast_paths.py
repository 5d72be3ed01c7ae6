"""The CPU-budget fast paths (issue 14) give what the plain versions gave: same pixels, same segments, same crops.

Each test keeps the plain implementation it replaced as the reference, so a later "optimisation" that changes an
answer fails here, not in an accuracy run an hour later.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from juesuan.inference import grid
from juesuan.inference import preprocess as pp


def _suppress_red_reference(image: np.ndarray, margin: int = 40) -> np.ndarray:
    rgb = image[:, :, :3]
    r = rgb[:, :, 0].astype(np.int16)
    other = np.maximum(rgb[:, :, 1], rgb[:, :, 2]).astype(np.int16)
    red = (r - other) > margin
    if not red.any():
        return image
    out = rgb.copy()
    out[red] = rgb[:, :, 0][red][:, None]
    return out


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("margin", [0, 1, 40, 214, 215, 254, 255])
def test_suppress_red_equals_the_int16_reference(channels: int, margin: int) -> None:
    rng = np.random.default_rng(margin)
    image = rng.integers(0, 256, (120, 90, channels), dtype=np.uint8)
    image[:10, :10, 0], image[:10, :10, 1:3] = 255, 0  # saturated red: the uint8 overflow corner
    got, want = pp.suppress_red(image, margin), _suppress_red_reference(image, margin)
    assert got.shape == want.shape and np.array_equal(got, want)


def test_suppress_red_leaves_a_page_without_red_as_it_is() -> None:
    page = np.full((50, 40, 3), 250, dtype=np.uint8)
    page[10:20, 5:35] = (20, 20, 20)
    assert pp.suppress_red(page) is page


def _thin_reference(mask: np.ndarray, horizontal: bool, max_thick: int) -> tuple[np.ndarray, list[grid.Segment]]:
    """The loop over int32 components that :func:`grid._thin_components` replaced."""
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    segs = []
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        length = w if horizontal else h
        if area / max(length, 1) > max_thick:
            continue
        keep[i] = True
        pos = float(centroids[i][1] if horizontal else centroids[i][0])
        segs.append(grid.Segment(pos, float(x if horizontal else y), float((x + w) if horizontal else (y + h))))
    return np.where(keep, 255, 0).astype(np.uint8)[labels], segs


def _line_mask(height: int, width: int, seed: int) -> np.ndarray:
    """Rules of 1-3 px, a few broken, plus thick blobs (text glued by a closing) that must be dropped."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((height, width), dtype=np.uint8)
    for _ in range(40):
        y, x, length, thick = rng.integers(0, height - 4), rng.integers(0, width // 2), rng.integers(40, 400), 1
        mask[y : y + thick + rng.integers(0, 3), x : x + length] = 255
        mask[rng.integers(0, height - 30) :][:20, x : x + 60] = 255  # blob
    mask[:, :3] = 255  # a rule along the page edge
    return mask


@pytest.mark.parametrize("horizontal", [True, False])
@pytest.mark.parametrize("min_len", [40, 1])  # 40: 16-bit labels; 1: the 32-bit fallback
def test_thin_components_match_the_reference(horizontal: bool, min_len: int) -> None:
    mask = _line_mask(1200, 900, seed=7)
    mask = mask if horizontal else np.ascontiguousarray(mask.T)
    assert cv2.countNonZero(mask) > np.iinfo(np.uint16).max  # with min_len=1, 16-bit labels could overflow
    rules, segs = grid._thin_components(mask, horizontal, max_thick=8, min_len=min_len)
    want_mask, want_segs = _thin_reference(mask, horizontal, max_thick=8)
    assert rules.labels.dtype == (np.uint16 if min_len == 40 else np.int32)
    assert segs == want_segs and len(segs) > 10
    assert np.array_equal(rules.mask(), want_mask)


class _Recorder:
    """Stands in for the direction classifier: records the crops it is shown, says "upright"."""

    def __init__(self) -> None:
        self.crops: list[np.ndarray] = []

    def prob_180(self, crops: list[np.ndarray]) -> np.ndarray:
        self.crops.extend(crops)
        return np.zeros(len(crops))


def _upright_page(font_path: Path) -> np.ndarray:
    img = Image.new("RGB", (1654, 1200), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(font_path), 34)
    for i in range(16):
        y = 120 + 60 * i
        draw.text((150, y), "一般公共服务支出 2,112.86 财政事务 1,511.90", font=font, fill=(0, 0, 0))
        draw.line((120, y - 12, 1530, y - 12), fill=(0, 0, 0), width=2)
    return np.asarray(img).copy()


def test_orient_reuses_its_analysis_of_an_untouched_page(cjk_font: Path) -> None:
    """An upright, level page: the 0-vs-180 crops come from the analysis made for 0-vs-90, not a second one."""
    page = _upright_page(cjk_font)
    shown = _Recorder()
    out, rotation, skew = pp.orient(page, shown)  # type: ignore[arg-type]
    assert out is page and rotation == 0 and skew == 0.0
    work = pp._Work.of(page)  # the plain path: a fresh work copy of the (unchanged) page
    fresh = _Recorder()
    pp._upside_down(pp._Work(pp.to_gray(page), work.small, pp.binarize(work.small), work.scale), fresh)  # type: ignore[arg-type]
    assert len(shown.crops) == len(fresh.crops) > 0
    assert all(np.array_equal(a, b) for a, b in zip(shown.crops, fresh.crops, strict=True))


def _remove_specks_reference(ink: np.ndarray, max_area: int) -> np.ndarray:
    if max_area <= 0 or not ink.any():
        return ink
    _n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] <= max_area
    small[0] = False
    if not small[1:].any():
        return ink
    return ink & ~small[labels]


@pytest.mark.parametrize("density", [0.001, 0.05, 0.5])  # 0.5 on 400 x 900: more ink pixels than 16-bit labels
@pytest.mark.parametrize("max_area", [0, 1, 3, 10])
def test_remove_specks_equals_the_reference(density: float, max_area: int) -> None:
    from juesuan.inference.ocr import remove_specks

    ink = np.random.default_rng(3).random((400, 900)) < density
    got, want = remove_specks(ink, max_area), _remove_specks_reference(ink, max_area)
    assert got.dtype == want.dtype and np.array_equal(got, want)


def _rule_components_reference(ink: np.ndarray, thin_px: int) -> np.ndarray:
    h, w = ink.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(ink)
    cx, cy = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    cw, ch = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    vertical = (ch >= 0.85 * h) & (cw <= np.maximum(thin_px, 0.12 * ch))
    horizontal = (cw >= 0.85 * w) & (ch <= np.maximum(thin_px, 0.12 * cw))
    at_edge = (cx <= 1) | (cy <= 1) | (cx + cw >= w - 1) | (cy + ch >= h - 1)
    thickness = stats[:, cv2.CC_STAT_AREA] / np.maximum(np.maximum(cw, ch), 1)
    elongated = ((cw >= 4 * ch) & (cw >= 0.2 * w)) | ((ch >= 4 * cw) & (ch >= 0.3 * h))
    rule = vertical | horizontal | (at_edge & elongated & (thickness <= thin_px))
    rule[0] = False
    return rule[labels] if rule.any() else np.zeros_like(ink)


def _cell_inks(seed: int) -> list[np.ndarray]:
    """Cell-sized crops of specks, strokes and (slanted, edge) rule pieces, some touching every crop edge."""
    rng = np.random.default_rng(seed)
    inks = []
    for _ in range(60):
        h, w = int(rng.integers(4, 60)), int(rng.integers(4, 300))
        ink = rng.random((h, w)) < rng.choice([0.0, 0.02, 0.2, 0.6])
        if rng.random() < 0.5:  # a rule remnant: a full-height or full-width thin band, maybe slanted
            if rng.random() < 0.5:
                x = int(rng.integers(0, w))
                ink[:, x : x + int(rng.integers(1, 4))] = True
            else:
                y0, y1 = int(rng.integers(0, h)), int(rng.integers(0, h))
                xs = np.arange(w)
                ink[np.clip(y0 + (y1 - y0) * xs // max(w - 1, 1), 0, h - 1), xs] = True
        inks.append(ink)
    return inks


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("thin_px", [3, 5])
def test_rule_components_of_many_crops_equal_one_call_per_crop(seed: int, thin_px: int) -> None:
    from juesuan.inference.ocr import rule_components, rule_components_many

    inks = _cell_inks(seed)
    got = rule_components_many(inks, thin_px)
    want = [_rule_components_reference(ink, thin_px) for ink in inks]
    assert any(w.any() for w in want) and not all(w.any() for w in want)  # both kinds of crop are exercised
    for g, w, ink in zip(got, want, inks, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape and np.array_equal(g, w)
        assert np.array_equal(rule_components(ink, thin_px), w)
    assert rule_components_many([], thin_px) == []


def test_rule_remnant_rows_and_runs_equal_the_float_means() -> None:
    from juesuan.inference.ocr import _runs, erase_rule_remnants

    for ink in [*_cell_inks(4), np.ones((10, 10), bool), np.zeros((5, 9), bool)]:
        h, w = ink.shape
        rf, cf = ink.mean(axis=1), ink.mean(axis=0)
        ys, xs = np.arange(h), np.arange(w)
        rows = ((rf > 0.5) & ((ys < 3) | (ys >= h - 3))) | (rf > 0.9)
        cols = ((cf > 0.5) & ((xs < 3) | (xs >= w - 3))) | (cf > 0.9)
        got_rows, got_cols = erase_rule_remnants(ink, 3)
        assert np.array_equal(got_rows, rows) and np.array_equal(got_cols, cols)
        for mask in (ink.any(axis=1), ink[0]):
            padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
            starts, ends = np.nonzero(np.diff(padded) == 1)[0], np.nonzero(np.diff(padded) == -1)[0]
            assert _runs(mask) == list(zip(starts.tolist(), ends.tolist(), strict=True))


def _detect_lines_reference(image: np.ndarray, dpi: int) -> tuple[tuple, tuple, np.ndarray, np.ndarray]:
    """Whole-page morphology and components, as :func:`grid.detect_lines` did before it cropped to the ink."""
    from juesuan.options import GridOptions

    o = GridOptions()
    binary = grid._binarize(image)
    height, width = binary.shape
    h_len = max(round(0.18 * dpi), int(o.min_line_frac * width))
    v_len = max(round(0.15 * dpi), int(0.5 * o.min_line_frac * height))
    gap = max(2, round(o.bridge_gap_in * dpi))
    thick = max(3, round(o.max_rule_thickness_in * dpi))
    out = []
    for kernel, bridge, horizontal in (((h_len, 1), (gap, 1), True), ((1, v_len), (1, gap), False)):
        element = cv2.getStructuringElement(cv2.MORPH_RECT, kernel)
        opened = cv2.morphologyEx(binary, cv2.MORPH_OPEN, element)
        closed = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))
        out.append(
            _thin_reference(
                cv2.bitwise_or(opened, cv2.morphologyEx(closed, cv2.MORPH_OPEN, element)), horizontal, thick
            )
        )
    (h_mask, h_segs), (v_mask, v_segs) = out
    tol = o.merge_tol_px
    return (
        tuple(grid._join_collinear(h_segs, tol, gap * 3)),
        tuple(grid._join_collinear(v_segs, tol, gap * 3)),
        h_mask,
        v_mask,
    )


def _ruled_page(offset: tuple[int, int], size: tuple[int, int] = (1100, 900)) -> np.ndarray:
    page = np.full((*size, 3), 255, dtype=np.uint8)
    x0, y0 = offset
    for k in range(8):
        cv2.line(page, (x0, y0 + 60 * k), (x0 + 500, y0 + 60 * k + (k % 3)), (0, 0, 0), 2)  # a slanted one too
    for k in range(5):
        cv2.line(page, (x0 + 125 * k, y0), (x0 + 125 * k, y0 + 420), (0, 0, 0), 1 + k % 2)
    cv2.rectangle(page, (x0 + 30, y0 + 100), (x0 + 90, y0 + 140), (0, 0, 0), -1)  # a blob, not a rule
    return page


@pytest.mark.parametrize("offset", [(301, 255), (0, 0), (390, 670), (3, 5)])  # odd offsets; rules at the edges
def test_detect_lines_on_the_ink_window_equals_the_whole_page(offset: tuple[int, int]) -> None:
    from juesuan.options import GridOptions

    page = _ruled_page(offset)
    got = grid.detect_lines(page, 200, GridOptions())
    h_segs, v_segs, h_mask, v_mask = _detect_lines_reference(page, 200)
    assert got.h_segments == h_segs and got.v_segments == v_segs and len(h_segs) >= 6
    assert np.array_equal(got.horizontal, h_mask) and np.array_equal(got.vertical, v_mask)


def test_detect_lines_on_a_real_page_equals_the_whole_page(finance_pdf: Path) -> None:
    from juesuan.inference.rasterize import Rasterizer
    from juesuan.options import GridOptions, RasterizeOptions

    (page,) = Rasterizer(RasterizeOptions(dpi=200, text_layer="never", rotate=False, deskew=False))([(finance_pdf, 5)])
    got = grid.detect_lines(page.image, 200, GridOptions())
    h_segs, v_segs, _, _ = _detect_lines_reference(page.image, 200)
    assert got.h_segments == h_segs and got.v_segments == v_segs and len(v_segs) >= 4


def test_a_blank_page_has_no_lines() -> None:
    from juesuan.options import GridOptions

    masks = grid.detect_lines(np.full((300, 200, 3), 255, dtype=np.uint8), 200, GridOptions())
    assert masks.h_segments == () and masks.v_segments == () and not masks.horizontal.any()


def test_rec_normalize_of_a_grey_crop_equals_its_three_channel_copy() -> None:
    """Cell crops are grey: the recogniser resizes one channel and copies it, which must equal the BGR path."""
    from juesuan.models.ppocr import CtcRecognizer

    rec = CtcRecognizer.__new__(CtcRecognizer)  # normalize needs no session
    rec.image_height = 48
    rng = np.random.default_rng(5)
    for k in range(200):
        h, w = int(rng.integers(1, 120)), int(rng.integers(1, 900))
        grey = (rng.random((h, w)) * 255).astype(np.uint8) if k % 2 else np.where(rng.random((h, w)) < 0.2, 30, 235)
        grey = grey.astype(np.uint8)
        width = max(320, int(48 * w / h)) if k % 3 else int(rng.integers(1, 2000))
        got, want = rec.normalize(grey, width), rec.normalize(cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB), width)
        assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)


def _cv_threads() -> int:
    return int(cv2.getNumThreads())


@pytest.mark.slow  # a spawned process imports the package: ~10 s wall on the loaded machine
def test_local_engine_workers_run_opencv_single_threaded() -> None:
    """The local engine's pool processes are its parallelism: OpenCV threads on top only add CPU (as pipelined)."""
    import concurrent.futures as cf
    import multiprocessing as mp

    from juesuan.batch.runner import _init_worker
    from juesuan.options import load_options

    ctx = mp.get_context("spawn")
    with cf.ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker, initargs=(load_options(),)) as pool:
        assert pool.submit(_cv_threads).result(timeout=120) == 1


def test_an_achromatic_page_becomes_one_grey_channel_and_a_coloured_one_stays() -> None:
    page = np.full((60, 50, 3), 250, dtype=np.uint8)
    page[10:20, 5:45] = 20
    grey = pp.clean_colour(page)
    assert grey.ndim == 2 and np.array_equal(grey, page[:, :, 1])
    page[30, 30] = (20, 20, 21)  # one pixel of colour keeps the page RGB
    assert pp.clean_colour(page) is page
    assert pp.clean_colour(page, grey=False) is page
    seal = np.full((60, 50, 3), 250, dtype=np.uint8)
    seal[5:15, 5:15] = (230, 30, 40)  # a red seal washes out to grey, so the page is achromatic afterwards
    out = pp.clean_colour(seal)
    assert out.ndim == 2 and np.array_equal(out, _suppress_red_reference(seal)[:, :, 0])


def test_layout_input_of_a_grey_page_equals_its_rgb_copy() -> None:
    from juesuan.models.picodet import PicoDetRunner

    rng = np.random.default_rng(3)
    for fit in ("stretch", "pad"):
        runner = PicoDetRunner.__new__(PicoDetRunner)  # _prepare needs no session
        runner.fit = fit
        grey = np.where(rng.random((700, 500)) < 0.1, 20, 245).astype(np.uint8)
        got, want = runner._prepare(grey, 800, 608), runner._prepare(cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB), 800, 608)
        assert got[1:] == want[1:] and got[0].dtype == want[0].dtype and np.array_equal(got[0], want[0])


def test_the_ctc_best_graph_reads_as_numpy_reads_the_probabilities() -> None:
    """The recogniser's argmax/max appended to the ONNX graph: the same text and character scores as numpy's."""
    pytest.importorskip("onnx")
    from juesuan.models import ppocr

    files = ppocr.find_model_files("ppocr_v6")
    plain = ppocr.CtcRecognizer(ppocr.create_session(files.rec))
    best = ppocr.CtcRecognizer(ppocr.create_session(files.rec, ctc_best=True))
    assert isinstance(best.session, ppocr.CtcBestSession) and best.characters == plain.characters
    rng = np.random.default_rng(11)
    crops = []
    for k in range(24):
        crop = np.full((40, int(rng.integers(60, 400))), 255, dtype=np.uint8)
        cv2.putText(crop, f"{rng.integers(0, 99999)}.{k:02d}", (4, 30), cv2.FONT_HERSHEY_SIMPLEX, 1, 0, 2)
        crops.append(crop)
    crops.append(rng.integers(0, 256, (30, 200), dtype=np.uint8))  # noise: near-tied classes
    assert best(crops) == plain(crops)


@pytest.mark.slow  # two runs of one real page
def test_a_grey_page_gives_the_outputs_of_its_rgb_copy(finance_pdf: Path) -> None:
    """The grey path end to end: one real page read with ``rasterize.grey`` on and off, document.json equal."""
    from juesuan.inference.pipeline import Pipeline
    from juesuan.options import load_options

    def run(grey: bool) -> str:
        options = load_options(None, {"rasterize": {"grey": grey}})
        doc = Pipeline(options).run_document(finance_pdf, pages=(5,), sha256="-")
        return json.dumps([t.model_dump(mode="json") for t in doc.tables], ensure_ascii=False, sort_keys=True)

    assert run(True) == run(False)
