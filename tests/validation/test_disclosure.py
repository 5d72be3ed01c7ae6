"""Disclosure rules (completeness, years, names, figures, blanks, cross-document) on tiny generated documents.

Each test seeds one slip the way an inspector finds it and asserts that rule id is reported at its place; the
clean document reports none of them. Sentences and numbers follow shanghai-putuo-justice-bureau_2026_部门预算.pdf.
"""

from __future__ import annotations

from validation_tables import make_table

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Cell, Column, Document, DocumentInfo, Row, Source, Table, TextBlock
from juesuan.options import ValidationOptions
from juesuan.validation.check import annotate_and_validate
from juesuan.validation.context import build_context, report_year
from juesuan.validation.multidoc import Named, check_documents

ISSUER = "上海市普陀区司法局"
SANGONG_HEADERS = [
    "“三公”经费预算数/合计",
    "“三公”经费预算数/因公出国(境)费",
    "“三公”经费预算数/公务接待费",
    "“三公”经费预算数/公务用车购置及运行费/小计",
    "“三公”经费预算数/公务用车购置及运行费/购置费",
    "“三公”经费预算数/公务用车购置及运行费/运行费",
    "机关运行经费预算数",
]
SANGONG_VALUES = ["36.00", "10.00", "2.00", "24.00", "0.00", "24.00", "171.01"]


def sangong(values: list[str] | None = None, year: int = 2026, kind: str = "预算") -> Table:
    vals = values or SANGONG_VALUES
    cells = [
        Cell(col=k, text=v, value=float(parse_amount(v)) if parse_amount(v) is not None else None, page=19)
        for k, v in enumerate(vals)
    ]
    title = f"{year}年部门“三公”经费和机关运行经费预算表" if kind == "预算" else f"{year}年财政拨款“三公”经费支出决算表"
    return Table(
        id="t9",
        pages=[19],
        bbox=[0, 0, 1, 1],
        title=title,
        unit="万元",
        columns=[Column(index=k, header=h) for k, h in enumerate(SANGONG_HEADERS)],
        rows=[Row(index=0, cells=cells)],
    )


def summary(total: str = "9,628.22", year: int = 2026) -> Table:
    rows = [
        (None, "一、一般公共预算", [total]),
        (None, "本年收入合计", [total]),
        (None, "收入总计", [total]),
    ]
    return make_table("t1", f"{year}年部门财务收支预算总表", ["预算数"], rows)


def gbe(total: str = "9,628.22", year: int = 2026) -> Table:
    rows = [
        ("204", "公共安全支出", [total, "5,000.00", "4,628.22"]),
        (None, "合计", [total, "5,000.00", "4,628.22"]),
    ]
    return make_table("t5", f"{year}年部门一般公共预算支出功能分类预算表", ["合计", "基本支出", "项目支出"], rows)


def doc_of(*tables: Table, text: list[tuple[int, str]] | None = None, year: int | None = 2026, kind="预算") -> Document:
    return Document(
        source=Source(path="justice.pdf", sha256="1" * 64, pages=30),
        info=DocumentInfo(issuer=ISSUER, year=year, kind=kind),
        tables=list(tables),
        text=[{"page": p, "bbox": [0, 0, 0, 0], "text": t} for p, t in (text or [])],
    )


def typed(doc: Document) -> Document:
    """As ``juesuan validate`` has them before the cross-document checks: tables typed, fields named."""
    return annotate_and_validate(doc, ValidationOptions(repair=False))


def rules_of(doc: Document) -> list[tuple[str, str, int | None]]:
    checked = annotate_and_validate(doc, ValidationOptions(repair=False))
    return [(v.rule, v.severity, v.model_dump(mode="json").get("page")) for v in checked.validation.violations]


def _only(found: list[tuple[str, str, int | None]], rule: str) -> list[tuple[str, str, int | None]]:
    return [f for f in found if f[0] == rule]


# ---- years and names ----------------------------------------------------------------------------------------


def test_year_is_derived_from_the_cover_when_info_is_empty() -> None:
    doc = doc_of(text=[(0, "上海市普陀区2026年区级部门预算"), (0, "预算主管部门：上海市普陀区司法局")], year=None)
    doc = doc.model_copy(update={"info": DocumentInfo()})
    assert report_year(doc) == (2026, "cover")
    ctx = build_context(doc)
    assert (ctx.kind, ctx.issuer) == ("预算", ISSUER)


