"""Tiny labelled pages built in code (no images needed: the classifier reads text, boxes and grid positions)."""

from __future__ import annotations

import numpy as np
import pytest

from juesuan.datamodel.labelled import LabelledPage, LabelledToken

NAMES = [
    "一般公共服务支出",
    "人大事务",
    "行政运行",
    "教育支出",
    "社会保障和就业支出",
    "住房保障支出",
    "机关服务",
    "卫生健康支出",
    "城乡社区支出",
    "其他支出",
]


def make_page(seed: int, n_rows: int = 8) -> LabelledPage:
    """A 决算-like page: title, unit line, a 3-column ruled table (code, name, amount) and a total row."""
    rng = np.random.default_rng([seed])
    tokens = [
        LabelledToken(text="支出决算表", bbox=[400, 60, 700, 100], label="TITLE"),
        LabelledToken(text="单位：万元", bbox=[900, 120, 1050, 140], label="UNIT"),
    ]
    y = 160
    for col, (text, x) in enumerate((("科目编码", 100), ("科目名称", 300), ("决算数", 800))):
        tokens.append(LabelledToken(text=text, bbox=[x, y, x + 120, y + 25], label="HEADER", table=0, row=0, col=col))
    for r in range(1, n_rows + 1):
        y += 35
        code = str(int(rng.integers(201, 230))) + "".join(
            str(int(rng.integers(1, 9))).zfill(2) for _ in range(int(rng.integers(0, 3)))
        )
        amount = f"{rng.uniform(0, 99999):,.2f}"
        tokens += [
            LabelledToken(text=code, bbox=[100, y, 100 + 12 * len(code), y + 25], label="CODE", table=0, row=r, col=0),
            LabelledToken(text=str(rng.choice(NAMES)), bbox=[300, y, 500, y + 25], label="NAME", table=0, row=r, col=1),
            LabelledToken(text=amount, bbox=[800, y, 900, y + 25], label="AMOUNT", table=0, row=r, col=2),
        ]
    y += 35
    tokens += [
        LabelledToken(text="合计", bbox=[300, y, 350, y + 25], label="TOTAL_LABEL", table=0, row=n_rows + 1, col=1),
        LabelledToken(
            text=f"{rng.uniform(0, 999999):,.2f}",
            bbox=[800, y, 900, y + 25],
            label="AMOUNT",
            table=0,
            row=n_rows + 1,
            col=2,
        ),
    ]
    return LabelledPage(
        id=f"tiny-{seed}",
        image=f"tiny-{seed}.png",
        sha256="0" * 64,
        width=1200,
        height=1600,
        dpi=150,
        source="synth",
        document=f"tiny-doc-{seed}",
        tokens=tokens,
    )


@pytest.fixture(scope="session")
def tiny_pages() -> list[LabelledPage]:
    return [make_page(seed) for seed in range(24)]
