"""Table-type classifier tracked in MLflow: a run with its scores, a registered version, the champion gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from juesuan.models.type_classifier import OTHER
from juesuan.training.table_type import real_titles
from juesuan.validation.schema import load_schema

TABLES = [
    ("2025年部门收入预算总表", "部门收入预算总表"),
    ("财政拨款收入支出决算总表", "财政拨款收入支出决算总表"),
    ("一般公共预算财政拨款基本支出决算表", "一般公共预算财政拨款基本支出决算表"),
    ("二、部门决算单位构成", "二、部门决算单位构成"),
]


@pytest.fixture()
def real_dir(tmp_path: Path) -> Path:
    """A labelled-page manifest holding titled tables (the format of datasets/real-autolabel)."""
    folder = tmp_path / "real"
    folder.mkdir()
    pages = [
        {"id": f"doc#{i}", "tables": [{"bbox": [0, 0, 1, 1], "n_rows": 1, "n_cols": 1, "title": t, "type": k}]}
        for i, (t, k) in enumerate(TABLES)
    ]
    pages.append({"id": "doc#9", "tables": [{"bbox": [0, 0, 1, 1], "n_rows": 1, "n_cols": 1, "title": None}]})
    (folder / "test.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages), "utf-8")
    return folder


def test_real_titles_map_type_names_to_ids(real_dir: Path) -> None:
    texts, labels = real_titles(load_schema(), [real_dir / "test.jsonl"])
    assert texts == [t for t, _ in TABLES]  # the untitled table is left out
    assert labels == ["budget.income", "final.fiscal_summary", "final.general_budget_basic", OTHER]


@pytest.mark.slow  # ~10 s: mlflow's SQLite store start-up and four small fits
def test_type_classifier_run_is_tracked_registered_and_gated(
    tmp_path: Path, real_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    from juesuan.cli import main as cli_main
    from juesuan.models.type_classifier import load_bundle
    from juesuan.training import table_type, tracking
    from juesuan.training.promote import promote_type_classifier

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr(table_type, "REAL_DIR", real_dir)
    store = tmp_path / "mlflow"
    shipped = tmp_path / "shipped.joblib"
    args = ["--type-classifier", "--per-type", "30", "--tracking-dir", str(store), "--output", str(shipped)]
    code = cli_main(["train", *args, "--promote"])
    assert code == 0
    client = MlflowClient()
    name = tracking.TYPE_CLASSIFIER_MODEL
    champion = client.get_model_version_by_alias(name, tracking.CHAMPION)
    assert champion.version == 1
    run = client.get_run(champion.run_id)
    assert client.get_experiment(run.info.experiment_id).name == table_type.EXPERIMENT
    assert run.data.params["per_type"] == "30" and len(run.data.params["types_yaml_sha256"]) == 16
    metrics = run.data.metrics
    assert metrics["generated_accuracy"] > 0.9 and metrics["real_titles_accuracy"] == 1.0
    assert {"real_titles_noisy_macro_f1", "gate_score", "generated_macro_f1"} <= set(metrics)
    artifacts = [a.path for a in client.list_artifacts(run.info.run_id, "model")]
    assert artifacts == ["model/table_type_classifier.joblib"]
    assert run.info.artifact_uri.startswith((store / "artifacts").as_uri())
    assert load_bundle(shipped)["per_type"] == 30

    worse = table_type.train_tracked(per_type=3, tracking_dir=store, real_dir=real_dir)
    assert worse["version"] == "2" and worse["gate_score"] < metrics["gate_score"]
    refused = promote_type_classifier(worse["version"], real_dir=real_dir)
    assert not refused.promoted and refused.champion == "1"
    assert refused.champion_f1 == pytest.approx(metrics["gate_score"])
    n = (len(load_schema().types) + 1) * table_type.EVAL_PER_TYPE  # each type and the negatives
    assert f"| generated (n={n}) | macro_f1 |" in refused.table
    assert client.get_model_version_by_alias(name, tracking.CHAMPION).version == 1

    again = table_type.train_tracked(per_type=30, tracking_dir=store, real_dir=real_dir)  # same data, same seed
    tie = promote_type_classifier(again["version"], real_dir=real_dir)
    assert tie.candidate_f1 == pytest.approx(tie.champion_f1) and tie.promoted  # not worse is enough
    assert client.get_model_version_by_alias(name, tracking.CHAMPION).version == 3
    assert not promote_type_classifier("3", real_dir=real_dir).promoted  # already the champion
