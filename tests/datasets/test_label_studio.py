"""Label Studio OCR template: export → import round trip, corrections come back, config parses."""

from __future__ import annotations

import json
from pathlib import Path

from juesuan.datasets.label_studio import export_tasks, import_file, import_tasks, labeling_config
from juesuan.datasets.labelled_page import load_labels, read_manifest
from juesuan.datasets.synth.generator import SynthOptions, generate_page


def _pages():
    opts = SynthOptions(table_weights={"performance": 1.0, "basic_expenditure": 1.0})
    pages = []
    for i in range(2):
        p = generate_page(8, i, opts).page
        pages.append(p.model_copy(update={"image": f"images/{p.id}.jpg", "sha256": "0" * 64}))
    return pages


def test_round_trip_gives_equal_pages() -> None:
    pages = _pages()
    tasks = json.loads(json.dumps(export_tasks(pages, "/data/local-files/?d=")))  # through JSON, as LS stores it
    assert tasks[0]["data"]["ocr"].endswith(pages[0].image)
    back = import_tasks(tasks)
    for a, b in zip(pages, back, strict=True):
        assert len(a.tokens) == len(b.tokens) > 10
        for ta, tb in zip(a.tokens, b.tokens, strict=True):
            assert [round(v, 2) for v in ta.bbox] == tb.bbox
        assert b.model_copy(update={"tokens": []}) == a.model_copy(update={"tokens": []})
        assert [t.model_copy(update={"bbox": []}) for t in a.tokens] == [
            t.model_copy(update={"bbox": []}) for t in b.tokens
        ]


def test_annotation_corrections_are_imported(tmp_path: Path) -> None:
    page = _pages()[0]
    task = export_tasks([page], "")[0]
    result = json.loads(json.dumps(task["predictions"][0]["result"]))
    amount = next(k for k, t in enumerate(page.tokens) if t.label == "AMOUNT")
    for r in result:  # a person relabels one AMOUNT token as OTHER and fixes its text
        if r["id"] == f"t{amount}" and r["type"] == "labels":
            r["value"]["labels"] = ["OTHER"]
        if r["id"] == f"t{amount}" and r["type"] == "textarea":
            r["value"]["text"] = ["12.30"]
    extra = {"x": 1.0, "y": 1.0, "width": 2.0, "height": 1.0, "rotation": 0}
    result += [
        {"id": "new1", "from_name": "bbox", "to_name": "image", "type": "rectangle", "value": extra},
        {
            "id": "new1",
            "from_name": "label",
            "to_name": "image",
            "type": "labels",
            "value": {**extra, "labels": ["TEXT"]},
        },
        {
            "id": "new1",
            "from_name": "transcription",
            "to_name": "image",
            "type": "textarea",
            "value": {**extra, "text": ["备注"]},
        },
    ]
    task["annotations"] = [{"id": 1, "result": result, "created_at": "2026-01-01T00:00:00Z"}]
    export = tmp_path / "export.json"
    export.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    assert import_file(export, tmp_path / "train.jsonl") == 1
    back = read_manifest(tmp_path / "train.jsonl")[0]
    assert back.source == "label-studio"
    fixed = back.tokens[amount]
    assert (fixed.label, fixed.text, fixed.field) == ("OTHER", "12.30", None)
    assert fixed.row == page.tokens[amount].row
    assert back.tokens[-1].text == "备注" and back.tokens[-1].label == "TEXT"
    assert len(back.tokens) == len(page.tokens) + 1


def test_labeling_config_lists_every_label() -> None:
    from label_studio_sdk.label_interface import LabelInterface

    config = labeling_config()
    iface = LabelInterface(config)
    assert iface.get_control("label").labels == load_labels()


def test_import_rewrites_image_paths_relative_to_the_new_manifest(tmp_path: Path) -> None:
    page = _pages()[0]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(export_tasks([page], ""), ensure_ascii=False), encoding="utf-8")
    import_file(export, tmp_path / "fixed" / "train.jsonl", images=tmp_path / "dataset")
    back = read_manifest(tmp_path / "fixed" / "train.jsonl")[0]
    assert back.image == f"../dataset/{page.image}"
