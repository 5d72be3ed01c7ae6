from pathlib import Path

from juesuan.models.type_classifier import TableTypeClassifier
from juesuan.validation.rules import column_field, column_group
from juesuan.validation.schema import load_schema

# Every table title printed in the shared real PDFs (pdftotext of ../shared/data/real/*.pdf) with its type.
REAL_TITLES = {
    "收入支出决算总表": "final.summary",
    "收入决算表": "final.income",
    "支出决算表": "final.expenditure",
    "财政拨款收入支出决算总表": "final.fiscal_summary",
    "一般公共预算财政拨款支出决算表": "final.general_budget_expenditure",
    "一般公共预算财政拨款基本支出决算表": "final.general_budget_basic",
    "财政拨款“三公”经费支出决算表": "final.sangong",
    "政府性基金预算财政拨款收入支出决算表": "final.government_fund",
    "国有资本经营预算财政拨款收入支出决算表": "final.state_capital",
    "2025年部门财务收支预算总表": "budget.summary",
    "2025年预算单位财务收支预算总表": "budget.summary",
    "2025年部门收入预算总表": "budget.income",
    "2025年预算单位收入预算总表": "budget.income",
    "2026年部门支出预算总表": "budget.expenditure",
    "2025年预算单位支出预算总表": "budget.expenditure",
    "2024年部门财政拨款收支预算总表": "budget.fiscal_summary",
    "2025年预算单位财政拨款收支预算总表": "budget.fiscal_summary",
    "2024年部门一般公共预算支出功能分类预算表": "budget.general_budget_expenditure",
    "2025年预算单位一般公共预算支出功能分类预算表": "budget.general_budget_expenditure",
    "2026年部门一般公共预算基本支出部门预算经济分类预算表": "budget.general_budget_basic",
    "2025年预算单位一般公共预算基本支出部门预算经济分类预算表": "budget.general_budget_basic",
    "2024年部门政府性基金预算支出功能分类预算表": "budget.government_fund",
    "2025年预算单位政府性基金预算支出功能分类预算表": "budget.government_fund",
    "2025年部门国有资本经营预算支出功能分类预算表": "budget.state_capital",
    "2025年预算单位国有资本经营预算支出功能分类预算表": "budget.state_capital",
    "部门“三公”经费和机关运行经费预算表": "budget.sangong",
    "2025年单位“三公”经费和机关运行经费预算表": "budget.sangong",
    # seeds
    "部门收支总表": "budget.summary",
    "财政拨款支出预算表": "budget.fiscal_expenditure",
    "一般公共预算“三公”经费支出预算表": "budget.sangong",
    "政府性基金预算“三公”经费支出预算表": "budget.sangong",
    "部门预算项目支出绩效自评表（2024 年度）": "perf.project_self_eval",
    "部门预算项目绩效目标表（2024 年度）": "perf.project_targets",
    "整体支出绩效目标表": "perf.overall_targets",
}


def test_real_titles_classified() -> None:
    clf = TableTypeClassifier()
    wrong = {t: clf.predict(t).type_id for t, want in REAL_TITLES.items() if clf.predict(t).type_id != want}
    assert wrong == {}


def test_ocr_noisy_titles_go_to_the_model_or_fuzzy_aliases() -> None:
    clf = TableTypeClassifier()
    noisy = {
        "一般公共预算财政拨歀基木支山决算表": "final.general_budget_basic",  # 款→歀 本→木 出→山
        "2025年部门收人预箅总表（续）": "budget.income",
        "财政拨款“三么”经费支山决算表": "final.sangong",
    }
    for title, want in noisy.items():
        p = clf.predict(title)
        assert p.method in ("model", "fuzzy") and p.type_id == want and 0.5 <= p.probability <= 1.0, (title, p)
    assert clf.predict("序号 单位名称 备注").type_id is None


def test_header_only_table_is_typed_from_its_header() -> None:
    p = TableTypeClassifier().predict(
        None, "科目编码 科目名称 本年收入合计 财政拨款收入 上级补助收入 事业收入 经营收入 其他收入"
    )
    assert p.type_id == "final.income"


def test_column_fields_tolerate_ocr_noise_and_line_breaks() -> None:
    schema = load_schema()
    assert column_field("项目/本年收入合\n计", schema) == "income_total"
    assert column_field("对附属单位补\n助支出", schema) == "subsidiary_grant_expenditure"
    assert column_field("附属单\n位上\n缴收入", schema) == "subsidiary_remittance_income"
    assert column_field("一般公 共预算 拨款收 入", schema) == "general_budget_income"
    assert column_field("项目/支出功能分类/科目编码/类", schema) == "code_lei"
    assert column_field("基本支出决", schema) is None or column_field("基本支出决", schema) == "basic_expenditure"
    assert column_field("财政拨款“三公”经费/公务用车购置及运行费/小计/决算数", schema) == "total"
    assert column_group("财政拨款“三公”经费/公务用车购置及运行费/小计/决算数", schema).endswith("|final_amount")


def test_rules_only_titles_type_a_whole_title_and_leave_training_alone(tmp_path: Path) -> None:
    """收支总表 (wuxi education 2026) and Yantai's 支出总体情况表 were typed by the model from their headers (a cut
    项目 column said budget.project; 基本支出/项目支出 said 一般公共预算支出表). A whole title in ``titles`` types the
    table; the same words inside a longer title do not (财政拨款收支总表 stays fiscal_summary), and the classifier's
    staleness digest ignores them (they are not training material)."""
    from juesuan.models.type_classifier import yaml_digest
    from juesuan.validation.schema import TABLES_DIR

    schema = load_schema()
    assert schema.match_title("收支总表").id == "budget.summary"  # type: ignore[union-attr]
    assert schema.match_title("2026年部门支出总体情况表").id == "budget.expenditure"  # type: ignore[union-attr]
    assert schema.match_title("财政拨款收支总表").id == "budget.fiscal_summary"  # type: ignore[union-attr]
    assert schema.match_title("2026年财政拨款收支总体情况表").id == "budget.fiscal_summary"  # type: ignore[union-attr]
    assert schema.match_title("政府性基金收支总表") is None
    digest = yaml_digest()
    text = (TABLES_DIR / "types.yaml").read_text(encoding="utf-8")
    (tmp_path / "types.yaml").write_text(text.replace("titles: [收支总表", "titles: [某某总表, 收支总表"), "utf-8")
    assert yaml_digest(tmp_path) == digest
    added = text.replace("aliases: [部门财务收支预算总表", "aliases: [某某总表, 部门财务收支预算总表")
    (tmp_path / "types.yaml").write_text(added, "utf-8")
    assert yaml_digest(tmp_path) != digest
