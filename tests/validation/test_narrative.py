"""Narrative checks on sentences copied from the real PDFs' text layer (../shared/data/real)."""

from validation_tables import document_of, make_table

from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate

# shanghai-putuo-justice-bureau_2026_部门预算.pdf, 预算编制说明 items 6, 11, 12 (inspector checklist cases 4-6).
JUSTICE = [
    "6、公共安全支出（204类）司法（06款）其他司法支出（99项）3845.49万元。主要用于：依法治区、法制业务经费等支出。"
    "2025年当年预算执行数为43269.3万元，2026年预算安排3845.49万元，比2025年预算执行数增加17.62%。主要原因是：业务量增加。",
    "11、医疗卫生与计划生育支出（210类）行政事业单位医疗（11款）行政单位医疗（01项）114.97万元。主要用于：行政单位医疗保险缴费"
    "经费。2025年当年预算执行数为59.43万元，2026年预算安排114.97万元，比2025年预算执行数增加93.45%。主要原因是：支出增加。",
    "12、住房保障支出（221类）住房改革支出（02款）住房公积金（01项）208.8万元。主要用于：行政事业单位为职工缴纳的住房公积金。"
    "2025年当年预算执行数为198.34万元，2026年预算安排201.50万元，比2025年预算执行数增加5.27%。主要原因是：支出增加。",
]
# the same PDF's 部门一般公共预算支出功能分类预算表 (元)
JUSTICE_ROWS = [
    ("2040699", "其他司法支出", ["38454900.00", "0.00", "38454900.00"]),
    ("2101101", "行政单位医疗", ["1149678.00", "1149678.00", "0.00"]),
    ("2210201", "住房公积金", ["2087959.00", "2087959.00", "0.00"]),
]


def _run(text: list[str], *tables):
    doc = annotate_and_validate(document_of(*tables, text=text), ValidationOptions(repair=False))
    return [v for v in doc.validation.violations if v.rule.startswith("narrative")]


def test_inspector_checklist_cases_are_found() -> None:
    table = make_table(
        "t5", "2026年部门一般公共预算支出功能分类预算表", ["合计", "基本支出", "项目支出"], JUSTICE_ROWS, unit="元"
    )
    found = _run(JUSTICE, table)
    by_rule: dict[str, list] = {}
    for v in found:
        by_rule.setdefault(v.rule, []).append(v)
    # case 4: 43269.3 → 3845.49 is a fall of 91.11%, not "增加17.62%"
    change = [v for v in by_rule["narrative_change"] if v.found == 17.62]
    assert len(change) == 1 and change[0].expected == -91.11
    # case 5: 医疗卫生与计划生育支出（210类）: the classification calls 210 卫生健康支出
    names = by_rule["narrative_code_name"]
    assert len(names) == 1 and "卫生健康支出" in names[0].message_zh and names[0].severity == "warning"
    # case 6: 住房公积金 208.8 in the heading, 201.50 later; the table has 208.80
    table_v = by_rule["narrative_table"]
    assert [(v.found, v.expected) for v in table_v] == [(201.5, 208.8)]
    assert all(v.page == 10 for v in found)


def test_consistent_sentences_give_nothing() -> None:
    ok = [
        "2024年度本年支出合计304.34万元，其中：基本支出164.45万元，占54.03%；项目支出139.89万元，占45.97%；",
        "2、公共安全支出（204类）司法（06款）基层司法业务（04项）2170.39万元。2025年当年预算执行数为2149.45万元，"
        "2026年预算安排2170.39万元，比2025年预算执行数增加0.97%。",
        "上海市普陀区财政局2024年度收入支出总计2995.39万元。与2023年度相比，收入支出总计减少56.95万元，下降1.87%。",
    ]
    assert _run(ok) == []


def test_share_and_difference_errors_of_real_documents() -> None:
    # shanghai-putuo-finance-bureau_2024_决算.pdf p.21: 2106.66/2940.05 is 71.65%, the text says 71.73%
    share = (
        "一般公共预算财政拨款支出2940.05万元，主要用于以下方面：一般公共服务支出（类）2106.66万元，占71.73%；"
        "社会保障和就业支出（类）326.72万元，占11.11%；"
    )
    # leshan-hrss-info-center_2024_决算.txt (seed): 304.34 − 276.49 is 27.85, the text says 27.83
    diff = [
        "2024 年度收入、支出总计均为 304.34 万元。",
        "与 2023 年度收入、支出 276.49 万元相比，收入、支出总计增加 27.83 万元，增长 10.06%。",
    ]
    found = _run([share, *diff])
    assert sorted((v.rule, v.found, v.expected) for v in found) == [
        ("narrative_difference", 27.83, 27.85),
        ("narrative_share", 71.73, 71.65),
    ]


