"""Per-family evaluation metrics and the accuracy-over-time report read back from MLflow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from juesuan.evaluation.families import family_metrics, family_of, flat


@dataclass
class _Truth:
    doc: str


@dataclass
class _Outcome:
    truth: _Truth
    ok: bool


def test_family_of_file_names() -> None:
    # listed in configs/eval/wide.yaml: the configured family
    assert family_of("shanghai-putuo-finance-bureau_2024_决算.pdf") == "shanghai-putuo"
    assert family_of("/x/central_state-petitions-bureau_2024_部门决算.pdf") == "central"
    assert family_of("jiangsu_high-court_2018_部门预算.pdf") == "jiangsu-province"
    # not listed: the file name's region prefix
    assert family_of("ningbo-haishu_water_2025_部门预算.pdf") == "ningbo"
    assert family_of("national-template_部门决算模板") == "national"
    assert family_of("部门决算.pdf") == "other"


def test_value_accuracy_per_family_and_metric_keys() -> None:
    outcomes = [_Outcome(_Truth("shanghai-a_2024.pdf"), ok) for ok in (True, True, False, True)]
    outcomes += [_Outcome(_Truth("central_b_2024.pdf"), False)]
    fams = family_metrics(["shanghai-a_2024.pdf", "central_b_2024.pdf"], outcomes)
    assert fams["shanghai"]["value_accuracy"] == 0.75 and fams["central"]["value_accuracy"] == 0.0
    assert fams["shanghai"]["label_f1"] is None and fams["shanghai"]["pages"] == 1
    keys = flat(fams, "fax")
    assert keys["family.shanghai.fax.value_accuracy"] == 0.75 and "family.shanghai.fax.label_f1" not in keys


@pytest.mark.slow  # a fresh MLflow SQLite store: schema migrations take 5-30 s
def test_report_draws_one_line_per_family(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    from juesuan.evaluation.accuracy_report import collect, write_accuracy_report
    from juesuan.training import tracking

    monkeypatch.setenv("JUESUAN_TRACKING_URI", str(tmp_path / "store"))
    tracking.setup(None, "juesuan-evaluate")
    for value in (0.9, 0.95):
        with mlflow.start_run():
            mlflow.log_metrics({"family.shanghai.scan.value_accuracy": value, "family.central.fax.value_accuracy": 0.5})
    series = collect("value_accuracy", "juesuan-evaluate")
    assert [v for _, v in series["shanghai / scan"]] == [0.9, 0.95] and len(series["central / fax"]) == 2
    png, html, n = write_accuracy_report(tmp_path / "report")
    assert n == 4 and png.read_bytes().startswith(b"\x89PNG")
    text = html.read_text(encoding="utf-8")
    assert "data:image/png;base64," in text and "<td>shanghai / scan</td>" in text and "0.9500" in text
