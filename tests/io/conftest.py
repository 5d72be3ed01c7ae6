"""Fixtures over the known table in known_table.py."""

from __future__ import annotations

import pytest
from known_table import make_doc

from juesuan.datamodel.document import Document


@pytest.fixture
def clean_doc() -> Document:
    return make_doc()


@pytest.fixture
def misread_doc() -> Document:
    """2010601 read as 17.00 (a 2 taken for a 7): the identities pin it down, so repair puts 12.00 back."""
    return make_doc({"2010601": "17.00"})
