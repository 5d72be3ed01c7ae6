"""Layout-aware token classifier (版面感知的字段标注模型): characters + 2-D boxes + grid row/column → label per token.

Why tokens and not characters as sequence positions: a 决算 table page carries 1,000-3,000 characters but only
150-400 tokens (cell lines). A 4-layer, 256-wide encoder over 512 characters costs ~50 ms on one CPU core
(``/tmp`` measurement in the model card), so a character sequence would need 2-6 windows per page and miss the
50 ms/page budget. Each token is therefore *composed* from its characters (char embedding + char position,
masked mean), and the LayoutLM encoder (instantiated from a local config, never downloaded) sees one position per
token with its ``bbox_1000`` and its grid row/column. The vocabulary stays character level, so unseen words are
fine and an unseen character becomes ``[UNK]``.

torch and transformers are imported inside functions: ``juesuan --help`` must not pay for them.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

SPECIAL_TOKENS: tuple[str, ...] = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(5)
IGNORE_INDEX = -100
VOCAB_FILE = "vocab.txt"
LABELS_FILE = "labels.json"


def normalize_text(text: str) -> str:
    """NFKC (full-width digits and commas become ASCII, as OCR output varies between the two) and strip."""
    return unicodedata.normalize("NFKC", text).strip()


@dataclass(frozen=True)
class CharVocab:
    """Character vocabulary: the five special tokens, then characters by descending frequency."""

    chars: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.chars[: len(SPECIAL_TOKENS)] != SPECIAL_TOKENS:
            raise ValueError("vocab must start with " + " ".join(SPECIAL_TOKENS))

    @classmethod
    def build(cls, texts: Iterable[str], max_size: int = 6000, min_count: int = 1) -> CharVocab:
        counts: dict[str, int] = {}
        for text in texts:
            for ch in normalize_text(text):
                counts[ch] = counts.get(ch, 0) + 1
        ranked = sorted(
            (c for c, n in counts.items() if n >= min_count and c not in SPECIAL_TOKENS), key=lambda c: (-counts[c], c)
        )
        return cls(SPECIAL_TOKENS + tuple(ranked[: max(0, max_size - len(SPECIAL_TOKENS))]))

    @property
    def index(self) -> dict[str, int]:
        idx = self.__dict__.get("_index")
        if idx is None:
            idx = {c: i for i, c in enumerate(self.chars)}
            object.__setattr__(self, "_index", idx)
        return idx

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str, max_chars: int) -> list[int]:
        """Char ids of a token, at most ``max_chars``: the head and the tail (an amount's last digits matter)."""
        index = self.index
        ids = [index.get(ch, UNK_ID) for ch in normalize_text(text)] or [UNK_ID]
        if len(ids) > max_chars:
            head = max_chars - max_chars // 4
            ids = ids[:head] + ids[len(ids) - (max_chars - head) :]
        return ids

    def save(self, folder: Path) -> None:
        # One char per line; a newline char cannot occur (normalize_text strips, tokens are single lines).
        (Path(folder) / VOCAB_FILE).write_text("\n".join(self.chars) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> CharVocab:
        lines = (Path(folder) / VOCAB_FILE).read_text(encoding="utf-8").split("\n")
        return cls(tuple(line for line in lines if line != ""))


@dataclass(frozen=True)
class ModelConfig:
    """Architecture knobs; ``configs/train/token_classifier.yaml`` sets them under ``model:``."""

    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 512
    max_positions: int = 512  # tokens per window; longer pages use sliding windows
    max_token_chars: int = 16
    max_grid_rows: int = 128  # row index 0 = outside any table, rows past the limit share the last slot
    max_grid_cols: int = 32
    dropout: float = 0.1
    vocab_size: int = 6000

    def hf_config(self, labels: Sequence[str], vocab_size: int) -> Any:
        from transformers import LayoutLMConfig

        cfg = LayoutLMConfig(
            vocab_size=vocab_size,
            hidden_size=self.hidden_size,
            num_hidden_layers=self.num_hidden_layers,
            num_attention_heads=self.num_attention_heads,
            intermediate_size=self.intermediate_size,
            max_position_embeddings=self.max_positions + 2,
            max_2d_position_embeddings=1024,
            type_vocab_size=2,  # 0: outside tables, 1: inside a table cell
            hidden_dropout_prob=self.dropout,
            attention_probs_dropout_prob=self.dropout,
            pad_token_id=PAD_ID,
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
        )
        cfg.max_token_chars = self.max_token_chars
        cfg.max_grid_rows = self.max_grid_rows
        cfg.max_grid_cols = self.max_grid_cols
        return cfg


@dataclass(frozen=True)
class TokenUnit:
    """One token as the model sees it (training and inference build the same thing)."""

    text: str
    bbox_1000: tuple[int, int, int, int]
    row: int = -1  # grid row of its cell, -1 outside tables
    col: int = -1
    table: int = -1
    label: str | None = None


@dataclass
class Window:
    """One model input: a slice of a page's tokens plus [CLS]/[SEP]; ``positions`` maps back to the page."""

    char_ids: list[list[int]]
    bbox: list[tuple[int, int, int, int]]
    rows: list[int]
    cols: list[int]
    types: list[int]
    labels: list[int]
    positions: list[int] = field(default_factory=list)  # page token index per slot, -1 for specials


def to_1000(bbox: Sequence[float], width: float, height: float) -> tuple[int, int, int, int]:
    """Page pixels → 0-1000, clipped and ordered (OCR boxes can poke out of the page)."""

    def clip(v: float, size: float) -> int:
        return int(min(1000, max(0, round(1000 * v / max(size, 1.0)))))

    x0, y0, x1, y1 = (float(v) for v in bbox[:4])
    a, b = sorted((clip(x0, width), clip(x1, width)))
    c, d = sorted((clip(y0, height), clip(y1, height)))
    return (a, c, b, d)


def reading_order(units: Sequence[TokenUnit]) -> list[int]:
    """Canonical order used in training *and* inference: tables in grid order, other tokens by line.

    Labelled data and OCR output order tokens differently, so neither order is trusted: tokens outside tables are
    sorted by top edge (10/1000 bands) then x; a table's tokens are placed at its top edge and sorted by row, col.
    """
    table_top: dict[int, int] = {}
    for u in units:
        if u.table >= 0:
            table_top[u.table] = min(table_top.get(u.table, 1000), u.bbox_1000[1])

    def key(i: int) -> tuple[int, int, int, int, int, int]:
        u = units[i]
        if u.table >= 0 and u.row >= 0:
            return (table_top[u.table], 1, u.table, u.row, u.col, u.bbox_1000[1] * 1000 + u.bbox_1000[0])
        return (u.bbox_1000[1] // 10 * 10, 0, 0, 0, u.bbox_1000[0], u.bbox_1000[1])

    return sorted(range(len(units)), key=key)


def make_windows(
    units: Sequence[TokenUnit],
    vocab: CharVocab,
    cfg: ModelConfig,
    label2id: dict[str, int] | None = None,
    stride: int | None = None,
) -> list[Window]:
    """Cut a page (already in reading order) into windows of ``max_positions`` slots overlapping by a quarter."""
    body = cfg.max_positions - 2
    stride = stride or max(1, body * 3 // 4)
    starts = [0]
    while starts[-1] + body < len(units):
        starts.append(starts[-1] + stride)
    windows = []
    for start in starts:
        idx = list(range(start, min(len(units), start + body)))
        w = Window([[CLS_ID]], [(0, 0, 0, 0)], [0], [0], [0], [IGNORE_INDEX], [-1])
        for i in idx:
            u = units[i]
            w.char_ids.append(vocab.encode(u.text, cfg.max_token_chars))
            w.bbox.append(u.bbox_1000)
            w.rows.append(0 if u.row < 0 else min(u.row + 1, cfg.max_grid_rows - 1))
            w.cols.append(0 if u.col < 0 else min(u.col + 1, cfg.max_grid_cols - 1))
            w.types.append(1 if u.table >= 0 else 0)
            lab = IGNORE_INDEX
            if label2id is not None and u.label is not None:
                lab = label2id.get(u.label, IGNORE_INDEX)
            w.labels.append(lab)
            w.positions.append(i)
        w.char_ids.append([SEP_ID])
        w.bbox.append((1000, 1000, 1000, 1000))
        w.rows.append(0)
        w.cols.append(0)
        w.types.append(0)
        w.labels.append(IGNORE_INDEX)
        w.positions.append(-1)
        windows.append(w)
    return windows


def collate(windows: Sequence[Window], max_chars: int) -> dict[str, Any]:
    """Pad a batch of windows into tensors (``char_ids`` is B x T x C)."""
    import torch

    n = len(windows)
    t = max(len(w.char_ids) for w in windows)
    c = min(max_chars, max(len(ids) for w in windows for ids in w.char_ids))
    char_ids = torch.zeros((n, t, c), dtype=torch.long)
    bbox = torch.zeros((n, t, 4), dtype=torch.long)
    rows = torch.zeros((n, t), dtype=torch.long)
    cols = torch.zeros((n, t), dtype=torch.long)
    types = torch.zeros((n, t), dtype=torch.long)
    labels = torch.full((n, t), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((n, t), dtype=torch.long)
    for b, w in enumerate(windows):
        k = len(w.char_ids)
        for i, ids in enumerate(w.char_ids):
            char_ids[b, i, : len(ids[:c])] = torch.tensor(ids[:c])
        bbox[b, :k] = torch.tensor(w.bbox)
        rows[b, :k] = torch.tensor(w.rows)
        cols[b, :k] = torch.tensor(w.cols)
        types[b, :k] = torch.tensor(w.types)
        labels[b, :k] = torch.tensor(w.labels)
        mask[b, :k] = 1
    return {
        "char_ids": char_ids,
        "bbox": bbox,
        "rows": rows,
        "cols": cols,
        "token_type_ids": types,
        "attention_mask": mask,
        "labels": labels,
    }


def build_model(cfg: ModelConfig, labels: Sequence[str], vocab_size: int) -> Any:
    """A freshly initialised :class:`LayoutTokenClassifier` (call ``transformers.set_seed`` first)."""
    model_cls = model_class()
    return model_cls(cfg.hf_config(labels, vocab_size))


@lru_cache(maxsize=1)
def model_class() -> Any:
    """The nn.Module class, defined on first use so that importing this module does not import torch."""
    return _define_model_class()


def _define_model_class() -> Any:
    import torch
    from torch import nn
    from transformers import LayoutLMConfig, LayoutLMModel
    from transformers.models.layoutlm.modeling_layoutlm import LayoutLMPreTrainedModel

    class LayoutTokenClassifier(LayoutLMPreTrainedModel):
        """LayoutLM encoder over char-composed tokens, plus grid row/col embeddings and two heads.

        ``classifier``: one label per token (fine-tuning, inference). ``char_head``: which characters a masked token
        contains (bag of characters, pretraining), so the encoder learns from unlabelled pages what text fits a box.
        """

        config_class = LayoutLMConfig

        def __init__(self, config: Any) -> None:
            super().__init__(config)
            h = config.hidden_size
            self.layoutlm = LayoutLMModel(config)
            self.char_position = nn.Embedding(config.max_token_chars, h)
            self.token_norm = nn.LayerNorm(h, eps=config.layer_norm_eps)
            self.grid_row = nn.Embedding(config.max_grid_rows, h)
            self.grid_col = nn.Embedding(config.max_grid_cols, h)
            self.dropout = nn.Dropout(config.hidden_dropout_prob)
            self.classifier = nn.Linear(h, config.num_labels)
            self.char_head = nn.Linear(h, config.vocab_size)
            self.post_init()

        def compose(self, char_ids: torch.Tensor) -> torch.Tensor:
            emb = self.layoutlm.embeddings.word_embeddings(char_ids)  # B T C H
            c = char_ids.shape[-1]
            emb = emb + self.char_position.weight[:c]
            m = (char_ids != 0).unsqueeze(-1).to(emb.dtype)
            pooled = (emb * m).sum(-2) / m.sum(-2).clamp(min=1.0)
            return self.token_norm(pooled)

        def forward(
            self,
            char_ids: torch.Tensor,
            bbox: torch.Tensor,
            rows: torch.Tensor,
            cols: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor | None = None,
            labels: torch.Tensor | None = None,
            char_targets: torch.Tensor | None = None,
            mlm_mask: torch.Tensor | None = None,
        ) -> dict[str, torch.Tensor]:
            embeds = self.compose(char_ids) + self.grid_row(rows) + self.grid_col(cols)
            out = self.layoutlm(
                inputs_embeds=embeds, bbox=bbox, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            hidden = self.dropout(out.last_hidden_state)
            result: dict[str, torch.Tensor] = {}
            if mlm_mask is not None:
                sel = hidden[mlm_mask]
                logits = self.char_head(sel)
                result["char_logits"] = logits
                if char_targets is not None:
                    # soft cross-entropy against the token's characters (uniform over them): one class per
                    # position would be wrong for a multi-character token, and BCE drowns in 6,000 negatives.
                    target = char_targets / char_targets.sum(-1, keepdim=True).clamp(min=1.0)
                    result["loss"] = -(target * logits.log_softmax(-1)).sum(-1).mean()
                return result
            logits = self.classifier(hidden)
            result["logits"] = logits
            if labels is not None:
                result["loss"] = nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX
                )
            return result

    return LayoutTokenClassifier


def save_checkpoint(
    model: Any, vocab: CharVocab, cfg: ModelConfig, folder: Path, extra: dict[str, Any] | None = None
) -> None:
    """config.json + model.safetensors (transformers' own writer), vocab.txt, labels.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    vocab.save(folder)
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    meta = {"labels": labels, "model": asdict(cfg), **(extra or {})}
    (folder / LABELS_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def load_checkpoint(folder: Path, device: str = "cpu") -> tuple[Any, CharVocab, ModelConfig, list[str]]:
    """Load a checkpoint folder offline; returns (model in eval mode, vocab, config, labels)."""
    folder = Path(folder)
    meta = json.loads((folder / LABELS_FILE).read_text(encoding="utf-8"))
    cfg = ModelConfig(**meta["model"])
    vocab = CharVocab.load(folder)
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a "Loading weights" bar per worker would garble the CLI's own progress bar
    try:
        model = model_class().from_pretrained(folder, local_files_only=True)
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    model.to(device)
    model.eval()
    return model, vocab, cfg, list(meta["labels"])


def count_parameters(model: Any) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def predict(
    model: Any,
    vocab: CharVocab,
    cfg: ModelConfig,
    pages: Sequence[Sequence[TokenUnit]],
    batch_size: int = 16,
    device: str = "cpu",
) -> list[list[int]]:
    """Label id per token for each page (tokens already in reading order).

    Windows overlap; a token seen twice takes the prediction from the window where it sits furthest from an edge.
    """
    import torch

    jobs: list[tuple[int, Window]] = [(p, w) for p, units in enumerate(pages) for w in make_windows(units, vocab, cfg)]
    preds = [[0] * len(units) for units in pages]
    margin = [[-1] * len(units) for units in pages]
    # Longest first, so each batch pads little.
    jobs.sort(key=lambda job: -len(job[1].char_ids))
    with torch.inference_mode():
        for start in range(0, len(jobs), batch_size):
            chunk = jobs[start : start + batch_size]
            batch = collate([w for _, w in chunk], cfg.max_token_chars)
            batch.pop("labels")
            batch = {k: v.to(device) for k, v in batch.items()}
            ids = model(**batch)["logits"].argmax(-1).cpu().tolist()
            for (p, w), row in zip(chunk, ids, strict=True):
                k = len(w.positions)
                for slot, pos in enumerate(w.positions):
                    if pos < 0:
                        continue
                    m = min(slot, k - 1 - slot)
                    if m > margin[p][pos]:
                        margin[p][pos] = m
                        preds[p][pos] = row[slot]
    return preds
