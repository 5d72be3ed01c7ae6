"""Validation stage: type every table, name its columns, check its identities, repair OCR slips, report.

``annotate_and_validate`` needs only a :class:`Document` (no models of the OCR pipeline), so ``juesuan validate``
re-runs it on a document.json a person edited. It returns a new Document and never mutates its input.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from juesuan.datamodel.amounts import parse_amount
from juesuan.datamodel.document import Document, Table, Validation, Violation
from juesuan.models.type_classifier import TableTypeClassifier
from juesuan.options import ValidationOptions
from juesuan.validation import completeness, cross, figures, narrative, scope, years
from juesuan.validation.context import build_context, report_kind, report_year, table_unit_scale
from juesuan.validation.repair import repair_table
from juesuan.validation.review import orphan_warning, review_table
from juesuan.validation.rules import (
    CellRef,
    Equation,
    Inequality,
    Outcome,
    Ratio,
    TableRules,
    TableView,
    build_rules,
    column_field,
    evaluate,
    garbled_kuan_column,
    garbled_total_columns,
    header_rows_fields,
    load_identities,
    row_codes,
)
from juesuan.validation.schema import Schema, load_schema, normalize_text
from juesuan.validation.uncertainty import degraded_pages, mark_uncertain, ocr_pages

log = logging.getLogger(__name__)


def annotate_tables(
    tables: Sequence[Table],
    schema: Schema,
    classifier: TableTypeClassifier,
    retype: bool = False,
    family: str | None = None,
) -> list[Table]:
    """Fill Table.type/type_confidence (unless already set) and Column.field; copies, input untouched.
    ``family`` (final/budget: the document is a 决算 or a 预算) narrows the types a table can take."""
    out = []
    for table in tables:
        # a new table with new columns (the two things set here); rows are shared, never mutated (repair copies)
        t = table.model_copy(update={"columns": [c.model_copy() for c in table.columns]})
        if t.type is None or retype:
            header = " ".join(c.header for c in t.columns)
            pred = classifier.predict(t.title, header, family=family)
            t.type, t.type_confidence = pred.type_id, round(pred.probability, 4)
        for c in t.columns:
            if c.field is None:
                c.field = column_field(c.header, schema)
        for col, field in header_rows_fields(t, schema).items():
            next(c for c in t.columns if c.index == col).field = field
        kuan = garbled_kuan_column(t)
        if kuan is not None:
            next(c for c in t.columns if c.index == kuan).field = "code_kuan"
        if any(c.field is None and c.header.strip() for c in t.columns):
            for col in garbled_total_columns(TableView.build(t, schema)):
                next(c for c in t.columns if c.index == col).field = "total"
        out.append(t)
    return out


def _continues(eq: Equation, view: TableView) -> bool:
    """A 类 = Σ款 identity whose block runs to the table's last coded row, or a 合计 printed above its rows: the
    rows may go on in the next table (a table split at a page the extractor did not join), so a total larger than
    the rows seen is not yet the document's error."""
    codes = row_codes(view)  # rebuilt from 类/款/项 columns where the table splits them
    coded = [p for p, code in enumerate(codes) if code]
    if not coded or not eq.terms:
        return False
    if eq.rule == "hierarchy":
        parent = codes[eq.target.pos]
        return bool(parent) and codes[coded[-1]].startswith(parent)
    if eq.rule == "total_row":  # 合计 printed above the rows: the 类 after this page are in the next table
        return eq.target.pos < coded[0]
    return False


def _severity(outcome: Outcome, view: TableView) -> str:
    if outcome.status == "rounding":
        return "info"
    if _continues(outcome.equation, view) and outcome.found > outcome.expected:
        return "warning"
    if outcome.equation.rule.startswith("score_") and any(c.header == "分组" for c in view.table.columns):
        # a 绩效 form read as stacked row groups (a 分组 column): an item may sit in another group (预算执行率's
        # 10 points beside 年度资金总额), so a section sum is not the form's own
        return "warning"
    cell = view.table.rows[outcome.equation.target.pos].cell(outcome.equation.target.col)
    if view.values.get(outcome.equation.target) is None and outcome.equation.target not in view.unreadable:
        # an empty total beside non-empty terms is more often a cell the extractor lost than a wrong number
        return "warning" if cell is None or not (cell.text or "").strip() else "error"
    return "error"


