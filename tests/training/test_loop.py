"""The learning loop end to end on tiny data (issue 16): extract → review edit over HTTP → label --from-corrections
→ train → promote through the gate (a worse model refused, a better one accepted) → extract with the registry's
champion, which document.json names. A tiny model config keeps training to seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from juesuan.datamodel.document import Document
from juesuan.datamodel.labelled import LabelledPage
from juesuan.datasets.labelled_page import read_dataset, write_manifest

TINY = {
    "seed": 3,
    "threads": 1,
    "data": {"datasets": []},
    "model": {
        "hidden_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "vocab_size": 500,
    },
    "optim": {"max_steps": 40, "eval_every": 20, "batch_size": 8, "warmup_steps": 2, "lr": 3e-3, "patience": 5},
    "pretrain": {"enabled": False},
    "tracking": {"experiment": "loop-test"},
}


def _train(config: Path, data: list[Path], out: Path, steps: int) -> int:
    from juesuan.cli import main

    args = ["train", "--config", str(config), "--data", *map(str, data), "--output", str(out)]
    return main([*args, "--max-steps", str(steps), "--promote"])


def test_training_never_writes_into_models(tmp_path: Path) -> None:
    from juesuan.errors import ConfigError
    from juesuan.training.train import ROOT, TrainConfig, output_folder

    with pytest.raises(ConfigError, match="models export"):
        output_folder(TrainConfig(output_dir="models/token-classifier"))
    with pytest.raises(ConfigError, match="never writes into models"):
        output_folder(TrainConfig(output_dir=str(ROOT / "models" / "x")))
    default = output_folder(TrainConfig())
    assert default.parent == ROOT / "runs" and default.name.startswith("token-classifier-")
    assert output_folder(TrainConfig(output_dir=str(tmp_path / "a"))) == tmp_path / "a"


def test_registry_uri_resolution_errors_name_the_uri(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from juesuan.errors import ConfigError
    from juesuan.models.source import resolve_model

    monkeypatch.setenv("JUESUAN_TRACKING_URI", str(tmp_path / "empty-store"))
    with pytest.raises(ConfigError, match="models:/juesuan-token-classifier@champion"):
        resolve_model("models:/juesuan-token-classifier@champion")
    with pytest.raises(ConfigError, match="not a registry URI"):
        resolve_model("models:/a/b/c")
    shipped = resolve_model("models/token-classifier")
    assert shipped.version is None and shipped.uri == "models/token-classifier"


@pytest.mark.slow  # two one-page extractions and three tiny trainings: ~1 min on a quiet 2-core machine
def test_the_loop_closes(
    tmp_path: Path, finance_pdf_full: Path, tiny_pages: list[LabelledPage], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow
    from starlette.testclient import TestClient

    from juesuan.cli import main
    from juesuan.review.app import create_app
    from juesuan.training import tracking
    from juesuan.training.pyfunc import example_frame

    monkeypatch.setenv("JUESUAN_TRACKING_URI", str(tmp_path / "store"))
    monkeypatch.setenv("JUESUAN_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("JUESUAN_MODEL", raising=False)
    extract = ["extract", str(finance_pdf_full), "--pages", "5", "--text-layer", "auto", "--no-previews"]

    # 1. extract with the shipped checkpoint
    assert main([*extract, "-o", str(tmp_path / "out")]) == 0
    (folder,) = [p.parent for p in (tmp_path / "out").rglob("document.json")]
    first = Document.load(folder / "document.json")
    assert first.meta["model"]["version"] is None and first.meta["model"]["uri"].endswith("models/token-classifier")

    # 2. a person corrects a cell through the review app's HTTP API
    client = TestClient(create_app(tmp_path / "out"))
    doc_id = client.get("/api/documents").json()["documents"][0]["id"]
    edit = {"table": "t1", "row": 0, "col": 0, "label": "CODE"}
    saved = client.post("/api/save", params={"id": doc_id}, json={"edits": [edit], "confirm_tables": ["t1"]})
    assert saved.status_code == 200 and saved.json()["recorded"] == 2

    # 3. corrections → labelled pages (+ tiny synthetic pages, so every split has pages)
    corrections = tmp_path / "corrections"
    assert main(["label", "--from-corrections", str(tmp_path / "out"), "-o", str(corrections)]) == 0
    (page,) = [p for split in read_dataset(corrections).values() for p in split]
    assert any(t.label == "CODE" and t.text == "1" for t in page.tokens)
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    write_manifest(tiny / "train.jsonl", tiny_pages[:16])
    write_manifest(tiny / "dev.jsonl", tiny_pages[16:20])
    write_manifest(tiny / "test.jsonl", tiny_pages[20:])
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY), encoding="utf-8")

    # 4-5. train and gate: the first version becomes champion, a better one replaces it, a worse one is refused
    assert _train(config, [corrections, tiny], tmp_path / "runs" / "v1", steps=1) == 0
    assert _train(config, [corrections, tiny], tmp_path / "runs" / "v2", steps=40) == 0
    assert _train(config, [corrections, tiny], tmp_path / "runs" / "v3", steps=1) == 1  # worse: refused
    tracking.setup(None, "loop-test")
    assert str(tracking.champion_version().version) == "2"
    assert (tmp_path / "runs" / "v2" / "model.safetensors").is_file()
    versions = {r["version"]: r for r in tracking.list_versions()}
    assert versions["2"]["aliases"] == ["champion"] and "gate_f1.tiny-test" in versions["3"]["tags"]

    # the registered model is an MLflow pyfunc model
    pyfunc = mlflow.pyfunc.load_model(f"models:/{tracking.REGISTERED_MODEL}@champion")
    labels = list(pyfunc.predict(example_frame()))
    assert len(labels) == 3 and all(isinstance(x, str) and x for x in labels)
    assert pyfunc.metadata.signature is not None

    # 6. extract with the champion: document.json names the version
    champion = f"models:/{tracking.REGISTERED_MODEL}@champion"
    assert main([*extract, "-o", str(tmp_path / "out2"), "--model", champion]) == 0
    (second,) = [Document.load(p) for p in (tmp_path / "out2").rglob("document.json")]
    assert second.meta["model"]["uri"] == champion and second.meta["model"]["version"] == "2"
    assert second.meta["model"]["run_id"] == tracking.version_for(version="2").run_id
    assert (tmp_path / "cache" / tracking.REGISTERED_MODEL / "v2" / ".complete").is_file()

    # shipping a version is explicit, and the copy says which version it is
    assert main(["models", "export", "--to", str(tmp_path / "shipped")]) == 0
    meta = json.loads((tmp_path / "shipped" / "labels.json").read_text(encoding="utf-8"))
    assert meta["registry"]["version"] == "2"
    assert "v2 (exported)" in (tmp_path / "shipped" / "README.md").read_text(encoding="utf-8")


def test_gate_decision_mean_and_per_set_floor() -> None:
    from juesuan.training.promote import gate_decision

    champ = {"old": {"f1": 0.99}, "new": {"f1": 0.90}}
    fax_run = {"old": {"f1": 0.983}, "new": {"f1": 0.95}}  # the docs/learning-loop.md case: +0.05, -0.007
    assert gate_decision(fax_run, None) == (True, "no champion yet")
    assert gate_decision(fax_run, champ)[0]
    refused, why = gate_decision(fax_run, champ, max_drop=0.005)
    assert not refused and why.startswith("old drops 0.0070")
    assert not gate_decision({"old": {"f1": 0.99}, "new": {"f1": 0.90}}, champ)[0]  # a tie is not a win


def test_extract_model_flag_then_env_then_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from juesuan.cli import build_parser
    from juesuan.cli.extract import _overrides

    parser = build_parser("extract")
    monkeypatch.delenv("JUESUAN_MODEL", raising=False)
    assert "label" not in _overrides(parser.parse_args(["extract", "x.pdf", "-o", "out"]))  # the config's folder
    monkeypatch.setenv("JUESUAN_MODEL", "models:/juesuan-token-classifier@champion")
    env = _overrides(parser.parse_args(["extract", "x.pdf", "-o", "out"]))
    assert env["label"]["model_dir"] == "models:/juesuan-token-classifier@champion"
    flag = _overrides(parser.parse_args(["extract", "x.pdf", "-o", "out", "--model", "runs/v7"]))
    assert flag["label"]["model_dir"] == "runs/v7"


@pytest.mark.slow  # a fresh MLflow store and one pyfunc model: 10-40 s
def test_register_the_shipped_checkpoint_as_the_first_champion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from juesuan.cli import main
    from juesuan.models.source import resolve_model
    from juesuan.training import tracking
    from juesuan.training.train import ROOT

    monkeypatch.setenv("JUESUAN_TRACKING_URI", str(tmp_path / "store"))
    monkeypatch.setenv("JUESUAN_MODEL_CACHE", str(tmp_path / "cache"))
    shipped = ROOT / "models" / "token-classifier"
    assert main(["models", "register", str(shipped), "--champion"]) == 0
    assert main(["models", "register", str(shipped), "--champion"]) == 0  # a champion exists: the alias stays
    assert "version 2; champion: v1" in capsys.readouterr().out
    source = resolve_model("models:/juesuan-token-classifier@champion")
    assert source.version == "1" and source.folder.parts[-2:] == ("artifacts", "checkpoint")
    assert (source.folder / "model.safetensors").read_bytes() == (shipped / "model.safetensors").read_bytes()
    assert [r["aliases"] for r in tracking.list_versions()] == [[], ["champion"]]
    with pytest.raises(SystemExit):
        main(["models", "register"])  # argparse: the folder is required
