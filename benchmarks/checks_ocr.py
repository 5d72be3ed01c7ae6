"""Issue 13: the disclosure checks on `scan` and `fax` runs of whole documents against their text-layer run.

For each PDF: extract the text layer (``--text-layer auto``), and the whole document rendered at the preset's dpi
(``scan`` 200, ``fax`` 150), degraded page by page with the evaluation harness's seeded degradation, saved as one
multi-page TIFF and extracted by OCR. Extractions run with validation off and are cached under ``--out``, so a rerun
only re-validates (``--validate-only`` never extracts). Every error of an OCR run that the text-layer run lacks is
listed and classified:

- (a) ``ocr_uncertain``: the rule names the OCR-uncertain cell or sentence as such (severity lowered, allowed);
- (b) ``false_error``: an error about the document that the text layer does not support (not allowed).

Validation runs twice per document, with ``ocr_uncertainty`` off (before) and on (after), so the effect of the
mechanism is measured on the same extractions. Metrics JSON → ``--metrics``; a markdown table → stdout.

    OMP_NUM_THREADS=1 python benchmarks/checks_ocr.py ../shared/data/real/*.pdf --presets scan fax \
        --out runs/checks-ocr --metrics docs/bench/checks_ocr.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# the repository's package, not an installed copy, when run as a script
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from juesuan.datamodel.document import Document, Violation
from juesuan.options import PipelineOptions, load_options


def _options(text_layer: bool) -> PipelineOptions:
    """Extraction options: the shipped config, validation off (this script validates), no previews or xlsx."""
    return load_options(
        None,
        {
            "rasterize": {"text_layer": "auto" if text_layer else "never"},
            "validation": {"enabled": False},
            "export": {"previews": False, "xlsx": False, "html": False, "markdown": False, "facts": False},
        },
    )


def degraded_tiff(pdf: Path, preset: str, target: Path, seed: int) -> Path:
    """The whole document rendered at the preset's dpi and degraded per page as ``juesuan evaluate`` does."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    from juesuan.datasets.synth.degrade import PRESETS, degrade_with_transform
    from juesuan.evaluation.harness import page_seed

    if target.is_file():
        return target
    dpi = PRESETS[preset].dpi or 200
    doc = pdfium.PdfDocument(str(pdf))
    frames = []
    try:
        for i in range(len(doc)):
            image = np.asarray(doc[i].render(scale=dpi / 72.0).to_pil().convert("RGB"), dtype=np.uint8)
            out = degrade_with_transform(image, page_seed(seed, pdf.name, i), preset).image
            frames.append(Image.fromarray(out))
    finally:
        doc.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.part.tif")  # two renderers of one file never share a temp file
    frames[0].save(tmp, save_all=True, append_images=frames[1:], dpi=(dpi, dpi), compression="tiff_deflate")
    tmp.replace(target)
    return target


def extract(inputs: Sequence[Path], outdir: Path, text_layer: bool, workers: int) -> dict[str, Path]:
    """Raw document.json per input (cached: a document whose outputs exist is not run again)."""
    from juesuan.batch.runner import run_batch

    summary = run_batch(list(inputs), outdir, _options(text_layer), workers=workers, force=False)
    out: dict[str, Path] = {}
    for d in summary.documents:
        if d.status in ("ok", "incomplete", "skipped") and d.outdir is not None:
            out[Path(d.path).stem] = Path(d.outdir) / "document.json"
        else:
            print(f"  {d.path}: {d.status} {d.error or ''}", file=sys.stderr)
    return out


def _table_type(doc: Document, v: Violation) -> str:
    t = next((t for t in doc.tables if t.id == v.table), None)
    return (t.type or "") if t is not None else ""


def _key(doc: Document, v: Violation) -> tuple[str, int | None, str, float | None]:
    """What makes an OCR-run error 'the same' as a text-layer one: rule, page and table type (table ids and row
    numbers differ between runs); for a sentence the stated figure instead of the table type (three
    narrative_change errors on a page are three different sentences)."""
    found = round(v.found, 2) if v.text and v.found is not None else None
    # a sentence's figure is the same error whichever table the rule found its row in (justice bureau's fax run
    # found 2210201 in the 一般公共预算支出表, its text layer in the 支出预算表)
    return (v.rule, v.page, "" if v.text else _table_type(doc, v), found)