def test_year_slips_in_titles_text_cutoff_and_comparisons() -> None:
    clean = [
        (7, "2026年部门预算编制说明"),
        (7, "2026年，上海市普陀区司法局收入预算9628.22万元，比2025年预算增加793.14万元。"),
        (20, "截至2025年8月31日，上海市普陀区司法局共有车辆10辆。"),
    ]
    assert not [f for f in rules_of(doc_of(summary(), text=clean)) if f[0].startswith("year_")]
    slipped = [
        (7, "2025年部门预算编制说明"),  # last year's heading kept
        (7, "2026年，上海市普陀区司法局收入预算9628.22万元，比2026年预算增加793.14万元。"),  # the inspector's 5 places
        (20, "截至2024年8月31日，上海市普陀区司法局共有车辆10辆。"),
    ]
    found = rules_of(doc_of(summary(year=2025), text=slipped))
    assert ("year_title", "error", 3) in found  # the table's page
    assert [f[2] for f in _only(found, "year_text")] == [7]
    assert [f[2] for f in _only(found, "year_compare")] == [7]
    assert [f[2] for f in _only(found, "year_cutoff")] == [20]


def test_year_column_headers_shifted_by_a_year() -> None:
    table = sangong()
    ok = table.model_copy(deep=True)
    for c in ok.columns:
        c.header = "2026年" + c.header
    assert not _only(rules_of(doc_of(ok)), "year_column")
    bad = table.model_copy(deep=True)
    for c in bad.columns:
        c.header = "2025年" + c.header  # the header row copied from last year's file
    assert _only(rules_of(doc_of(bad)), "year_column")


def test_issuer_name_of_another_department() -> None:
    text = [
        (0, "预算主管部门：上海市普陀区司法局"),
        (3, "上海市普陀区司法局主要职能"),
        (9, "编制部门：上海市普陀区司法局"),
    ]
    assert not _only(rules_of(doc_of(text=text)), "issuer_name")
    text[2] = (9, "编制部门：上海市普陀区财政局")
    assert _only(rules_of(doc_of(text=text)), "issuer_name") == [("issuer_name", "error", 9)]


def test_issuer_name_one_character_off_a_longer_cover_name_is_a_warning() -> None:
    """Issue 13 on a fax copy: “上海市普陀区社会制利院” (福 misread) against the cover's “…社会福利院单位”: the name
    lines up with part of the cover's, one character apart — a misread or a short form, not another department."""

    def found(heading: str) -> list[tuple[str, str, int | None]]:
        doc = doc_of(text=[(10, heading)])
        doc.info.issuer = "上海市普陀区社会福利院单位"
        return _only(rules_of(doc), "issuer_name")

    assert found("上海市普陀区社会制利院主要职能") == [("issuer_name", "warning", 10)]
    assert found("上海市普陀区社会救助院主要职能") == [("issuer_name", "error", 10)]  # two characters: another body


# ---- narrative figures --------------------------------------------------------------------------------------


def test_figures_against_their_tables() -> None:
    tables = (summary(), gbe(), sangong())
    clean = [
        (8, "上海市普陀区司法局2026年收入支出总计9628.22万元。"),
        (8, "一般公共预算拨款支出预算9628.22万元，其中：基本支出5000.00万元，项目支出4628.22万元。"),
        (21, "2026年“三公”经费预算数为36.00万元，其中：因公出国（境）费10.00万元，公务接待费2.00万元。"),
        (21, "机关运行经费预算为171.01万元。"),
    ]
    found = rules_of(doc_of(*tables, text=clean))
    assert not [f for f in found if f[1] != "info" and f[0] not in ("change_reason", "table_missing")]
    slipped = [
        (8, "上海市普陀区司法局2026年收入支出总计0万元。"),  # the issue's planted 0万元
        (8, "一般公共预算拨款支出预算96282200万元，其中：基本支出5000.00万元，项目支出4628.22万元。"),  # 元 as 万元
        (21, "2026年“三公”经费预算数为36.00万元，其中：因公出国（境）费12.00万元，公务接待费2.00万元。"),
        (21, "机关运行经费预算为171.02万元。"),  # 0.01 off: a rounding note, not an error
    ]
    found = rules_of(doc_of(*tables, text=slipped))
    assert ("unit_slip", "error", 8) in found
    assert [f[2] for f in _only(found, "narrative_figure")] == [8, 21]
    assert ("narrative_rounding", "info", 21) in found


