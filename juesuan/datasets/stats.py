"""Counts over a labelled-page dataset: pages and tokens per split, label, table type, source, degrade preset."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from juesuan.datamodel.labelled import LabelledPage
from juesuan.datasets.labelled_page import read_dataset


def dataset_stats(pages_by_split: dict[str, list[LabelledPage]]) -> dict[str, object]:
    """Plain dict (JSON-ready): ``pages``/``tokens`` per split, ``labels`` (token counts), ``fields``
    (AMOUNT column fields), ``table_types`` (tables), ``sources``/``documents``/``degrade`` (pages)."""
    labels: Counter[str] = Counter()
    fields: Counter[str] = Counter()
    table_types: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    degrade: Counter[str] = Counter()
    documents: dict[str, set[str]] = {}
    pages: dict[str, int] = {}
    tokens: dict[str, int] = {}
    for split, split_pages in pages_by_split.items():
        pages[split] = len(split_pages)
        tokens[split] = sum(len(p.tokens) for p in split_pages)
        documents[split] = {p.document for p in split_pages}
        for page in split_pages:
            sources[page.source] += 1
            if "degrade" in page.fields:
                degrade[page.fields["degrade"]] += 1
            for table in page.tables:
                table_types[table.type or "(unknown)"] += 1
            if not page.tables:
                table_types[page.fields.get("table_type", "(no table)")] += 1
            for tok in page.tokens:
                labels[tok.label] += 1
                if tok.field:
                    fields[tok.field] += 1
    shared = set.intersection(*documents.values()) if len(documents) > 1 else set()
    return {
        "pages": pages,
        "tokens": tokens,
        "documents": {k: len(v) for k, v in documents.items()},
        "documents_in_several_splits": sorted(shared),
        "labels": dict(labels.most_common()),
        "table_types": dict(table_types.most_common()),
        "sources": dict(sources.most_common()),
        "degrade": dict(degrade.most_common()),
        "fields": dict(fields.most_common(30)),
    }


def stats_for(folder: Path) -> dict[str, object]:
    return dataset_stats(read_dataset(Path(folder)))


def format_stats(stats: dict[str, object]) -> str:
    """Markdown tables, the form the dataset cards quote."""
    out: list[str] = []
    pages = stats["pages"]
    tokens = stats["tokens"]
    docs = stats["documents"]
    assert isinstance(pages, dict) and isinstance(tokens, dict) and isinstance(docs, dict)
    out.append("| split | pages | documents | tokens |\n| --- | ---: | ---: | ---: |")
    for split in pages:
        out.append(f"| {split} | {pages[split]} | {docs[split]} | {tokens[split]} |")
    for key, head in (
        ("labels", "label | tokens"),
        ("table_types", "table type | count"),
        ("sources", "source | pages"),
        ("degrade", "degrade preset | pages"),
    ):
        counts = stats[key]
        assert isinstance(counts, dict)
        if not counts:
            continue
        out.append(f"\n| {head} |\n| --- | ---: |")
        out += [f"| {k} | {v} |" for k, v in counts.items()]
    shared = stats["documents_in_several_splits"]
    assert isinstance(shared, list)
    out.append(f"\ndocuments in more than one split: {len(shared)}")
    return "\n".join(out)
