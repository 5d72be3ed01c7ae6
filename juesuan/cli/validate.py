"""``juesuan validate OUTDIR|document.json [--no-repair]``: re-check a document (after a person edited a value).

Cells a person changed since the machine wrote the file become ``source: human`` and are never repaired
(``juesuan/io/edits.py``); then every export beside document.json is rewritten from it (CSV, XLSX, md, html, facts,
validation.md), and a batch facts.csv/parquet at the top of a folder given on the command line too.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from juesuan.cli import EXIT_INPUT_FAILED, add_fail_on, validation_exit_code
from juesuan.errors import ConfigError, InputError

if TYPE_CHECKING:
    from juesuan.datamodel.document import Document
    from juesuan.options import ExportOptions

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "validate",
        help="re-run validation on document.json files (after a person edited them) and rewrite every export",
        description="Re-run table typing, identities, repair and narrative checks on document.json. Values a person "
        "changed win (never repaired). document.json and every export beside it are rewritten atomically. Exit 0 all "
        "passed, 1 a file could not be read, 3 validation errors (see --fail-on).",
    )
    p.add_argument("paths", nargs="+", type=Path, help="document.json files, or folders searched for them")
    p.add_argument("--no-repair", action="store_true", help="report identity failures without correcting cells")
    p.add_argument("--no-narrative", action="store_true", help="skip checks of the 情况说明 text")
    p.add_argument("--retype", action="store_true", help="classify table types again even where already set")
    p.add_argument(
        "--formats",
        default=None,
        help="exports to rewrite, comma-separated: csv,xlsx,md,html,facts (default: those the extract run wrote)",
    )
    add_fail_on(p)
    p.set_defaults(run=run)


def _documents(paths: list[Path]) -> tuple[list[Path], list[InputError]]:
    """document.json files under ``paths``, and one error per path that gives none (the others still run)."""
    out: list[Path] = []
    problems: list[InputError] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.rglob("document.json"))
            if not found:
                problems.append(InputError(p, "no document.json in this folder"))
            out += found
        elif p.is_file():
            out.append(p)
        else:
            problems.append(InputError(p, "not found"))
    return out, problems


def _export_options(doc: Document, formats: str | None) -> ExportOptions:
    """The exports the extract run wrote (document.json meta), changed by ``--formats``."""
    from juesuan.io.export import formats_overrides
    from juesuan.options import ExportOptions

    used = (doc.meta.get("options") or {}).get("export") or {}
    fields = {k: v for k, v in used.items() if k in ExportOptions.model_fields}
    if formats is not None:
        try:
            fields.update(formats_overrides(formats))
        except ValueError as exc:
            raise ConfigError(f"--formats: {exc}") from exc
    return ExportOptions.model_validate(fields)


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from juesuan.datamodel.document import Document
    from juesuan.io.edits import apply_human_edits
    from juesuan.io.export import rewrite_document_outputs
    from juesuan.io.facts import write_batch_facts
    from juesuan.options import ValidationOptions
    from juesuan.validation.check import annotate_and_validate

    options = ValidationOptions(repair=not args.no_repair, narrative=not args.no_narrative)
    counts: list[tuple[int, int]] = []
    checked_docs: list[tuple[Path, Document]] = []  # for the cross-document checks (one department's files)
    paths, problems = _documents(list(args.paths))
    for problem in problems:
        log.error("%s", problem)
    failed = len(problems)
    if not paths:
        raise problems[0]
    for path in paths:
        try:
            doc = Document.load(path)
        except (OSError, ValidationError, ValueError) as exc:
            log.error("%s: not a juesuan document.json (%s)", path, str(exc).splitlines()[0])
            failed += 1
            continue
        doc, edited = apply_human_edits(doc)
        if edited:
            log.info("%s: %d cells edited by a person since the last write; they are kept as given", path, edited)
        if args.retype:
            doc = doc.model_copy(update={"tables": [t.model_copy(update={"type": None}) for t in doc.tables]})
        checked = annotate_and_validate(doc, options)
        checked_docs.append((path.parent, checked))
        rewrite_document_outputs(checked, path.parent, _export_options(checked, args.formats))
        v = checked.validation
        errors = sum(x.severity == "error" for x in v.violations)
        warnings = sum(x.severity == "warning" for x in v.violations)
        counts.append((errors, warnings))
        human = sum(c.source == "human" for t in checked.tables for r in t.rows for c in r.cells)
        print(
            f"{path}: {'passed' if v.passed else 'FAILED'} — {v.checks} checks, {errors} errors, "
            f"{warnings} warnings, {len(v.repairs)} repairs, {human} human cells → {path.parent}"
        )
    if len(checked_docs) > 1:
        from juesuan.validation.multidoc import Named, check_documents

        cross, n = check_documents([Named(str(p), d) for p, d in checked_docs])
        print(f"cross-document: {n} checks, {len(cross)} violations")
        for x in cross:
            print(f"  {x.severity} {x.rule}: {x.message_zh}")
        counts.append((sum(x.severity == "error" for x in cross), sum(x.severity == "warning" for x in cross)))
    for root in args.paths:
        if root.is_dir() and (root / "facts.csv").is_file() and not (root / "document.json").is_file():
            found = sorted(root.rglob("document.json"))
            loaded = dict(checked_docs)  # {document folder: the document as validated and written}
            write_batch_facts(root, [(p.parent.name, loaded[p.parent]) for p in found if p.parent in loaded])
            log.info("%s: batch facts rewritten from %d documents", root, len(found))
    if failed:
        return EXIT_INPUT_FAILED
    return validation_exit_code(counts, args.fail_on)
