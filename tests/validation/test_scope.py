"""Scope rules (juesuan/validation/scope.py): project lists, 机关运行经费 vs 公用经费, 结转 explained, 20-day deadline.

Each test seeds one slip into a small document built from real rows (the 项目支出预算情况表 of yantai_audit 2026, the
公用经费 of shanghai-putuo-justice-bureau 2026) and asserts that rule id at its place; the clean document gives none.
"""

from __future__ import annotations

from validation_tables import make_table

from juesuan.datamodel.document import Column, Document, DocumentInfo, Source, Table
from juesuan.validation import scope
from juesuan.validation.context import build_context

PROJECTS = [
    (None, "合计", ["781.50", "4.50"]),
    (None, "审计业务经费", ["31.00", ""]),
    (None, "烟台市智慧审计平台等保测评服务", ["4.50", "4.50"]),
    (None, "审计业务经费", ["539.00", ""]),
    (None, "原审计署烟台基地退休人员补助经费", ["170.00", ""]),
    (None, "审计业务经费", ["18.00", ""]),
    (None, "审计专项经费", ["19.00", ""]),
]


def _doc(*tables: Table, text: list[tuple[int, str]] | None = None, kind: str = "预算") -> Document:
    return Document(
        source=Source(path="x.pdf", sha256="2" * 64, pages=30),
        info=DocumentInfo(issuer="烟台市审计局", year=2026, kind=kind),
        tables=list(tables),
        text=[{"page": p, "bbox": [0, 0, 0, 0], "text": t} for p, t in (text or [])],
    )


def _typed(t: Table, type_id: str) -> Table:
    return t.model_copy(update={"type": type_id})


def _projects(rows=PROJECTS) -> Table:
    t = make_table("t17", "项目支出预算情况表", ["合计", "财政拨款/小计"], rows)
    t.columns[1] = Column(index=1, header="项目名称")
    return _typed(t, "budget.project")


def _rules(doc: Document) -> list[tuple[str, str | None, object]]:
    found, _ = scope.check(doc.tables, build_context(doc))
    return [(v.rule, v.table, v.model_dump(mode="json").get("target")) for v in found]


def test_project_list_sum_and_total() -> None:
    assert _rules(_doc(_projects())) == []
    slipped = [*PROJECTS[:4], (None, "原审计署烟台基地退休人员补助经费", ["180.00", ""]), *PROJECTS[5:]]
    assert _rules(_doc(_projects(slipped))) == [("project_list_sum", "t17", {"row": 0, "col": 2})]
    # the 支出总表's 项目支出 合计 must be the list's 合计
    exp = _typed(
        make_table(
            "t3",
            "支出总体情况表",
            ["合计", "基本支出", "项目支出"],
            [(None, "合计", ["2,776.75", "1,995.25", "781.50"])],
        ),
        "budget.expenditure",
    )
    assert _rules(_doc(_projects(), exp)) == []
    exp.rows[0].cells[4].text = "791.50"
    assert [r[0] for r in _rules(_doc(_projects(), exp))] == ["project_total"]


def _basic(public: str = "217.83") -> Table:
    t = make_table(
        "t8",
        "2026年部门一般公共预算基本支出功能分类预算表",
        ["合计", "人员经费", "公用经费"],
        [("2010101", "行政运行", ["1,683.37", "1,465.54", public]), (None, "合计", ["1,683.37", "1,465.54", public])],
    )
    return _typed(t, "budget.general_budget_basic")


def test_agency_costs_not_above_public_costs() -> None:
    ok = [(20, "2026年上海市普陀区司法局下属1家机关和1家参公事业单位财政拨款的机关运行经费预算为217.83万元。")]
    assert _rules(_doc(_basic(), text=ok)) == []
    bad = [(20, "2026年本部门财政拨款的机关运行经费预算为317.83万元。")]
    assert [r[0] for r in _rules(_doc(_basic(), text=bad))] == ["agency_costs_scope"]


def _summary(carry: str) -> Table:
    rows = [
        (None, "本年支出合计", ["2,940.05"]),
        (None, "结余分配", ["0.00"]),
        (None, "年末结转和结余", [carry]),
        (None, "总计", ["2,990.05"]),
    ]
    return _typed(make_table("t1", "2024年收入支出决算总表", ["决算数"], rows), "final.summary")


def test_carryover_needs_a_sentence() -> None:
    silent = [(20, "2024年度收入、支出决算总计2990.05万元。")]
    found = _rules(_doc(_summary("50.00"), text=silent, kind="决算"))
    assert found == [("carryover_unexplained", "t1", {"row": 2, "col": 2})]
    told = [*silent, (20, "年末结转和结余50.00万元，主要是项目当年未完成。")]
    assert _rules(_doc(_summary("50.00"), text=told, kind="决算")) == []
    assert _rules(_doc(_summary("0.00"), text=silent, kind="决算")) == []


def test_publication_within_twenty_days_of_approval() -> None:
    late = [(1, "本部门预算于2026年1月20日经区财政局批复。"), (1, "公开日期：2026年2月20日")]
    assert [r[0] for r in _rules(_doc(text=late))] == ["publication_deadline"]
    on_time = [(1, "本部门预算于2026年1月20日经区财政局批复。"), (1, "公开日期：2026年2月5日")]
    assert _rules(_doc(text=on_time)) == []
    assert _rules(_doc(text=[(1, "公开日期：2026年2月20日")])) == []  # no approval date: nothing to count from


def test_project_list_sum_counts_projects_not_their_classification_rows() -> None:
    """shanghai-city diamond-exchange 2026 单位预算 p.17: 201 / 20113 / 2011302 rows each carry the 270,000 of the
    one project below them; the projects are the rows with a 项目名称, so the list sums to its 合计."""
    rows = [
        ("201", "一般公共服务支出", ["", "270,000"]),
        ("20113", "商贸事务", ["", "270,000"]),
        ("2011302", "一般行政管理事务", ["", "270,000"]),
        (None, "", ["钻石宝玉石产业发展专项", "270,000"]),
        (None, "合计", ["", "270,000"]),
    ]
    t = _typed(make_table("t10", "财政拨款项目支出预算表", ["项目名称", "预算数"], rows, unit="元"), "budget.project")
    assert _rules(_doc(t)) == []
    slipped = [*rows[:3], (None, "", ["钻石宝玉石产业发展专项", "280,000"]), rows[4]]
    t = _typed(
        make_table("t10", "财政拨款项目支出预算表", ["项目名称", "预算数"], slipped, unit="元"), "budget.project"
    )
    assert [r[0] for r in _rules(_doc(t))] == ["project_list_sum"]
