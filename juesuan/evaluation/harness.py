"""Evaluation harness behind ``juesuan evaluate`` and ``benchmarks/bench_extract.py``.

One run: truth pages (from PDFs' text layer, or labelled-page JSONL) → page images rasterized at a dpi and degraded
with a named scan preset (seeded per page, so any page can be regenerated alone) → an engine (juesuan through the
batch runner, or a peer) → metrics (``metrics.py``) → ``metrics.json``, ``cells.jsonl``, ``report.md`` with the
worst pages drawn, and an MLflow run. Truth boxes follow the page through the degradation (its geometry matrix) and
through the pipeline's own deskew (``PageInfo.skew_deg``), so a 1° scan does not move a cell into its neighbour.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from juesuan.datamodel.document import Document
from juesuan.errors import ConfigError, InputError
from juesuan.evaluation import metrics as m_
from juesuan.evaluation.truth import TruthCell, TruthPage, load_labelled_truth, pdf_truth
from juesuan.inference.registry import PEERS
from juesuan.options import PipelineOptions

log = logging.getLogger(__name__)

ENGINES = ("juesuan", *PEERS)
IMG2TABLE_SITE_ENV = "JUESUAN_IMG2TABLE_SITE"  # a pip --target folder holding img2table + opencv-contrib


class EvaluateOptions(BaseModel):
    """How one evaluation run reads, degrades and scores its pages (logged with every run)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dpi: int = Field(200, ge=72, le=600, description="rasterize PDFs at this dpi (labelled pages keep theirs)")
    degrade: str = Field("scan", description="scan-simulation preset (juesuan.datasets.synth.degrade.PRESETS)")
    seed: int = Field(7, description="degradation seed; page p of doc d uses default_rng([seed, crc32(d), p])")
    pages: Literal["tables", "all"] = Field("tables", description="tables: only pages with truth numeric cells")
    max_pages: int | None = Field(None, ge=1, description="first N pages per document (smoke runs)")
    engine: str = Field("juesuan", description=f"one of {', '.join(ENGINES)}")
    workers: int = Field(1, ge=1, description="juesuan worker processes")
    name_threshold: float = Field(0.8, ge=0, le=1)
    x_tol_frac: float = Field(0.012, ge=0, le=0.2)
    require_header: bool = False
    worst_pages: int = Field(4, ge=0, description="pages drawn in the report, worst value accuracy first")
    mlflow: bool = Field(True, description="log the run to the project MLflow store (juesuan/training/tracking.py)")
    experiment: str = "juesuan-evaluate"
    revalidate_without_repair: bool = Field(True, description="also re-check identities with repair off")
    labels: bool = Field(True, description="token-label entity F1 (PDFs: gold from the text layer + ruled grid)")
    sample_pages: int | None = Field(
        None, ge=1, description="N table pages per document drawn with default_rng([seed, crc32(doc)]) (cheap runs)"
    )
    families: str | None = Field(
        None, description="families/split YAML (configs/eval/wide.yaml): metrics per family and per dev/held-out split"
    )
    raw_ceiling: bool = Field(
        False, description="also run full-page PP-OCRv6 on each page: share of truth numbers its text holds"
    )
    raw_ceiling_cached_only: bool = Field(
        False, description="raw ceiling only on pages whose OCR is kept beside the image (others: not measured)"
    )
    resume: bool = Field(
        False, description="juesuan: keep page results already in OUT/extract (same image sha256), run the rest"
    )
    only_done: bool = Field(
        False, description="score only pages that already have a result in OUT/extract (an interrupted run)"
    )
    truth_cache: str | None = Field(
        None, description="folder keeping each PDF's truth (keyed by file sha256, dpi and truth.py), shared by runs"
    )


@dataclass(frozen=True, slots=True)
class PreparedPage:
    """A page image on disk and its truth in that image's pixels (after degradation)."""

    truth: TruthPage
    image: Path
    matrix: tuple[tuple[float, ...], ...]  # source → image 3x3


@dataclass(frozen=True, slots=True)
class EngineRun:
    """One engine over the prepared pages: a document per page (None: failed) and per-page seconds."""

    engine: str
    documents: list[Document | None]
    page_seconds: list[float | None]
    wall_seconds: float
    errors: list[str]


# ------------------------------------------------------------------------------------------------------ truth