def equation_violation(outcome: Outcome, view: TableView) -> Violation:
    eq = outcome.equation
    rows = sorted({view.row_index(c.pos) for c in eq.cells()})
    cols = sorted({c.col for c in eq.cells()})
    target_row = view.table.rows[eq.target.pos]
    where = f"{target_row.code or target_row.name or '第' + str(target_row.index + 1) + '行'}"
    diff = outcome.difference
    if outcome.status == "rounding":
        zh = f"{eq.label_zh}：{where} 相差 {diff}，在四舍五入误差内"
        en = f"{eq.label_en}: {where} differs by {diff}, within rounding"
    else:
        zh = f"{eq.label_zh}：{where} 应为 {outcome.expected}，表中为 {outcome.found}，相差 {diff}"
        en = f"{eq.label_en}: {where} should be {outcome.expected}, table has {outcome.found} (difference {diff})"
    return Violation(
        rule=eq.rule,
        table=eq.table,
        rows=rows,
        cols=cols,
        expected=float(outcome.expected),
        found=float(outcome.found),
        difference=float(diff),
        severity=_severity(outcome, view),
        message_zh=zh,
        message_en=en,
        target={"row": view.row_index(eq.target.pos), "col": eq.target.col},
        page=_page(view, eq.target),
        cells=[[view.row_index(c.pos), c.col] for c in eq.cells()],
    )


def _page(view: TableView, ref: CellRef) -> int:
    cell = view.table.rows[ref.pos].cell(ref.col)
    if cell is not None:
        return cell.page
    return view.table.pages[0] if view.table.pages else 0


def _check_inequality(q: Inequality, view: TableView) -> Violation | None:
    low, high = view.values.get(q.low), view.values.get(q.high)
    if low is None or high is None or low <= high:
        return None
    r = view.row_index(q.low.pos)
    return Violation(
        rule=q.rule,
        table=q.table,
        rows=[r],
        cols=[q.low.col, q.high.col],
        expected=float(high),
        found=float(low),
        difference=float(low - high),
        severity="error",
        message_zh=f"第{r + 1}行 得分 {low} 超过分值 {high}",
        message_en=f"row {r + 1}: score {low} exceeds weight {high}",
        target={"row": r, "col": q.low.col},
    )


def _check_ratio(q: Ratio, view: TableView) -> Violation | None:
    cell = view.table.rows[q.rate.pos].cell(q.rate.col)
    num, den = view.values.get(q.numerator), view.values.get(q.denominator)
    if cell is None or num is None or not den:
        return None
    rate = parse_amount(cell.text)
    if rate is None:
        return None
    text = normalize_text(cell.text)
    places = len(text.rstrip("%").split(".", 1)[1]) if "." in text else 0
    scale = Decimal(100) if text.endswith("%") or rate > Decimal("1.5") else Decimal(1)
    expected = num / den * scale
    tol = Decimal("0.5") * Decimal(10) ** (-places) + abs(expected) * Decimal("0.0051") / max(abs(num), Decimal("0.01"))
    if abs(rate - expected) <= tol:
        return None
    r = view.row_index(q.rate.pos)
    exp = expected.quantize(Decimal(10) ** (-max(places, 2)))
    return Violation(
        rule=q.rule,
        table=q.table,
        rows=[r],
        cols=[q.rate.col, q.numerator.col, q.denominator.col],
        expected=float(exp),
        found=float(rate),
        difference=float(rate - exp),
        severity="error",
        message_zh=f"第{r + 1}行 执行率应为 {exp}，表中为 {rate}",
        message_en=f"row {r + 1}: execution rate should be {exp}, table has {rate}",
        target={"row": r, "col": q.rate.col},
    )


def _nested_lines(eq: Equation, o: Outcome) -> bool:
    """本年合计 = Σ lines that come out an exact 2× or 3× of the total: the lines list a breakdown twice (一、财政拨款
    then 一般公共预算 … under it), so this layout gives no identity."""
    if eq.rule != "section_subtotal" or o.status != "fail" or not o.found:
        return False
    ratio = o.expected / o.found
    return any(abs(ratio - k) < Decimal("0.0001") for k in (2, 3, 4))


def check_table(view: TableView, rules: TableRules, options: ValidationOptions) -> tuple[list[Violation], int]:
    per_term = Decimal(str(options.rounding_per_term))
    out: list[Violation] = []
    checks = 0
    for eq in rules.equations:
        o = evaluate(eq, view.values, view.places, per_term, view.unreadable)
        if o.status == "skip" or _nested_lines(eq, o):
            continue
        checks += 1
        if o.status == "fail" or (o.status == "rounding" and options.report_rounding):
            out.append(equation_violation(o, view))
    for q in rules.inequalities:
        checks += 1
        v = _check_inequality(q, view)
        if v:
            out.append(v)
    for r in rules.ratios:
        if view.values.get(r.denominator) is None:
            continue
        checks += 1
        v2 = _check_ratio(r, view)
        if v2:
            out.append(v2)
    return out, checks


