"""Gold token labels of table cells: a leaf module, so ``truth`` (which builds them) and ``labels`` (which scores
them) import it, and labels need not import truth (truth calls labels to fill it)."""

from __future__ import annotations

from dataclasses import dataclass

from juesuan.datamodel.page import BBox


@dataclass(frozen=True, slots=True)
class GoldLabel:
    """The token label of one table cell (``evaluation.labels``): labelled pages' tokens, or the text layer labelled
    by the auto-labelling rules."""

    table: int
    row: int
    col: int
    label: str
    bbox_px: BBox  # union of the cell's tokens
    text: str
