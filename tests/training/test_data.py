"""Training data: OCR noise keeps labels attached, entity tags group cells, labelled pages convert to stage input."""

from __future__ import annotations

import numpy as np

from juesuan.datamodel.labelled import LabelledPage
from juesuan.inference.label import RulesLabeler
from juesuan.models.token_classifier import TokenUnit
from juesuan.options import LabelOptions
from juesuan.training.data import NoiseOptions, add_ocr_noise, entity_tags, labelled_to_ocr, page_units


def test_page_units_follow_grid_order(tiny_pages: list[LabelledPage]) -> None:
    units = page_units(tiny_pages[0])
    assert [u.label for u in units[:5]] == ["TITLE", "UNIT", "HEADER", "HEADER", "HEADER"]
    assert [u.label for u in units[5:8]] == ["CODE", "NAME", "AMOUNT"]
    assert all(0 <= v <= 1000 for u in units for v in u.bbox_1000)


def test_noise_changes_text_but_keeps_labels_in_the_label_set(tiny_pages: list[LabelledPage]) -> None:
    units = page_units(tiny_pages[1])
    heavy = NoiseOptions(char_confusion=1.0, split=0.5, merge=0.3, box_jitter=10, grid_slip=0.2, lose_tables=0.0)
    noisy = add_ocr_noise(units, np.random.default_rng([1]), heavy)
    assert noisy != units
    assert sum(a.text != b.text for a, b in zip(units, noisy, strict=False)) > 5
    assert {u.label for u in noisy} <= {u.label for u in units}
    assert len(noisy) != len(units) or any(a.bbox_1000 != b.bbox_1000 for a, b in zip(units, noisy, strict=True))
    # same seed, same corruption: training epochs are reproducible
    assert add_ocr_noise(units, np.random.default_rng([1]), heavy) == noisy
    none = NoiseOptions(char_confusion=0, char_drop=0, split=0, merge=0, box_jitter=0, grid_slip=0, lose_tables=0)
    assert add_ocr_noise(units, np.random.default_rng([2]), none) == units


def test_entity_tags_join_tokens_of_one_cell_and_skip_other() -> None:
    units = [
        TokenUnit("一般公共", (0, 0, 10, 10), 1, 1, 0, "NAME"),
        TokenUnit("服务支出", (0, 12, 10, 20), 1, 1, 0, "NAME"),
        TokenUnit("行政运行", (0, 30, 10, 40), 2, 1, 0, "NAME"),
        TokenUnit("3", (500, 990, 510, 1000), label="OTHER"),
    ]
    assert entity_tags(units, [u.label for u in units]) == ["B-NAME", "I-NAME", "B-NAME", "O"]


def test_labelled_page_round_trips_through_the_rules_stage(tiny_pages: list[LabelledPage]) -> None:
    result, gold = labelled_to_ocr(tiny_pages[2])
    assert len(result.tables) == 1 and len(gold) == 2
    assert len(result.tables[0].cells) == len(gold[0])
    [labelled] = RulesLabeler(LabelOptions(kind="rules"))([result])
    got = [ct.label for ct in labelled.tables[0].cells]
    accuracy = sum(a == b for a, b in zip(got, gold[0], strict=True)) / len(got)
    assert accuracy > 0.9
    assert [t.label for t in labelled.tokens] == gold[1] == ["TITLE", "UNIT"]


def test_label_studio_export_loads_as_training_pages(tmp_path, tiny_pages: list[LabelledPage]) -> None:
    import json

    from juesuan.datasets.label_studio import export_tasks
    from juesuan.training.data import load_pages

    export = tmp_path / "export.json"
    export.write_text(json.dumps(export_tasks(tiny_pages[:2], "/data/"), ensure_ascii=False), encoding="utf-8")
    pages = load_pages(export, "train")
    assert len(pages) == 2
    assert [t.label for t in pages[0].tokens] == [t.label for t in tiny_pages[0].tokens]
    assert load_pages(export, "test") == []