def _truth_of(path: Path, options: EvaluateOptions) -> list[TruthPage]:
    if not path.exists():
        raise InputError(path, "file not found")
    if path.suffix.lower() == ".jsonl":
        return load_labelled_truth(path)
    if path.suffix.lower() != ".pdf":
        raise InputError(path, "evaluate reads PDFs with a text layer or labelled-page .jsonl manifests")
    import pypdfium2

    try:
        return pdf_truth(path, options.dpi)
    except pypdfium2.PdfiumError as exc:
        raise InputError(path, f"cannot read this PDF ({exc})") from None


def _cached_truth(path: Path, options: EvaluateOptions, cache: Path | None) -> list[TruthPage]:
    """``_truth_of`` through a pickle per (file sha256, dpi, truth.py sha256): reading 39 PDFs' text layers and
    rulings costs minutes, and a rerun (another preset, a resumed run) needs the same truth."""
    if cache is None or Path(path).suffix.lower() != ".pdf" or not Path(path).exists():
        return _truth_of(path, options)
    import hashlib
    import pickle

    from juesuan.evaluation import truth as truth_module

    code = hashlib.sha256(Path(truth_module.__file__).read_bytes()).hexdigest()[:12]
    data = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    target = cache / f"{data}-{options.dpi}-{code}.pkl"
    if target.exists():
        with target.open("rb") as fh:
            return list(pickle.load(fh))
    pages = _truth_of(path, options)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(pages, fh)
    tmp.replace(target)
    return pages


def collect_truth(inputs: Sequence[Path], options: EvaluateOptions, cache: Path | None = None) -> list[TruthPage]:
    """Truth pages of every input: PDFs (text layer) or labelled-page manifests (``.jsonl``)."""
    pages: list[TruthPage] = []
    for path in inputs:
        path = Path(path)
        try:
            found = _cached_truth(path, options, cache)
        except InputError as exc:  # one line for this input; the others are still evaluated
            log.error("%s", exc)
            continue
        if options.pages == "tables":
            found = [p for p in found if p.has_values]
        if options.sample_pages is not None:
            found = sample_pages(found, options.sample_pages, options.seed)
        if options.max_pages is not None:
            by_doc: dict[str, int] = {}
            kept = []
            for p in found:
                by_doc[p.doc] = by_doc.get(p.doc, 0) + 1
                if by_doc[p.doc] <= options.max_pages:
                    kept.append(p)
            found = kept
        if not found:
            log.warning("%s: no pages with truth tables", path)
        pages += found
    return pages


def sample_pages(pages: Sequence[TruthPage], n: int, seed: int) -> list[TruthPage]:
    """At most ``n`` pages per document, drawn with ``default_rng([seed, crc32(doc)])``, in page order: the same
    pages for every preset and engine, whatever other documents are in the run."""
    by_doc: dict[str, list[TruthPage]] = {}
    for p in pages:
        by_doc.setdefault(p.doc, []).append(p)
    kept: list[TruthPage] = []
    for doc, group in by_doc.items():
        if len(group) > n:
            rng = np.random.default_rng([seed, zlib.crc32(doc.encode("utf-8"))])
            picked = sorted(rng.choice(len(group), size=n, replace=False).tolist())
            group = [group[i] for i in picked]
        kept += group
    return kept


def _affine_point(m: np.ndarray, x: float, y: float) -> tuple[float, float]:
    v = m @ np.array([x, y, 1.0])
    return float(v[0] / v[2]), float(v[1] / v[2])


def _map_box(m: np.ndarray, box: Sequence[float]) -> tuple[float, float, float, float]:
    pts = [_affine_point(m, x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys))


def transform_truth(page: TruthPage, matrix: np.ndarray) -> TruthPage:
    """Truth with every box and centre moved by a 3x3 source → target matrix (degradation, deskew)."""
    if np.allclose(matrix, np.eye(3)):
        return page
    cells = []
    for c in page.cells:
        x, y = _affine_point(matrix, c.x_centre, c.y_centre)
        cells.append(
            replace(c, x_centre=x, y_centre=y, bbox_px=_map_box(matrix, c.bbox_px), cell_px=_map_box(matrix, c.cell_px))
        )
    tables = tuple(replace(t, bbox_px=_map_box(matrix, t.bbox_px)) for t in page.tables)
    labels = tuple(replace(g, bbox_px=_map_box(matrix, g.bbox_px)) for g in page.labels)
    return replace(page, cells=tuple(cells), tables=tables, words=(), labels=labels)


