"""What a table leaves unsaid that its context tells: the kab/kota and the status column.

A kab/kota office's own file often has no Kab/Kota column at all: the office, the landing
folder and the title all say which kab/kota it is. A province file may keep one sheet per
kab/kota, named after it, or a title "... KABUPATEN BANTUL". And a file may carry its
status only in ``Keterangan``. Refusing such files lost 40 % of a real round's rows.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentra.ingest.readers import RawTable
    from sentra.reference import Region

CONTEXT_INDEX = -1  # source index of a column taken from the context, not the sheet
STATUS_INDEX = -2  # the remarks column read again as the status column
STATUS_SHARE = 0.6  # of the filled remarks cells that must be status words
CONTENT_SHARE = 0.8  # of an unnamed column's filled cells that must fit a field
CONTENT_SAMPLE = 500  # distinct cells looked at per column


def _words(text: str) -> str:
    from sentra.reference import fold

    return f" {fold(text)} "


def region_in_text(text: str, office_code: str) -> Region | None:
    """The one kab/kota of the office's area a text names (title, sheet or file name)."""
    from sentra.reference import regions

    if not text:
        return None
    folded = _words(text)
    compact = folded.replace(" ", "")
    found = []
    for region in regions().kabkota_of(office_code):
        short = _words(region.short_name).strip()
        kota = region.name.lower().startswith("kota")
        named = f" {short} " in folded or (len(short) > 5 and short.replace(" ", "") in compact)
        if not named:
            continue
        # "Kota Yogyakarta" and "Kabupaten X" must be told apart where both exist.
        says_kota = re.search(
            rf"\bkota\s+{re.escape(short)}\b|\b{re.escape(short)}\s+kota\b", folded
        )
        found.append((region, bool(says_kota) == kota))
    exact = [r for r, fits in found if fits]
    candidates = exact or [r for r, _ in found]
    return candidates[0] if len(candidates) == 1 else None


def complete_from_context(table: RawTable, office_code: str, file_name: str) -> str | None:
    """Give a table without a region column the region its context names; returns it.

    In order: the office itself when it is a kab/kota office (the landing folder), else
    the sheet name, the title above the header, the file name, each naming one kab/kota
    of the province office's area. Also reads a remarks column as the status column when
    there is no status column and most of its cells are status words. The mapping names
    where each came from, so ``sentra ingest`` shows it.
    """
    import pyarrow as pa

    from sentra.reference import regions

    mapping = table.mapping
    _type_by_content(table, office_code)
    chosen = None
    if "region_code" not in mapping.canonical:
        index = regions()
        if office_code in index.kabkota:
            chosen, source = index.kabkota[office_code], "dinas pengirim"
        else:
            sources = (
                ("nama lembar", table.sheet or ""),
                ("judul tabel", table.title),
                ("nama berkas", re.sub(r"[_\-.]+", " ", file_name)),
            )
            named = ((s, region_in_text(text, office_code)) for s, text in sources)
            source, chosen = next(((s, r) for s, r in named if r is not None), ("", None))
        if chosen is not None:
            mapping.columns[CONTEXT_INDEX] = "region_code"
            mapping.source_names[CONTEXT_INDEX] = f"({chosen.name}, dari {source})"
            table.columns[CONTEXT_INDEX] = pa.array([chosen.code] * table.n_rows, pa.string())
    _status_from_remarks(table)
    for i in mapping.unmapped_index:  # typed or not, their cells are no longer needed
        if i not in mapping.columns:
            table.columns.pop(i, None)
    return chosen.code if chosen is not None else None


def _distinct_filled(cells: Any) -> list[Any]:
    from sentra.ingest.normalise import is_blank

    values = cells.to_pylist() if hasattr(cells, "to_pylist") else list(cells)
    return list(dict.fromkeys(v for v in values if not is_blank(v)))[:CONTENT_SAMPLE]


def _type_by_content(table: RawTable, office_code: str) -> None:
    """Columns whose header says nothing known, typed by what their cells hold.

    A column whose cells are kab/kota codes or names of the office's area is the region
    column, whatever its header says (``Wilayah``, ``Lokasi Kab``); one whose cells are
    status words is the status column. Only fields no header claimed, and only when
    one column fits: two that fit are left alone (the file problem then names them).
    """
    from sentra.ingest.normalise import parse_status
    from sentra.reference import regions

    mapping = table.mapping
    tests = {
        "region_code": lambda v: bool(regions().kabkota_candidates(v, within=office_code)),
        "reported_status": lambda v: parse_status(v)[0] is not None,
    }
    for canonical, fits in tests.items():
        if canonical in mapping.canonical:
            continue
        found = []
        for i, header in mapping.unmapped_index.items():
            if i in mapping.columns or i not in table.columns:
                continue
            cells = _distinct_filled(table.columns[i])
            if cells and sum(map(fits, cells)) / len(cells) >= CONTENT_SHARE:
                found.append((i, header))
        if len(found) == 1:
            i, header = found[0]
            mapping.columns[i] = canonical
            mapping.source_names[i] = header
            mapping.unmapped.remove(header)
        elif len(found) > 1:
            for _, header in found:
                mapping.ambiguous.setdefault(header, []).append(canonical)


def _status_from_remarks(table: RawTable) -> None:
    from sentra.ingest.normalise import is_blank, parse_status

    mapping = table.mapping
    if "reported_status" in mapping.canonical:
        return
    remarks = next((i for i, c in mapping.columns.items() if c == "remarks"), None)
    if remarks is None or remarks not in table.columns:
        return
    cells: Any = table.columns[remarks]
    values = cells.to_pylist() if hasattr(cells, "to_pylist") else list(cells)
    filled = {v for v in values if not is_blank(v)}
    if not filled:
        return
    known = sum(1 for v in filled if parse_status(v)[0] is not None)
    if known / len(filled) >= STATUS_SHARE:
        mapping.columns[STATUS_INDEX] = "reported_status"
        mapping.source_names[STATUS_INDEX] = f"({mapping.source_names[remarks]}: status)"
        table.columns[STATUS_INDEX] = cells


__all__ = ["complete_from_context", "region_in_text"]
