"""``juesuan validate OUTDIR|document.json [--no-repair]``: re-check a document (after a person edited a value)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from juesuan.errors import InputError

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "validate",
        help="re-run validation on document.json files and rewrite them with validation.md",
        description="Re-run table typing, identities, repair and narrative checks on document.json; rewrite it "
        "atomically and write validation.md beside it.",
    )
    p.add_argument("paths", nargs="+", type=Path, help="document.json files, or folders searched for them")
    p.add_argument("--no-repair", action="store_true", help="report identity failures without correcting cells")
    p.add_argument("--no-narrative", action="store_true", help="skip checks of the 情况说明 text")
    p.add_argument("--retype", action="store_true", help="classify table types again even where already set")
    p.set_defaults(run=run)


def _documents(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.rglob("document.json"))
            if not found:
                raise InputError(p, "no document.json in this folder")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(p, "not found")
    return out


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from juesuan.datamodel.document import Document
    from juesuan.io.atomic import write_text
    from juesuan.options import ValidationOptions
    from juesuan.validation.check import annotate_and_validate
    from juesuan.validation.report import render

    options = ValidationOptions(repair=not args.no_repair, narrative=not args.no_narrative)
    failed = 0
    checked_docs: list[tuple[Path, Document]] = []  # for the cross-document checks (one department's files)
    for path in _documents(list(args.paths)):
        try:
            doc = Document.load(path)
        except (ValidationError, ValueError) as exc:
            log.error("%s: not a juesuan document.json (%s)", path, str(exc).splitlines()[0])
            failed += 1
            continue
        if args.retype:
            doc = doc.model_copy(update={"tables": [t.model_copy(update={"type": None}) for t in doc.tables]})
        checked = annotate_and_validate(doc, options)
        checked_docs.append((path.parent, checked))
        write_text(path, checked.to_json())
        write_text(path.with_name("validation.md"), render(checked))
        v = checked.validation
        errors = sum(x.severity == "error" for x in v.violations)
        warnings = sum(x.severity == "warning" for x in v.violations)
        print(
            f"{path}: {'passed' if v.passed else 'FAILED'} — {v.checks} checks, {errors} errors, "
            f"{warnings} warnings, {len(v.repairs)} repairs → {path.with_name('validation.md')}"
        )
    if len(checked_docs) > 1:
        from juesuan.validation.multidoc import Named, check_documents

        cross, n = check_documents([Named(str(p), d) for p, d in checked_docs])
        print(f"cross-document: {n} checks, {len(cross)} violations")
        for x in cross:
            print(f"  {x.severity} {x.rule}: {x.message_zh}")
    return 1 if failed else 0
