"""Thin onnxruntime runners for PaddleOCR's PP-OCR models as shipped inside PyPI wheels.

PP-OCRv6 small (default) comes with ``rapidocr`` 3.10.0, PP-OCRv4 with ``rapidocr-onnxruntime`` 1.4.4; both wheels
carry the ONNX files in ``<package>/models/``, found through importlib, never downloaded. The pre- and post-processing
reproduces rapidocr's (which follows PaddleOCR): DB detection at ``limit_side_len=736`` (``min``), thresholds 0.3/0.5,
unclip 1.6 with dilation; recognition at height 48, ``(x/255 - 0.5) / 0.5``, right padding with zeros to the widest
crop of the batch (at least 320), greedy CTC over the dictionary stored in the model's ``character`` metadata.

``PpOcrEngine.ocr`` (the raw full-page peer) keeps all of that. The OCR stage deviates in one measured way: it pads
recognition batches only to their widest crop (``OcrOptions.rec_min_width=0``), which halves the cost of short cell
values and read every number of the finance PDF's table pages the same (benchmarks/bench_ocr.py).

Images handed to these runners are RGB (``PageImage`` convention) or grey; the networks were trained on cv2's BGR,
so colour crops are flipped before normalisation.
"""

from __future__ import annotations

import importlib.util
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from juesuan.errors import ConfigError
from juesuan.models.clock import MODEL_CLOCK

if TYPE_CHECKING:
    import onnxruntime as ort

log = logging.getLogger(__name__)

# kind -> (wheel package, det, rec, cls) file names inside <package>/models/
MODEL_FILES: dict[str, tuple[str, str, str, str]] = {
    "ppocr_v6": (
        "rapidocr",
        "PP-OCRv6_det_small.onnx",
        "PP-OCRv6_rec_small.onnx",
        "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    ),
    "ppocr_v4": (
        "rapidocr_onnxruntime",
        "ch_PP-OCRv4_det_infer.onnx",
        "ch_PP-OCRv4_rec_infer.onnx",
        "ch_ppocr_mobile_v2.0_cls_infer.onnx",
    ),
}
PIP_HINT = {"ppocr_v6": "pip install rapidocr==3.10.0", "ppocr_v4": "pip install rapidocr-onnxruntime==1.4.4"}

Quad = np.ndarray  # (4, 2) float32 corner points, clockwise from top-left


@dataclass(frozen=True, slots=True)
class PpOcrModelFiles:
    det: Path
    rec: Path
    cls: Path


def find_model_files(kind: str) -> PpOcrModelFiles:
    """The det/rec/cls ONNX files of ``kind`` inside their wheel (importlib; the package is not imported)."""
    if kind not in MODEL_FILES:
        raise ConfigError(f"unknown PP-OCR kind {kind!r}; known: {', '.join(sorted(MODEL_FILES))}")
    package, det, rec, cls = MODEL_FILES[kind]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"{kind}: package {package!r} is not installed ({PIP_HINT[kind]})")
    models = Path(next(iter(spec.submodule_search_locations))) / "models"
    files = PpOcrModelFiles(det=models / det, rec=models / rec, cls=models / cls)
    for path in (files.det, files.rec, files.cls):
        if not path.is_file():
            raise ConfigError(f"{kind}: model file {path} is missing ({PIP_HINT[kind]})")
    return files


