"""Masked-token pretraining (掩码预训练) of the layout encoder on unlabelled pages.

No pretrained Chinese layout model can be downloaded here, so the encoder learns first what text fits where:
15 % of the tokens are masked (80 % [MASK] chars, 10 % a random other token, 10 % kept) and the model predicts
the set of characters of each masked token from its box, its grid position and the tokens around it (a
bag-of-characters target, because one position is a whole token, not one character). Pages: the training pages
(labels ignored), the extra sources in ``pretrain.extra_pages`` (other labelled manifests, the seeds' OCR text
laid out line by line). Pages of the fixed evaluation documents are excluded, so the "never trained on" claim of
the real test split holds for pretraining too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from juesuan.datamodel.labelled import LabelledPage
from juesuan.models.token_classifier import (
    MASK_ID,
    PAD_ID,
    CharVocab,
    TokenUnit,
    build_model,
    collate,
    make_windows,
    save_checkpoint,
)
from juesuan.training.data import add_ocr_noise, load_pages, page_units

log = logging.getLogger(__name__)


def seed_text_pages(path: Path, lines_per_page: int = 45) -> list[list[TokenUnit]]:
    """OCR'd text with tab-separated tables (../shared/data/seeds/*.txt) → pseudo-pages of units.

    Each line becomes one line of the page; a line with tabs becomes a table row whose cells are spread evenly.
    Only for pretraining: the boxes are plausible, not real.
    """
    pages: list[list[TokenUnit]] = []
    lines = [ln.strip() for ln in Path(path).read_text(encoding="utf-8").splitlines()]
    lines = [ln.replace("<b>", "").replace("</b>", "").lstrip("#- ").strip() for ln in lines if ln.strip()]
    for start in range(0, len(lines), lines_per_page):
        units: list[TokenUnit] = []
        row = 0
        for k, line in enumerate(lines[start : start + lines_per_page]):
            y0 = 40 + k * 20
            cells = [c.strip() for c in line.split("\t")]
            if len(cells) > 1:
                width = 900 // len(cells)
                for c, text in enumerate(cells):
                    if text:
                        x0 = 50 + c * width
                        units.append(
                            TokenUnit(text[:40], (x0, y0, x0 + min(width - 5, 12 * len(text)), y0 + 15), row, c, 0)
                        )
                row += 1
            else:
                units.append(TokenUnit(line[:60], (50, y0, min(950, 50 + 12 * len(line)), y0 + 15)))
        if units:
            pages.append(units)
    return pages


def unlabelled_units(
    cfg: Any, train_pages: Sequence[LabelledPage], exclude_documents: set[str]
) -> list[list[TokenUnit]]:
    from juesuan.training.config import resolve

    seen: set[str] = set()
    pages = []
    for p in train_pages:  # oversampled pages once: pretraining wants breadth, not repeats
        if p.id not in seen:
            seen.add(p.id)
            pages.append(page_units(p))
    for source in cfg.pretrain.extra_pages:
        path = resolve(source)
        if path.suffix == ".txt":
            pages += seed_text_pages(path)
        elif path.is_dir() and not (path / "train.jsonl").exists():
            for txt in sorted(path.glob("*.txt")):
                pages += seed_text_pages(txt)
        else:
            for split in ("train", "dev", "test"):
                pages += [page_units(p) for p in load_pages(path, split) if p.document not in exclude_documents]
            if path.is_file():
                break
    return [p for p in pages if p]


def mask_windows(windows: list[Any], vocab_size: int, rng: np.random.Generator, prob: float) -> list[Any]:
    """Mask token slots in place; each masked slot keeps its original char ids in ``targets``."""
    for w in windows:
        w.targets = {}
        for slot in range(1, len(w.char_ids) - 1):
            if rng.random() >= prob:
                continue
            w.targets[slot] = list(w.char_ids[slot])
            r = rng.random()
            if r < 0.8:
                w.char_ids[slot] = [MASK_ID] * len(w.char_ids[slot])
            elif r < 0.9:
                other = windows[int(rng.integers(len(windows)))]
                w.char_ids[slot] = list(other.char_ids[int(rng.integers(1, max(2, len(other.char_ids) - 1)))])
    return windows


def pretrain(
    cfg: Any,
    labels: Sequence[str],
    train_pages: Sequence[LabelledPage],
    held_out: set[str] | frozenset[str] = frozenset(),
) -> tuple[Any, CharVocab, dict]:
    """Build the vocabulary, pretrain a fresh model, save it to ``pretrain.output_dir``.

    Returns (model, vocab, info)."""
    import torch

    from juesuan.training.config import resolve
    from juesuan.training.data import length_batches

    pages = unlabelled_units(cfg, train_pages, set(held_out))
    vocab = CharVocab.build((u.text for page in pages for u in page), max_size=cfg.model.vocab_size)
    model = build_model(cfg.model, labels, len(vocab)).to(cfg.device)
    pc = cfg.pretrain
    optim = torch.optim.AdamW(model.parameters(), lr=pc.lr, weight_decay=0.01)
    model.train()
    losses: list[float] = []
    step, epoch = 0, 0
    started = time.monotonic()
    while step < pc.steps:
        rng = np.random.default_rng([cfg.seed, 1000 + epoch])
        windows = [w for units in pages for w in make_windows(add_ocr_noise(units, rng, cfg.noise), vocab, cfg.model)]
        windows = mask_windows(windows, len(vocab), rng, pc.mask_prob)
        for chunk in length_batches(windows, pc.batch_size, rng):
            batch = collate(chunk, cfg.model.max_token_chars)
            batch.pop("labels")
            mlm_mask = torch.zeros(batch["rows"].shape, dtype=torch.bool)
            targets = []
            for b, w in enumerate(chunk):
                for slot, ids in sorted(w.targets.items()):
                    mlm_mask[b, slot] = True
                    t = torch.zeros(len(vocab))
                    t[[i for i in ids if i != PAD_ID]] = 1.0
                    targets.append(t)
            if not targets:
                continue
            batch = {k: v.to(cfg.device) for k, v in batch.items()}
            out = model(**batch, mlm_mask=mlm_mask.to(cfg.device), char_targets=torch.stack(targets).to(cfg.device))
            optim.zero_grad()
            out["loss"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            losses.append(float(out["loss"].item()))
            step += 1
            if step % 100 == 0:
                log.info("pretrain step %d loss %.4f", step, float(np.mean(losses[-100:])))
            minutes = (time.monotonic() - started) / 60
            if step >= pc.steps or (pc.max_minutes is not None and minutes >= pc.max_minutes):
                step = max(step, pc.steps)
                break
        epoch += 1
    info = {
        "pages": float(len(pages)),
        "steps": float(len(losses)),
        "first_loss": float(np.mean(losses[:20])) if losses else float("nan"),
        "last_loss": float(np.mean(losses[-20:])) if losses else float("nan"),
        "minutes": (time.monotonic() - started) / 60,
    }
    out_dir = resolve(pc.output_dir)
    save_checkpoint(model, vocab, cfg.model, out_dir, {"pretrain": info})
    log.info("pretrained base saved to %s (%d pages, %d steps)", out_dir, len(pages), len(losses))
    return model, vocab, info