def deskew_matrix(skew_deg: float, width: int, height: int) -> np.ndarray:
    """The rotation ``preprocess.rotate_small`` applies (cv2.getRotationMatrix2D about the centre, angle -skew)."""
    if not skew_deg:
        return np.eye(3)
    theta = math.radians(-skew_deg)
    a, b = math.cos(theta), math.sin(theta)
    cx, cy = width / 2.0, height / 2.0
    return np.array([[a, b, (1 - a) * cx - b * cy], [-b, a, b * cx + (1 - a) * cy], [0.0, 0.0, 1.0]])


# ------------------------------------------------------------------------------------------------ page images


def _render_pdf_page(path: Path, index: int, dpi: int) -> np.ndarray:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        bitmap = pdf[index].render(scale=dpi / 72.0)
        return np.asarray(bitmap.to_pil().convert("RGB"), dtype=np.uint8).copy()
    finally:
        pdf.close()


def _load_image(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def _with_text_layer_labels(tp: TruthPage, image: np.ndarray, inherited: Any) -> tuple[TruthPage, Any]:
    """Gold token labels of a PDF page from the clean raster (before degradation) and its text-layer words."""
    from juesuan.evaluation.labels import text_layer_gold

    if abs(image.shape[1] - tp.width) > 2 or abs(image.shape[0] - tp.height) > 2:
        log.warning("%s page %d: text layer frame differs from the render; no gold labels", tp.doc, tp.page + 1)
        return tp, None
    gold, last = text_layer_gold(image, tp.words, tp.path, tp.page, tp.dpi, inherited)
    return replace(tp, labels=gold), last


def _page_stem(tp: TruthPage, options: EvaluateOptions, tag: str | None = None) -> str:
    """File stem of a prepared page image (and so of its result folder under OUT/extract)."""
    return f"{Path(tp.doc).stem.replace(' ', '_')}__p{tp.page + 1:03d}__{tp.dpi}dpi__{tag or options.degrade}"


def page_seed(seed: int, doc: str, page: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(doc.encode("utf-8")), page])


def prepare_pages(
    truth_pages: Sequence[TruthPage], folder: Path, options: EvaluateOptions, level: Any = None, tag: str | None = None
) -> list[PreparedPage]:
    """Rasterize (PDF) or load (labelled) each page, degrade it, save a PNG with its dpi, move the truth along.

    ``level``: a ``DegradeOptions`` instead of the preset named in ``options`` (sweeps); ``tag`` names it in files.
    """
    from PIL import Image

    from juesuan.datasets.synth.degrade import degrade_with_transform

    folder.mkdir(parents=True, exist_ok=True)
    out: list[PreparedPage] = []
    heads: tuple[str, int, Any] | None = None  # last table's column heads, for a 续表 on the next page
    for tp in truth_pages:
        source = Path(tp.path)
        pdf = source.suffix.lower() == ".pdf"
        image = _render_pdf_page(source, tp.page, tp.dpi) if pdf else _load_image(source)
        if pdf and options.labels and tp.words and not tp.labels:
            inherited = heads[2] if heads and heads[:2] == (tp.doc, tp.page - 1) else None
            tp, last = _with_text_layer_labels(tp, image, inherited)
            heads = (tp.doc, tp.page, last)
        preset = options.degrade if level is None else level
        result = degrade_with_transform(image, page_seed(options.seed, tp.doc, tp.page), preset)
        matrix = np.asarray(result.matrix, dtype=float)
        target = folder / f"{_page_stem(tp, options, tag)}.png"
        Image.fromarray(result.image).save(target, dpi=(tp.dpi, tp.dpi))
        truth = transform_truth(tp, matrix)
        h, w = result.image.shape[:2]
        truth = replace(truth, width=w, height=h)
        out.append(PreparedPage(truth, target, tuple(tuple(float(v) for v in row) for row in matrix)))
    return out


# ---------------------------------------------------------------------------------------------------- engines