def compare(text_doc: Document, ocr_doc: Document) -> dict[str, Any]:
    """OCR-run errors and ocr-uncertain violations the text-layer run has no error for, classified. Each text-layer
    error answers for at most one OCR violation of the same key (a fourth narrative_change on a page with three in
    the text layer is a new one)."""
    text_keys = Counter(_key(text_doc, v) for v in text_doc.validation.violations if v.severity == "error")
    left = Counter(text_keys)
    false_errors, uncertain = [], []
    ordered = sorted(ocr_doc.validation.violations, key=lambda v: v.severity != "error")  # errors claim first
    for v in ordered:
        if v.severity != "error" and not v.ocr_uncertain:
            continue
        k = _key(ocr_doc, v)
        if left[k] > 0:
            left[k] -= 1
            continue
        row = {
            "rule": v.rule,
            "severity": v.severity,
            "page": None if v.page is None else v.page + 1,
            "table": v.table,
            "table_type": _table_type(ocr_doc, v),
            "message": v.message_en or v.message_zh,
        }
        if v.ocr_uncertain:
            uncertain.append(row | {"why": v.ocr_uncertain})
        else:
            false_errors.append(row)
    ocr_errors = Counter(_key(ocr_doc, v) for v in ocr_doc.validation.violations if v.severity == "error")
    ocr_doubts = Counter(_key(ocr_doc, v) for v in ocr_doc.validation.violations if v.ocr_uncertain)
    return {
        "text_errors": sum(text_keys.values()),
        # the cost side: the document's own errors (text layer) the OCR run still calls errors, only ocr-uncertain
        "text_errors_kept": sum((text_keys & ocr_errors).values()),
        "text_errors_only_uncertain": sum(((text_keys - ocr_errors) & ocr_doubts).values()),
        "ocr_errors": sum(v.severity == "error" for v in ocr_doc.validation.violations),
        "false_errors": false_errors,
        "ocr_uncertain": uncertain,
    }


_PAGE_RUN = re.compile(r"^(?P<stem>.+)__p(?P<page>\d{3})__(?P<dpi>\d+)dpi__(?P<preset>[a-z_]+)$")


def as_page_of(doc: Document, pdf: Path, page: int) -> Document:
    """A one-page OCR document of ``juesuan evaluate`` (page image ``…__p031__…``) as page ``page`` (0-based) of
    its PDF: every page index moved, the source's page count set, so whole-document rules skip it like the
    text-layer page run they are compared with."""
    import pypdfium2 as pdfium

    pdf_doc = pdfium.PdfDocument(str(pdf))
    n = len(pdf_doc)
    pdf_doc.close()
    d = doc.model_copy(deep=True)
    d.source.path, d.source.pages = str(pdf), n
    for p in d.pages:
        p.index += page
    for t in d.tables:
        t.pages = [p + page for p in t.pages]
        for row in t.rows:
            for c in row.cells:
                c.page += page
    for b in d.text:
        b.page += page
    return d


def page_runs(folders: Sequence[Path], pdfs: Sequence[Path], out: Path, workers: int) -> list[dict[str, Any]]:
    """Comparisons for the sampled pages of earlier ``juesuan evaluate`` runs (``OUT/extract/<page run>/``): each
    OCR page against the text-layer extraction of the same page of its PDF (``--pages N``, cached)."""
    from juesuan.batch.runner import run_batch

    by_stem = {p.stem.replace(" ", "_"): p for p in pdfs}
    rows: list[dict[str, Any]] = []
    for folder in folders:
        for run in sorted((folder / "extract").glob("*/document.json")):
            m = _PAGE_RUN.match(run.parent.name)
            pdf = by_stem.get(m.group("stem")) if m else None
            if m is None or pdf is None:
                continue
            page = int(m.group("page")) - 1
            text_dir = out / "text-pages" / f"p{page + 1:03d}"
            text_path = text_dir / pdf.stem / "document.json"
            if not text_path.is_file():
                run_batch([pdf], text_dir, _options(True), workers=workers, pages=[page])
            if not text_path.is_file():
                print(f"  {pdf.name} p{page + 1}: no text-layer extraction", file=sys.stderr)
                continue
            text_doc = validate(text_path, True)
            ocr = as_page_of(Document.load(run), pdf, page)
            rows.append(
                {
                    "document": f"{pdf.name} p{page + 1}",
                    "preset": m.group("preset"),
                    "pages": 1,
                    "before": compare(text_doc, validate(ocr, False)),
                    "after": compare(text_doc, validate(ocr, True)),
                }
            )
    return rows


