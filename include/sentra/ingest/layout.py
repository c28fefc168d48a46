"""Layout of real regional sheets: what around the table is not data, and merged cells.

Offices print their tables: a column-number row under the header (``(1) (2) … (13)``,
``I II III``, ``a b c``), a totals row between blank rows, then notes (``Catatan:``,
``Sumber:``, ``Keterangan: *)``), a recap table or a signature block (``Mengetahui,``,
``Kepala Dinas …``, a name, ``NIP …``). None of that is a sentra: read as data, a
column-number row became a sentra named ``(2)`` with −7 units and a signature block six
sentra. And a province file often merges the Kab/Kota cell down over all of its sentra:
only the merged range's top cell holds the value, every covered row means it.
"""

from __future__ import annotations

import re
from typing import Any

from sentra.ingest.normalise import is_blank

# One column number: (1), 1, 1., I, IV, a, (b) — short tokens only.
_COLUMN_NUMBER = re.compile(r"^\(?\s*(\d{1,2}|[ivxlc]{1,6}|[a-z])\s*[).]?$", re.I)
MIN_NUMBERED_CELLS = 3
# The first text of a row that starts the block below the table: notes, sources, a recap
# table, a signature block.
_NOTE = re.compile(
    r"^\s*(mengetahui|menyetujui|kepala\s+(dinas|bidang|seksi|bagian)|nip\b|nip\.|"
    r"catatan\b|keterangan\s*:|ket\s*:|sumber\s*(data)?\s*:|\*+\)|rekap(itulasi)?\b|"
    r"dibuat\s+oleh|disusun\s+oleh|diverifikasi\s+oleh|petugas\s+pendata|a\.?\s*n\.?\s+kepala|"
    r"tanda\s+tangan|ttd\b|plt\.?\s+kepala|pembina\b)",
    re.I,
)


def is_column_number_row(cells: list[Any]) -> bool:
    """A row that only numbers the columns: at least three cells, every one a number token."""
    filled = [c for c in cells if not is_blank(c)]
    if len(filled) < MIN_NUMBERED_CELLS:
        return False
    return all(isinstance(c, str) and _COLUMN_NUMBER.match(c.strip()) for c in filled)


def starts_notes(cells: list[Any]) -> bool:
    """A row whose first text opens a note, recap or signature block."""
    first = next((c for c in cells if isinstance(c, str) and c.strip()), None)
    return first is not None and _NOTE.match(first) is not None


def fill_merged(grid: list[list[Any]], ranges: list[Any], first_data: int) -> int:
    """Give every row a vertically merged range covers its top cell's value, in place.

    Only merged ranges below the header, and only rows inside them: a blank cell that is
    not part of a merged range stays blank (never "filled from above"). Returns the
    number of cells filled.
    """
    filled = 0
    for (r0, c0), (r1, c1) in ranges:
        if r1 <= r0 or r0 < first_data or r0 >= len(grid):
            continue
        top = grid[r0]
        for c in range(c0, c1 + 1):
            value = top[c] if c < len(top) else None
            if is_blank(value):
                continue
            for r in range(r0 + 1, min(r1, len(grid) - 1) + 1):
                row = grid[r]
                if c < len(row) and is_blank(row[c]):
                    row[c] = value
                    filled += 1
    return filled


def title_of(grid: list[list[Any]], header_index: int) -> str:
    """The text above the header (title lines), joined: it may name the kab/kota."""
    parts = [str(c).strip() for row in grid[:header_index] for c in row if not is_blank(c)]
    return " ".join(parts)


__all__ = ["fill_merged", "is_column_number_row", "starts_notes", "title_of"]
