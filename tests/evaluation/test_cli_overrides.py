from juesuan.cli import build_parser
from juesuan.cli.evaluate import _pipeline_overrides
from juesuan.options import load_options


def test_no_repair_reaches_the_pipeline_options() -> None:
    args = build_parser("evaluate").parse_args(["evaluate", "x.pdf", "-o", "out", "--no-repair", "--ocr", "ppocr_v4"])
    opts = load_options(None, _pipeline_overrides(args))
    assert opts.validation.repair is False
    assert opts.ocr.kind == "ppocr_v4"
    default = load_options(None, _pipeline_overrides(build_parser("evaluate").parse_args(["evaluate", "x", "-o", "o"])))
    assert default.validation.repair is True