def test_uncertain_ocr_cell_makes_a_figure_mismatch_a_warning() -> None:
    table = sangong()
    table.rows[0].cells[1].confidence = 0.4  # 因公出国 read with low confidence
    found = rules_of(doc_of(table, text=[(21, "因公出国（境）费12.00万元。")]))
    assert _only(found, "narrative_figure") == [("narrative_figure", "warning", 21)]


def test_class_structure_share_amount() -> None:
    text = [(9, "一般公共预算财政拨款支出9628.22万元，主要用于以下方面：公共安全支出（类）9628.22万元，占100%。")]
    assert not _only(rules_of(doc_of(gbe(), text=text)), "narrative_class")
    text = [(9, "一般公共预算财政拨款支出9628.22万元，主要用于以下方面：公共安全支出（类）9638.22万元，占100%。")]
    assert _only(rules_of(doc_of(gbe(), text=text)), "narrative_class") == [("narrative_class", "error", 9)]


def test_comparison_words_against_their_numbers() -> None:
    ok = (
        "“三公”经费财政拨款支出年初预算为20.00万元，支出决算为18.00万元，完成预算的90%，"
        "决算数小于预算数的主要原因是节约。"
    )
    bad = ok.replace("小于", "大于")
    assert not _only(rules_of(doc_of(text=[(22, ok)], kind="决算", year=2024)), "narrative_direction")
    assert _only(rules_of(doc_of(text=[(22, bad)], kind="决算", year=2024)), "narrative_direction") == [
        ("narrative_direction", "error", 22)
    ]
    pair = "公务用车运行费16.00万元，比上年减少1.00万元，增长5.88%。主要原因是厉行节约。"
    assert _only(rules_of(doc_of(text=[(23, pair)])), "narrative_direction") == [("narrative_direction", "error", 23)]


def test_change_needs_a_reason_and_repeats_are_flagged() -> None:
    with_reason = "财政拨款支出预算9628.22万元，比2025年预算增加793.14万元，主要原因是工作量增加。"
    without = "财政拨款支出预算9628.22万元，比2025年预算增加793.14万元。"
    assert not _only(rules_of(doc_of(text=[(8, with_reason)])), "change_reason")
    assert _only(rules_of(doc_of(text=[(8, without)])), "change_reason") == [("change_reason", "warning", 8)]
    found = rules_of(doc_of(text=[(8, "主要用于信息化建设及运行维护等方面的支出。。")]))  # checklist item 3
    assert _only(found, "repeated_word") == [("repeated_word", "warning", 8)]


# ---- blanks and tables --------------------------------------------------------------------------------------


def test_blank_required_sangong_cell_and_zero_total() -> None:
    assert not [f for f in rules_of(doc_of(sangong())) if f[0] in ("blank_required", "sangong_zero_total")]
    blank = SANGONG_VALUES.copy()
    blank[1] = ""  # 因公出国 预算数 left blank: 合计 36 no longer adds up
    found = rules_of(doc_of(sangong(blank)))
    assert _only(found, "blank_required") == [("blank_required", "warning", 19)]
    zero = SANGONG_VALUES.copy()
    zero[0] = "0.00"
    assert _only(rules_of(doc_of(sangong(zero))), "sangong_zero_total") == [("sangong_zero_total", "error", 19)]

    # a table that leaves zero items blank: 购置费 blank is fine (小计 24 = 运行费 24); 运行费 blank is not
    no_zeros = ["36.00", "10.00", "2.00", "24.00", "", "24.00", "171.01"]
    assert not _only(rules_of(doc_of(sangong(no_zeros))), "blank_required")
    no_zeros[5] = ""
    cols = [
        v.model_dump(mode="json")["target"]["col"]
        for v in typed(doc_of(sangong(no_zeros))).validation.violations
        if v.rule == "blank_required"
    ]
    assert 5 in cols


def test_fiscal_summary_against_the_general_budget_table() -> None:
    fiscal = make_table(
        "t4", "2026年部门财政拨款收支预算总表", ["预算数"], [(None, "一般公共预算", ["9,628.22"])]
    ).model_copy(update={"title": "2026年部门财政拨款收支预算总表"})
    assert not _only(rules_of(doc_of(fiscal, gbe())), "cross_fiscal_gbe")
    assert _only(rules_of(doc_of(fiscal, gbe("9,638.22"))), "cross_fiscal_gbe")


