"""Cells that would run as code downstream: spreadsheet formulas and markup/script.

A name like ``=HYPERLINK("http://x","klik")`` or ``-2+3+cmd|' /C calc'!A0`` runs when a
clerk opens an export in Excel (CSV injection, DDE); ``<script>`` or ``onerror=`` runs in
a web page that shows the name. Such a cell is never data: its row is rejected with its
own reason code (``formula_in_cell``, ``markup_in_cell``), the cell is blanked before any
parser sees it, and the problem does not repeat the text, so nothing hostile is stored,
published or mailed back to the office.

Where the line lies (OWASP "CSV injection"): a cell is a formula when, after leading
whitespace (tab and CR included), it starts with ``=`` or ``@``; or with ``+``/``-``
followed by arithmetic or a function call (``-2+3+cmd|...``, ``+SUM(...)``); or when it
holds a DDE call (``cmd|' /C calc'!A0``). A plain signed number (``-5``, ``+25``,
``-7,8123``) is a number, not a formula. In free-text columns a leading ``+`` alone is
enough, except in the phone column where ``+62`` is a country code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

_LEAD = r"^[\s\x00-\x1f]*"
_FORMULA = (
    _LEAD + r"[=@]",
    _LEAD + r"[+\-]\s*[\d.,]*\s*[+\-*/^&]\s*[\w(\"']",  # -2+3+cmd|..., +1-1
    _LEAD + r"[+\-]\s*[A-Za-z_][\w.]*\s*\(",  # +SUM(, -HYPERLINK(
    r"(?i)\w+\s*\|\s*'[^']*'\s*!",  # DDE: cmd|' /C calc'!A0
    r"(?i)\b(cmd|powershell|mshta|msexcel|rundll32)\s*\|",
)
FORMULA_RE2 = "|".join(f"(?:{p})" for p in _FORMULA)
FORMULA_TEXT_RE2 = f"{FORMULA_RE2}|(?:{_LEAD}\\+)"
MARKUP_RE2 = (
    r"(?i)<\s*/?\s*[a-z!?][^<>]*>|<\s*(script|iframe|svg|img|object|embed)"
    r"|(java|vb)script\s*:|\bon[a-z]{3,}\s*=|data\s*:\s*text/html"
)
# Free text, where a leading '+' already makes a formula (the phone column is not one).
FREE_TEXT = frozenset({"sentra_name", "address", "legal_basis", "contact_name", "remarks"})


def text_view(values: Any) -> pa.Array:
    """The text cells of a column as an Arrow string array (numbers, dates as null)."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if pa.types.is_string(values.type) else values.cast(pa.string())
    return pa.array([v if type(v) is str else None for v in values], type=pa.string())


# Bytes a hostile cell must start with (formula signs, or whitespace before one) or hold
# somewhere (DDE's '|', markup's '<', 'javascript:', 'onerror='): a cheap first pass.
_LEAD_BYTES = b"=+-@ \t\r\n"
_INNER_RE2 = r"[|<:=]"


def _odd_after_sign() -> Any:
    import numpy as np

    table = np.ones(256, dtype=bool)
    table[np.frombuffer(b"0123456789., ", dtype=np.uint8)] = False
    return table


_ODD_AFTER_SIGN = _odd_after_sign()


def _candidates(text: pa.Array) -> Any:
    """Cells (numpy mask) that may be hostile, found without the full patterns.

    A cell must start with a formula sign or whitespace, or hold one of ``|<:=``. The
    inner characters are first looked for in the column's whole byte buffer (one memchr
    pass each): a column holding none of them, most of them, needs no per-cell test.
    """
    import numpy as np
    import pyarrow.compute as pc

    from sentra.ingest.normalise import cell_bytes, edge_bytes

    first, _last, filled = edge_bytes(text)
    mask = filled & np.isin(first, np.frombuffer(_LEAD_BYTES, dtype=np.uint8))
    offsets, data = cell_bytes(text)
    signed = mask & ((first == ord("-")) | (first == ord("+")))
    if signed.any() and data is not None:
        # A sign followed only by digits, '.', ',' and spaces is a number (-7,8123), not
        # a formula: only signed cells with anything else go on to the full patterns.
        base = int(offsets[0])
        odd = _ODD_AFTER_SIGN[data[base : int(offsets[-1])]]
        seen = np.concatenate(([0], np.cumsum(odd, dtype=np.int64)))
        starts, ends = offsets[:-1] - base, offsets[1:] - base
        rest = seen[ends] - seen[np.minimum(starts + 1, ends)]
        mask &= ~signed | (rest > 0)
    if data is not None and len(offsets):
        raw = data[offsets[0] : offsets[-1]].tobytes()
        if any(c in raw for c in (b"|", b"<", b":", b"=")):
            inner = pc.fill_null(pc.match_substring_regex(text, _INNER_RE2), False)
            mask |= inner.to_numpy(zero_copy_only=False)
    return mask


def hostile_masks(column: str, values: Any) -> tuple[pa.Array, pa.Array]:
    """(formula, markup) masks of one column's cells; markup wins where both match.

    The full patterns run only on the cells a one-byte test and one character class
    leave (a clean 100k-row file: none or a few), which keeps ingestion time flat.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    text = text_view(values)
    maybe = _candidates(text)
    none = pa.array(np.zeros(len(text), dtype=bool))
    if not maybe.any():
        return none, none
    where = pa.array(np.flatnonzero(maybe))
    some = text.take(where)
    pattern = FORMULA_TEXT_RE2 if column in FREE_TEXT else FORMULA_RE2
    formula = pc.fill_null(pc.match_substring_regex(some, pattern), False)
    markup = pc.fill_null(pc.match_substring_regex(some, MARKUP_RE2), False)
    formula = pc.and_(formula, pc.invert(markup))

    def spread(hits: pa.Array) -> pa.Array:
        if not pc.any(hits).as_py():
            return none
        mask = np.zeros(len(text), dtype=bool)
        mask[where.filter(hits).to_numpy()] = True
        return pa.array(mask)

    return spread(formula), spread(markup)


def blank_where(values: Any, mask: pa.Array) -> Any:
    """``values`` with the masked cells set to null (Arrow array or list alike)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray | pa.Array):
        return pc.if_else(mask, pa.scalar(None, values.type), values)
    return [None if m else v for v, m in zip(values, mask.to_pylist(), strict=True)]


__all__ = ["FORMULA_RE2", "MARKUP_RE2", "blank_where", "hostile_masks", "text_view"]
