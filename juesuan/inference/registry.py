"""Stage kind → class, one dict per stage. Strings keep imports lazy: `juesuan --help` loads no model code."""

from __future__ import annotations

import importlib
from typing import Any

from juesuan.errors import ConfigError

STAGES: dict[str, dict[str, str]] = {
    "rasterize": {"pdfium": "juesuan.inference.rasterize:Rasterizer"},
    "layout": {
        "picodet_cdla": "juesuan.inference.layout:PicoDetLayout",
        "lines_only": "juesuan.inference.layout:LinesOnlyLayout",
    },
    "grid": {"ruled": "juesuan.inference.grid:RuledGrid"},
    "ocr": {
        "ppocr_v6": "juesuan.inference.ocr:PpOcr",
        "ppocr_v4": "juesuan.inference.ocr:PpOcr",
        "tesseract": "juesuan.inference.ocr:TesseractOcr",
    },
    "structure": {"default": "juesuan.inference.structure:TableStructure"},
    "label": {
        "classifier": "juesuan.inference.label:TokenLabeler",
        "rules": "juesuan.inference.label:TokenLabeler",
    },
    "assemble": {"default": "juesuan.inference.assemble:Assembler"},
}


def stage_class(stage: str, kind: str) -> type[Any]:
    kinds = STAGES.get(stage)
    if kinds is None:
        raise ConfigError(f"unknown stage {stage!r}; known: {', '.join(STAGES)}")
    if kind not in kinds:
        raise ConfigError(f"unknown {stage} kind {kind!r}; known: {', '.join(sorted(kinds))}")
    module_name, _, attr = kinds[kind].partition(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]


def build(stage: str, options: Any) -> Any:
    """Build a stage from its options (``options.kind`` picks the class)."""
    return stage_class(stage, getattr(options, "kind", "default"))(options)
