"""juesuan (决算): scanned Chinese fiscal disclosures to validated, machine-readable tables.

    import juesuan
    doc = juesuan.extract("report.pdf", pages="3-9")     # pages counted from 1
    doc.tables[0].to_pandas(); doc.to_markdown(); doc.to_html()
    juesuan.validate(doc)                                  # after editing values; human edits win

Everything is imported on first use (PEP 562 ``__getattr__``), so ``import juesuan`` and ``juesuan --help`` stay
fast: no torch, onnxruntime or pydantic until a name below is touched. See docs/api.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Document", "Pipeline", "Table", "__version__", "extract", "validate"]

_LAZY = {
    "extract": "juesuan.api",
    "validate": "juesuan.api",
    "Pipeline": "juesuan.api",
    "Document": "juesuan.datamodel.document",
    "Table": "juesuan.datamodel.document",
}

if TYPE_CHECKING:
    from juesuan.api import Pipeline, extract, validate
    from juesuan.datamodel.document import Document, Table


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'juesuan' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
