"""The stage registry is the one list of kinds: options, CLI choices and the harness read it; unknown kinds list it."""

from __future__ import annotations

import argparse
import inspect

import pytest

from juesuan.cli import build_parser
from juesuan.errors import ConfigError
from juesuan.evaluation.harness import ENGINES
from juesuan.inference import registry
from juesuan.options import PipelineOptions, load_options


def _choices(command: str, flag: str) -> tuple[str, ...]:
    parser = build_parser(command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    action = next(a for a in sub.choices[command]._actions if flag in a.option_strings)
    return tuple(action.choices or ())


def test_every_stage_has_an_options_field_and_builds_lazily() -> None:
    assert set(registry.OPTIONS_FIELD) == set(registry.STAGES)
    defaults = PipelineOptions()
    for stage, field in registry.OPTIONS_FIELD.items():
        for kind in registry.kinds(stage):
            options = getattr(defaults, field).model_copy(update={"kind": kind})
            built = registry.build(stage, options)
            assert isinstance(built, registry.Stage), (stage, kind)
            params = [p for p in inspect.signature(built.__call__).parameters.values() if p.default is p.empty]
            assert len(params) == 1, f"{stage}/{kind}: __call__ takes one batch, not {params}"


def test_cli_choices_come_from_the_registry() -> None:
    assert _choices("extract", "--ocr") == registry.kinds("ocr") == ("ppocr_v4", "ppocr_v6", "tesseract")
    assert _choices("extract", "--labeler") == registry.kinds("label") == ("classifier", "rules")
    assert _choices("evaluate", "--ocr") == registry.kinds("ocr")
    assert _choices("evaluate", "--labeler") == registry.kinds("label")
    assert _choices("evaluate", "--engine") == ENGINES == ("juesuan", *registry.PEERS)


@pytest.mark.parametrize("stage", ["ocr", "layout", "label", "grid"])
def test_unknown_kind_in_config_lists_the_known_ones(stage: str) -> None:
    with pytest.raises(ConfigError, match=f"unknown {stage} kind 'nope'; known: {', '.join(registry.kinds(stage))}"):
        load_options(None, {stage: {"kind": "nope"}})


def test_unknown_kind_or_stage_in_python_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown ocr kind 'nope'; known: ppocr_v4, ppocr_v6, tesseract"):
        registry.stage_class("ocr", "nope")
    with pytest.raises(ConfigError, match="unknown stage 'ocrr'; known: rasterize, layout"):
        registry.kinds("ocrr")


def test_unknown_kind_on_the_command_line_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser("extract").parse_args(["extract", "x.pdf", "-o", "out", "--ocr", "paddle"])
    assert "choose from ppocr_v4, ppocr_v6, tesseract" in capsys.readouterr().err.replace("'", "")
