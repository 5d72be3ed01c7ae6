"""Fixtures for validation tests; the tables live in validation_tables.py."""

from __future__ import annotations

import pytest
from validation_tables import GBE_ROWS, make_table

from juesuan.datamodel.document import Table


@pytest.fixture()
def gbe_table() -> Table:
    return make_table("t5", "一般公共预算财政拨款支出决算表", ["合计", "基本支出", "项目支出"], GBE_ROWS)
