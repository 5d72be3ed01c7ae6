"""The one registry of stage kinds: stage → kind → class. Options, both CLIs and the evaluation harness read it.

Classes are named by import string, so building the CLI (``--ocr`` choices) or validating options loads no model
code: ``juesuan --help`` stays fast. A kind that is not here fails with the known ones listed, whether it comes from
YAML (``OcrOptions(kind=...)``), a flag (argparse ``choices``) or Python (:func:`build`).

Every stage is a :class:`Stage`: built from its options class, called on a batch, it returns a new list and leaves
its input alone. Page stages (rasterize … label) return one result per input, in order; ``assemble`` is the one
document stage, turning the pages of one document into its tables.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

from juesuan.errors import ConfigError

In_contra = TypeVar("In_contra", contravariant=True)
Out_co = TypeVar("Out_co", covariant=True)


@runtime_checkable
class Stage(Protocol[In_contra, Out_co]):
    """A batch in, a new list out (page stages: same length and order). Models load on the first call."""

    def __call__(self, batch: Sequence[In_contra], /) -> list[Out_co]: ...


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
        "classifier": "juesuan.inference.label:ClassifierLabeler",
        "rules": "juesuan.inference.label:RulesLabeler",
    },
    "assemble": {"default": "juesuan.inference.assemble:Assembler"},
}

PAGE_STAGES = ("rasterize", "layout", "grid", "ocr", "structure", "label")
"""Pipeline order of the page stages; ``assemble`` follows once all of a document's pages are in."""

OPTIONS_FIELD = {stage: stage for stage in PAGE_STAGES} | {"assemble": "structure"}
"""The ``PipelineOptions`` field that configures each stage (assemble shares the structure options)."""

PEERS = ("ppocr_v6", "ppocr_v4", "tesseract", "img2table", "slanet_plus")
"""Peer tools the evaluation harness runs instead of the pipeline (full-page OCR baselines, img2table, SLANet+)."""


def kinds(stage: str) -> tuple[str, ...]:
    """The known kinds of ``stage``, sorted: argparse ``choices`` and option validation read this."""
    if stage not in STAGES:
        raise ConfigError(f"unknown stage {stage!r}; known: {', '.join(STAGES)}")
    return tuple(sorted(STAGES[stage]))


def check_kind(stage: str, kind: str) -> str:
    """``kind`` if ``stage`` has it; else a ValueError listing the known kinds (pydantic reports it per field)."""
    known = kinds(stage)
    if kind not in known:
        raise ValueError(f"unknown {stage} kind {kind!r}; known: {', '.join(known)}")
    return kind


def stage_class(stage: str, kind: str) -> type[Any]:
    known = kinds(stage)
    if kind not in known:
        raise ConfigError(f"unknown {stage} kind {kind!r}; known: {', '.join(known)}")
    module_name, _, attr = STAGES[stage][kind].partition(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]


def build(stage: str, options: Any) -> Stage[Any, Any]:
    """Build a stage from its options (``options.kind`` picks the class; options without one are ``default``)."""
    built = stage_class(stage, getattr(options, "kind", "default"))(options)
    if not isinstance(built, Stage):
        raise ConfigError(f"{type(built).__name__} ({stage}) is not callable on a batch")
    return built
