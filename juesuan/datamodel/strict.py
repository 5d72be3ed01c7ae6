"""A strict variant of the document.json models: an undeclared key anywhere is an error.

The models in :mod:`juesuan.datamodel.document` allow extra keys so that a reader of an older or newer file does not
break. What juesuan itself writes must not rely on that: every field it produces is declared. Tests validate produced
documents with :data:`StrictDocument`; use it on any document.json to find fields that no model describes.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict

from juesuan.datamodel import document


def _strict_variants() -> dict[str, type[BaseModel]]:
    """One subclass per document model with ``extra="forbid"``, its nested models swapped for their strict twins."""
    models = {
        name: cls
        for name, cls in vars(document).items()
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == document.__name__
    }
    strict: dict[str, type[BaseModel]] = {}
    for name, cls in models.items():
        annotations: dict[str, Any] = {}
        for base in reversed(cls.__mro__):
            annotations.update(getattr(base, "__annotations__", {}))
        body: dict[str, Any] = {
            "__annotations__": {field: annotations[field] for field in cls.model_fields},
            "__module__": __name__,
            "model_config": ConfigDict(extra="forbid"),
        }
        body.update({field: copy.copy(info) for field, info in cls.model_fields.items()})
        strict[name] = type(name, (cls,), body)
    namespace = {**vars(document), **strict}  # annotations are strings: resolve them to the strict classes
    for cls in strict.values():
        cls.model_rebuild(force=True, _types_namespace=namespace)
    return strict


STRICT_MODELS = _strict_variants()
StrictDocument: type[BaseModel] = STRICT_MODELS["Document"]


def undeclared_fields(data: dict[str, Any]) -> list[str]:
    """Dotted paths of the keys in a document.json dict that no model declares (empty: fully described)."""
    from pydantic import ValidationError

    try:
        StrictDocument.model_validate(data)
    except ValidationError as exc:
        return [".".join(map(str, e["loc"])) for e in exc.errors() if e["type"] == "extra_forbidden"]
    return []