def create_session(
    path: Path,
    threads: int = 1,
    device: str = "cpu",
    backend: str = "onnxruntime",
    precision: str = "float32",
    compile: bool = False,
    ctc_best: bool = False,
) -> ort.InferenceSession:
    """One onnxruntime session; ``device="cuda"`` puts CUDAExecutionProvider first when onnxruntime-gpu has it.

    ``ctc_best``: a recognition graph gets the per-step argmax and max appended (:func:`with_ctc_best`).

    ``backend="torch"``: a :class:`~juesuan.models.torch_onnx.TorchSession` with the same interface instead."""
    if backend == "torch":
        from juesuan.models.torch_onnx import TorchSession

        return TorchSession(path, device, precision, compile, threads)  # type: ignore[return-value]
    if backend != "onnxruntime":
        raise ConfigError(f"unknown inference backend {backend!r}; known: onnxruntime, torch")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False  # dynamic input sizes: the arena only grows (as rapidocr configures it)
    if threads > 0:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    providers: list[str] = ["CPUExecutionProvider"]
    if device == "cuda":
        if "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        else:
            log.warning("device=cuda but onnxruntime has no CUDAExecutionProvider (install juesuan[gpu]); using CPU")
    model = with_ctc_best(path) if ctc_best else None
    if model is not None:
        return CtcBestSession(ort.InferenceSession(model, sess_options=options, providers=providers))
    return ort.InferenceSession(str(path), sess_options=options, providers=providers)


CTC_IDX, CTC_BEST = "juesuan_ctc_idx", "juesuan_ctc_best"


def with_ctc_best(path: Path) -> bytes | None:
    """The recognition graph with ArgMax and ReduceMax over its last (dictionary) axis as two more outputs, or None
    when the ``onnx`` package is missing (then numpy does it: same numbers, :func:`ctc_best`).

    Greedy CTC needs only the best class of each step and its probability. Returning them from the graph spares
    copying the whole (crops x steps x 18 710) float matrix out of onnxruntime and a second pass over it in numpy
    (~15 CPU-ms of a 200 dpi table page), as the torch backend's ``run_best`` does on the device."""
    try:
        import onnx
        from onnx import helper
    except ImportError:
        return None
    model = onnx.load(str(path))
    probs = model.graph.output[0].name
    model.graph.node.extend(
        [
            helper.make_node("ArgMax", [probs], [CTC_IDX], axis=-1, keepdims=0),  # first maximum, as numpy's
            helper.make_node("ReduceMax", [probs], [CTC_BEST], axes=[-1], keepdims=0),
        ]
    )
    model.graph.output.extend(
        [
            helper.make_tensor_value_info(CTC_IDX, onnx.TensorProto.INT64, None),
            helper.make_tensor_value_info(CTC_BEST, onnx.TensorProto.FLOAT, None),
        ]
    )
    return model.SerializeToString()