def validate(path: Path | Document, uncertainty: bool) -> Document:
    from juesuan.validation.check import annotate_and_validate

    options = load_options().validation.model_copy(update={"ocr_uncertainty": uncertainty})
    return annotate_and_validate(path if isinstance(path, Document) else Document.load(path), options)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", type=Path, help="PDFs with a text layer")
    ap.add_argument("--presets", nargs="+", default=["scan", "fax"])
    ap.add_argument("--out", type=Path, default=Path("runs/checks-ocr"))
    ap.add_argument("--metrics", type=Path, default=None, help="write the metrics JSON here")
    ap.add_argument("--seed", type=int, default=7, help="degradation seed (juesuan evaluate's default)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument(
        "--from-evaluate",
        nargs="*",
        type=Path,
        default=[],
        help="also compare the sampled pages of these `juesuan evaluate` output folders (OUT/extract/…)",
    )
    ap.add_argument("--validate-only", action="store_true", help="use cached extractions, extract nothing")
    args = ap.parse_args(argv)
    pdfs = list(dict.fromkeys(p.resolve() for p in args.inputs))  # in the order given: a partial run covers those
    t0 = time.process_time()
    runs: dict[str, dict[str, Path]] = {name: {} for name in ["text", *args.presets]}
    for name in ["text", *args.presets]:  # one batch per run: models load once per worker, not once per document
        todo = [pdf for pdf in pdfs if not (args.out / name / pdf.stem / "document.json").is_file()]
        if todo and not args.validate_only:
            im = args.out / "images" / name
            inputs = [p if name == "text" else degraded_tiff(p, name, im / f"{p.stem}.tif", args.seed) for p in todo]
            extract(inputs, args.out / name, name == "text", args.workers)
        for pdf in pdfs:
            cached = args.out / name / pdf.stem / "document.json"
            if cached.is_file():
                runs[name][pdf.stem] = cached
    docs: list[dict[str, Any]] = []
    for pdf in pdfs:
        text_path = runs["text"].get(pdf.stem)
        if text_path is None:
            continue
        text_doc = validate(text_path, True)
        for preset in args.presets:
            path = runs.get(preset, {}).get(pdf.stem)
            if path is None:
                continue
            before = compare(text_doc, validate(path, False))
            after = compare(text_doc, validate(path, True))
            docs.append(
                {
                    "document": pdf.name,
                    "preset": preset,
                    "pages": text_doc.source.pages,
                    "before": before,
                    "after": after,
                }
            )
    pages = page_runs(args.from_evaluate, pdfs, args.out, args.workers)
    summary: dict[str, Any] = {}
    for key, rows in [(preset, [d for d in docs if d["preset"] == preset]) for preset in args.presets] + [
        (f"{preset} (sampled pages)", [d for d in pages if d["preset"] == preset])
        for preset in dict.fromkeys(d["preset"] for d in pages)
    ]:
        summary[key] = {
            "documents": len(rows),
            "pages": sum(d["pages"] for d in rows),
            **{
                f"{when}_{what}": sum(len(d[when][what]) for d in rows)
                for when in ("before", "after")
                for what in ("false_errors", "ocr_uncertain")
            },
            **{
                what: sum(d["after"][what] for d in rows)
                for what in ("text_errors", "text_errors_kept", "text_errors_only_uncertain")
            },
        }
    metrics = {
        "command": " ".join(["python", "benchmarks/checks_ocr.py", *(argv or sys.argv[1:])]),
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cpus",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu_seconds_this_process": round(time.process_time() - t0, 1),
        "summary": summary,
        "documents": docs,
        "sampled_pages": pages,
    }
    if args.metrics:
        args.metrics.parent.mkdir(parents=True, exist_ok=True)
        args.metrics.write_text(json.dumps(metrics, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(
        "| preset | documents | pages | false errors before | after | ocr-uncertain after "
        "| text-layer errors | of them still errors | only ocr-uncertain |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for preset, s in summary.items():
        print(
            f"| {preset} | {s['documents']} | {s['pages']} | {s['before_false_errors']} | {s['after_false_errors']} "
            f"| {s['after_ocr_uncertain']} | {s['text_errors']} | {s['text_errors_kept']} "
            f"| {s['text_errors_only_uncertain']} |"
        )
    for d in docs + pages:
        for e in d["after"]["false_errors"]:
            print(f"- {d['preset']} {d['document']} p{e['page']} {e['rule']} {e['table_type']}: {e['message']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
