"""Label Studio import/export (its OCR template: rectangle + label + transcription per region).

Export: one task per page; the image URL goes into ``data.ocr``, each token becomes one region (three results
with the same id: ``bbox`` rectangle, ``label`` labels, ``transcription`` textarea) in percent coordinates,
shipped as a prediction so a person starts from it. The rest of the page (tables, fields, ids, sha256) and each
token's grid position and column field ride along in ``data.juesuan_page`` / ``data.juesuan_tokens``.
Import: read an export (JSON list of tasks), take the newest annotation (else the prediction) and rebuild the
page. Regions a person added get their grid position from the table cell that contains their centre; a token
whose label was changed loses its column field.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from juesuan.datamodel.labelled import LabelledPage, LabelledToken
from juesuan.datasets.labelled_page import load_labels, read_dataset, write_manifest
from juesuan.errors import InputError
from juesuan.io.atomic import write_text

IMAGE_KEY = "ocr"


def labeling_config(labels: Sequence[str] | None = None) -> str:
    """The OCR labelling interface XML to paste into the Label Studio project settings."""
    names = list(labels) if labels is not None else load_labels()
    label_xml = "\n".join(f'    <Label value="{n}"/>' for n in names)
    return f"""<View>
  <Image name="image" value="${IMAGE_KEY}" zoom="true" zoomControl="true"/>
  <Labels name="label" toName="image">
{label_xml}
  </Labels>
  <Rectangle name="bbox" toName="image" strokeWidth="2"/>
  <TextArea name="transcription" toName="image" editable="true" perRegion="true" required="true"
            maxSubmissions="1" rows="2" placeholder="text" displayMode="region-list"/>
</View>
"""


def _region_id(page: LabelledPage, k: int) -> str:
    return f"t{k}"


def page_to_task(page: LabelledPage, image_url: str) -> dict[str, Any]:
    w, h = float(page.width), float(page.height)
    result: list[dict[str, Any]] = []
    meta: dict[str, dict[str, Any]] = {}
    for k, tok in enumerate(page.tokens):
        rid = _region_id(page, k)
        x0, y0, x1, y1 = tok.bbox
        geom = {
            "x": x0 / w * 100,
            "y": y0 / h * 100,
            "width": (x1 - x0) / w * 100,
            "height": (y1 - y0) / h * 100,
            "rotation": 0,
        }
        common = {
            "id": rid,
            "to_name": "image",
            "original_width": page.width,
            "original_height": page.height,
            "image_rotation": 0,
        }
        result.append({**common, "from_name": "bbox", "type": "rectangle", "value": dict(geom)})
        result.append({**common, "from_name": "label", "type": "labels", "value": {**geom, "labels": [tok.label]}})
        result.append(
            {**common, "from_name": "transcription", "type": "textarea", "value": {**geom, "text": [tok.text]}}
        )
        meta[rid] = {"label": tok.label, "field": tok.field, "row": tok.row, "col": tok.col, "table": tok.table}
    rest = page.model_dump(exclude={"tokens"})
    return {
        "data": {IMAGE_KEY: image_url, "juesuan_page": rest, "juesuan_tokens": meta},
        "predictions": [{"model_version": page.source, "result": result}],
    }


def export_tasks(pages: Iterable[LabelledPage], image_root: str) -> list[dict[str, Any]]:
    """Tasks for Label Studio; ``image_root`` + the page's image path is the URL Label Studio loads."""
    return [page_to_task(p, image_root + p.image) for p in pages]


def export_folder(folder: Path, out: Path, image_root: str = "/data/local-files/?d=") -> int:
    pages = [p for split in read_dataset(folder).values() for p in split]
    tasks = export_tasks(pages, image_root)
    write_text(Path(out), json.dumps(tasks, ensure_ascii=False, indent=1))
    return len(tasks)


def _regions(results: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Group the three results of each region by id, in the order regions first appear."""
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        rid = str(r.get("id"))
        reg = out.setdefault(rid, {})
        value = r.get("value", {})
        if "x" in value:
            reg["geom"] = value
            reg.setdefault("size", (r.get("original_width"), r.get("original_height")))
        if r.get("type") == "labels" or "labels" in value:
            reg["label"] = (value.get("labels") or [None])[0]
        if r.get("type") == "textarea" or "text" in value:
            text = value.get("text") or [""]
            reg["text"] = "".join(text) if isinstance(text, list) else str(text)
    return out


def task_to_page(task: dict[str, Any], where: str = "export") -> LabelledPage:
    data = task.get("data", {})
    if "juesuan_page" not in data:
        raise InputError(where, f"task {task.get('id')} was not exported by juesuan (no data.juesuan_page)")
    annotations = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
    if annotations:
        chosen = max(annotations, key=lambda a: (a.get("updated_at") or a.get("created_at") or "", a.get("id", 0)))
        results = chosen.get("result", [])
        source = "label-studio"
    else:
        results = (task.get("predictions") or [{}])[0].get("result", [])
        source = None
    page = LabelledPage.model_validate({**data["juesuan_page"], "tokens": []})
    meta: dict[str, dict[str, Any]] = data.get("juesuan_tokens", {})
    w, h = float(page.width), float(page.height)
    tokens: list[LabelledToken] = []
    for rid, reg in _regions(results).items():
        if "geom" not in reg or not reg.get("label"):
            continue
        g = reg["geom"]
        bbox = [
            round(g["x"] * w / 100, 2),
            round(g["y"] * h / 100, 2),
            round((g["x"] + g["width"]) * w / 100, 2),
            round((g["y"] + g["height"]) * h / 100, 2),
        ]
        old = meta.get(rid)
        tok = LabelledToken(text=reg.get("text", ""), bbox=bbox, label=reg["label"])
        if old is not None:
            tok.row, tok.col, tok.table = old.get("row"), old.get("col"), old.get("table")
            if old.get("label") == tok.label:
                tok.field = old.get("field")
        else:
            tok.table, tok.row, tok.col = _cell_of(page, bbox)
        tokens.append(tok)
    update: dict[str, Any] = {"tokens": tokens}
    if source:
        update["source"] = source
    return page.model_copy(update=update)


def _cell_of(page: LabelledPage, bbox: list[float]) -> tuple[int | None, int | None, int | None]:
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    for t, table in enumerate(page.tables):
        for cell in table.cells:
            x0, y0, x1, y1 = cell.bbox
            if x0 <= cx <= x1 and y0 <= cy <= y1:
                return t, cell.row, cell.col
    return None, None, None


def import_tasks(tasks: Sequence[dict[str, Any]], where: str = "export") -> list[LabelledPage]:
    return [task_to_page(t, where) for t in tasks]


def import_file(export: Path, out: Path, images: Path | None = None) -> int:
    """Label Studio JSON export → labelled-page manifest ``out``; ``images``: the dataset folder the exported
    image paths are relative to (they are rewritten relative to ``out``'s folder)."""
    try:
        tasks = json.loads(Path(export).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(export, f"not a Label Studio JSON export: {exc}") from exc
    if not isinstance(tasks, list):
        raise InputError(export, "expected a JSON list of tasks")
    pages = import_tasks(tasks, str(export))
    if images is not None:  # image paths in the new manifest must be relative to the folder it is written to
        base = Path(out).resolve().parent
        pages = [
            p.model_copy(update={"image": os.path.relpath((Path(images) / p.image).resolve(), base)}) for p in pages
        ]
    return write_manifest(Path(out), pages)