def run_juesuan(
    pages: Sequence[PreparedPage], outdir: Path, pipeline: PipelineOptions, workers: int = 1, resume: bool = False
) -> EngineRun:
    """juesuan through the batch runner (the same code path as ``juesuan extract``), one document per page image;
    ``resume``: pages whose image (same sha256) already has a result in ``outdir`` are not run again."""
    from juesuan.batch.runner import run_batch

    images = [p.image for p in pages]
    t0 = time.perf_counter()
    summary = run_batch(images, outdir, pipeline, workers=workers, force=not resume)
    wall = time.perf_counter() - t0
    by_path = {str(Path(d.path).resolve()): d for d in summary.documents}
    docs: list[Document | None] = []
    seconds: list[float | None] = []
    errors: list[str] = []
    for p in pages:
        d = by_path.get(str(p.image.resolve()))
        if d is None or d.status not in ("ok", "skipped") or d.outdir is None:  # skipped: resumed, result kept
            docs.append(None)
            seconds.append(None)
            errors.append(f"{p.image.name}: {d.error if d else 'no result'}")
            continue
        doc = Document.load(Path(d.outdir) / "document.json")
        docs.append(doc)
        timings = doc.meta.get("timings") or {}
        seconds.append(float(sum(timings.values())) if timings else d.seconds)
    return EngineRun("juesuan", docs, seconds, wall, errors)


def run_peer(engine: str, pages: Sequence[PreparedPage], threads: int = 1) -> EngineRun:
    """A peer tool in this process (img2table in a child process when its isolated site folder is set)."""
    if engine == "img2table" and os.environ.get(IMG2TABLE_SITE_ENV):
        return _run_peer_subprocess(engine, pages, os.environ[IMG2TABLE_SITE_ENV])
    from juesuan.evaluation.peers import build_peer, peer_document

    t0 = time.perf_counter()
    peer = build_peer(engine, threads)
    docs: list[Document | None] = []
    seconds: list[float | None] = []
    errors: list[str] = []
    for p in pages:
        image = _load_image(p.image)
        t = time.perf_counter()
        try:
            boxes = [t.bbox_px for t in p.truth.tables]  # SLANet+ is given each table's box, as in issue 12
            doc = peer_document(engine, peer, image, p.truth.dpi, p.image.name, 0, boxes)
        except Exception as exc:  # a peer's failure is a result to report, not our bug
            docs.append(None)
            seconds.append(None)
            errors.append(f"{p.image.name}: {exc!r}")
            continue
        seconds.append(time.perf_counter() - t)
        docs.append(doc)
    return EngineRun(engine, docs, seconds, time.perf_counter() - t0, errors)


def _run_peer_subprocess(engine: str, pages: Sequence[PreparedPage], site: str) -> EngineRun:
    """Run a peer with ``site`` first on sys.path (img2table needs opencv-contrib, which would shadow our cv2)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="juesuan-peer-") as tmp:
        request = Path(tmp) / "request.json"
        request.write_text(json.dumps({"engine": engine, "pages": [[str(p.image), p.truth.dpi] for p in pages]}))
        env = dict(os.environ)
        root = str(Path(str(resources.files("juesuan"))).parent)  # the folder holding the juesuan package
        env["PYTHONPATH"] = os.pathsep.join([site, root, env.get("PYTHONPATH", "")])
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "juesuan.evaluation.harness", str(request)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t0
        result_path = Path(tmp) / "result.json"
        if proc.returncode != 0 or not result_path.exists():
            msg = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]
            return EngineRun(engine, [None] * len(pages), [None] * len(pages), wall, [f"{engine}: {msg[0]}"])
        data = json.loads(result_path.read_text())
    docs = [Document.model_validate(d) if d else None for d in data["documents"]]
    return EngineRun(engine, docs, data["seconds"], wall, data["errors"])


def run_engine(
    engine: str,
    pages: Sequence[PreparedPage],
    outdir: Path,
    pipeline: PipelineOptions,
    workers: int = 1,
    resume: bool = False,
) -> EngineRun:
    if engine == "juesuan":
        return run_juesuan(pages, outdir, pipeline, workers, resume)
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    return run_peer(engine, pages)


# ---------------------------------------------------------------------------------------------------- scoring


def page_truth_for(page: PreparedPage, doc: Document | None) -> TruthPage:
    """The page's truth in the document's pixels: the pipeline's upscaling of a low-dpi page (``PageInfo.dpi``
    above the image's), quarter turn, deskew and a photo's rectification (``PageInfo.homography``), after the
    degradation; the result carries the document's dpi."""
    if doc is None or not doc.pages:
        return page.truth
    info = doc.pages[0]
    s = info.dpi / page.truth.dpi if info.dpi else 1.0
    scale = np.diag([s, s, 1.0])
    turn = rotation_matrix(info.rotation, round(page.truth.width * s), round(page.truth.height * s))
    rectified = np.asarray(info.homography, dtype=float) if info.homography else np.eye(3)
    moved = transform_truth(
        page.truth, rectified @ deskew_matrix(info.skew_deg, info.width, info.height) @ turn @ scale
    )
    return replace(moved, width=info.width, height=info.height, dpi=info.dpi or page.truth.dpi)


