"""Fiscal schema: table types (configs/tables/types.yaml) and column fields (configs/tables/columns.yaml).

Titles and headers come from OCR, so matching is tolerant: text is normalised (full-width, brackets, spaces, line
breaks, years, numbering), exact aliases win, and the rest goes to a character n-gram classifier trained on the
aliases with OCR-style noise (:mod:`juesuan.models.type_classifier`).
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from juesuan.settings import config_dir

TABLES_DIR = config_dir() / "tables"

_TRANS = str.maketrans(
    {"(": "（", ")": "）", '"': "“", "'": "“", "”": "“", "‘": "“", "’": "“", "「": "“", "」": "“", "：": ":"}
)
_NOISE = re.compile(
    r"\s+|\d{4}\s*年度?|^[\d一二三四五六七八九十]+[、.．]|^表\s*[\d\-—–]+|[（(]?续表?[)）]?|[（(]?单位[:：].*$|"
    r"金额单位[:：].*$|^附表\d*[:：]?"
)


_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@functools.lru_cache(maxsize=1 << 14)  # pure; headers and titles are normalised again by every rule family
def normalize_text(text: str) -> str:
    """Fold the spellings OCR and bureaus vary: spaces/line breaks, quotes, brackets, full-width digits."""
    text = text.translate(_DIGITS).translate(_TRANS)
    return "".join(text.split())


def normalize_title(title: str) -> str:
    """Title without year, numbering, 续表 and unit remarks: 2025年部门收入预算总表（续） → 部门收入预算总表."""
    t = normalize_text(title)
    prev = None
    while prev != t:
        prev, t = t, _NOISE.sub("", t)
    return t


@dataclass(frozen=True, slots=True)
class TableType:
    """One canonical table type (表类型); ``family`` is final (决算), budget (预算) or perf (绩效)."""

    id: str
    name_zh: str
    aliases: tuple[str, ...]
    header_hints: tuple[str, ...]
    titles: tuple[str, ...] = ()  # whole titles only (match_title), not training material

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One canonical column field; ``role`` tells the identity engine what the column holds."""

    id: str
    role: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Schema:
    types: tuple[TableType, ...]
    fields: tuple[FieldSpec, ...]

    def type(self, type_id: str) -> TableType | None:
        return next((t for t in self.types if t.id == type_id), None)

    def field(self, field_id: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def role(self, field_id: str | None) -> str | None:
        spec = self.field(field_id) if field_id else None
        return spec.role if spec else None

    def match_title(self, title: str) -> TableType | None:
        """Rules: a title that is one of a type's ``titles``, else the longest alias inside the normalised title
        (支出决算表 loses to 一般公共预算财政拨款支出决算表)."""
        t = normalize_title(title)
        titles, aliases = self._title_rules()
        if t in titles:
            return titles[t]
        best: tuple[int, TableType] | None = None
        for a, tt in aliases:
            if a in t and (best is None or len(a) > best[0]):
                best = (len(a), tt)
        return best[1] if best else None

    def _title_rules(self) -> tuple[dict[str, TableType], list[tuple[str, TableType]]]:
        """Normalised whole titles and aliases, once per schema (every table's typing asks)."""
        rules = self.__dict__.get("_title_rules_cache")
        if rules is None:
            titles = {normalize_title(x): tt for tt in reversed(self.types) for x in tt.titles if normalize_title(x)}
            aliases = [(normalize_title(a), tt) for tt in self.types for a in tt.aliases if normalize_title(a)]
            rules = (titles, aliases)
            object.__setattr__(self, "_title_rules_cache", rules)  # frozen: fields only; the cache is not one
        return rules

    def canonical_field(self, header: str) -> str | None:
        """Header (flattened ``a/b/c``) → field id. The last segment decides; 类/款/项 only match exactly.

        Memoised on the schema (it is immutable): every rule family asks again for the same headers, and the fuzzy
        match is the costly part."""
        cache: dict[str, str | None] | None = self.__dict__.get("_field_cache")
        if cache is None:
            cache = {}
            object.__setattr__(self, "_field_cache", cache)  # frozen: fields only; the cache is not one
        if header not in cache:
            cache[header] = self._canonical_field(header)
        return cache[header]

    def _canonical_field(self, header: str) -> str | None:
        segments = [normalize_text(s) for s in header.split("/") if normalize_text(s)]
        if not segments:
            return None
        last = re.sub(r"[（(]?(万?元|%)[)）]?$", "", segments[-1])
        table = self._alias_table()
        if last in table:
            return table[last]
        if len(last) < 3:
            return None
        close = difflib.get_close_matches(last, [a for a in table if len(a) >= 3], n=1, cutoff=0.8)
        if close:
            return table[close[0]]
        return _one_slip_field(last, table)

    def _alias_table(self) -> dict[str, str]:
        table: dict[str, str] | None = self.__dict__.get("_aliases")  # not lru_cache: hashing the schema is costly
        if table is None:
            table = _alias_table(self)
            object.__setattr__(self, "_aliases", table)
        return table


# A fax copy misreads one character in four (在业收入, 共他收入, 上单结余、结转, 国有日本始营预算拔款收入): below the
# 0.8 of a close match, a header of 4+ characters is still read as the alias it is 0.75 close to, when no alias of
# another field comes within SLIP_MARGIN of it (经营收出 is as close to 经营收入 as to 经营支出: not read).
SLIP_CUTOFF = 0.75
SLIP_MARGIN = 0.1


def _one_slip_field(header: str, table: dict[str, str]) -> str | None:
    """The field of the alias a 4+ character header is one slip from, when no other field's alias is as close."""
    if len(header) < 4:
        return None
    scored = sorted(
        ((difflib.SequenceMatcher(None, header, a).ratio(), a) for a in table if len(a) >= 4),
        reverse=True,
    )
    if not scored or scored[0][0] < SLIP_CUTOFF:
        return None
    best, alias = scored[0]
    field = table[alias]
    rival = max((r for r, a in scored[1:] if table[a] != field), default=0.0)
    return field if best - rival >= SLIP_MARGIN else None


def _alias_table(schema: Schema) -> dict[str, str]:
    table: dict[str, str] = {}
    for f in schema.fields:
        for alias in f.aliases:
            table.setdefault(normalize_text(alias), f.id)
    return table


def header_group(header: str) -> str:
    """The header path above the last segment: the group a total column sums over."""
    parts = [normalize_text(s) for s in header.split("/") if normalize_text(s)]
    return "/".join(parts[:-1])


@functools.lru_cache(maxsize=4)
def _load(types_path: Path, columns_path: Path) -> Schema:
    types_doc = yaml.safe_load(types_path.read_text(encoding="utf-8"))
    cols_doc = yaml.safe_load(columns_path.read_text(encoding="utf-8"))
    types = tuple(
        TableType(
            t["id"],
            t["name_zh"],
            tuple(t.get("aliases", [])),
            tuple(t.get("header_hints", [])),
            tuple(t.get("titles", [])),
        )
        for t in types_doc["types"]
    )
    fields = tuple(FieldSpec(k, v["role"], tuple(v["aliases"])) for k, v in cols_doc["fields"].items())
    return Schema(types, fields)


def load_schema(tables_dir: Path | None = None) -> Schema:
    d = Path(tables_dir) if tables_dir else TABLES_DIR
    return _load(d / "types.yaml", d / "columns.yaml")
