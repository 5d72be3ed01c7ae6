"""Token labelling stage (字段标注): a label from configs/labels.yaml on every table cell and every page token.

Two kinds, picked by ``LabelOptions.kind`` from the stage registry (:mod:`juesuan.inference.registry`):

* ``classifier`` — the layout-aware token classifier shipped in ``models/token-classifier`` (loaded on first call,
  pages batched). When the checkpoint is missing it logs one warning and falls back to the rules, so an install
  without the weights still extracts tables.
* ``rules`` — regular expressions plus the column's header text. It is the fallback and the ablation baseline
  (docs/benchmarks.md), so it stays honest: no knowledge the classifier does not also get.

The assembler reads ``CellText.label`` (CODE / NAME / AMOUNT / TOTAL_LABEL / HEADER …) together with the grid.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from typing import Any

from juesuan.datamodel.amounts import is_placeholder
from juesuan.datamodel.page import CellText, OcrResult, TableOcr, Token
from juesuan.errors import ConfigError
from juesuan.lexicon import SUBJECT_CODE_SPACED as _CODE
from juesuan.lexicon import TOTAL_WORD as _TOTAL
from juesuan.options import LabelOptions

log = logging.getLogger(__name__)

_AMOUNT = re.compile(r"^[-−(（]?[¥￥]?\d{1,3}([,，]\d{3})*(\.\d+)?[)）]?$|^[-−(（]?\d+(\.\d+)?[)）]?$")
_RATE = re.compile(r"^[-−]?\d+(\.\d+)?\s*[%％]$")
_OPERATOR = re.compile(r"^(≥|≤|=|＝|>|<|＞|＜|≧|≦|大于等于|小于等于|定性|定量|正向|反向)+$")
_PAGE_NO = re.compile(r"^[-—\s]*(第\s*)?\d{1,3}\s*(页|/\s*\d+)?[-—\s]*$")
_DASH = re.compile(r"^[-—–－/\\]+$")
_UNIT_LINE = re.compile(r"^(编制)?(单位|部门)(名称)?\s*[:：]|[（(]?单位\s*[:：]\s*(万?元)|^金额单位")


class RulesLabeler:
    """Regex + header-text rules. Header rows: the top rows before the first row holding an amount or a total."""

    def __init__(self, options: LabelOptions) -> None:
        self.options = options

    def __call__(self, pages: Sequence[OcrResult]) -> list[OcrResult]:
        return [self.label_page(page) for page in pages]

    def label_page(self, page: OcrResult) -> OcrResult:
        tables = tuple(self._label_table(t) for t in page.tables)
        title_zone = page.page.height * 0.25
        by_y = sorted(range(len(page.tokens)), key=lambda i: page.tokens[i].bbox_px[1])
        near_top = {i for i in by_y[:6] if page.tokens[i].bbox_px[1] <= title_zone}
        tokens = tuple(
            dataclasses.replace(t, label=self.outside_label(t, i in near_top)) for i, t in enumerate(page.tokens)
        )
        return dataclasses.replace(page, tables=tables, tokens=tokens)

    @staticmethod
    def outside_label(token: Token, near_top: bool) -> str:
        text = token.text.strip()
        if _UNIT_LINE.search(text):
            return "UNIT"
        if _PAGE_NO.match(text):
            return "OTHER"
        if near_top and len(text) <= 40 and ("表" in text or "决算" in text or "预算" in text):
            return "TITLE"
        return "TEXT"

    def _label_table(self, table: TableOcr) -> TableOcr:
        if not table.cells:
            tokens = tuple(dataclasses.replace(t, label=self.cell_label(t.text, "", False)) for t in table.tokens)
            return dataclasses.replace(table, tokens=tokens)
        rows: dict[int, list[CellText]] = {}
        for ct in table.cells:
            rows.setdefault(ct.cell.row, []).append(ct)
        header_rows: set[int] = set()
        for r in sorted(rows):
            texts = [ct.text.strip() for ct in rows[r]]
            if any(_AMOUNT.match(x) or _RATE.match(x) or _TOTAL.search(x) or _CODE.match(x) for x in texts if x):
                break
            header_rows.add(r)
            if len(header_rows) >= 4:
                break
        col_header: dict[int, str] = {}
        for ct in table.cells:
            if ct.cell.row in header_rows:
                for c in range(ct.cell.col, ct.cell.col + ct.cell.col_span):
                    col_header[c] = col_header.get(c, "") + ct.text
        cells = []
        for ct in table.cells:
            is_header = ct.cell.row in header_rows
            label = (
                "HEADER"
                if is_header and ct.text.strip()
                else self.cell_label(ct.text, col_header.get(ct.cell.col, ""), True)
            )
            cells.append(
                dataclasses.replace(
                    ct, label=label, tokens=tuple(dataclasses.replace(t, label=label) for t in ct.tokens)
                )
            )
        return _relabel_table_tokens(dataclasses.replace(table, cells=tuple(cells)))

    @staticmethod
    def cell_label(text: str, header: str, in_grid: bool) -> str:
        x = re.sub(r"\s+", "", text)
        if not x:
            return "OTHER"
        if is_placeholder(x):
            return "OTHER"  # "…" rows of template tables
        if _TOTAL.search(x) and len(x) <= 14:
            return "TOTAL_LABEL"
        if _OPERATOR.match(x):
            return "OPERATOR"
        if any(k in header for k in ("度量单位", "计量单位")):
            return "MEASURE_UNIT"
        number = bool(_AMOUNT.match(x)) or bool(_RATE.match(x))
        if number or _DASH.match(x):
            for keys, label in (
                (("分值", "权重"), "WEIGHT"),
                (("得分",), "SCORE"),
                (("完成值", "实际"), "ACTUAL"),
                (("指标值", "目标值"), "TARGET"),
                (("执行率", "占比", "比例", "%"), "RATE"),
            ):
                if any(k in header for k in keys):
                    return label
            if _RATE.match(x):
                return "RATE"
            if _CODE.match(x) and ("编码" in header or "代码" in header or "科目" in header or not header):
                return "CODE"
            if _DASH.match(x):
                return "OTHER"
            return "AMOUNT"
        if _CODE.match(x):
            return "CODE"
        if any(k in header for k in ("指标值",)):
            return "TARGET"
        if any(k in header for k in ("完成值", "实际完成")):
            return "ACTUAL"
        if ("指标" in header and "名称" in header) or header.endswith("级指标"):
            return "INDICATOR"
        if len(x) > 30:
            return "TEXT"
        return "NAME"


def _relabel_table_tokens(table: TableOcr) -> TableOcr:
    """Copy cell labels onto ``TableOcr.tokens`` (the raw tokens of the region), matched by text and box."""
    by_key: dict[tuple[str, tuple[float, ...]], str] = {}
    for ct in table.cells:
        for t in ct.tokens:
            if t.label is not None:
                by_key[(t.text, tuple(t.bbox_px))] = t.label
    tokens = tuple(dataclasses.replace(t, label=by_key.get((t.text, tuple(t.bbox_px)), t.label)) for t in table.tokens)
    return dataclasses.replace(table, tokens=tokens)


class ClassifierLabeler:
    """The trained token classifier. Pages are batched into one model call per ``batch_size`` windows."""

    def __init__(self, options: LabelOptions) -> None:
        self.options = options
        self._model: tuple[Any, Any, Any, list[str]] | None = None
        self._fallback: RulesLabeler | None = None

    def model_info(self) -> dict[str, Any]:
        """What document.json ``meta.model`` records: the folder or registry URI and the version it resolved to."""
        from juesuan.models.source import resolve_model

        source = resolve_model(self.options.model_dir)
        if not (source.folder / "model.safetensors").is_file() and self.options.fallback_to_rules:
            return {"kind": "rules", "fallback_from": source.uri}
        return {"kind": "classifier", **source.to_meta()}

    def _load(self) -> tuple[Any, Any, Any, list[str]] | None:
        from juesuan.models.source import resolve_model  # a models:/ URI is fetched from the registry, then cached

        folder = resolve_model(self.options.model_dir).folder
        if not (folder / "model.safetensors").is_file():
            if not self.options.fallback_to_rules:
                raise ConfigError(f"{folder}: no model.safetensors (train one: juesuan train, or kind: rules)")
            log.warning("%s has no model.safetensors; labelling with rules instead", folder)
            return None
        import torch

        from juesuan.models.token_classifier import load_checkpoint

        if self.options.threads:
            torch.set_num_threads(self.options.threads)
        model, vocab, cfg, labels = load_checkpoint(folder, self.options.device)
        self._model = (model, vocab, cfg, labels)
        return self._model

    def __call__(self, pages: Sequence[OcrResult]) -> list[OcrResult]:
        loaded = self._model or self._load()
        if loaded is None:
            self._fallback = self._fallback or RulesLabeler(self.options)
            return self._fallback(pages)
        from juesuan.models.token_classifier import predict

        model, vocab, cfg, labels = loaded
        built = [page_units(p) for p in pages]
        from juesuan.models.clock import MODEL_CLOCK

        with MODEL_CLOCK:
            preds = predict(model, vocab, cfg, [b[0] for b in built], self.options.batch_size, self.options.device)
        return [apply_labels(p, b[1], [labels[i] for i in ids]) for p, b, ids in zip(pages, built, preds, strict=True)]


# A unit's address in an OcrResult: ("cell", table index, cell index, token index | -1 for a text-only cell),
# ("table", table index, token index) for raw tokens of a table without cells, ("page", token index).
Address = tuple[Any, ...]


def page_units(page: OcrResult) -> tuple[list[Any], list[Address]]:
    """The page as classifier units in canonical reading order, plus where each unit came from."""
    from juesuan.models.token_classifier import TokenUnit, reading_order, to_1000

    w, h = page.page.width, page.page.height
    units: list[TokenUnit] = []
    where: list[Address] = []
    for ti, table in enumerate(page.tables):
        if table.cells:
            for ci, ct in enumerate(table.cells):
                r, c = ct.cell.row, ct.cell.col
                if ct.tokens:
                    for k, t in enumerate(ct.tokens):
                        units.append(TokenUnit(t.text, to_1000(t.bbox_px, w, h), r, c, ti))
                        where.append(("cell", ti, ci, k))
                elif ct.text.strip():
                    units.append(TokenUnit(ct.text, to_1000(ct.cell.bbox_px, w, h), r, c, ti))
                    where.append(("cell", ti, ci, -1))
        else:
            for k, t in enumerate(table.tokens):
                units.append(TokenUnit(t.text, to_1000(t.bbox_px, w, h)))
                where.append(("table", ti, k))
    for k, t in enumerate(page.tokens):
        if t.text.strip():
            units.append(TokenUnit(t.text, to_1000(t.bbox_px, w, h)))
            where.append(("page", k))
    order = reading_order(units)
    return [units[i] for i in order], [where[i] for i in order]


def _with_label(t: Token, label: str | None) -> Token:
    # direct construction: dataclasses.replace costs ~5x more, and a table page has hundreds of tokens
    return t if t.label == label else Token(t.text, t.bbox_px, t.confidence, label)


def apply_labels(page: OcrResult, where: Sequence[Address], labels: Sequence[str]) -> OcrResult:
    """A copy of ``page`` with token labels set and each cell labelled by the majority of its characters."""
    cell_votes: dict[tuple[int, int], dict[str, int]] = {}
    token_label: dict[tuple[Any, ...], str] = {}
    for addr, lab in zip(where, labels, strict=True):
        token_label[addr] = lab
        if addr[0] == "cell":
            ct = page.tables[addr[1]].cells[addr[2]]
            n = len(ct.text if addr[3] < 0 else ct.tokens[addr[3]].text)
            votes = cell_votes.setdefault((addr[1], addr[2]), {})
            votes[lab] = votes.get(lab, 0) + max(1, n)
    tables = []
    for ti, table in enumerate(page.tables):
        if table.cells:
            cells = []
            by_key: dict[tuple[str, Any], str | None] = {}
            for ci, ct in enumerate(table.cells):
                votes = cell_votes.get((ti, ci))
                label = max(votes, key=votes.__getitem__) if votes else ("OTHER" if ct.text.strip() else None)
                toks = tuple(
                    _with_label(t, token_label.get(("cell", ti, ci, k), label)) for k, t in enumerate(ct.tokens)
                )
                for t in toks:
                    by_key[(t.text, t.bbox_px)] = t.label
                cells.append(CellText(ct.cell, ct.text, ct.confidence, toks, label))
            raw = tuple(_with_label(t, by_key.get((t.text, t.bbox_px), t.label)) for t in table.tokens)
            tables.append(TableOcr(table.region, table.grid, tuple(cells), raw))
        else:
            toks = tuple(_with_label(t, token_label.get(("table", ti, k), t.label)) for k, t in enumerate(table.tokens))
            tables.append(TableOcr(table.region, table.grid, table.cells, toks))
    tokens = tuple(_with_label(t, token_label.get(("page", k), t.label)) for k, t in enumerate(page.tokens))
    return OcrResult(page.page, page.regions, tuple(tables), tokens)
