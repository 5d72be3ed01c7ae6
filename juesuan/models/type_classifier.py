"""Table-type classifier (表类型): character n-grams of title + header → calibrated linear model.

Trained only from configs/tables/types.yaml (aliases and header hints, with OCR-style noise), so it is rebuilt from
the repo alone and nothing is downloaded. The fitted model ships as ``juesuan/resources/table_type_classifier.joblib``
together with the sha256 of the YAML it came from; when the YAML changed since, it is retrained in memory (seeded,
a few seconds) and a warning says to rebuild it:

    PYTHONPATH=. python -m juesuan.training.table_type --write

The training-text generator and the model recipe stay here because inference retrains from them when the bundle is
stale; scoring, the bundle writer and MLflow-tracked training (params, held-out scores, registered model
``juesuan-table-type-classifier`` and its ``champion`` gate) live in
:mod:`juesuan.training.table_type`: ``juesuan train --type-classifier``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from juesuan.validation.schema import TABLES_DIR, Schema, load_schema, normalize_text, normalize_title

log = logging.getLogger(__name__)

MODEL_PATH = Path(str(resources.files("juesuan") / "resources" / "table_type_classifier.joblib"))
OTHER = "__other__"
SEED = 20240601

# Characters OCR confuses in these titles (seen in PP-OCR output of scanned disclosures and their glyph neighbours).
_CONFUSABLE = {
    "出": "山",
    "入": "人",
    "支": "文",
    "预": "顶",
    "决": "泱",
    "算": "箅",
    "拨": "拔",
    "款": "欵",
    "总": "怠",
    "表": "衣",
    "收": "牧",
    "经": "径",
    "费": "赍",
    "般": "股",
    "公": "么",
    "基": "墓",
    "本": "木",
    "项": "顷",
    "目": "日",
    "政": "攻",
    "府": "俯",
    "金": "全",
    "资": "姿",
    "国": "围",
    "营": "菅",
    "财": "材",
    "功": "攻",
}
_PREFIXES = ["", "", "", "2024年", "2025年度", "表1-2", "附表3", "五、", "2026年部门", "上海市普陀区XX局2024年度"]
_SUFFIXES = ["", "", "", "（续表）", "单位：万元", "（续）", "金额单位：元"]
_NEGATIVES = [
    "序号 单位名称 备注",
    "部门决算单位构成",
    "名词解释",
    "目录",
    "单位：万元",
    "编制部门",
    "情况说明",
    "项目概况 立项依据 实施主体 实施方案",
    "预算单位构成 单位名称 单位性质",
    "车辆 台套 资产总额",
    # the running heading printed above every table of some documents (无锡市教育局2026年度部门预算公开): it names
    # the document, not the table, and a headerless continuation page has nothing else to classify
    "XX局部门预算公开",
    "XX局部门决算公开",
    "XX中心单位预算",
    "XX办公室部门决算",
]


@dataclass(frozen=True)
class TypePrediction:
    type_id: str | None
    probability: float
    method: str  # "rules" | "model" | "none"


def _noisy(text: str, rng: np.random.Generator) -> str:
    chars = list(text)
    out: list[str] = []
    for ch in chars:
        r = rng.random()
        if r < 0.04:
            continue  # dropped character
        if r < 0.10 and ch in _CONFUSABLE:
            out.append(_CONFUSABLE[ch])
            continue
        out.append(ch)
        if rng.random() < 0.03:
            out.append(" ")
    return "".join(out)


def training_texts(schema: Schema, per_type: int = 80, seed: int = SEED) -> tuple[list[str], list[str]]:
    """Generated (text, label) pairs: alias or hint, prefixes/suffixes, OCR noise; deterministic for a seed."""
    rng = np.random.default_rng([seed])
    texts: list[str] = []
    labels: list[str] = []
    for tt in schema.types:
        bases = [*tt.aliases, tt.name_zh]
        for i in range(per_type):
            title = bases[i % len(bases)]
            parts = [str(rng.choice(_PREFIXES)) + title + str(rng.choice(_SUFFIXES))]
            if tt.header_hints and rng.random() < 0.5:
                parts.append(str(rng.choice(list(tt.header_hints))))
            if rng.random() < 0.15 and tt.header_hints:
                parts = [str(rng.choice(list(tt.header_hints)))]  # title lost: header only
            text = " ".join(parts)
            texts.append(_noisy(text, rng) if i % 4 else text)
            labels.append(tt.id)
    for i in range(per_type):
        texts.append(_noisy(_NEGATIVES[i % len(_NEGATIVES)], rng))
        labels.append(OTHER)
    return texts, labels


def _prep(text: str) -> str:
    return normalize_title(normalize_text(text))


def yaml_digest(tables_dir: Path = TABLES_DIR) -> str:
    """sha256 over what training reads from types.yaml (each type's id, name, aliases, header hints): a bundle is
    stale when that changes, not when a comment or a rules-only ``titles`` entry does."""
    import json

    import yaml

    doc = yaml.safe_load((tables_dir / "types.yaml").read_text(encoding="utf-8"))
    keys = ("id", "name_zh", "aliases", "header_hints")
    trained = [{k: t.get(k) for k in keys} for t in doc["types"]]
    return hashlib.sha256(json.dumps(trained, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def tables_digest(tables_dir: Path = TABLES_DIR) -> str:
    """sha256 over every configs/tables/*.yaml (types, columns, identities): the configuration a run saw."""
    h = hashlib.sha256()
    for path in sorted(tables_dir.glob("*.yaml")):
        h.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return h.hexdigest()


def train(schema: Schema, seed: int = SEED, per_type: int = 80) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts, labels = training_texts(schema, per_type=per_type, seed=seed)
    model = make_pipeline(
        TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_features=6000, dtype=np.float32
        ),
        CalibratedClassifierCV(LogisticRegression(C=20.0, max_iter=2000), method="sigmoid", cv=3, ensemble=False),
    )
    model.fit([_prep(t) for t in texts], labels)
    return model


def predict_types(model: Any, texts: Sequence[str]) -> list[str]:
    """The model alone (no alias rules, no fuzzy fallback): what evaluation measures."""
    return [str(label) for label in model.predict([_prep(t) for t in texts])]


def load_bundle(path: Path) -> dict[str, Any]:
    import joblib

    bundle = joblib.load(path)
    if not isinstance(bundle, dict) or "model" not in bundle:
        raise ValueError(f"{path}: not a table-type classifier bundle")
    return bundle


def _twin(type_id: str) -> str:
    """final.income ↔ budget.income: the same table kind in the other family (absent for most 绩效 forms)."""
    family, _, kind = type_id.partition(".")
    return {"final": "budget", "budget": "final"}.get(family, family) + "." + kind


def _in_family(type_id: str, family: str | None) -> bool:
    """A type a document of ``family`` can hold: its own family's, and 绩效 forms (both kinds print them)."""
    return family is None or type_id.split(".", 1)[0] in (family, "perf")


class TableTypeClassifier:
    """Rules first (an alias inside the title is unambiguous), then the model; below ``min_probability`` → None."""

    def __init__(self, schema: Schema | None = None, min_probability: float = 0.5) -> None:
        self.schema = schema or load_schema()
        self.min_probability = min_probability
        self._model: Any = None

    def _load(self) -> Any:
        import joblib

        digest = yaml_digest()
        if MODEL_PATH.exists():
            bundle = joblib.load(MODEL_PATH)
            if bundle.get("yaml_sha256") == digest:
                return bundle["model"]
            log.warning(
                "%s is stale (types.yaml changed); retraining in memory — rebuild it with "
                "`python -m juesuan.training.table_type --write`",
                MODEL_PATH.name,
            )
        return train(self.schema)

    def predict(self, title: str | None, header: str = "", family: str | None = None) -> TypePrediction:
        """``family`` (final or budget, from the document's cover) keeps the model to that family's types and the
        绩效 forms, each scored with its twin of the other family (budget.income with final.income): a header alone
        (the title lost or misread on a copy) tells 一般公共预算基本支出 of a 预算 from that of a 决算 no better than a
        coin (0.45 vs 0.45), and the two halves would each stay below ``min_probability``."""
        title = title or ""
        if title:
            rule = self.schema.match_title(title)
            if rule is not None:
                return TypePrediction(rule.id, 1.0, "rules")
        text = f"{title} {header}".strip()
        if not normalize_text(text):
            return TypePrediction(None, 0.0, "none")
        if self._model is None:
            self._model = self._load()
        # title + header, and header alone: a part heading caught as the title (XX局2024年度部门决算表) misleads.
        # Each is cleaned on its own: a unit line caught as the title (编制单位：XX局) would otherwise take the
        # whole header with it when the unit remark (单位：… to the end) is cut, and leave only 编制 to classify.
        joined = _prep(title) + _prep(header) if title else _prep(text)
        texts = [joined] + ([_prep(header)] if title and normalize_text(header) else [])
        probas = self._model.predict_proba(texts)
        classes = list(self._model.classes_)
        other = classes.index(OTHER) if OTHER in classes else -1
        index = {str(c): i for i, c in enumerate(classes)}
        allowed = [i for i in range(len(classes)) if i != other and _in_family(str(classes[i]), family)]
        scored: list[tuple[float, str]] = []
        for pr in probas:
            for i in allowed:
                twin = index.get(_twin(str(classes[i]))) if family else None
                # the same table kind in the other family is evidence for this one: the header cannot tell them apart
                scored.append((float(pr[i]) + (float(pr[twin]) if twin not in (None, i) else 0.0), str(classes[i])))
        other_p = [float(pr[other]) if other >= 0 else 0.0 for pr in probas]
        p, label = max(scored) if scored else (0.0, OTHER)
        if family and p < self.min_probability:
            # no type of the family fits (a 决算's 项目支出 table read as budget.project has no final twin): the
            # family is a preference, not a restriction, so the model's own first choice stands as before
            p, label = max((float(pr[i]), str(classes[i])) for pr in probas for i in range(len(classes)) if i != other)
        if p < self.min_probability and other >= 0 and other_p[0] >= self.min_probability:
            label, p = OTHER, other_p[0]
        if label != OTHER and p >= self.min_probability:
            return TypePrediction(label, p, "model")
        fuzzy = self._fuzzy(title, family) or (self._fuzzy(title) if family else None)
        if fuzzy is not None:
            return fuzzy
        return TypePrediction(None, p if label != OTHER else 1.0 - p, "model")

    def _fuzzy(self, title: str, family: str | None = None) -> TypePrediction | None:
        """Closest alias by edit similarity (≥ 0.8): several garbled characters can sink the n-gram model."""
        import difflib

        t = normalize_title(title)
        if len(t) < 4:
            return None
        best: tuple[float, str] | None = None
        for tt in self.schema.types:
            if not _in_family(tt.id, family):
                continue
            for alias in (*tt.aliases, tt.name_zh):
                r = difflib.SequenceMatcher(None, t, normalize_title(alias)).ratio()
                if best is None or r > best[0]:
                    best = (r, tt.id)
        if best is None or best[0] < 0.8:
            return None
        return TypePrediction(best[1], round(best[0], 4), "fuzzy")
