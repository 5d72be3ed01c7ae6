"""Training end to end on tiny pages: loss falls, MLflow has the run, a registered version, and the champion gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from juesuan.datamodel.labelled import LabelledPage
from juesuan.datasets.labelled_page import write_manifest
from juesuan.training.train import TrainConfig, train

LABELS = ["TITLE", "UNIT", "HEADER", "CODE", "NAME", "AMOUNT", "TOTAL_LABEL", "OTHER"]


def _config(tmp_path: Path, data: Path, out: str, steps: int, pretrain: bool) -> TrainConfig:
    return TrainConfig.model_validate(
        {
            "seed": 3,
            "threads": 1,
            "labels": LABELS,
            "output_dir": str(tmp_path / out),
            "data": {"datasets": [str(data)]},
            "model": {
                "hidden_size": 32,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "intermediate_size": 64,
                "vocab_size": 500,
            },
            "optim": {
                "max_steps": steps,
                "eval_every": max(1, steps // 2),
                "batch_size": 8,
                "warmup_steps": 2,
                "lr": 3e-3,
                "patience": 5,
            },
            "pretrain": {"enabled": pretrain, "steps": 4, "batch_size": 8, "output_dir": str(tmp_path / "base")},
            "tracking": {"dir": str(tmp_path / "mlflow"), "experiment": "test"},
        }
    )


@pytest.fixture()
def dataset(tmp_path: Path, tiny_pages: list[LabelledPage]) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    write_manifest(folder / "train.jsonl", tiny_pages[:16])
    write_manifest(folder / "dev.jsonl", tiny_pages[16:20])
    write_manifest(folder / "test.jsonl", tiny_pages[20:])
    (folder / tiny_pages[20].image).write_bytes(_printed(tiny_pages[20]))  # one test page with its image on disk
    return folder


def _printed(page: LabelledPage) -> bytes:
    """The page's token texts printed black on white (PNG), so sample pictures have pixels to draw on."""
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (page.width, page.height), "white")
    draw = ImageDraw.Draw(img)
    for t in page.tokens:
        draw.text((t.bbox[0], t.bbox[1]), t.text, fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.slow  # 10 s on a quiet machine, ~90 s when the 2 shared cores are busy (mlflow start-up, two trainings)
def test_tiny_training_run_is_tracked_registered_and_gated(
    tmp_path: Path, dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    from juesuan.training import tracking
    from juesuan.training.promote import promote
    from juesuan.training.train import gather_data

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = _config(tmp_path, dataset, "good", steps=40, pretrain=True)
    good = train(cfg, "pytest")
    losses = good["history"]["loss"]
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5  # loss falls
    assert good["pretrain"]["steps"] == 4.0
    assert (tmp_path / "base" / "model.safetensors").is_file()
    assert (tmp_path / "good" / "model.safetensors").is_file()
    assert (tmp_path / "good" / "eval" / "confusion-tiny-test.png").stat().st_size > 1000
    assert good["results"]["tiny-test"]["f1"] > 0.9

    client = MlflowClient()
    run = client.get_run(good["run_id"])
    assert client.get_experiment(run.info.experiment_id).name == "test"  # was "Default", artifacts in ./mlruns
    assert run.info.artifact_uri.startswith((tmp_path / "mlflow" / "artifacts").as_uri())
    assert run.data.metrics["test_tiny-test_f1"] == pytest.approx(good["results"]["tiny-test"]["f1"])
    assert "dev_f1" in run.data.metrics and run.data.params["seed"] == "3"
    assert [h.value for h in client.get_metric_history(good["run_id"], "train_loss")]
    samples = sorted(a.path for a in client.list_artifacts(good["run_id"], "samples/tiny-test"))
    assert samples == [
        "samples/tiny-test/tiny-20.png",
        "samples/tiny-test/tiny-21.png",
        "samples/tiny-test/tiny-22.png",
    ]
    with Image.open(client.download_artifacts(good["run_id"], samples[0], str(tmp_path / "dl"))) as img:
        assert img.width == 1200 and img.height > 1600  # page (from disk) plus the legend strip
    version = client.get_model_version(tracking.REGISTERED_MODEL, good["version"])
    assert version.run_id == good["run_id"]
    assert str(tmp_path / "mlflow") in tracking.tracking_uri(tmp_path / "mlflow")

    evals = gather_data(cfg)[2]
    first = promote(good["version"], evals)
    assert first.promoted and first.champion is None

    bad = train(_config(tmp_path, dataset, "bad", steps=1, pretrain=False), "pytest")
    assert bad["results"]["tiny-test"]["f1"] < good["results"]["tiny-test"]["f1"]
    second = promote(bad["version"], evals)
    assert not second.promoted
    assert "candidate" in second.table and f"{second.candidate_f1:.4f}" in second.table
    assert tracking.champion_version().version == int(good["version"])
