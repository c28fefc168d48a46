"""Header mapping: the many ways offices spell a column → the canonical schema.

The spellings are data (``headers.csv`` next to this module), matched after folding
case, accents, punctuation, unit suffixes such as "(Rp)" or "(orang)" and common
abbreviations ("Jml.", "Thn", "Tgl"). Adding a spelling is a one-line data change.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SPELLINGS_FILE = Path(__file__).with_name("headers.csv")
IGNORE = "ignore"
COORDINATES = "coordinates"  # one column holding "lat; lon", split by normalisation

_ABBREVIATIONS = {
    "jml": "jumlah",
    "jmlh": "jumlah",
    "thn": "tahun",
    "th": "tahun",
    "tgl": "tanggal",
    "telp": "telp",
    "tlp": "telp",
    "hp": "hp",
    "prod": "produksi",
    "inv": "investasi",
    "tk": "tenaga kerja",
}
_UNIT_SUFFIX = re.compile(r"\((?:rp\.?|rupiah|orang|org|unit|jiwa|ikm|buah|th|tahun)\)", re.I)


def fold(header: object) -> str:
    """A comparison key for a header cell: ``"Jml. Unit Usaha"`` → ``"jumlah unit usaha"``."""
    if header is None:
        return ""
    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode()
    text = _UNIT_SUFFIX.sub(" ", text.lower())
    text = re.sub(r"\brp\.?\b", " ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    words = [_ABBREVIATIONS.get(w, w) for w in text.split()]
    return " ".join(words)


@cache
def spellings() -> dict[str, str]:
    """Folded spelling → canonical column, from the data file."""
    out: dict[str, str] = {}
    with SPELLINGS_FILE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = fold(row["spelling"])
            if key in out and out[key] != row["canonical"]:
                raise ValueError(
                    f"{SPELLINGS_FILE.name}: '{row['spelling']}' maps to both "
                    f"{out[key]} and {row['canonical']}"
                )
            out[key] = row["canonical"]
    return out


def canonical_of(header: object) -> str | None:
    """The canonical column a header names, ``"ignore"`` for known non-data, else None."""
    key = fold(header)
    if not key:
        return None
    return spellings().get(key)


FUZZY_MIN = 88  # token-sorted similarity for a misspelt header ("Komoditaas")
AMBIGUOUS_WITHIN = 3  # two columns this close are both plausible: ask, never pick


def close_matches(header: object) -> list[str]:
    """Canonical columns a header not in the table may mean, best first; [] when none.

    A header is matched on its folded tokens: all of them inside one known spelling
    (``Kode Kab`` in ``Kode Kab/Kota``, ``Jml Unit`` in ``Jumlah Unit Usaha``), a known
    spelling inside it (``Komoditi Utama``), or a close fuzzy match (rapidfuzz). More
    than one column returned means the header is ambiguous.
    """
    key = fold(header)
    if not key:
        return []
    return list(_close_matches(key))


@cache
def _close_matches(key: str) -> tuple[str, ...]:
    from rapidfuzz import fuzz, process

    tokens = set(key.split())
    best: dict[str, float] = {}
    for spelling, canonical in spellings().items():
        known = set(spelling.split())
        if len(tokens) >= 2 and tokens < known:
            score = 96.0 - (len(known) - len(tokens))
        elif known < tokens and len(known) >= 1:
            score = 90.0 - (len(tokens) - len(known))
        else:
            continue
        best[canonical] = max(best.get(canonical, 0.0), score)
    for spelling, score, _ in process.extract(
        key, list(spellings()), scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_MIN, limit=5
    ):
        canonical = spellings()[spelling]
        best[canonical] = max(best.get(canonical, 0.0), float(score))
    if not best:
        return ()
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    top = ranked[0][1]
    return tuple(c for c, score in ranked if top - score <= AMBIGUOUS_WITHIN)


@dataclass
class HeaderMapping:
    """Which source column feeds which canonical column."""

    columns: dict[int, str] = field(default_factory=dict)  # source index → canonical
    source_names: dict[int, str] = field(default_factory=dict)  # source index → header text
    unmapped: list[str] = field(default_factory=list)
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # header → candidates
    unmapped_index: dict[int, str] = field(default_factory=dict)  # source index → header

    @property
    def canonical(self) -> set[str]:
        return set(self.columns.values())

    def as_dict(self) -> dict[str, str]:
        return {self.source_names[i]: c for i, c in sorted(self.columns.items())}


def map_headers(cells: list[object]) -> HeaderMapping:
    """Map a header row; the first column claiming a canonical name wins, the rest are
    reported as duplicates (the file is then rejected: which one is right is a person's call).
    """
    mapping = HeaderMapping()
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        canonical = canonical_of(text)
        if canonical is None:
            close = [c for c in close_matches(text) if c not in seen]
            if len(close) > 1:
                mapping.ambiguous[text] = close
            canonical = close[0] if len(close) == 1 else None
        if canonical is None:
            mapping.unmapped.append(text)
            mapping.unmapped_index[i] = text
            continue
        if canonical == IGNORE:
            continue
        if canonical in seen:
            first = mapping.source_names[seen[canonical]]
            mapping.duplicates.setdefault(canonical, [first]).append(text)
            continue
        seen[canonical] = i
        mapping.columns[i] = canonical
        mapping.source_names[i] = text
    return mapping


def header_score(cells: list[object]) -> int:
    """How many cells of a row are known headers (to find the header row below a title)."""
    return sum(1 for c in cells if c is not None and str(c).strip() and canonical_of(c))
