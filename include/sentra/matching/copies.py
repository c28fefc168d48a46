"""Exact copy rows: merged into their sentra, not lost as rejected rows.

An office that pastes a row twice reports one sentra twice. Validation marks the later
copy ``duplicate_row`` (with the first copy's row number, which the office report
shows as "sama dengan baris N"); consolidation hands such rows to matching like
accepted ones, where they score as identical to the row they copy and become a
*merged* member of its cluster. They never become the survivor (see
:func:`sentra.matching.dedup.deduplicate`), so the office's first copy carries the
sentra and the row is accounted for as merged, not dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

COPY_REASON = "duplicate_row"


def copy_rows(rows: pd.DataFrame) -> np.ndarray:
    """True for rows rejected *only* as an exact copy of another row of their file."""
    if "reason_codes" not in rows.columns:
        return np.zeros(len(rows), dtype=bool)
    return np.fromiter(
        (_only_copy(codes) for codes in rows["reason_codes"]), dtype=bool, count=len(rows)
    )


def _only_copy(codes: object) -> bool:
    if codes is None or isinstance(codes, float | str):
        return False
    try:
        values = list(codes)  # list, tuple, numpy or Arrow list scalar as read back
    except TypeError:
        return False
    return len(values) > 0 and all(v == COPY_REASON for v in values)