def document_values(tables: Sequence[Table], blocks: Sequence[dict[str, Any]]) -> Counter[Decimal]:
    """How often each amount is printed in the document (cells and 万元 amounts in the text), sign dropped."""
    counts: Counter[Decimal] = Counter()
    for t in tables:
        for row in t.rows:
            for cell in row.cells:
                v = parse_amount(cell.text or "")
                if v is not None and v:
                    counts[abs(v)] += 1
    for block in blocks:
        for m in re.finditer(r"(\d[\d,]*(?:\.\d+)?)\s*万元", str(block.get("text", ""))):
            v = parse_amount(m.group(1))
            if v is not None and v:
                counts[abs(v)] += 1
    return counts


_FAMILY = {"决算": "final", "预算": "budget"}


def _toc_classifier(classifier: TableTypeClassifier) -> Callable[[str], str | None]:
    """A 目录 entry's type when the classifier is sure of it (probability ≥ 0.5)."""

    def classify(entry: str) -> str | None:
        pred = classifier.predict(entry)
        return pred.type_id if pred.type_id and pred.probability >= 0.5 else None

    return classify


def annotate_and_validate(doc: Document, options: ValidationOptions | None = None) -> Document:
    """Types, fields, identities, repairs, cross-table and narrative checks → a new Document with ``validation``."""
    options = options or ValidationOptions()
    if not options.enabled:
        return doc.model_copy(deep=True)
    schema = load_schema()
    config = load_identities()
    classifier = TableTypeClassifier(schema)
    tables = annotate_tables(doc.tables, schema, classifier, family=_FAMILY.get(report_kind(doc)[0] or ""))
    violations: list[Violation] = []
    repairs: list[dict[str, object]] = []
    checks = 0
    final_tables: list[Table] = []
    known = document_values(tables, doc.text)
    # pages OCR read below degraded_dpi: a faded stroke (a 4 read 1) is a likelier repair there
    degraded = set(degraded_pages(doc, ocr_pages(doc), options.degraded_dpi))
    for table in tables:
        view = TableView.build(table, schema)
        rules = build_rules(view, config)
        if options.repair and rules.equations:
            table, applied = repair_table(view, rules, options, known, degraded)
            if applied:
                repairs += applied
                view = TableView.build(table, schema)
                rules = build_rules(view, config)
        found, n = check_table(view, rules, options)
        violations += found
        checks += n
        table = review_table(table, view, found, n)
        orphans = orphan_warning(table)
        if orphans is not None:
            violations.append(orphans)
        final_tables.append(table)
    if options.cross_table:
        found, n = cross.check(final_tables, schema, options)
        violations += found
        checks += n
    if options.narrative:
        found, n = narrative.check(final_tables, doc.text, options, phrases=not options.disclosure)
        violations += found
        checks += n
    if options.codes:
        found, n = cross.check_codes(final_tables)
        violations += found
        checks += n
    if options.disclosure:
        ctx = build_context(doc, options.uncertain_confidence)
        # A page range (--pages 3-9) holds neither the cover that names the reporting year nor the whole table
        # set: completeness and the year checks would judge the document by a fragment, so only whole runs get them.
        whole = not doc.pages or (
            min(p.index for p in doc.pages) == 0 and len({p.index for p in doc.pages}) >= doc.source.pages
        )
        for found, n in (
            completeness.check(doc, final_tables, schema, ctx, classify=_toc_classifier(classifier))
            if whole
            else ([], 0),
            years.check(doc, final_tables, ctx) if whole else ([], 0),
            figures.check(final_tables, ctx) if options.narrative else ([], 0),
            scope.check(final_tables, ctx),
        ):
            violations += found
            checks += n
    if options.ocr_uncertainty:  # last, over every rule family: one judgement of what OCR may have misread
        violations = mark_uncertain(
            doc,
            final_tables,
            violations,
            options.uncertain_confidence,
            kind=report_kind(doc)[0],
            unit_scale=table_unit_scale,
            year=report_year(doc),
            degraded_dpi=options.degraded_dpi,
        )
    passed = not any(v.severity == "error" for v in violations)
    validation = Validation(passed=passed, checks=checks, violations=violations, repairs=repairs)
    log.info(
        "%s: %d checks, %d errors, %d repairs",
        doc.source.path,
        checks,
        sum(v.severity == "error" for v in violations),
        len(repairs),
    )
    return doc.model_copy(update={"tables": final_tables, "validation": validation}, deep=True)


__all__ = ["CellRef", "Equation", "annotate_and_validate", "annotate_tables", "check_table"]