def rotation_matrix(degrees: int, width: int, height: int) -> np.ndarray:
    """The quarter turn ``preprocess.rotate`` applies (counter-clockwise; see ``rasterize.rotate_box``) to a
    ``width x height`` image, as a 3x3 matrix on pixel coordinates."""
    k = (int(degrees) // 90) % 4
    if k == 1:
        return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width], [0.0, 0.0, 1.0]])
    if k == 2:
        return np.array([[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]])
    if k == 3:
        return np.array([[0.0, -1.0, height], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    return np.eye(3)


def before_repair(doc: Document, pipeline: PipelineOptions) -> Document | None:
    """The document re-checked with repair off and repaired cells put back to their OCR text."""
    from juesuan.validation.check import annotate_and_validate

    reverted = doc.model_copy(deep=True)
    for table in reverted.tables:
        for row in table.rows:
            for cell in row.cells:
                if not cell.repair:
                    continue
                original = next(
                    (
                        cell.repair[k]
                        for k in ("original_text", "original", "ocr_text", "before", "from")
                        if isinstance(cell.repair.get(k), str)
                    ),
                    None,
                )
                if original is not None:
                    from juesuan.datamodel.amounts import parse_amount

                    value = parse_amount(original)
                    cell.text, cell.value, cell.repair = original, None if value is None else float(value), None
    options = pipeline.validation.model_copy(update={"repair": False})
    return annotate_and_validate(reverted, options)


def score(
    pages: Sequence[PreparedPage], run: EngineRun, options: EvaluateOptions, pipeline: PipelineOptions | None = None
) -> tuple[dict[str, Any], list[m_.CellOutcome], list[TruthPage]]:
    match = m_.MatchOptions(
        name_threshold=options.name_threshold, x_tol_frac=options.x_tol_frac, require_header=options.require_header
    )
    from juesuan.evaluation.labels import label_metrics, match_labels

    outcomes: list[m_.CellOutcome] = []
    truths: list[TruthPage] = []
    renamed: list[Document] = []
    label_outcomes = []
    for page, doc in zip(pages, run.documents, strict=True):
        truth = page_truth_for(page, doc)
        truths.append(truth)
        if truth.labels:
            doc_page = doc.pages[0].index if doc is not None and doc.pages else 0
            scale = m_._page_scale(doc, doc_page, truth.dpi) if doc is not None else 1.0
            label_outcomes += match_labels(truth.doc, truth.page, truth.labels, doc, doc_page, scale)
        if doc is None:
            outcomes += [m_.CellOutcome(c, "no_row") for c in truth.cells]
            continue
        doc_page = doc.pages[0].index if doc.pages else 0
        named = _renamed(doc, page)
        renamed.append(named)
        outcomes += m_.match_page(truth, named, match, doc_page=doc_page)
    docs = [d for d in run.documents if d is not None]
    before = None
    if run.engine == "juesuan" and pipeline is not None and options.revalidate_without_repair and docs:
        checked = [before_repair(d, pipeline) for d in docs]
        before = [d for d in checked if d is not None] or None
    summary = m_.summarize(truths, outcomes, docs if run.engine == "juesuan" else [], before)
    from juesuan.evaluation.families import family_metrics

    summary["families"] = family_metrics(
        [t.doc for t in truths],
        outcomes,
        label_outcomes if options.labels and run.engine == "juesuan" else (),
        [(t.doc, d) for t, d in zip(truths, run.documents, strict=True)] if run.engine == "juesuan" else (),
    )
    summary.update(m_.table_metrics(truths, outcomes, renamed))
    if label_outcomes and options.labels and run.engine == "juesuan":  # peers do not label cells
        labels = label_metrics(label_outcomes)
        summary["labels"] = labels["per_label"]
        summary.update({k: v for k, v in labels.items() if k != "per_label"})
    timed = [s for s in run.page_seconds if s is not None]
    summary["engine"] = run.engine
    summary["pages"] = len(pages)
    summary["pages_failed"] = sum(d is None for d in run.documents)
    summary["errors"] = run.errors[:20]
    summary["seconds_per_page_median"] = round(statistics.median(timed), 4) if timed else None
    summary["seconds_per_page_wall"] = round(run.wall_seconds / len(pages), 4) if pages else None
    return summary, outcomes, truths


def _renamed(doc: Document, page: PreparedPage) -> Document:
    """A one-page document named as the truth's source file and page, so table metrics line up with truth pages;
    table ids get the page in front (every one-page document calls its first table ``t1``)."""
    d = doc.model_copy(deep=True)
    d.source.path = page.truth.doc
    for t in d.tables:
        t.id = f"p{page.truth.page}:{t.id}"
        t.pages = [page.truth.page]
    return d


# ------------------------------------------------------------------------------------------------------ run it


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }
    from importlib import metadata

    for key, dists in {
        "onnxruntime": ("onnxruntime", "onnxruntime-gpu"),
        "torch": ("torch",),
        "cv2": ("opencv-python-headless", "opencv-python"),
        "rapidocr": ("rapidocr",),
        "rapidocr_onnxruntime": ("rapidocr-onnxruntime",),
        "pypdfium2": ("pypdfium2",),
    }.items():
        info[key] = None
        for dist in dists:
            try:
                info[key] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    try:
        import cv2

        info["cv2"] = cv2.__version__  # several wheels may ship cv2; the one imported is what ran
    except ImportError:
        pass
    try:
        out = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=False)
        info["tesseract"] = (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else None
    except OSError:
        info["tesseract"] = None
    return info


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def evaluate(
    inputs: Sequence[Path],
    out: Path,
    options: EvaluateOptions | None = None,
    pipeline: PipelineOptions | None = None,
    command: str | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The whole run; writes ``metrics.json``, ``cells.jsonl``, ``report.md``, ``worst/*.png`` under ``out``."""
    from juesuan.evaluation.report import write_report

    options = options or EvaluateOptions()
    pipeline = pipeline or PipelineOptions()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = on_stage or (lambda s: log.info("%s", s))
    split = None
    if options.families:
        from juesuan.evaluation.families import load_families

        split = load_families(options.families)
        kept = [p for p in inputs if split.excluded(str(p)) is None]
        for p in inputs:
            if split.excluded(str(p)) is not None:
                log.info("%s: excluded (%s)", p, split.excluded(str(p)))
        inputs = kept
    say("reading truth")
    truth = collect_truth(inputs, options, Path(options.truth_cache) if options.truth_cache else None)
    if not truth:
        raise ConfigError("no pages with truth tables in the inputs")
    if options.only_done:
        done = {d.name for d in (out / "extract").glob("*") if (d / "document.json").exists()}
        kept = [tp for tp in truth if _page_stem(tp, options) in done]
        log.warning("scoring %d of %d pages: the others have no result in %s", len(kept), len(truth), out / "extract")
        truth = kept
        if not truth:
            raise ConfigError(f"no page results in {out / 'extract'} to score")
    say(f"preparing {len(truth)} pages ({options.dpi} dpi, {options.degrade})")
    pages = prepare_pages(truth, out / "pages", options)
    say(f"running {options.engine}")
    resume = options.resume or options.only_done
    run = run_engine(options.engine, pages, out / "extract", pipeline, options.workers, resume)
    say("scoring")
    summary, outcomes, truths = score(pages, run, options, pipeline)
    ceiling = None
    if options.raw_ceiling:
        say("raw PP-OCRv6 ceiling")
        ceiling = raw_ceiling_pages(pages, cached_only=options.raw_ceiling_cached_only)
    summary["groups"] = group_metrics(pages, run, outcomes, ceiling, split)
    summary.update(
        {
            k: summary["groups"]["all"][k]
            for k in ("orphan_share", "null_numeric_share", "raw_ceiling", "orphans", "null_numeric", "amounts")
        }
    )
    result = {
        "command": command,
        "options": options.model_dump(mode="json"),
        "pipeline": pipeline.model_dump(mode="json") if options.engine == "juesuan" else None,
        "machine": machine_info(),
        "metrics": summary,
    }
    (out / "metrics.json").write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    write_outcomes(out / "cells.jsonl", outcomes)
    write_report(out, result, pages, truths, run, outcomes, options.worst_pages)
    if options.mlflow:
        log_mlflow(out, result, options)
    return result


def raw_ceiling_pages(pages: Sequence[PreparedPage], cached_only: bool = False) -> list[tuple[int, int] | None]:
    """(truth cells, of them found in the raw full-page PP-OCRv6 text) per prepared page, on the degraded image;
    ``cached_only``: None for a page whose OCR is not kept beside its image yet (not measured)."""
    from juesuan.evaluation.defects import ceiling_hits
    from juesuan.evaluation.peers import RapidOcrPeer

    peer = RapidOcrPeer("v6", threads=1)
    out: list[tuple[int, int] | None] = []
    for p in pages:
        amounts = raw_ocr_amounts(p.image, p.truth.dpi, None if cached_only else peer)
        if amounts is None:
            out.append(None)
            continue
        values = [c.value for c in p.truth.cells]
        out.append((len(values), ceiling_hits(values, amounts)))
    return out


def raw_ocr_amounts(image: Path, dpi: int, peer: Any = None) -> Any:
    """The amounts in a page image's full-page PP-OCRv6 text, kept beside it (``<image>.ppocr_v6.json``, keyed by
    the image's sha256): OCR of a page costs seconds, and a resumed or re-scored run needs the same text.
    Without a ``peer`` (a ``RapidOcrPeer``) only a kept result is returned, else None."""
    import hashlib
    from collections import Counter
    from decimal import Decimal

    from juesuan.evaluation.defects import ocr_values

    sha = hashlib.sha256(image.read_bytes()).hexdigest()
    side = image.with_suffix(".ppocr_v6.json")
    if side.exists():
        data = json.loads(side.read_text(encoding="utf-8"))
        if data.get("sha256") == sha:
            return Counter({Decimal(k): int(v) for k, v in data["amounts"].items()})
    if peer is None:  # only what is kept
        return None
    found = ocr_values(peer.tokens(_load_image(image), dpi))
    payload = {"sha256": sha, "dpi": dpi, "amounts": {str(k): v for k, v in found.items()}}
    side.write_text(json.dumps(payload), encoding="utf-8")
    return found


def group_metrics(
    pages: Sequence[PreparedPage],
    run: EngineRun,
    outcomes: Sequence[m_.CellOutcome],
    ceiling: Sequence[tuple[int, int] | None] | None,
    split: Any = None,
) -> dict[str, Any]:
    """Value accuracy, orphan and null-numeric shares and the raw ceiling per document, family, split and overall."""
    from juesuan.evaluation.defects import document_defects, pooled
    from juesuan.evaluation.families import UNASSIGNED

    per_doc: dict[str, dict[str, Any]] = {}
    for i, (page, doc) in enumerate(zip(pages, run.documents, strict=True)):
        row = per_doc.setdefault(page.truth.doc, {"documents": 1})
        row["pages"] = row.get("pages", 0) + 1
        if doc is not None:
            for k, v in document_defects(doc).items():
                row[k] = row.get(k, 0) + v
        if ceiling is not None and ceiling[i] is not None:
            cells_hits = ceiling[i]
            assert cells_hits is not None
            row["ceiling_pages"] = row.get("ceiling_pages", 0) + 1
            row["ceiling_cells"] = row.get("ceiling_cells", 0) + cells_hits[0]
            row["ceiling_hits"] = row.get("ceiling_hits", 0) + cells_hits[1]
    for o in outcomes:
        row = per_doc.setdefault(o.truth.doc, {"documents": 1})
        row["cells"] = row.get("cells", 0) + 1
        row["ok"] = row.get("ok", 0) + int(o.ok)
    fam_of = (lambda d: split.family_of(d)) if split is not None else (lambda d: UNASSIGNED)
    split_of = (lambda d: split.split_of(d)) if split is not None else (lambda d: UNASSIGNED)
    documents = {d: {**pooled([r]), "family": fam_of(d), "split": split_of(d)} for d, r in sorted(per_doc.items())}
    families: dict[str, list[dict[str, Any]]] = {}
    splits: dict[str, list[dict[str, Any]]] = {}
    for d, r in per_doc.items():
        families.setdefault(fam_of(d), []).append(r)
        splits.setdefault(split_of(d), []).append(r)
    by_family = {f: pooled(rs) for f, rs in sorted(families.items())}
    for f, row in by_family.items():
        row["split"] = split.families[f].split if split is not None and f in split.families else UNASSIGNED
        docs = [documents[d] for d in documents if documents[d]["family"] == f]
        accs = [x["value_accuracy"] for x in docs if x["value_accuracy"] is not None]
        row["worst_document_accuracy"] = min(accs) if accs else None
    return {
        "all": pooled(per_doc.values()),
        "by_split": {s: pooled(rs) for s, rs in sorted(splits.items())},
        "by_family": by_family,
        "by_document": documents,
    }


def write_outcomes(path: Path, outcomes: Sequence[m_.CellOutcome]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for o in outcomes:
            fh.write(json.dumps(outcome_record(o), ensure_ascii=False) + "\n")


def outcome_record(o: m_.CellOutcome) -> dict[str, Any]:
    t: TruthCell = o.truth
    return {
        "doc": t.doc,
        "page": t.page,
        "table": t.table,
        "code": t.row_key.code,
        "name": t.row_key.name,
        "column": t.column,
        "value": str(t.value),
        "status": o.status,
        "predicted_text": o.predicted_text,
        "predicted_value": None if o.predicted_value is None else str(o.predicted_value),
        "predicted_code": o.predicted_code,
        "predicted_name": o.predicted_name,
        "table_id": o.table_id,
        "row": o.row_index,
    }


def _flat_metrics(summary: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in summary.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float)):
            out[key] = float(value)
    for name in ("identities",):
        block = summary.get(name) or {}
        for when, part in block.items():
            if isinstance(part, dict) and part.get("pass_rate") is not None:
                out[f"identity_pass_rate_{when}"] = float(part["pass_rate"])
    groups = summary.get("groups") or {}
    for kind in ("by_split", "by_family"):
        for name, part in (groups.get(kind) or {}).items():
            for k in ("value_accuracy", "orphan_share", "null_numeric_share", "raw_ceiling"):
                if part.get(k) is not None:
                    out[f"{k}.{kind[3:]}.{_mlflow_key(name)}"] = float(part[k])
    timings = (summary.get("timings") or {}).get("seconds_per_page") or {}
    out.update({f"seconds_per_page_{k}": float(v) for k, v in timings.items()})
    for label, part in (summary.get("labels") or {}).items():
        for k in ("f1", "precision", "recall"):
            if part.get(k) is not None:
                out[f"label_{k}_{label}"] = float(part[k])
    return out


def _mlflow_key(name: str) -> str:
    """MLflow keys allow letters, digits, _ - . / and space: family names are ASCII already; keep it that way."""
    import re

    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", name)


def log_mlflow(out: Path, result: dict[str, Any], options: EvaluateOptions) -> str | None:
    """One MLflow run per evaluation: options as params, metrics, and the report folder as artifacts."""
    try:
        import mlflow
    except ImportError:
        log.warning("mlflow is not installed; run not logged")
        return None
    from juesuan.evaluation.families import flat
    from juesuan.training import tracking

    tracking.setup(None, options.experiment)  # the project store, shared with train and promote (issue 16)
    with mlflow.start_run(run_name=f"{options.engine}-{options.dpi}dpi-{options.degrade}") as active:
        mlflow.set_tags({"preset": options.degrade, "engine": options.engine})
        mlflow.log_metrics(flat(result["metrics"].get("families") or {}, options.degrade))
        params = {k: v for k, v in result["options"].items() if v is not None}
        if result.get("pipeline"):
            params["ocr.kind"] = result["pipeline"]["ocr"]["kind"]
            params["label.kind"] = result["pipeline"]["label"]["kind"]
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics(_flat_metrics(result["metrics"]))
        for name in ("metrics.json", "report.md"):
            if (out / name).exists():
                mlflow.log_artifact(str(out / name))
        if (out / "worst").is_dir():
            mlflow.log_artifacts(str(out / "worst"), artifact_path="worst")
        return str(active.info.run_id)


def _subprocess_main(request_path: str) -> int:
    """Child-process entry for a peer that needs its own site folder: request.json → result.json beside it."""
    from juesuan.evaluation.peers import build_peer, peer_document

    request = json.loads(Path(request_path).read_text())
    engine = request["engine"]
    peer = build_peer(engine)
    docs: list[dict[str, Any] | None] = []
    seconds: list[float | None] = []
    errors: list[str] = []
    for image_path, dpi in request["pages"]:
        image = _load_image(Path(image_path))
        t = time.perf_counter()
        try:
            doc = peer_document(engine, peer, image, int(dpi), Path(image_path).name, 0)
        except Exception as exc:
            docs.append(None)
            seconds.append(None)
            errors.append(f"{Path(image_path).name}: {exc!r}")
            continue
        seconds.append(time.perf_counter() - t)
        docs.append(doc.model_dump(mode="json"))
    result = {"documents": docs, "seconds": seconds, "errors": errors}
    (Path(request_path).parent / "result.json").write_text(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(_subprocess_main(sys.argv[1]))
