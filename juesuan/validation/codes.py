"""Classification-code catalogue: 支出功能分类 (类 3 digits, 款 5, 项 7) and 部门经济分类 (类 3, 款 5).

Data in ``configs/codes/classification.tsv`` (built by ``scripts/catalogue_build.py``; every row
names its sources). Used to check that a row's 科目编码 and 科目名称 agree and to choose between OCR readings of
either. Function codes start with 2 and economic codes with 3, so a code alone tells its system.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from pathlib import Path

from juesuan.settings import config_dir

CATALOGUE_PATH = config_dir() / "codes" / "classification.tsv"


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """One 科目: ``system`` is "function" (功能分类) or "economic" (经济分类); ``level`` 1 类, 2 款, 3 项."""

    system: str
    code: str
    level: int
    name: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    entries: dict[str, CodeEntry]

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, code: str) -> CodeEntry | None:
        return self.entries.get(code)

    def name(self, code: str) -> str | None:
        entry = self.entries.get(code)
        return entry.name if entry else None

    @staticmethod
    def system_of(code: str) -> str | None:
        """ "function" for 2xx codes of 3/5/7 digits, "economic" for 3xx of 3/5 digits, else None."""
        if not code.isdigit():
            return None
        if code[0] == "2" and len(code) in (3, 5, 7):
            return "function"
        if code[0] == "3" and len(code) in (3, 5):
            return "economic"
        return None

    @staticmethod
    def parent(code: str) -> str | None:
        """类 of a 款, 款 of a 项; None for a 类."""
        return code[:-2] if len(code) in (5, 7) else None

    def names_match(self, code: str, name: str) -> bool | None:
        """Does ``name`` fit ``code``? None when the code is not in the catalogue (we cannot tell)."""
        entry = self.entries.get(code)
        if entry is None:
            return None
        return squash_name(name) == squash_name(entry.name)

    def codes_for_name(self, name: str, level: int | None = None) -> list[str]:
        """Codes whose canonical name is exactly ``name`` (generic names such as 行政运行 match many)."""
        key = squash_name(name)
        entries = self.entries.items()
        return [c for c, e in entries if squash_name(e.name) == key and (level is None or e.level == level)]

    def named_items(self, system: str) -> list[CodeEntry]:
        """Entries of one system ("economic", "function") in code order: 类 before its 款, 款 in number order, the
        order in which tables list them (302 商品和服务支出, 30201 办公费, 30202 印刷费, ...)."""
        return sorted((e for e in self.entries.values() if e.system == system), key=lambda e: e.code)

    def similarity(self, code: str, name: str) -> float:
        """0..1 similarity of ``name`` with the catalogue name of ``code`` (0 when unknown)."""
        entry = self.entries.get(code)
        if entry is None:
            return 0.0
        return difflib.SequenceMatcher(None, squash_name(name), squash_name(entry.name)).ratio()


def squash_name(name: str) -> str:
    """A name as compared with the catalogue: no spaces, full-width brackets."""
    return "".join(name.split()).replace("(", "（").replace(")", "）")


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> Catalogue:
    entries: dict[str, CodeEntry] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        if not line.strip():
            continue
        system, code, level, name, sources = line.split("\t")
        entries[code] = CodeEntry(system, code, int(level), name, tuple(sources.split(";")))
    return Catalogue(entries)


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The shipped catalogue (read once per process; it is read-only data)."""
    return _load(Path(path) if path else CATALOGUE_PATH)