# ---- completeness -------------------------------------------------------------------------------------------

TOC = (
    "目录一、部门主要职能五、部门预算表1.2026年部门财务收支预算总表2.2026年部门一般公共预算支出功能分类预算表"
    "3.2026年部门“三公”经费和机关运行经费预算表六、其他相关情况说明"
)
COVER = [(0, "上海市普陀区2026年区级部门预算"), (0, "预算主管部门：上海市普陀区司法局"), (1, TOC)]


def test_toc_against_tables_and_the_template() -> None:
    doc = doc_of(summary(), gbe(), sangong(), text=COVER)
    found = rules_of(doc)
    # the Shanghai 预算 family requires nine tables; this document has three: six are missing (errors, no page)
    missing = _only(found, "table_missing")
    assert len(missing) == 6 and all(f[1] == "error" and f[2] is None for f in missing)
    assert not _only(found, "toc_order")
    # the 目录 lists the 三公 table but it is gone: named at the 目录's page
    found = rules_of(doc_of(summary(), gbe(), text=COVER))
    assert ("table_missing", "error", 1) in found
    # tables out of the 目录's order
    found = rules_of(doc_of(gbe(), summary(), sangong(), text=COVER))
    assert ("toc_order", "warning", 1) in found
    # a title with a （功能科目） suffix the 目录 leaves out is still that entry, in order
    suffixed = gbe().model_copy(update={"title": "2026年部门一般公共预算支出功能分类预算表（功能科目）"})
    assert not _only(rules_of(doc_of(summary(), suffixed, sangong(), text=COVER)), "toc_order")


def test_empty_table_needs_its_note() -> None:
    empty = make_table("t6", "2026年部门政府性基金预算支出功能分类预算表", ["合计"], [(None, "合计", [""])])
    found = rules_of(doc_of(summary(), empty, text=COVER))
    assert ("empty_table_note", "error", 3) in found
    note = [*COVER, (3, "注:本部门2026年无政府性基金预算财政拨款安排的预算，故本表为空表。")]
    assert not _only(rules_of(doc_of(summary(), empty, text=note)), "empty_table_note")
    # a running header (无锡市…部门预算公开 on every page) is no note
    header = [*COVER, *((p, "无锡市司法局2026年度部门预算公开") for p in (2, 3, 4))]
    assert ("empty_table_note", "error", 3) in rules_of(doc_of(summary(), empty, text=header))
    # the same 注 under three empty tables is a note each time, not a page header
    repeated = [*COVER, *((p, "注：本部门无相关收支项目") for p in (3, 4, 5))]
    assert not _only(rules_of(doc_of(summary(), empty, text=repeated)), "empty_table_note")
    # the note under another table of the same page belongs to that table
    other = make_table("t7", "2026年部门国有资本经营预算支出预算表", ["合计"], [(None, "合计", ["5.00"])])
    empty.bbox, other.bbox = [0, 100, 1000, 400], [0, 500, 1000, 800]
    doc = doc_of(summary(), empty, other, text=COVER)
    doc.text.append(TextBlock(page=3, bbox=[0, 850, 500, 870], text="注：本部门无相关收支项目"))
    assert ("empty_table_note", "error", 3) in rules_of(doc)


# ---- cross-document -----------------------------------------------------------------------------------------


