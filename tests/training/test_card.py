"""The model card is written from the checkpoint's records: numbers in the card are the numbers in labels.json."""

from __future__ import annotations

from pathlib import Path

from juesuan.models.token_classifier import CharVocab, ModelConfig, build_model, save_checkpoint
from juesuan.training.card import write_card

SMALL = ModelConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)


def _checkpoint(folder: Path, f1: float, pretrain: bool) -> None:
    vocab = CharVocab.build(["201 合计"])
    model = build_model(SMALL, ["CODE", "NAME", "OTHER"], len(vocab))
    extra = {
        "seed": 7,
        "command": "juesuan train --config x.yaml",
        "mlflow_run_id": "abc123",
        "parameters": 1234,
        "eval": {"synth-test": {"f1": f1, "precision": f1, "recall": f1, "token_accuracy": f1, "pages": 9}},
        "history": {"steps": 50, "epochs": 2, "stopped": "max_steps"},
        "pretrain": {"pages": 10.0, "steps": 5.0, "minutes": 0.1, "first_loss": 6.0, "last_loss": 4.0}
        if pretrain
        else {},
    }
    save_checkpoint(model, vocab, SMALL, folder, extra)


def test_card_reports_metrics_hashes_and_the_comparison(tmp_path: Path) -> None:
    _checkpoint(tmp_path / "a", 0.9876, pretrain=True)
    _checkpoint(tmp_path / "b", 0.9512, pretrain=False)
    card = write_card(tmp_path / "a", [tmp_path / "b"]).read_text(encoding="utf-8")
    assert "| synth-test | 9 | 0.9876 | 0.9876 | **0.9876** | 0.9876 | 0.9512 |" in card
    assert "abc123" in card and "| seed | 7 |" in card and "juesuan train --config x.yaml" in card
    assert "no pretraining (random init)" in card
    import hashlib

    digest = hashlib.sha256((tmp_path / "a" / "model.safetensors").read_bytes()).hexdigest()
    assert f"| model.safetensors | `{digest}` |" in card


def test_shipped_card_points_only_at_sections_it_has() -> None:
    """The card says "see *Data*"; every such pointer names a section of the card (it once pointed at nothing)."""
    import re

    card = (Path(__file__).resolve().parents[2] / "models" / "token-classifier" / "README.md").read_text("utf-8")
    pointers = re.findall(r"see \*([^*]+)\*", card)
    assert "Data" in pointers
    assert [p for p in pointers if f"\n## {p}\n" not in card] == []
    assert "1705 training pages" in card  # the Data section agrees with the table above it
