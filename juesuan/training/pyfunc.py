"""The token classifier as an MLflow pyfunc model, so ``mlflow.pyfunc.load_model("models:/…@champion")`` works.

Input: a page's tokens, one row each, as a DataFrame with columns ``page`` (groups rows into pages), ``text``,
``x0 y0 x1 y1`` (box on a 0-1000 page scale, what the classifier sees) and ``row col table`` (grid position, -1
outside tables). Output: one label per input row, in input order. The checkpoint folder itself travels as the
artifact ``checkpoint`` (``artifacts/checkpoint/`` inside the logged model), which is also what extraction loads
(juesuan/models/source.py), so the registry holds one copy of the weights, not two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc

COLUMNS = ("page", "text", "x0", "y0", "x1", "y1", "row", "col", "table")


def example_frame() -> Any:
    """A three-token page (title, a code and its amount) for the signature and the logged input example."""
    import pandas as pd

    return pd.DataFrame(
        {
            "page": ["p0", "p0", "p0"],
            "text": ["支出决算表", "20101", "1,204.50"],
            "x0": [300, 80, 700],
            "y0": [40, 200, 200],
            "x1": [600, 160, 820],
            "y1": [70, 220, 220],
            "row": [-1, 1, 1],
            "col": [-1, 0, 2],
            "table": [-1, 0, 0],
        }
    )


class TokenClassifierModel(mlflow.pyfunc.PythonModel):
    """Loads the checkpoint once (``load_context``) and labels every page in the frame."""

    def load_context(self, context: Any) -> None:
        from juesuan.models.token_classifier import load_checkpoint

        self._loaded = load_checkpoint(Path(context.artifacts["checkpoint"]))

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]  # hints: MLflow checks
        from juesuan.models.token_classifier import TokenUnit, predict, reading_order

        model, vocab, cfg, labels = self._loaded
        frame = model_input  # MLflow reads type hints as a schema; the signature (save_pyfunc) is the schema here
        out: list[str] = [""] * len(frame)
        pages: dict[str, list[int]] = {}
        for i, page in enumerate(frame["page"].astype(str)):
            pages.setdefault(page, []).append(i)
        units_by_page, rows_by_page = [], []
        for rows in pages.values():
            units = [
                TokenUnit(
                    str(frame["text"].iat[i]),
                    tuple(int(frame[k].iat[i]) for k in ("x0", "y0", "x1", "y1")),  # type: ignore[arg-type]
                    int(frame["row"].iat[i]),
                    int(frame["col"].iat[i]),
                    int(frame["table"].iat[i]),
                )
                for i in rows
            ]
            order = reading_order(units)
            units_by_page.append([units[k] for k in order])
            rows_by_page.append([rows[k] for k in order])
        for rows, ids in zip(rows_by_page, predict(model, vocab, cfg, units_by_page), strict=True):
            for i, label_id in zip(rows, ids, strict=True):
                out[i] = labels[label_id]
        return out


def save_pyfunc(checkpoint: Path, dest: Path) -> Path:
    """Write an MLflow pyfunc model folder at ``dest`` holding ``checkpoint``, with signature and input example."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="juesuan-pyfunc-") as tmp:
        staged = Path(tmp) / "checkpoint"  # MLflow keeps the folder's name: artifacts/checkpoint/, whatever the run
        shutil.copytree(checkpoint, staged)
        return _save(staged, dest)


def _save(checkpoint: Path, dest: Path) -> Path:
    from mlflow.models import infer_signature

    model = TokenClassifierModel()
    example = example_frame()
    model.load_context(type("Ctx", (), {"artifacts": {"checkpoint": str(checkpoint)}})())
    signature = infer_signature(example, model.predict(None, example))
    mlflow.pyfunc.save_model(
        path=str(dest),
        python_model=str(Path(__file__).with_name("pyfunc_entry.py")),  # models from code: no pickle
        artifacts={"checkpoint": str(checkpoint)},
        signature=signature,
        input_example=example,
        pip_requirements=requirements(),  # listed, not inferred: inference loads the model in a subprocess
    )
    return dest


def requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("mlflow", "torch", "transformers", "safetensors", "pandas")]


def log_pyfunc_model(checkpoint: Path, artifact_path: str = "model") -> None:
    """Log the checkpoint as an MLflow pyfunc model (signature + input example) under the active run's
    ``artifact_path``; tracking.register_run_model registers that folder, so ``mlflow.pyfunc.load_model`` works
    on every registered version."""
    import tempfile

    import mlflow

    from juesuan.training.pyfunc import save_pyfunc

    with tempfile.TemporaryDirectory(prefix="juesuan-pyfunc-") as tmp:
        folder = save_pyfunc(checkpoint, Path(tmp) / artifact_path)
        mlflow.log_artifacts(str(folder), artifact_path)
