"""Token classifier building blocks: vocabulary, windows, reading order, checkpoint round trip, size budget."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from juesuan.models.token_classifier import (
    CLS_ID,
    SEP_ID,
    UNK_ID,
    CharVocab,
    ModelConfig,
    TokenUnit,
    build_model,
    count_parameters,
    load_checkpoint,
    make_windows,
    predict,
    reading_order,
    save_checkpoint,
    to_1000,
)
from juesuan.options import MODELS_DIR

LABELS = ["TITLE", "CODE", "NAME", "AMOUNT", "OTHER"]
SMALL = ModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, max_positions=16)


def test_vocab_normalises_full_width_and_maps_unknown_chars() -> None:
    vocab = CharVocab.build(["1,234.50", "科目编码"])
    assert vocab.chars[:5] == ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
    assert vocab.encode("１，２", 16) == vocab.encode("1,2", 16)  # NFKC: full-width digits as OCR sometimes emits
    assert vocab.encode("龘", 16) == [UNK_ID]


def test_long_token_keeps_head_and_tail() -> None:
    vocab = CharVocab.build(["0123456789"])
    ids = vocab.encode("0123456789" * 2, 8)
    assert len(ids) == 8
    assert ids[:6] == vocab.encode("012345", 8)
    assert ids[-2:] == vocab.encode("89", 8)


def test_vocab_round_trip(tmp_path: Path) -> None:
    vocab = CharVocab.build(["合计 1,2", "：%"])
    vocab.save(tmp_path)
    assert CharVocab.load(tmp_path) == vocab


def test_to_1000_clips_and_orders() -> None:
    assert to_1000((-5, 20, 50, 10), 100, 200) == (0, 50, 500, 100)


def test_reading_order_puts_table_tokens_in_grid_order() -> None:
    units = [
        TokenUnit("b", (500, 300, 600, 320), row=1, col=1, table=0),
        TokenUnit("title", (300, 50, 700, 80)),
        TokenUnit("a", (100, 300, 200, 320), row=1, col=0, table=0),
        TokenUnit("h", (100, 250, 200, 270), row=0, col=0, table=0),
        TokenUnit("note", (100, 900, 200, 920)),
    ]
    assert [units[i].text for i in reading_order(units)] == ["title", "h", "a", "b", "note"]


def test_windows_cover_every_token_of_a_long_page() -> None:
    vocab = CharVocab.build(["12"])
    units = [TokenUnit(str(i % 3), (0, i, 10, i + 5)) for i in range(40)]
    windows = make_windows(units, vocab, SMALL)
    assert len(windows) >= 3
    assert all(len(w.char_ids) <= SMALL.max_positions for w in windows)
    assert {p for w in windows for p in w.positions if p >= 0} == set(range(40))
    assert windows[0].char_ids[0] == [CLS_ID] and windows[0].char_ids[-1] == [SEP_ID]


def test_checkpoint_round_trip_predicts_the_same(tmp_path: Path) -> None:
    import torch
    from transformers import set_seed

    set_seed(0)
    vocab = CharVocab.build(["科目编码 201 1,234.50 合计"])
    model = build_model(SMALL, LABELS, len(vocab)).eval()
    page = [TokenUnit("201", (10, 10, 50, 20), 1, 0, 0), TokenUnit("1,234.50", (500, 10, 600, 20), 1, 1, 0)] * 12
    before = predict(model, vocab, SMALL, [page], batch_size=2)
    save_checkpoint(model, vocab, SMALL, tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    loaded, vocab2, cfg2, labels2 = load_checkpoint(tmp_path)
    assert labels2 == LABELS and cfg2 == SMALL and vocab2 == vocab
    assert predict(loaded, vocab2, cfg2, [page], batch_size=2) == before
    assert len(before[0]) == len(page)
    with torch.no_grad():
        assert torch.equal(loaded.grid_row.weight, model.grid_row.weight)


def test_shipped_checkpoint_matches_its_card_and_fits_the_size_budget() -> None:
    """The checkpoint that ships (not the class defaults, which nothing trains) has the size its model card states."""
    folder = MODELS_DIR / "token-classifier"
    model, _vocab, cfg, labels = load_checkpoint(folder)
    n = count_parameters(model)
    stated = re.search(r"^\| parameters \| ([\d,]+) \|", (folder / "README.md").read_text(encoding="utf-8"), re.M)
    assert stated is not None, "models/token-classifier/README.md lists no parameter count"
    assert n == int(stated.group(1).replace(",", ""))
    assert n <= 20_000_000  # CPU budget: one page labelled in well under a second on one core
    assert (cfg.hidden_size, len(labels)) == (128, 17)


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_token_still_encodes_to_one_id(text: str) -> None:
    assert CharVocab.build(["a"]).encode(text, 4) == [UNK_ID]
