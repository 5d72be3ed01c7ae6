"""The front door: ``juesuan.extract(path) -> Document``, ``juesuan.validate(doc)``, and ``Pipeline`` for many calls.

Pages are counted from 1 here as on the command line (``pages="3-9"`` or ``[3, 4, 5]``); document.json keeps
0-based indices. Keyword options are the CLI's flags (``dpi=150``, ``ocr="ppocr_v4"``, ``device="cuda"``,
``repair=False``) or whole option sections (``ocr={"rec_batch_size": 64}``), merged into configs/pipeline.yaml
before one validation, so a typo is an error here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from juesuan.errors import ConfigError, InputError

if TYPE_CHECKING:
    from juesuan.datamodel.document import Document
    from juesuan.options import PipelineOptions

PathLike = str | Path

# flag-style keyword → option path (the same names as ``juesuan extract`` flags)
_SHORTCUTS = {
    "dpi": "rasterize.dpi",
    "text_layer": "rasterize.text_layer",
    "ocr": "ocr.kind",
    "labeler": "label.kind",
    "repair": "validation.repair",
    "validate": "validation.enabled",
}


def _overrides(options: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def put(path: str, value: Any) -> None:
        node = out
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value

    for key, value in options.items():
        if key == "device":
            for stage in ("ocr", "label", "layout"):
                put(f"{stage}.device", value)
        elif key in _SHORTCUTS and not isinstance(value, Mapping):
            put(_SHORTCUTS[key], value)
        else:
            out[key] = value  # a whole section (ocr={...}) or a top-level field (page_batch=8)
    return out


def _pages(pages: str | Iterable[int] | None) -> list[int] | None:
    """1-based pages ("3-9", "1,4", [3, 4]) → sorted 0-based indices."""
    if pages is None:
        return None
    if isinstance(pages, str):
        from juesuan.io.inputs import parse_pages

        try:
            return parse_pages(pages)
        except ValueError as exc:
            raise ConfigError(f"pages={pages!r}: {exc}") from exc
    out = sorted({int(p) - 1 for p in pages})
    if out and out[0] < 0:
        raise ConfigError(f"pages={list(pages)!r}: pages are counted from 1")
    return out


class Pipeline:
    """Extraction with models kept loaded between calls (a notebook, a web service, a loop over files)."""

    def __init__(self, config: PathLike | None = None, **options: Any) -> None:
        from juesuan.inference.pipeline import Pipeline as _Pipeline
        from juesuan.options import load_options

        self.options: PipelineOptions = load_options(Path(config) if config else None, _overrides(options))
        self._pipeline = _Pipeline(self.options)

    def extract(self, path: PathLike, pages: str | Iterable[int] | None = None) -> Document:
        """One PDF or page image → a validated Document (nothing written to disk)."""
        from juesuan.io.inputs import find_inputs

        files, problems = find_inputs([path])
        if problems:
            bad, problem = problems[0]
            raise InputError(Path(bad), problem)
        if len(files) != 1:
            raise InputError(Path(path), f"expected one PDF or image, found {len(files)}")
        indices = _pages(pages)
        doc = self._pipeline.run_document(files[0], pages=indices)
        if indices is not None:
            doc.meta["pages_requested"] = ",".join(str(i) for i in indices)
        return doc

    __call__ = extract


@overload
def extract(path_or_paths: PathLike, pages: str | Iterable[int] | None = None, **options: Any) -> Document: ...
@overload
def extract(
    path_or_paths: Sequence[PathLike], pages: str | Iterable[int] | None = None, **options: Any
) -> list[Document]: ...
def extract(
    path_or_paths: PathLike | Sequence[PathLike], pages: str | Iterable[int] | None = None, **options: Any
) -> Document | list[Document]:
    """Extract every table of one file (→ Document) or of several (→ list, same order).

    Folders are searched for PDFs and images. ``pages`` counts from 1. Bad input raises ``InputError`` naming the
    file; for batches that must go on past bad files, use ``juesuan extract`` (or ``juesuan.batch.runner``).
    """
    config = options.pop("config", None)
    pipeline = Pipeline(config, **options)
    if isinstance(path_or_paths, str | Path):
        from juesuan.io.inputs import find_inputs

        files, problems = find_inputs([path_or_paths])
        if problems:
            raise InputError(Path(problems[0][0]), problems[0][1])
        if Path(path_or_paths).is_dir():
            return [pipeline.extract(f, pages) for f in files]
        return pipeline.extract(path_or_paths, pages)
    return [pipeline.extract(p, pages) for p in path_or_paths]


def validate(doc: Document, repair: bool = True, **options: Any) -> Document:
    """Check (and repair, where identities prove it) a Document — e.g. after a person edited values.

    Cells a person changed since the machine's last output (or marked ``source="human"``) are kept as given.
    ``options`` are ValidationOptions fields (``narrative=False``, ``cross_table=False`` …).
    """
    from juesuan.io.edits import apply_human_edits
    from juesuan.options import ValidationOptions
    from juesuan.validation.check import annotate_and_validate

    edited, _ = apply_human_edits(doc)
    return annotate_and_validate(edited, ValidationOptions(repair=repair, **options))