class CtcBestSession:
    """An onnxruntime session of :func:`with_ctc_best`'s graph with the torch backend's ``run_best`` interface."""

    def __init__(self, session: ort.InferenceSession) -> None:
        self.session = session

    def get_inputs(self) -> Any:
        return self.session.get_inputs()

    def get_modelmeta(self) -> Any:
        return self.session.get_modelmeta()

    def run(self, output_names: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        return self.session.run(output_names, feeds)

    def run_best(self, feeds: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        idx, best = self.session.run([CTC_IDX, CTC_BEST], feeds)
        return idx, best


def _run(session: ort.InferenceSession, batch: np.ndarray) -> np.ndarray:
    name = session.get_inputs()[0].name
    with MODEL_CLOCK:
        return np.asarray(session.run(None, {name: batch})[0])


def _to_bgr(image: np.ndarray) -> np.ndarray:
    """RGB or grey uint8 -> 3-channel BGR, what the PaddleOCR networks were trained on."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(image[:, :, 2::-1])


# ---------------------------------------------------------------------------------------------------------------
# Detection (DB)


@dataclass(frozen=True, slots=True)
class DetParams:
    """rapidocr's ``Det`` section. ``limit_type="min"`` upsamples until the short side is ``limit_side_len``."""

    limit_side_len: int = 736
    limit_type: str = "min"  # "min" | "max" | "none" (keep the scale, round to a multiple of 32)
    thresh: float = 0.3
    box_thresh: float = 0.5
    max_candidates: int = 1000
    unclip_ratio: float = 1.6
    use_dilation: bool = True
    min_size: int = 3


class DbTextDetector:
    """Differentiable-binarisation text detector: page (or crop) in, text-line quads and scores out."""

    def __init__(self, session: ort.InferenceSession, params: DetParams | None = None) -> None:
        self.session = session
        self.params = params or DetParams()

    def resize_shape(self, h: int, w: int) -> tuple[int, int]:
        """Network input size: rapidocr's ``DetPreProcess.resize`` (multiples of 32)."""
        p = self.params
        ratio = 1.0
        if p.limit_type == "max" and max(h, w) > p.limit_side_len:
            ratio = p.limit_side_len / max(h, w)
        elif p.limit_type == "min" and min(h, w) < p.limit_side_len:
            ratio = p.limit_side_len / min(h, w)
        rh = max(32, round(int(h * ratio) / 32) * 32)
        rw = max(32, round(int(w * ratio) / 32) * 32)
        return int(rh), int(rw)

    @staticmethod
    def normalize(image_bgr: np.ndarray) -> np.ndarray:
        x = image_bgr.astype(np.float32) * (1 / 255.0)
        x = (x - 0.5) / 0.5
        return x.transpose(2, 0, 1)

    def __call__(self, image: np.ndarray) -> tuple[np.ndarray, list[float]]:
        """Quads ``(N, 4, 2)`` in ``image`` pixels, sorted top-to-bottom then left-to-right, and their scores."""
        h, w = image.shape[:2]
        rh, rw = self.resize_shape(h, w)
        resized = cv2.resize(_to_bgr(image), (rw, rh))
        prob = _run(self.session, self.normalize(resized)[None])[0, 0]
        return self.postprocess(prob, (h, w))

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[tuple[np.ndarray, list[float]]]:
        """Several images in one call, each resized to its own size and padded (bottom/right, zeros) to the largest.

        For GPU: padding costs nothing there and one big call beats many small ones. The padded margin is cut off
        the probability map before post-processing, so results match the one-by-one path up to border effects.
        """
        if not images:
            return []
        shapes = [self.resize_shape(*img.shape[:2]) for img in images]
        bh, bw = max(s[0] for s in shapes), max(s[1] for s in shapes)
        batch = np.zeros((len(images), 3, bh, bw), dtype=np.float32)
        for k, (img, (rh, rw)) in enumerate(zip(images, shapes, strict=False)):
            batch[k, :, :rh, :rw] = self.normalize(cv2.resize(_to_bgr(img), (rw, rh)))
        probs = _run(self.session, batch)
        return [
            self.postprocess(probs[k, 0, :rh, :rw], img.shape[:2])
            for k, (img, (rh, rw)) in enumerate(zip(images, shapes, strict=False))
        ]

    # -- post-processing: rapidocr's DBPostProcess + filter_det_res + sorted_boxes ---------------------------
    def postprocess(self, prob: np.ndarray, dest_hw: tuple[int, int]) -> tuple[np.ndarray, list[float]]:
        p = self.params
        dest_h, dest_w = int(dest_hw[0]), int(dest_hw[1])
        bitmap = (prob > p.thresh).astype(np.uint8)
        if p.use_dilation:
            bitmap = cv2.dilate(bitmap, np.ones((2, 2), dtype=np.uint8))
        height, width = bitmap.shape
        contours, _ = cv2.findContours(bitmap * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        boxes: list[np.ndarray] = []
        scores: list[float] = []
        for contour in contours[: p.max_candidates]:
            points, sside = _mini_box(contour)
            if sside < p.min_size:
                continue
            score = _box_score_fast(prob, points)
            if p.box_thresh > score:
                continue
            expanded = _unclip(points, p.unclip_ratio)
            if expanded is None:
                continue
            box, sside = _mini_box(expanded)
            if sside < p.min_size + 2:
                continue
            box[:, 0] = np.clip(np.round(box[:, 0] / width * dest_w), 0, dest_w)
            box[:, 1] = np.clip(np.round(box[:, 1] / height * dest_h), 0, dest_h)
            box = _order_clockwise(box.astype(np.int32).astype(np.float32))
            box[:, 0] = np.clip(box[:, 0], 0, dest_w - 1).astype(np.int32)
            box[:, 1] = np.clip(box[:, 1], 0, dest_h - 1).astype(np.int32)
            if int(np.linalg.norm(box[0] - box[1])) <= 3 or int(np.linalg.norm(box[0] - box[3])) <= 3:
                continue
            boxes.append(box)
            scores.append(float(score))
        if not boxes:
            return np.zeros((0, 4, 2), dtype=np.float32), []
        quads = np.stack(boxes).astype(np.float32)
        order = sort_quads(quads)
        return quads[order], [scores[i] for i in order]


_BOX_SORT_Y_THRESHOLD = 10


def sort_quads(quads: np.ndarray) -> np.ndarray:
    """rapidocr's reading order: by top-left y; boxes less than 10 px apart in y form a line, sorted by x."""
    if len(quads) == 0:
        return np.zeros(0, dtype=np.int64)
    y = quads[:, 0, 1]
    by_y = np.argsort(y, kind="stable")
    line_ids = np.concatenate([[0], np.cumsum(np.diff(y[by_y]) >= _BOX_SORT_Y_THRESHOLD)])
    within = np.lexsort((quads[by_y, 0, 0], line_ids))
    return np.asarray(by_y[within])


def _mini_box(contour: np.ndarray) -> tuple[np.ndarray, float]:
    rect = cv2.minAreaRect(contour.reshape(-1, 1, 2).astype(np.float32))
    points = sorted(cv2.boxPoints(rect).tolist(), key=lambda pt: pt[0])
    i1, i4 = (0, 1) if points[1][1] > points[0][1] else (1, 0)
    i2, i3 = (2, 3) if points[3][1] > points[2][1] else (3, 2)
    box = np.array([points[i1], points[i2], points[i3], points[i4]], dtype=np.float32)
    return box, float(min(rect[1]))


def _box_score_fast(prob: np.ndarray, box: np.ndarray) -> float:
    h, w = prob.shape[:2]
    xmin = int(np.clip(np.floor(box[:, 0].min()), 0, w - 1))
    xmax = int(np.clip(np.ceil(box[:, 0].max()), 0, w - 1))
    ymin = int(np.clip(np.floor(box[:, 1].min()), 0, h - 1))
    ymax = int(np.clip(np.ceil(box[:, 1].max()), 0, h - 1))
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    shifted = box.copy()
    shifted[:, 0] -= xmin
    shifted[:, 1] -= ymin
    cv2.fillPoly(mask, shifted.reshape(1, -1, 2).astype(np.int32), 1)
    return float(cv2.mean(prob[ymin : ymax + 1, xmin : xmax + 1], mask)[0])


def _unclip(box: np.ndarray, ratio: float) -> np.ndarray | None:
    """Grow the shrunk text kernel back by ``area * ratio / perimeter`` (pyclipper round offset, as in PaddleOCR)."""
    import pyclipper

    area = abs(float(cv2.contourArea(box)))
    length = float(cv2.arcLength(box.reshape(-1, 1, 2), True))
    if length <= 0:
        return None
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(box.tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    paths = offset.Execute(area * ratio / length)
    if not paths:
        return None
    return np.array(paths[0], dtype=np.float32)


def _order_clockwise(pts: np.ndarray) -> np.ndarray:
    x_sorted = pts[np.argsort(pts[:, 0]), :]
    left, right = x_sorted[:2, :], x_sorted[2:, :]
    tl, bl = left[np.argsort(left[:, 1]), :]
    tr, br = right[np.argsort(right[:, 1]), :]
    return np.array([tl, tr, br, bl], dtype=np.float32)


def crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Perspective-crop a detected quad (rapidocr's ``get_rotate_crop_image``); tall crops are turned upright."""
    pts = quad.astype(np.float32)
    width = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    height = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(pts, target)
    crop = cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if crop.shape[0] / crop.shape[1] >= 1.5:
        crop = np.rot90(crop)
    return crop


# ---------------------------------------------------------------------------------------------------------------
# Recognition (SVTR / CRNN + CTC)


@dataclass(frozen=True, slots=True)
class RecLine:
    """One recognised crop. ``cols`` are the CTC time steps of its characters out of ``n_cols`` steps over the padded
    input width, kept so that a character can be placed back on the crop."""

    text: str
    score: float
    char_scores: tuple[float, ...] = ()
    cols: tuple[int, ...] = ()
    n_cols: int = 0


def ctc_characters(session: ort.InferenceSession) -> list[str]:
    """Dictionary from the model's ``character`` metadata with CTC blank first and space last (as PaddleOCR)."""
    meta = session.get_modelmeta().custom_metadata_map
    if "character" not in meta:
        raise ConfigError("recognition model has no 'character' metadata (not a rapidocr-exported model?)")
    return ["blank", *meta["character"].splitlines(), " "]


def ctc_best(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(argmax, max) over the dictionary axis: one pass over (B, T, C) and a gather, not two passes."""
    idx = probs.argmax(axis=2)
    return idx, np.take_along_axis(probs, idx[:, :, None], axis=2)[:, :, 0]


def ctc_decode(probs: np.ndarray, characters: Sequence[str]) -> list[RecLine]:
    """Greedy CTC: argmax per step, merge repeats, drop blank (index 0). Score = mean max-probability (0 if empty)."""
    return ctc_decode_best(*ctc_best(probs), characters)


def ctc_decode_best(idx: np.ndarray, best: np.ndarray, characters: Sequence[str]) -> list[RecLine]:
    """:func:`ctc_decode` from the per-step argmax and max (a GPU computes them there: (B, T) back, not (B, T, C))."""
    out: list[RecLine] = []
    for b in range(idx.shape[0]):
        seq = idx[b]
        keep = np.ones(len(seq), dtype=bool)
        keep[1:] = seq[1:] != seq[:-1]
        keep &= seq != 0
        cols = np.nonzero(keep)[0]
        char_scores = [round(float(s), 5) for s in best[b][keep]]
        text = "".join(characters[i] for i in seq[keep])
        score = round(float(np.mean(char_scores)), 5) if char_scores else 0.0
        out.append(RecLine(text, score, tuple(char_scores), tuple(int(c) for c in cols), len(seq)))
    return out


class CtcRecognizer:
    """Text-line recogniser: crops of any width in, (text, score) out, batched by similar aspect ratio."""

    def __init__(
        self,
        session: ort.InferenceSession,
        characters: Sequence[str] | None = None,
        image_height: int = 48,
        min_width: int = 320,
    ) -> None:
        self.session = session
        self.characters = list(characters) if characters is not None else ctc_characters(session)
        self.image_height = image_height
        self.min_width = min_width  # PaddleOCR pads every batch to at least 320 px (its training width)

    def normalize(self, crop: np.ndarray, width: int) -> np.ndarray:
        """rapidocr's ``resize_norm_img``: height 48, aspect kept (capped at ``width``), zero padding on the right."""
        h, w = crop.shape[:2]
        resized_w = min(width, math.ceil(self.image_height * w / float(h)))
        out = np.zeros((3, self.image_height, width), dtype=np.float32)
        if crop.ndim == 2:  # grey (cell crops): its 3 BGR channels are equal, so resize and scale one, copy it 3x
            resized = cv2.resize(crop, (max(resized_w, 1), self.image_height)).astype(np.float32)
            out[:, :, : resized.shape[1]] = ((resized / 255 - 0.5) / 0.5)[None]
            return out
        resized = cv2.resize(_to_bgr(crop), (max(resized_w, 1), self.image_height)).astype(np.float32)
        out[:, :, : resized.shape[1]] = (resized.transpose(2, 0, 1) / 255 - 0.5) / 0.5
        return out

    def __call__(
        self,
        crops: Sequence[np.ndarray],
        batch_size: int = 32,
        min_width: int | None = None,
        max_waste: float = 0.25,
    ) -> list[RecLine]:
        """Recognise ``crops`` (grey or RGB uint8) in order. Sorting by aspect ratio keeps batch padding small;
        ``max_waste`` bounds it (see ``batches``; on a GPU pass a large value so that batches stay full)."""
        floor = self.min_width if min_width is None else min_width
        ratios = np.array([c.shape[1] / float(max(c.shape[0], 1)) for c in crops])
        out: list[RecLine | None] = [None] * len(crops)
        for members in self.batches(ratios, batch_size, floor, max_waste):
            width = max(floor, int(self.image_height * max(float(ratios[i]) for i in members)))
            batch = np.stack([self.normalize(crops[i], width) for i in members])
            for i, line in zip(members, self._decode(batch), strict=False):
                out[i] = line
        return [line if line is not None else RecLine("", 0.0) for line in out]

    def _decode(self, batch: np.ndarray) -> list[RecLine]:
        run_best = getattr(self.session, "run_best", None)  # TorchSession: argmax/max on the device
        if run_best is not None:
            with MODEL_CLOCK:
                idx, best = run_best({self.session.get_inputs()[0].name: batch})
            return ctc_decode_best(idx, best, self.characters)
        return ctc_decode(_run(self.session, batch), self.characters)

    def batches(self, ratios: np.ndarray, batch_size: int, min_width: int, max_waste: float = 0.25) -> list[list[int]]:
        """Indices grouped by similar aspect ratio: at most ``batch_size`` crops, and a crop starts a new batch when
        padding everything to its width would waste more than ``max_waste`` of the batch (a CPU spends time on
        every padded column; a few extra calls cost little)."""
        order = np.argsort(ratios, kind="stable")
        widths = np.maximum(min_width, np.ceil(self.image_height * ratios[order]))
        groups: list[list[int]] = []
        current: list[int] = []
        used = 0.0
        for i, w in zip(order.tolist(), widths.tolist(), strict=False):
            if current and (len(current) >= batch_size or (len(current) + 1) * w > (1 + max_waste) * (used + w)):
                groups.append(current)
                current, used = [], 0.0
            current.append(i)
            used += w
        if current:
            groups.append(current)
        return groups


# ---------------------------------------------------------------------------------------------------------------
# Direction classifier (0 / 180 degrees)


class DirectionClassifier:
    """PaddleOCR's text-line orientation classifier: which crops are upside down (score above ``thresh``)."""

    def __init__(self, session: ort.InferenceSession, thresh: float = 0.9, shape: tuple[int, int] = (48, 192)) -> None:
        self.session = session
        self.thresh = thresh
        self.height, self.width = shape

    def normalize(self, crop: np.ndarray) -> np.ndarray:
        h, w = crop.shape[:2]
        resized_w = min(self.width, math.ceil(self.height * w / float(max(h, 1))))
        resized = cv2.resize(_to_bgr(crop), (max(resized_w, 1), self.height)).astype(np.float32)
        out = np.zeros((3, self.height, self.width), dtype=np.float32)
        out[:, :, : resized.shape[1]] = (resized.transpose(2, 0, 1) / 255 - 0.5) / 0.5
        return out

    def __call__(self, crops: Sequence[np.ndarray], batch_size: int = 32) -> list[bool]:
        """True where the crop reads upside down and should be turned 180 degrees."""
        flips: list[bool] = []
        for start in range(0, len(crops), batch_size):
            batch = np.stack([self.normalize(c) for c in crops[start : start + batch_size]])
            probs = _run(self.session, batch)
            flips.extend(bool(p.argmax() == 1 and p[1] > self.thresh) for p in probs)
        return flips


# ---------------------------------------------------------------------------------------------------------------
# det + cls + rec together


@dataclass(frozen=True, slots=True)
class OcrLine:
    quad: np.ndarray  # (4, 2) in the input image's pixels
    text: str
    score: float


@dataclass(slots=True)
class PpOcrEngine:
    """The three PP-OCR models of one ``kind``, each session created on first use (no globals, one per stage)."""

    kind: str = "ppocr_v6"
    threads: int = 1
    device: str = "cpu"
    det_params: DetParams = field(default_factory=DetParams)
    backend: str = "onnxruntime"  # or "torch" (juesuan.models.torch_onnx)
    precision: str = "float32"
    compile: bool = False
    _files: PpOcrModelFiles | None = None
    _det: DbTextDetector | None = None
    _rec: CtcRecognizer | None = None
    _cls: DirectionClassifier | None = None

    @property
    def files(self) -> PpOcrModelFiles:
        if self._files is None:
            self._files = find_model_files(self.kind)
        return self._files

    @property
    def det(self) -> DbTextDetector:
        if self._det is None:
            self._det = DbTextDetector(self._session(self.files.det), self.det_params)
        return self._det

    @property
    def rec(self) -> CtcRecognizer:
        if self._rec is None:
            self._rec = CtcRecognizer(self._session(self.files.rec, ctc_best=True))
        return self._rec

    @property
    def cls(self) -> DirectionClassifier:
        if self._cls is None:
            self._cls = DirectionClassifier(self._session(self.files.cls))
        return self._cls

    def _session(self, path: Path, ctc_best: bool = False) -> ort.InferenceSession:
        return create_session(path, self.threads, self.device, self.backend, self.precision, self.compile, ctc_best)

    def detect(self, image: np.ndarray, max_side_len: int = 2000, min_side_len: int = 30) -> np.ndarray:
        """rapidocr's full ``detect_and_crop`` geometry: shrink to ``max_side_len``, pad very flat images
        vertically (height <= 30 or width/height > 8), detect, map the quads back to ``image`` pixels."""
        h, w = image.shape[:2]
        work = image
        scale_h = scale_w = 1.0
        if max(h, w) > max_side_len or min(h, w) < min_side_len:
            ratio = max_side_len / max(h, w) if max(h, w) > max_side_len else min_side_len / min(h, w)
            rh = max(32, round(int(h * ratio) / 32) * 32)
            rw = max(32, round(int(w * ratio) / 32) * 32)
            work = cv2.resize(image, (rw, rh))
            scale_h, scale_w = h / rh, w / rw
        wh, ww = work.shape[:2]
        top = 0
        if wh <= 30 or ww / wh > 8:
            new_h = max(int(ww / 8), 30) * 2
            top = int(abs(new_h - wh) / 2)
            work = cv2.copyMakeBorder(work, top, top, 0, 0, cv2.BORDER_CONSTANT, value=0)
        quads, _ = self.det(work)
        if len(quads) == 0:
            return quads
        quads = quads.copy()
        quads[:, :, 1] -= top
        quads[:, :, 0] *= scale_w
        quads[:, :, 1] *= scale_h
        quads = np.maximum(quads, 0)
        quads[..., 0] = np.minimum(quads[..., 0], w)
        quads[..., 1] = np.minimum(quads[..., 1], h)
        return quads

    def recognise(self, crops: Sequence[np.ndarray], batch_size: int = 32, use_cls: bool = False) -> list[RecLine]:
        if not crops:
            return []
        work = list(crops)
        if use_cls:
            work = [np.rot90(c, 2) if flip else c for c, flip in zip(work, self.cls(work, batch_size), strict=False)]
        return self.rec(work, batch_size)

    def ocr(
        self,
        image: np.ndarray,
        *,
        use_cls: bool = False,
        batch_size: int = 32,
        text_score: float = 0.5,
        detect: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> list[OcrLine]:
        """Plain det (+cls) + rec over one image, rapidocr's defaults: lines scoring below 0.5 or empty dropped."""
        quads = (detect or self.detect)(image)
        crops = [crop_quad(image, q) for q in quads]
        lines = self.recognise(crops, batch_size, use_cls)
        return [
            OcrLine(q, line.text, line.score)
            for q, line in zip(quads, lines, strict=False)
            if line.text.strip() and line.score >= text_score
        ]
