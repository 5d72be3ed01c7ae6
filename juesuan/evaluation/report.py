"""Markdown report of one evaluation run, with the worst pages drawn (truth cells boxed by outcome).

Colours: green = right value in the right row and column; red = located but misread (the predicted text is
written beside it); orange = the row was found but no cell at the truth column; magenta = no row with this key.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from juesuan.evaluation import metrics as m_
from juesuan.evaluation.truth import TruthPage

COLOURS = {"ok": (0, 160, 0), "wrong_value": (220, 0, 0), "no_cell": (255, 140, 0), "no_row": (200, 0, 200)}


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}%"


def summary_markdown(result: dict[str, Any]) -> str:
    m = result["metrics"]
    lines = [
        f"# Evaluation: {m.get('engine', '?')}",
        "",
    ]
    if result.get("command"):
        lines += ["```", result["command"], "```", ""]
    o = result["options"]
    lines += [
        f"Pages: {m.get('pages')} ({o['dpi']} dpi, degradation `{o['degrade']}`, seed {o['seed']}); "
        f"failed pages: {m.get('pages_failed', 0)}.",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| value accuracy (right value, row and column) | {_pct(m.get('value_accuracy'))} ({m.get('cells')} cells) |",
        f"| cells located (row and column found) | {_pct(m.get('located_rate'))} |",
        f"| OCR character accuracy on located cells | {_pct(m.get('ocr_char_accuracy'))} |",
        f"| row exactness | {_pct(m.get('row_exactness'))} ({m.get('rows')} rows) |",
        f"| table recall | {_pct(m.get('table_recall'))} ({m.get('tables_found')}/{m.get('tables')}) |",
        f"| table precision | {_pct(m.get('table_precision'))} ({m.get('predicted_tables')} predicted) |",
        f"| table type accuracy | {_pct(m.get('table_type_accuracy'))} ({m.get('table_type_checked')} checked) |",
        f"| table title accuracy | {_pct(m.get('table_title_accuracy'))} ({m.get('table_title_checked')} checked) |",
        f"| header agreement on located cells | {_pct(m.get('header_agreement'))} |",
        f"| 科目编码 exact on located cells | {_pct(m.get('row_code_accuracy'))} |",
        f"| cell boxes with IoU ≥ 0.5 against the ruled cell | {_pct(m.get('cell_box_iou_50'))} |",
        f"| median s/page | {m.get('seconds_per_page_median')} |",
        f"| wall s/page (incl. model load) | {m.get('seconds_per_page_wall')} |",
    ]
    ident = m.get("identities") or {}
    for when in ("before_repair", "after_repair"):
        part = ident.get(when)
        if part:
            label = when.replace("_", " ")
            lines.append(
                f"| identity pass rate {label} | {_pct(part.get('pass_rate'))} ({part.get('checks')} checks) |"
            )
    if m.get("label_f1") is not None:
        lines.append(
            f"| token-label micro F1 (one entity = one table cell, HEADER unscored) | {_pct(m.get('label_f1'))} "
            f"({m.get('label_cells')} cells, {m.get('label_uncovered')} without a covering cell) |"
        )
    per_label = m.get("labels") or {}
    if per_label:
        lines += ["", "| label | precision | recall | F1 | gold cells |", "| --- | --- | --- | --- | --- |"]
        for name, part in per_label.items():
            lines.append(
                f"| {name} | {_pct(part.get('precision'))} | {_pct(part.get('recall'))} | {_pct(part.get('f1'))} "
                f"| {part.get('support')} |"
            )
    timings = (m.get("timings") or {}).get("seconds_per_page") or {}
    if timings:
        lines += ["", "Seconds per page by stage: " + ", ".join(f"{k} {v:.3f}" for k, v in timings.items()), ""]
    per_doc = m.get("per_document") or {}
    if per_doc:
        lines += [
            "",
            "| document | cells | value accuracy | table recall | row exactness |",
            "| --- | --- | --- | --- | --- |",
        ]
        for name, d in per_doc.items():
            acc, recall, exact = (_pct(d[k]) for k in ("value_accuracy", "table_recall", "row_exactness"))
            lines.append(f"| {name} | {d['cells']} | {acc} | {recall} | {exact} |")
    if m.get("errors"):
        lines += ["", "Errors:", *[f"- {e}" for e in m["errors"]]]
    return "\n".join(lines) + "\n"


def draw_page(
    image_path: Path, truth: TruthPage, outcomes: Sequence[m_.CellOutcome], target: Path, max_width: int = 1400
) -> Path:
    """The page with each truth cell boxed in its outcome's colour, misreads labelled with the predicted text."""
    from PIL import Image, ImageDraw

    with Image.open(image_path) as img:
        page = img.convert("RGB")
    draw = ImageDraw.Draw(page)
    font = _font(max(12, truth.dpi // 10))
    k = page.width / truth.width if truth.width else 1.0  # truth is in the document's pixels (upscaled low dpi)
    for o in outcomes:
        box = tuple(v * k for v in o.truth.cell_px)
        colour = COLOURS[o.status]
        draw.rectangle(box, outline=colour, width=3 if o.ok else 5)
        if o.status == "wrong_value" and o.predicted_text:
            draw.text(
                (box[0] + 2, box[1] - font.size - 2 if font else box[1]), o.predicted_text, fill=colour, font=font
            )
    if page.width > max_width:
        page = page.resize((max_width, round(page.height * max_width / page.width)))
    target.parent.mkdir(parents=True, exist_ok=True)
    page.save(target)
    return target


def _font(size: int) -> Any:
    from PIL import ImageFont

    for candidate in (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    ):
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default()


def write_report(
    out: Path,
    result: dict[str, Any],
    pages: Sequence[Any],
    truths: Sequence[TruthPage],
    run: Any,
    outcomes: Sequence[m_.CellOutcome],
    worst: int = 4,
) -> Path:
    """``report.md`` with the summary, the worst pages drawn under ``worst/`` and their wrong cells listed."""
    text = summary_markdown(result)
    by_page: dict[tuple[str, int], list[m_.CellOutcome]] = {}
    for o in outcomes:
        by_page.setdefault((o.truth.doc, o.truth.page), []).append(o)
    index = {(t.doc, t.page): (p, t) for p, t in zip(pages, truths, strict=True)}
    shown = [s for s in m_.page_scores(outcomes) if s[2] < 1.0][:worst]
    if shown:
        text += (
            "\n## Worst pages\n\nGreen: right; red: misread; orange: no cell at that column; magenta: row not found.\n"
        )
    for doc, page, accuracy, n in shown:
        prepared, truth = index[(doc, page)]
        name = f"{Path(doc).stem}__p{page + 1:03d}.png"
        draw_page(prepared.image, truth, by_page[(doc, page)], out / "worst" / name)
        text += f"\n### {doc}, page {page + 1}: {accuracy:.1%} of {n} cells\n\n![page](worst/{name})\n\n"
        text += "| row | column | truth | predicted | status |\n| --- | --- | --- | --- | --- |\n"
        for o in by_page[(doc, page)]:
            if not o.ok:
                t = o.truth
                got = o.predicted_text or ""
                text += f"| {t.row_key.describe()} | {t.column or ''} | {t.value} | {got} | {o.status} |\n"
    target = out / "report.md"
    target.write_text(text, encoding="utf-8")
    return target
