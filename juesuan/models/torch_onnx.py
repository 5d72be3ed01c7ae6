"""The shipped ONNX graphs (PP-OCR det/rec/cls, PicoDet layout) run as PyTorch modules: the CUDA path we can measure.

onnxruntime-gpu is too big to carry to a GPU test machine, and onnx2torch pulls torchvision (a second torch build)
for two converters these graphs never use; so this module runs the graph itself. :class:`OnnxGraphModule` keeps the
ONNX file's weights as buffers and executes its nodes in order with ``torch.nn.functional`` ops — the ~30 operator
types the four graphs use (opset 11 and 13), each checked against onnxruntime in ``tests/models/test_torch_onnx.py``.
Shape arithmetic (``Shape`` → ``Slice`` → ``Concat`` → ``Reshape`` in the recogniser) runs on Python ints, so the
module also traces under ``torch.compile``.

:class:`TorchSession` mimics the slice of ``onnxruntime.InferenceSession`` the runners use (``get_inputs``,
``get_modelmeta``, ``run``), so :mod:`juesuan.models.ppocr` and :mod:`juesuan.models.picodet` switch backend by the
session they create, nothing else. ``dtype`` float16/bfloat16 casts weights and inputs (outputs come back float32).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

Dtype = str  # "float32" | "float16" | "bfloat16"


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _ints(v: Any) -> list[int]:
    """Shape-like values (a Python list or an int64 tensor) as Python ints."""
    if isinstance(v, (list, tuple)):
        return [int(x) for x in v]
    return [int(x) for x in v.reshape(-1).tolist()]


class _Shape(list):  # type: ignore[type-arg]
    """The result of ``Shape``: Python ints, so that shape arithmetic never becomes tensor data."""


def _pads_2d(node_attrs: dict[str, Any], x_hw: Sequence[int], kernel: Sequence[int], strides: Sequence[int],
             dilations: Sequence[int]) -> tuple[int, int, int, int]:  # fmt: skip
    """(left, right, top, bottom) padding from ``pads`` or ``auto_pad``."""
    auto = node_attrs.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for size, k, s, d in zip(x_hw, kernel, strides, dilations, strict=True):
            out = math.ceil(size / s)
            total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
            small, big = total // 2, total - total // 2
            pads.append((small, big) if auto == "SAME_UPPER" else (big, small))
        (t, b), (lft, r) = pads
        return lft, r, t, b
    p = node_attrs.get("pads", [0, 0, 0, 0])
    return p[1], p[3], p[0], p[2]


@dataclass
class _Node:
    op: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)


def _op_table() -> dict[str, Callable[..., Any]]:
    import torch
    import torch.nn.functional as F  # noqa: N812

    def conv(a: dict, x: Any, w: Any, b: Any = None) -> Any:
        k = a.get("kernel_shape", list(w.shape[2:]))
        s = a.get("strides", [1, 1])
        d = a.get("dilations", [1, 1])
        lft, r, t, bt = _pads_2d(a, x.shape[2:], k, s, d)
        if lft == r and t == bt:
            return F.conv2d(x, w, b, s, (t, lft), d, a.get("group", 1))
        return F.conv2d(F.pad(x, (lft, r, t, bt)), w, b, s, 0, d, a.get("group", 1))

    def conv_t(a: dict, x: Any, w: Any, b: Any = None) -> Any:
        p = a.get("pads", [0, 0, 0, 0])
        if p[0] != p[2] or p[1] != p[3] or a.get("auto_pad", "NOTSET") != "NOTSET":
            raise NotImplementedError("ConvTranspose with asymmetric or automatic padding")
        return F.conv_transpose2d(
            x, w, b, a.get("strides", [1, 1]), (p[0], p[1]), a.get("output_padding", [0, 0]),
            a.get("group", 1), a.get("dilations", [1, 1]),
        )  # fmt: skip

    def max_pool(a: dict, x: Any) -> Any:
        k = a["kernel_shape"]
        s = a.get("strides", [1, 1])
        lft, r, t, b = _pads_2d(a, x.shape[2:], k, s, [1, 1])
        if (lft, r, t, b) != (0, 0, 0, 0):
            x = F.pad(x, (lft, r, t, b), value=float("-inf"))
        return F.max_pool2d(x, k, s, 0, ceil_mode=bool(a.get("ceil_mode", 0)))

    def avg_pool(a: dict, x: Any) -> Any:
        p = a.get("pads", [0, 0, 0, 0])
        if p[0] != p[2] or p[1] != p[3]:
            raise NotImplementedError("AveragePool with asymmetric padding")
        return F.avg_pool2d(
            x, a["kernel_shape"], a.get("strides", a["kernel_shape"]), (p[0], p[1]),
            ceil_mode=bool(a.get("ceil_mode", 0)), count_include_pad=bool(a.get("count_include_pad", 0)),
        )  # fmt: skip

    def resize(a: dict, x: Any, roi: Any = None, scales: Any = None, sizes: Any = None) -> Any:
        mode = a.get("mode", "nearest")
        ctm = a.get("coordinate_transformation_mode", "half_pixel")
        if sizes is not None and len(_ints(sizes)):
            size = _ints(sizes)[2:]
        else:
            sc = [float(v) for v in scales.reshape(-1).tolist()]
            size = [math.floor(n * f) for n, f in zip(x.shape[2:], sc[2:], strict=True)]
        if mode == "nearest" and ctm == "asymmetric" and a.get("nearest_mode", "round_prefer_floor") == "floor":
            return F.interpolate(x, size=size, mode="nearest")
        if mode == "linear":
            return F.interpolate(x, size=size, mode="bilinear", align_corners=ctm == "align_corners")
        raise NotImplementedError(f"Resize mode={mode} coordinate_transformation_mode={ctm}")

    def reduce_mean(a: dict, x: Any, axes: Any = None) -> Any:
        dims = a.get("axes") if axes is None else _ints(axes)
        return torch.mean(x, dim=tuple(dims) if dims is not None else None, keepdim=bool(a.get("keepdims", 1)))

    def softmax(a: dict, x: Any) -> Any:
        return torch.softmax(x, dim=a.get("axis", -1))

    def reshape(a: dict, x: Any, shape: Any) -> Any:
        target = _ints(shape)
        if isinstance(x, (int, list)):  # shape arithmetic: a scalar <-> a 1-element list
            values = _ints([x] if isinstance(x, int) else x)
            return values[0] if not target else _Shape(values)
        target = [x.shape[i] if v == 0 else v for i, v in enumerate(target)]
        return x.reshape(target)

    def shape(a: dict, x: Any) -> Any:
        return _Shape(int(v) for v in x.shape)

    def slice_(a: dict, x: Any, starts: Any, ends: Any, axes: Any = None, steps: Any = None) -> Any:
        st, en = _ints(starts), _ints(ends)
        ax = _ints(axes) if axes is not None else list(range(len(st)))
        sp = _ints(steps) if steps is not None else [1] * len(st)
        if isinstance(x, list):
            (s0,), (e0,), (p0,) = st, en, sp
            return _Shape(x[s0 : min(e0, len(x)) : p0])
        index: list[Any] = [slice(None)] * x.dim()
        for s0, e0, dim, p0 in zip(st, en, ax, sp, strict=True):
            index[dim] = slice(s0, min(e0, x.shape[dim]) if e0 > 0 else e0, p0)
        return x[tuple(index)]

    def squeeze(a: dict, x: Any, axes: Any = None) -> Any:
        dims = a.get("axes") if axes is None else _ints(axes)
        if isinstance(x, list):
            return x[0] if len(x) == 1 else x
        for d in sorted((d % x.dim() for d in dims), reverse=True):
            x = x.squeeze(d)
        return x

    def unsqueeze(a: dict, x: Any, axes: Any = None) -> Any:
        dims = a.get("axes") if axes is None else _ints(axes)
        if isinstance(x, (int, list)):
            return _Shape([x] if isinstance(x, int) else x)
        for d in sorted(dims):
            x = x.unsqueeze(d)
        return x

    def concat(a: dict, *xs: Any) -> Any:
        if any(isinstance(x, (list, int)) for x in xs):  # shape arithmetic
            out: list[int] = []
            for x in xs:
                out.extend([x] if isinstance(x, int) else _ints(x))
            return _Shape(out)
        return torch.cat(xs, dim=a["axis"])

    def cast(a: dict, x: Any) -> Any:
        if isinstance(x, list):
            return x
        to = {1: torch.float32, 6: torch.int32, 7: torch.int64, 10: torch.float16, 16: torch.bfloat16}[a["to"]]
        return x.to(to)

    def split(a: dict, x: Any, sizes: Any = None) -> Any:
        parts = _ints(sizes) if sizes is not None else a.get("split")
        axis = a.get("axis", 0)
        if parts is None:
            return torch.chunk(x, len(a["_outputs"]), dim=axis)
        return torch.split(x, parts, dim=axis)

    def clip(a: dict, x: Any, lo: Any = None, hi: Any = None) -> Any:
        lo_v = a.get("min") if lo is None else float(lo)
        hi_v = a.get("max") if hi is None else float(hi)
        return torch.clamp(x, lo_v, hi_v)

    def batch_norm(a: dict, x: Any, scale: Any, bias: Any, mean: Any, var: Any) -> Any:
        return F.batch_norm(x, mean, var, scale, bias, False, 0.0, a.get("epsilon", 1e-5))

    def hard_sigmoid(a: dict, x: Any) -> Any:
        return torch.clamp(x * a.get("alpha", 0.2) + a.get("beta", 0.5), 0.0, 1.0)

    return {
        "Conv": conv,
        "ConvTranspose": conv_t,
        "MaxPool": max_pool,
        "AveragePool": avg_pool,
        "GlobalAveragePool": lambda a, x: torch.mean(x, dim=(2, 3), keepdim=True),
        "Resize": resize,
        "ReduceMean": reduce_mean,
        "Softmax": softmax,
        "Reshape": reshape,
        "Shape": shape,
        "Slice": slice_,
        "Squeeze": squeeze,
        "Unsqueeze": unsqueeze,
        "Concat": concat,
        "Cast": cast,
        "Split": split,
        "Clip": clip,
        "BatchNormalization": batch_norm,
        "HardSigmoid": hard_sigmoid,
        "Identity": lambda a, x: x,
        "Relu": lambda a, x: torch.relu(x),
        "Sigmoid": lambda a, x: torch.sigmoid(x),
        "Erf": lambda a, x: torch.erf(x),
        "Sqrt": lambda a, x: torch.sqrt(x),
        "Add": lambda a, x, y: x + y,
        "Sub": lambda a, x, y: x - y,
        "Mul": lambda a, x, y: x * y,
        "Div": lambda a, x, y: x / y,
        "Pow": lambda a, x, y: torch.pow(x, y),
        "MatMul": lambda a, x, y: torch.matmul(x, y),
        "Transpose": lambda a, x: x.permute(*a["perm"]),
    }


def _load_graph(path: Path) -> tuple[list[_Node], dict[str, np.ndarray], list[str], list[str], dict[str, str], Any]:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    weights = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    nodes: list[_Node] = []
    for n in graph.node:
        a = _attrs(n)
        if n.op_type == "Constant":
            value = a.get("value")
            weights[n.output[0]] = numpy_helper.to_array(value) if value is not None else np.asarray(a["value_float"])
            continue
        a["_outputs"] = list(n.output)
        nodes.append(_Node(n.op_type, list(n.input), list(n.output), a))
    inputs = [i.name for i in graph.input if i.name not in weights]
    outputs = [o.name for o in graph.output]
    meta = {p.key: p.value for p in model.metadata_props}
    return nodes, weights, inputs, outputs, meta, graph.input


def _make_module_class() -> type:
    import torch

    class OnnxGraphModule(torch.nn.Module):
        """An ONNX graph executed node by node with torch ops; weights are buffers (``.to(device, dtype)`` works)."""

        def __init__(self, path: Path | str, dtype: Dtype = "float32") -> None:
            super().__init__()
            nodes, weights, inputs, outputs, meta, graph_inputs = _load_graph(Path(path))
            ops = _op_table()
            missing = sorted({n.op for n in nodes} - set(ops))
            if missing:
                raise NotImplementedError(f"{path}: ONNX operators not supported by the torch backend: {missing}")
            self.path = Path(path)
            self.nodes = nodes
            self.ops = ops
            self.input_names = inputs
            self.output_names = outputs
            self.metadata = meta
            self.graph_inputs = graph_inputs
            self.float_dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[dtype]
            self._names: dict[str, str] = {}
            self._consts: dict[str, Any] = {}  # small integer tensors (shapes, axes): kept on the CPU as lists
            for k, (name, value) in enumerate(weights.items()):
                if value.dtype.kind in "iub":  # shapes, axes, flags
                    # Python ints, not arrays: shape arithmetic stays out of the graph (and torch.compile traces it)
                    self._consts[name] = value.item() if value.ndim == 0 else _Shape(value.reshape(-1).tolist())
                    continue
                tensor = torch.from_numpy(np.array(value))  # a writable copy
                if tensor.is_floating_point():
                    tensor = tensor.to(self.float_dtype)
                key = f"w{k}"
                self.register_buffer(key, tensor, persistent=False)
                self._names[name] = key

        def forward(self, *args: Any) -> list[Any]:
            env: dict[str, Any] = {}
            for name, x in zip(self.input_names, args, strict=True):
                env[name] = x.to(self.float_dtype) if x.is_floating_point() else x
            for node in self.nodes:
                ins = [self._value(env, name) for name in node.inputs]
                out = self.ops[node.op](node.attrs, *ins)
                if len(node.outputs) == 1:
                    env[node.outputs[0]] = out
                else:
                    for name, value in zip(node.outputs, out, strict=True):
                        env[name] = value
            return [env[name] for name in self.output_names]

        def _value(self, env: dict[str, Any], name: str) -> Any:
            if name == "":
                return None
            if name in env:
                return env[name]
            if name in self._names:
                return getattr(self, self._names[name])
            return self._consts[name]

    return OnnxGraphModule


_MODULE_CLASS: type | None = None


def onnx_graph_module(path: Path | str, dtype: Dtype = "float32") -> Any:
    """An :class:`OnnxGraphModule` (the class is built on first use, so importing this module stays torch-free)."""
    global _MODULE_CLASS
    if _MODULE_CLASS is None:
        _MODULE_CLASS = _make_module_class()
    return _MODULE_CLASS(path, dtype)


# ---------------------------------------------------------------------------------------------------------------
# A drop-in for the slice of onnxruntime.InferenceSession the runners use


@dataclass(frozen=True, slots=True)
class _Arg:
    name: str
    shape: list[Any]


@dataclass(frozen=True, slots=True)
class _Meta:
    custom_metadata_map: dict[str, str]


class TorchSession:
    """``run(None, {name: array})`` → list of float32 numpy arrays, like onnxruntime, on ``device`` in ``dtype``.

    ``compile=True`` wraps the module in ``torch.compile(dynamic=True)`` (inputs change size with every batch).
    """

    def __init__(
        self,
        path: Path | str,
        device: str = "cpu",
        dtype: Dtype = "float32",
        compile: bool = False,
        threads: int = 0,
    ) -> None:
        import torch

        if device == "cuda" and not torch.cuda.is_available():
            log.warning("backend torch with device=cuda but torch sees no GPU; running on CPU")
            device = "cpu"
        if threads > 0 and device == "cpu":
            torch.set_num_threads(threads)
        self.device = device
        self.module = onnx_graph_module(path, "float32" if device == "cpu" and dtype == "float16" else dtype)
        self.module.eval().to(device)
        self._call = torch.compile(self.module, dynamic=True) if compile else self.module
        self._inputs = [
            _Arg(i.name, [d.dim_value or d.dim_param for d in i.type.tensor_type.shape.dim])
            for i in self.module.graph_inputs
            if i.name in self.module.input_names
        ]

    def get_inputs(self) -> list[_Arg]:
        return list(self._inputs)

    def get_modelmeta(self) -> _Meta:
        return _Meta(dict(self.module.metadata))

    def run(self, output_names: Sequence[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        import torch

        args = [torch.from_numpy(np.ascontiguousarray(feeds[name])).to(self.device) for name in self.module.input_names]
        with torch.inference_mode():
            outs = self._call(*args)
        names = self.module.output_names
        wanted = names if output_names is None else list(output_names)
        return [outs[names.index(n)].float().cpu().numpy() for n in wanted]

    def run_best(self, feeds: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(argmax, max) over the last axis of the first output, computed on the device: a recogniser's (B, T, C)
        probabilities are ~18,700 floats per step, so only (B, T) indices and scores come back (CTC decoding)."""
        import torch

        args = [torch.from_numpy(np.ascontiguousarray(feeds[name])).to(self.device) for name in self.module.input_names]
        with torch.inference_mode():
            probs = self._call(*args)[0].float()
            best, idx = probs.max(dim=-1)
        return idx.cpu().numpy(), best.cpu().numpy()