def test_cross_document_budget_and_prior_year() -> None:
    budget_2024 = doc_of(sangong(year=2024), year=2024)
    final_headers = [h.replace("“三公”经费预算数", "预算数") for h in SANGONG_HEADERS]
    final = sangong(["36.00", "12.00", "2.00", "22.00", "0.00", "22.00", "171.01"], year=2024, kind="决算")
    for c, h in zip(final.columns, final_headers, strict=True):
        c.header = h
    final_2024 = doc_of(final, year=2024, kind="决算")
    found, checks = check_documents([Named("final/", typed(final_2024)), Named("budget/", typed(budget_2024))])
    assert checks >= 5
    bad = sorted((v.rule, v.model_dump(mode="json")["target"]["col"]) for v in found)
    assert bad == [("cross_document_budget", 1), ("cross_document_budget", 3), ("cross_document_budget", 5)]
    assert all(v.model_dump(mode="json")["documents"] == ["final/", "budget/"] for v in found)
    # 2025 预算's 上年 column against the 2024 预算
    t25 = gbe(year=2025)
    t25.columns[2].header = "2025年预算数"
    t25.columns.append(Column(index=5, header="2024年预算数"))
    for row in t25.rows:
        row.cells.append(Cell(col=5, text="9,000.00", value=9000.0))
    t24 = gbe("9,000.00", year=2024)
    pair = [Named("2025/", typed(doc_of(t25, year=2025))), Named("2024/", typed(doc_of(t24, year=2024)))]
    assert not check_documents(pair)[0]
    t24 = gbe("8,000.00", year=2024)
    pair = [Named("2025/", typed(doc_of(t25, year=2025))), Named("2024/", typed(doc_of(t24, year=2024)))]
    found, _ = check_documents(pair)
    assert {v.rule for v in found} == {"cross_document_prior_year"}


def test_template_known_by_its_placeholder_department_when_the_cover_is_misread() -> None:
    """Issue 13, the national template on a fax copy: OCR read the cover's department as “十、”; the headings still
    name 上海市XX局, so it is the template (no empty-table or department findings), and “十、” is no department."""
    from juesuan.validation.context import is_template, looks_like_issuer

    doc = doc_of(text=[(0, "十、"), (4, "纳入上海市XX局2024年度部门决算编制范围的单位")])
    assert is_template(doc, "十、") and not looks_like_issuer("十、")
    assert looks_like_issuer("上海市普陀区社会福利院单位") and looks_like_issuer("上海市普陀区司法局")
    assert not is_template(doc_of(text=[(4, "上海市普陀区司法局主要职能")]), "上海市普陀区司法局")
    doc.info.issuer = "十、"
    assert not _only(rules_of(doc), "issuer_name")


def test_empty_table_whose_body_is_the_untitled_table_after_it_is_a_warning() -> None:
    """jiangsu high-court 2018 under `scan`: the 财政拨款收支预算总表 was cut at its header (a title and columns, no
    row) and its rows became an untitled table on the next page; “no amounts, no note” was an error there."""
    header_only = make_table("t6", "2026年部门财政拨款收支预算总表", ["预算数"], [])
    body = make_table(
        "t7", "", ["预算数"], [(None, "一、一般公共预算", ["9,628.22"]), (None, "收入合计", ["9,628.22"])]
    )
    body.title = None
    body.pages = [4]
    found = rules_of(doc_of(summary(), header_only, body, text=COVER))
    assert ("empty_table_note", "warning", 3) in found and ("empty_table_note", "error", 3) not in found
    checked = annotate_and_validate(doc_of(summary(), header_only, body, text=COVER), ValidationOptions(repair=False))
    (v,) = [v for v in checked.validation.violations if v.rule == "empty_table_note"]
    assert "t7" in v.message_en and "p. 5" in v.message_en
    # the planted kind stays an error: a table whose rows are there but every amount is blank
    blanked = make_table("t6", "2026年部门财政拨款收支预算总表", ["预算数"], [(None, "收入合计", [""])])
    assert ("empty_table_note", "error", 3) in rules_of(doc_of(summary(), blanked, body, text=COVER))
    # and so does a header-only table followed by a titled one (its own table, not its body)
    titled = body.model_copy(update={"title": "2026年部门一般公共预算支出功能分类预算表"})
    assert ("empty_table_note", "error", 3) in rules_of(doc_of(summary(), header_only, titled, text=COVER))
    # no title and no row: a piece of the page, not a table (quanzhou police 2026 p.18 at `scan`)
    stray = make_table("t6", "", ["预算基本支出经"], [])
    stray.title = None
    found = rules_of(doc_of(summary(), stray, titled, text=COVER))
    assert ("empty_table_note", "error", 3) not in found and ("empty_table_note", "warning", 3) in found
    # a unit line read as the body's title is no title (yantai audit 2026 p.8 at `fax`)
    unit = body.model_copy(update={"title": "部门（单位）：烟台市审计局"})
    found = rules_of(doc_of(summary(), header_only, unit, text=COVER))
    assert ("empty_table_note", "warning", 3) in found and ("empty_table_note", "error", 3) not in found