def test_items_run_together_when_ocr_drops_the_full_stop() -> None:
    """justice bureau 2026 under `fax`: the 。 that ends item 11 was lost, so “…支出增加12、住房保障支出（221类）…”
    ran into one sentence and item 11's 预算安排 went to 2210201 (and item 12's to 2101101). Each numbered 类款项
    item starts its own sentence; the checklist's real case (208.8 heading, 201.50 later) is still found."""
    from juesuan.validation.narrative import sentences

    joined = "".join(s.replace("。主要原因是：支出增加。", "。主要原因是：支出增加") for s in JUSTICE[1:])
    parts = [s.text for s in sentences([{"page": 10, "text": joined}])]
    assert any(p.startswith("12、住房保障支出（221类）") for p in parts)
    table = make_table(
        "t5", "2026年部门一般公共预算支出功能分类预算表", ["合计", "基本支出", "项目支出"], JUSTICE_ROWS, unit="元"
    )
    found = [v for v in _run([joined], table) if v.rule == "narrative_table"]
    assert [(v.found, v.expected) for v in found] == [(201.5, 208.8)]
    # numbers that are not an item's ordinal do not cut: 增加12.5%、 and a year
    text = "比2025年预算执行数增加12.5%，主要原因是2026年支出增加。"
    assert [s.text for s in sentences([{"page": 1, "text": text}])] == [text.rstrip("。")]


def test_a_thousands_comma_read_full_width_is_part_of_the_figure() -> None:
    """jiangsu procuratorate 2019 预算 p.26 at `fax`: “支出预算合计24，169.74万元，其中：基本支出15,844.04万元，
    占65.56%”. The full-width ， inside the figure cut it to 169.74, and every share of the sentence failed."""
    from juesuan.validation.narrative import sentences

    text = "本年支出预算合计24，169.74万元，其中：基本支出15,844.04万元，占65.56%；项目支出4335.3万元，占17.94%。"
    assert sentences([{"page": 25, "text": text}])[0].text.startswith("本年支出预算合计24,169.74万元，其中")
    assert _run([text]) == []
    assert [v.rule for v in _run([text.replace("65.56%", "66.56%")])] == ["narrative_share"]
    # a clause that ends in a bare number before ， is left alone (no three digits follow, or a fourth does)
    assert sentences([{"page": 1, "text": "共3，其中1234万元。"}])[0].text == "共3，其中1234万元"


def test_thousands_separators_ocr_read_as_semicolon_or_point() -> None:
    """Fax runs of wuxi hr and hangzhou justice 2026: “减少14;816.38万元” and “拨款91.842.80万元…增加6;600.98万元” —
    the change was recomputed from 816.38 and 842.80. A ; before three digits and the figure's point or 万, and the
    points of a figure that has two, are thousands separators; a figure with one point or a clause's ; is left."""
    from juesuan.validation.narrative import sentences

    text = (
        "2026年一般公共预算当年拨款91.842.80万元，比上年执行数增加6;600.98万元，增长7.7%。"
        "一般公共预算拨款收入152,585.76万元，与上年相比减少14;816.38万元，减少8.85%。"
    )
    read = " ".join(s.text for s in sentences([{"page": 5, "text": text}]))
    assert "91,842.80万元" in read and "6,600.98万元" in read and "14,816.38万元" in read
    assert _run([text]) == []
    assert [v.rule for v in _run([text.replace("7.7%", "9.7%")])] == ["narrative_change"]
    for kept in ("增长7.7%；2026年", "共3;100个", "收入2.018万元", "第1.2.3条"):
        assert sentences([{"page": 1, "text": kept}])[0].text == kept


def test_a_change_against_last_year_with_no_base_printed_is_checked() -> None:
    """“支出1442.74万元，与上年相比增加368.97万元，增加34.38%” (jiangsu procuratorate 2019 p.28, text layer): 与上年相比
    names no base, so it is 1442.74 − 368.97 = 1073.77 and the stated 34.38% is 34.36% — this form went unchecked
    while only 比上年 was read so. 与2025年预算数90万元相比 names its base: 100 is the current amount, not the base."""
    text = "住房公积金（项）支出1442.74万元，与上年相比增加368.97万元，增加34.38%。"
    (v,) = _run([text])
    assert (v.rule, v.found, v.expected) == ("narrative_change", 34.38, 34.36)
    assert _run([text.replace("34.38%", "34.36%")]) == []
    named = "支出100.00万元，与2025年预算数90.00万元相比，增加10.00万元，增长11.11%。"
    assert _run([named]) == []
    assert [v.rule for v in _run([named.replace("11.11%", "10.00%")])] == ["narrative_change"]
