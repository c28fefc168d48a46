"""Normalisation of raw cells into the canonical, typed census record.

Indonesian number formats (``1.250.000``, ``Rp 1.250.000,-``, ``1,25 juta``),
decimal-comma coordinates, Indonesian dates, free-text status, region names or codes.
Every value that cannot be normalised becomes a row problem with a reason code — never
an exception — so one bad cell rejects one row and tells the office exactly why.

Each parser takes one raw value and returns ``(value, problem_code)``; the column
functions apply them with a vectorised fast path for the common clean case.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

from sentra.reference import (
    commodity_group_of,
    commodity_in_name,
    normalise_code,
    normalise_commodity,
    regions,
)
from sentra.schema import CommodityGroup, ReportedStatus

_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_PLAIN_INT = re.compile(r"^[+-]?\d+$")
_DOTTED_INT = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+$")
_COMMA_INT = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$")
_RUPIAH = re.compile(r"^rp\.?\s*(\d{1,3}(?:\.\d{3})*|\d+)(?:,-|,00|,0)?$", re.I)

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "pebruari": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8,
    "agu": 8, "agt": 8, "ags": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10,
    "okt": 10, "oct": 10, "november": 11, "nov": 11, "nopember": 11, "desember": 12, "des": 12,
    "dec": 12, "may": 5, "june": 6, "july": 7, "august": 8, "october": 10, "december": 12,
    "january": 1, "february": 2, "march": 3,
}  # fmt: skip

ACTIVE_WORDS = ("aktif", "masih aktif", "beroperasi", "berproduksi", "masih berproduksi", "jalan",
                "produksi", "ada", "active", "ya")  # fmt: skip
INACTIVE_PATTERNS = re.compile(
    r"\b(tdk|tidak|non|nonaktif|tutup|bubar|vakum|mati|berhenti|sudah tidak|tak|inactive|closed|"
    r"hilang)\b"
)
# "Kurang aktif" (also "K. Aktif", "kurang berproduksi", "less active"): the middle word of
# the standard scale aktif / kurang aktif / tidak aktif. Checked before the inactive words.
LESS_ACTIVE_PATTERNS = re.compile(r"^(kurang|krg|k) (aktif|berproduksi|produktif)\b|^less active$")
EXCEL_EPOCH = date(1899, 12, 30)
NIL_MARKS = frozenset({"-", "--", "\u2013", "\u2014", "Rp -", "Rp. -", "Rp-", "Rp.-"})
# Degrees-minutes-seconds with a hemisphere: 8°38'11"S, 122° 18' 36" BT, 7°48' LS.
_NUM = r"\d+(?:[.,]\d+)?"
_DMS = re.compile(
    rf"(?P<sign>[-+\u2212])?\s*(?P<deg>{_NUM})\s*[°º˚]\s*"
    rf"(?:(?P<min>{_NUM})\s*['′’`]\s*)?(?:(?P<sec>{_NUM})\s*(?:\"|″|”|''|’’)\s*)?"
    r"(?P<hemi>LS|LU|BT|BB|[NSEWUT])?(?![A-Za-z])",
    re.I,
)
# A decimal degree followed by a hemisphere: 8,6364 LS.
_DEC_HEMI = re.compile(rf"^\s*(?P<deg>{_NUM})\s*(?P<hemi>LS|LU|BT|BB|[NSEW])\s*$", re.I)
_NEGATIVE_HEMI = {"s", "ls", "w", "bb"}


def _dms_value(match: re.Match[str]) -> float:
    def num(name: str) -> float:
        text = match.group(name)
        return float(text.replace(",", ".")) if text else 0.0

    value = num("deg") + num("min") / 60 + num("sec") / 3600
    hemi = (match.group("hemi") or "").lower()
    negative = match.group("sign") in ("-", "\u2212") or hemi in _NEGATIVE_HEMI
    return -value if negative else value


def parse_dms(text: str) -> float | None:
    """One coordinate in degrees-minutes-seconds or decimal + hemisphere; None if not one."""
    m = _DMS.fullmatch(text.strip())
    if m is not None:
        return _dms_value(m)
    m = _DEC_HEMI.match(text)
    return _dec_hemi_value(m) if m is not None else None


def _dec_hemi_value(match: re.Match[str]) -> float:
    value = float(match.group("deg").replace(",", "."))
    return -value if match.group("hemi").lower() in _NEGATIVE_HEMI else value


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def clean_text(value: Any) -> str | None:
    """Trim, collapse whitespace, drop zero-width/control characters, NFC."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value))
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return text or None


_INVISIBLE_RE2 = (
    r"[\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2060}-\x{2064}\x{feff}\x00-\x08\x0b-\x1f\x7f]"
)
# Fast paths: what a clean cell looks like. Anything else goes to the per-value parser,
# so a fast result always equals the per-value result. Digits are capped so a cast
# can never overflow int64, and a sign is "-" only: Arrow's integer cast refuses "+40"
# (the whole file failed), so a plus sign goes to the per-value parser.
_FAST_INT = r"^-?(?:[0-9]{1,3}(?:\.[0-9]{3}){1,5}|[0-9]{1,17})$"
_DIGITS = r"(?:[0-9]{1,3}(?:\.[0-9]{3}){1,5}|[0-9]{1,17})"
_FAST_MONEY = rf"^(?:-?{_DIGITS}|(?:[Rr][Pp]\.? ?)?{_DIGITS}(?:,-|,00?)?)$"
# "1,25 juta", "1676,2 jt", "1,5 M", "2 miliar": exact in integers with up to 6 decimals,
# so the result equals lokal.parse_rupiah's (checked by the property tests).
_FAST_SCALED = (
    r"^(?P<whole>[0-9]{1,9})(?:,(?P<decimals>[0-9]{1,6}))? ?"
    r"(?P<unit>juta|jt|Juta|JUTA|M|miliar|milyar|Miliar|Milyar)$"
)
_FAST_COORD = r"^[+-]?[0-9]{1,3}(?:[.,][0-9]{1,15})?$"


_TEXT_CELL_TYPES = {str, type(None)}


def as_text_array(values: Any) -> Any:
    """An Arrow string array for a column of text cells (None when cells are mixed types).

    CSV columns arrive as Arrow arrays already; spreadsheet and JSON columns are lists
    whose cells may be numbers, dates or text.
    """
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    if set(map(type, values)) <= _TEXT_CELL_TYPES:
        return pa.array(values, type=pa.string())
    return None


def nonblank(arr: Any) -> Any:
    """True where a text cell holds anything but whitespace."""
    import pyarrow.compute as pc

    filled = pc.and_(pc.greater(pc.binary_length(arr), 0), pc.invert(pc.utf8_is_space(arr)))
    return pc.fill_null(filled, False)


# Python's \s (what clean_text collapses) in RE2's terms: RE2's \s is ASCII only.
_SPACE_RUNS_RE2 = (
    r"[\s\x0b\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]+"
)


def clean_text_array(arr: Any) -> Any:
    """:func:`clean_text` as Arrow kernels (RE2): NFC, no invisibles, one space, trimmed.

    A cell of printable ASCII is already NFC and can hold no invisible or odd space
    character: at most a run of spaces. Only the other cells (accents, control
    characters, Unicode spaces: few in real files) get NFC and the regex rewrites, and
    runs of spaces are looked for only when the cells' bytes hold two spaces in a row.
    """
    import pyarrow.compute as pc

    def unicode_clean(cells: Any) -> Any:
        cells = pc.utf8_normalize(cells, "NFC")
        cells = pc.replace_substring_regex(cells, _INVISIBLE_RE2, "")
        return pc.replace_substring_regex(cells, _SPACE_RUNS_RE2, " ")

    plain = pc.fill_null(pc.ascii_is_printable(arr), True)
    if not pc.all(plain).as_py():
        arr = _rewrite_cells(arr, pc.invert(plain), unicode_clean)
    if _has_double_space(arr):
        runs = pc.fill_null(pc.match_substring(arr, "  "), False)
        arr = _rewrite_cells(arr, runs, lambda c: pc.replace_substring_regex(c, " {2,}", " "))
    return _empty_as_null(_trim_whitespace(arr))


def _rewrite_cells(arr: Any, mask: Any, rewrite: Any) -> Any:
    """``rewrite`` (a kernel over a string array) applied only to the cells in ``mask``."""
    import pyarrow.compute as pc

    return pc.replace_with_mask(arr, mask, rewrite(arr.filter(mask)))


# The bytes of a string array's cells, seen by numpy: cheap whole-column tests that
# decide which cells an Arrow kernel must look at (usually none).


def cell_bytes(arr: Any) -> tuple[Any, Any]:
    """``(offsets, data)`` of a string array as numpy arrays, without copying."""
    import numpy as np
    import pyarrow as pa

    _validity, offsets, data = arr.buffers()
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(offsets, dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    return offsets, np.frombuffer(data, dtype=np.uint8) if data is not None else None


def edge_bytes(arr: Any) -> tuple[Any, Any, Any]:
    """Each cell's first and last byte (0 for an empty cell) and whether it has any."""
    import numpy as np

    offsets, data = cell_bytes(arr)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    if data is None or not len(data):
        zero = np.zeros(len(arr), dtype=np.uint8)
        return zero, zero, filled
    first = np.where(filled, data[np.where(filled, starts, 0)], 0)
    last = np.where(filled, data[np.where(filled, ends - 1, 0)], 0)
    return first, last, filled


def _has_double_space(arr: Any) -> bool:
    """Whether two spaces may follow each other in a string array's cells.

    One numpy pass over the cells' bytes, several times cheaper than a substring kernel;
    it answers "no" for almost every column of a real file. A space ending one cell and
    another starting the next also count: the exact test comes after.
    """
    import numpy as np

    if not len(arr):
        return False
    offsets, data = cell_bytes(arr)
    if data is None:
        return False
    data = data[offsets[0] : offsets[-1]]
    return bool(np.logical_and(data[:-1] == 32, data[1:] == 32).any())


def _trim_whitespace(arr: Any) -> Any:
    """``utf8_trim_whitespace`` on the cells that may start or end with whitespace.

    Whitespace is an ASCII byte up to the space or a non-ASCII character, whose UTF-8
    bytes are all 0x80 or above: a cell whose first and last bytes are neither needs
    no trimming.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    first, last, filled = edge_bytes(arr)
    maybe = filled & ((first <= 0x20) | (first >= 0x80) | (last <= 0x20) | (last >= 0x80))
    if not maybe.any():
        return arr
    return _rewrite_cells(arr, pa.array(maybe), pc.utf8_trim_whitespace)


def _empty_as_null(arr: Any) -> Any:
    """Empty cells become nulls (a blank cell is no value), sharing the array's buffers.

    ``if_else`` would copy every string for the few empty cells; only the validity
    bitmap changes.
    """
    import numpy as np
    import pyarrow as pa

    offsets, _data = cell_bytes(arr)
    kept = np.diff(offsets) > 0
    if arr.null_count:
        kept &= arr.is_valid().to_numpy(zero_copy_only=False)
    if kept.all():
        return arr
    bits = np.packbits(np.concatenate([np.zeros(arr.offset, bool), kept]), bitorder="little")
    _validity, offset_buffer, data_buffer = arr.buffers()
    return pa.Array.from_buffers(
        arr.type, len(arr), [pa.py_buffer(bits), offset_buffer, data_buffer], offset=arr.offset
    )


def starts_with_any(arr: Any, prefixes: tuple[str, ...]) -> Any:
    """True where a cell starts with one of ``prefixes`` (plain prefix tests: no regex).

    Only the cells whose first byte begins one of the prefixes are tested.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    first, _last, filled = edge_bytes(arr)
    leads = np.array(sorted({p.encode()[0] for p in prefixes}), dtype=np.uint8)
    maybe = filled & np.isin(first, leads)
    if not maybe.any():
        return pa.array(np.zeros(len(arr), dtype=bool))
    mask = pa.array(maybe)
    some = arr.filter(mask)
    hits = [pc.starts_with(some, p) for p in prefixes]
    found = hits[0]
    for h in hits[1:]:
        found = pc.or_(found, h)
    return pc.replace_with_mask(mask, mask, pc.fill_null(found, False))


def clean_text_column(values: Any) -> Any:
    """A text column (array or list of any cells) → cleaned Arrow string array."""
    import pyarrow as pa

    arr = as_text_array(values)
    if arr is None:
        mixed = [v if v is None or type(v) is str else clean_text(v) for v in values]
        arr = pa.array(mixed, type=pa.string())
    return clean_text_array(arr)


def clean_text_many(values: list[Any]) -> list[str | None]:
    """:func:`clean_text` over a column, vectorised with Arrow string kernels (RE2)."""
    return clean_text_column(values).to_pylist()


def by_unique(values: Any, parser: Any) -> tuple[list[Any], Any]:
    """Parse each distinct value once: status, region, dates and commodity repeat a lot.

    Returns the parser's result per distinct value and, per row, the index into them.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = as_text_array(values)
    if arr is None:  # mixed cells from a spreadsheet: a Python cache does the same job
        results: list[Any] = []
        seen: dict[tuple[type, Any], int] = {}  # cells are scalars: readers flatten the rest
        index: list[int] = []
        for v in values:
            key = (type(v), v)
            i = seen.get(key)
            if i is None:
                i = seen[key] = len(results)
                results.append(parser(v))
            index.append(i)
        return results, pa.array(index, type=pa.int32())
    encoded = pc.dictionary_encode(arr, null_encoding="encode")  # one hash pass, nulls kept
    results = [parser(v) for v in encoded.dictionary.to_pylist()]
    return results, encoded.indices


def _take(values: list[Any], index: Any, type_: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.take(pa.array(values, type=type_), index)


def parse_unique(values: Any, parser: Any, type_: Any) -> tuple[Any, Any]:
    """``(typed array, problem codes)`` for a low-cardinality column, via :func:`by_unique`."""
    import pyarrow as pa

    results, index = by_unique(values, parser)
    codes = [r[1] for r in results]
    problems = (
        _take(codes, index, pa.string())
        if any(c is not None for c in codes)
        else pa.nulls(len(index), pa.string())  # the usual case: no value had a problem
    )
    return _take([r[0] for r in results], index, type_), problems


def _kind(kind: str) -> tuple[Any, Any]:
    """The per-value parser and the Arrow result type of a numeric ``kind``."""
    import pyarrow as pa

    parser = {"int": parse_int, "money": parse_money, "coordinate": parse_coordinate}[kind]
    return parser, pa.float64() if kind == "coordinate" else pa.int64()


def _rewrite_where(arr: Any, marker: str, replacements: tuple[tuple[str, str], ...]) -> Any:
    """Apply plain ``replacements`` only to the cells containing ``marker`` (usually few)."""
    import pyarrow.compute as pc

    def replace_all(cells: Any) -> Any:
        for old, new in replacements:
            cells = pc.replace_substring(cells, old, new)
        return cells

    marked = pc.fill_null(pc.match_substring(arr, marker), False)
    if not pc.any(marked).as_py():
        return arr
    return _rewrite_cells(arr, marked, replace_all)


def parse_column(values: Any, kind: str) -> tuple[Any, Any]:
    """A numeric column → ``(typed Arrow array, problem codes)``; ``kind``: int/money/coordinate.

    Clean text cells ("1.250.000", "Rp 1.250.000,-", "-7,8123") convert with Arrow
    kernels, "1,25 juta" amounts with an exact vectorised rule, and every other text
    cell goes through the per-value parser once per distinct value; a column of mixed
    cells (spreadsheets, JSON) goes to :func:`_parse_cells`. The result always equals
    parsing each value.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    parser, out_type = _kind(kind)
    arr = as_text_array(values)
    if arr is None:
        return _parse_cells(values, kind)
    text = pc.utf8_trim_whitespace(arr)
    if kind == "int":
        fast = _digits_or_matching(text, _FAST_INT)
    else:
        pattern = _FAST_MONEY if kind == "money" else _FAST_COORD
        fast = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    chosen = pc.if_else(fast, text, pa.scalar(None, pa.string()))
    if kind == "coordinate":
        converted = pc.cast(pc.replace_substring(chosen, ",", "."), out_type)
    else:
        if kind == "money":  # the pattern allows "Rp" only in front and ",-"/",00" only at the end
            # A matching cell ends in "-" or "," only as ",-" (most amounts): one trim drops it.
            chosen = pc.utf8_rtrim(pc.utf8_ltrim(chosen, "RrPp. "), ",-")
            chosen = _rewrite_where(chosen, ",", ((",00", ""), (",0", "")))
        if kind == "int":  # counts seldom have thousands dots: strip them only where present
            chosen = _rewrite_where(chosen, ".", ((".", ""),))
        else:
            chosen = pc.replace_substring(chosen, ".", "")
        converted = pc.cast(chosen, out_type)
    rest = pc.and_(pc.invert(fast), nonblank(arr))
    if kind == "money" and pc.any(rest).as_py():
        converted, fast, rest = _scaled_money(text, converted, fast, rest)
    if not pc.any(rest).as_py():
        return converted, pa.nulls(len(arr), pa.string())
    slow, codes = parse_unique(
        pc.if_else(rest, arr, pa.scalar(None, pa.string())), parser, out_type
    )
    return pc.if_else(fast, converted, slow), codes


def _digits_or_matching(text: Any, pattern: str) -> Any:
    """True where a cell is plain digits (at most 17) or matches ``pattern``.

    Counts are mostly plain digits, recognised by a character-class kernel several
    times cheaper than the regex, which then runs on the other cells only.
    ``pattern`` must accept every such digit string.
    """
    import pyarrow.compute as pc

    digits = pc.and_(pc.ascii_is_decimal(text), pc.less_equal(pc.binary_length(text), 17))
    fast = pc.fill_null(digits, False)
    rest = pc.invert(fast)
    if pc.any(rest).as_py():
        hits = pc.fill_null(pc.match_substring_regex(text.filter(rest), pattern), False)
        fast = pc.replace_with_mask(fast, rest, hits)
    return fast


_TWO_63 = 2.0**63  # the first float whose integer part does not fit int64


def _parse_cells(values: list[Any], kind: str) -> tuple[Any, Any]:
    """:func:`parse_column` for spreadsheet and JSON cells: numbers, text, dates mixed.

    Excel numbers (floats) and JSON integers are converted with numpy, text cells go
    through the Arrow text path, anything else through the per-value parser once per
    distinct value. Each part gives exactly what the per-value parser gives for its
    cells (the property tests compare them on generated columns).
    """
    import numpy as np
    import pyarrow as pa

    parser, out_type = _kind(kind)
    count = len(values)
    cells = np.fromiter(values, dtype=object, count=count)
    types = np.fromiter(map(type, values), dtype=object, count=count)
    is_float, is_int = np.equal(types, float), np.equal(types, int)  # exact types: no bools
    floats = np.flatnonzero(is_float)
    ints = np.flatnonzero(is_int)
    try:
        int_values = cells[ints].astype(np.int64)
    except OverflowError:
        int_values = None
    if int_values is None or (kind != "coordinate" and (int_values == INT64_MIN).any()):
        # Beyond int64 (or its minimum, whose magnitude is): the per-value parser says
        # value_over_cap for those few cells.
        is_int[:] = False
        ints, int_values = ints[:0], np.array([], dtype=np.int64)
    others = np.flatnonzero(~(is_float | is_int))
    typed = np.zeros(count, dtype=np.float64 if kind == "coordinate" else np.int64)
    valid = np.zeros(count, dtype=bool)
    codes = np.full(count, None, dtype=object)

    number = cells[floats].astype(np.float64)
    finite = np.isfinite(number)
    infinite = np.isinf(number)  # NaN is a blank cell (no value, no problem); inf is not
    if kind == "coordinate":
        typed[floats], valid[floats] = np.where(finite, number, 0.0), finite
        codes[floats[infinite]] = "invalid_coordinate"
        typed[ints], valid[ints] = int_values.astype(np.float64), True
    else:
        whole = finite & (np.floor(np.where(finite, number, 0.0)) == number)
        rounded = np.rint(np.where(finite, number, 0.0)) if kind == "money" else number
        usable = finite if kind == "money" else whole
        fits = usable & (np.abs(np.where(usable, rounded, 0.0)) < _TWO_63)
        typed[floats] = np.where(fits, rounded, 0.0).astype(np.int64)
        valid[floats] = fits
        code = np.full(len(floats), None, dtype=object)
        code[usable & ~fits] = "value_over_cap"
        code[infinite] = "invalid_number"
        if kind == "int":
            code[finite & ~whole] = "not_integer"
        codes[floats] = code
        typed[ints], valid[ints] = int_values, True
    if len(others):
        rest = cells[others].tolist()
        text = as_text_array(rest)
        if text is not None:
            rest_typed, rest_codes = parse_column(text, kind)
        else:
            rest_typed, rest_codes = parse_unique(rest, parser, out_type)
        typed[others] = rest_typed.fill_null(0).to_numpy(zero_copy_only=False)
        valid[others] = rest_typed.is_valid().to_numpy(zero_copy_only=False)
        codes[others] = rest_codes.to_numpy(zero_copy_only=False)
    return pa.array(typed, type=out_type, mask=~valid), pa.array(codes, type=pa.string())


_SCALED = re.compile(_FAST_SCALED.strip("^$"))


def _scaled_amount(text: str) -> int | None:
    """ "1,25 juta" → 1250000 in exact integers; lokal reads "0 juta" as one million."""
    m = _SCALED.fullmatch(text)
    if m is None:
        return None
    micro = int(m["whole"]) * 10**6 + int((m["decimals"] or "").ljust(6, "0"))
    return micro * (1 if m["unit"].lower() in ("juta", "jt") else 1000)


def _scaled_money(text: Any, converted: Any, fast: Any, rest: Any) -> tuple[Any, Any, Any]:
    """Vectorised "1,25 juta" / "1,5 M" amounts among the cells the plain path left."""
    import pyarrow as pa
    import pyarrow.compute as pc

    candidates = text.filter(rest)  # only the cells left over are looked at
    found = pc.fill_null(pc.match_substring_regex(candidates, _FAST_SCALED), False)
    if not pc.any(found).as_py():
        return converted, fast, rest
    hit = pc.replace_with_mask(rest, rest, found)  # back to one flag per row
    parts = pc.extract_regex(candidates.filter(found), _FAST_SCALED)
    whole = pc.cast(parts.field("whole"), pa.int64())
    frac = pc.cast(pc.utf8_rpad(pc.fill_null(parts.field("decimals"), ""), 6, "0"), pa.int64())
    millions = pc.is_in(pc.utf8_lower(parts.field("unit")), pa.array(["juta", "jt"]))
    micro = pc.add(pc.multiply(whole, 10**6), frac)  # the amount in millionths of the unit
    amount = pc.multiply(micro, pc.if_else(millions, 1, 1000))  # juta = 10^6, miliar = 10^9
    converted = pc.replace_with_mask(converted, hit, amount)
    return converted, pc.or_(fast, hit), pc.and_(rest, pc.invert(hit))


def parse_many(
    values: list[Any], kind: str, fallback: Any
) -> tuple[list[Any], list[str | None]] | None:
    """:func:`parse_column` as lists; None when the column has no text at all.

    ``fallback`` must be the per-value parser of ``kind`` (kept for callers that name it).
    """
    if not any(isinstance(v, str) for v in values):
        return None
    if fallback is not _kind(kind)[0]:
        raise ValueError(f"parse_many: {fallback!r} is not the parser of kind {kind!r}")
    typed, codes = parse_column(values, kind)
    return typed.to_pylist(), codes.to_pylist()


def _signed(text: str) -> tuple[int, str]:
    text = text.strip()
    if text.startswith(("-", "\u2212")):
        return -1, text[1:].strip()
    if text.startswith("(") and text.endswith(")"):
        return -1, text[1:-1].strip()
    return 1, text.lstrip("+").strip()


INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def _bounded(parse: Any) -> Any:
    """Results beyond int64 are a problem on the row, not an overflow in Arrow later."""

    def wrapper(value: Any) -> tuple[int | None, str | None]:
        if isinstance(value, str) and value.strip() in NIL_MARKS:
            return None, None  # "-": the clerk's way of writing "nothing", not a number
        number, code = parse(value)
        if number is not None and abs(number) > INT64_MAX:
            return None, "value_over_cap"
        return number, code

    wrapper.__name__, wrapper.__doc__ = parse.__name__, parse.__doc__
    return wrapper


@_bounded
def parse_int(value: Any) -> tuple[int | None, str | None]:
    """Counts (units, workers, years): ``12``, ``12.0``, ``1.250`` → int; ``12,5`` → not_integer."""
    if is_blank(value):
        return None, None
    if isinstance(value, bool):
        return None, "invalid_number"
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None, "invalid_number"
        return (int(value), None) if value.is_integer() else (None, "not_integer")
    text = clean_text(value) or ""
    sign, body = _signed(text)
    body = body.replace(" ", "")
    if _PLAIN_INT.match(body):
        return sign * int(body), None
    if _DOTTED_INT.match(body) or _COMMA_INT.match(body):
        return sign * int(re.sub(r"[.,]", "", body)), None
    if re.match(r"^\d+[.,]0+$", body):
        return sign * int(re.split(r"[.,]", body)[0]), None
    if re.match(r"^\d+[.,]\d+$", body):
        return None, "not_integer"
    return None, "invalid_number"


@_bounded
def parse_money(value: Any) -> tuple[int | None, str | None]:
    """Rupiah: ``Rp 1.250.000,-``, ``1,25 juta``, ``1,5 M``, ``1250000``, numbers from Excel."""
    if is_blank(value):
        return None, None
    if isinstance(value, bool):
        return None, "invalid_number"
    if isinstance(value, int | float):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return None, "invalid_number"
        return round(value), None
    text = clean_text(value) or ""
    sign, body = _signed(text)
    quick, _ = parse_int(body)
    if quick is not None:
        return sign * quick, None
    m = _RUPIAH.match(body)  # the common "Rp 1.250.000,-" without a trip through lokal
    if m:
        return sign * int(m.group(1).replace(".", "")), None
    scaled = _scaled_amount(body)
    if scaled is not None:
        return sign * scaled, None
    from lokal import parse_rupiah

    try:
        parsed = parse_rupiah(body)
    except (ValueError, TypeError, ArithmeticError):
        parsed = None
    if parsed is None:
        return None, "invalid_number"
    amount = parsed.amount
    # "1.5" alone is ambiguous (1,5 or 15?): refuse rather than guess a thousandfold error.
    if isinstance(amount, float) and not amount.is_integer() and amount < 1000:
        return None, "invalid_number"
    return sign * round(amount), None


def parse_coordinate(value: Any) -> tuple[float | None, str | None]:
    """Decimal degrees with a decimal point or comma: ``-7,8123`` / ``-7.8123``."""
    if is_blank(value):
        return None, None
    if isinstance(value, bool):
        return None, "invalid_coordinate"
    if isinstance(value, int | float):
        v = float(value)
        return (None, "invalid_coordinate") if math.isnan(v) or math.isinf(v) else (v, None)
    raw = clean_text(value) or ""
    if re.search(r"[°º˚'\"″]|[A-Za-z]$", raw):
        dms = parse_dms(raw)
        if dms is None or math.isnan(dms):
            return None, "invalid_coordinate"
        return dms, None
    text = raw.replace("\u2212", "-").replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        v = float(text)
    except ValueError:
        return None, "invalid_coordinate"
    return (None, "invalid_coordinate") if math.isnan(v) or math.isinf(v) else (v, None)


def split_coordinates(value: Any) -> tuple[tuple[float | None, float | None], str | None]:
    """One "Koordinat" cell → (lat, lon): ``-7,8123; 110,3456`` or ``-7.8123, 110.3456``."""
    if is_blank(value):
        return (None, None), None
    text = (clean_text(value) or "").replace("\u2212", "-")
    if re.search(r"[°º˚]", text):  # two DMS values: 8°38'11" LS, 122°18'36" BT
        found = [m for m in _DMS.finditer(text) if m.group(0).strip()]
        if len(found) != 2:
            return (None, None), "invalid_coordinate"
        return (_dms_value(found[0]), _dms_value(found[1])), None
    parts = [p for p in re.split(r"\s*;\s*|,\s+|\s+|\s*/\s*", text) if p]
    if len(parts) == 4 and all(re.match(r"^-?\d+$", p) for p in parts):
        parts = [f"{parts[0]}.{parts[1]}", f"{parts[2]}.{parts[3]}"]
    if len(parts) != 2:
        return (None, None), "invalid_coordinate"
    lat, p1 = parse_coordinate(parts[0])
    lon, p2 = parse_coordinate(parts[1])
    if p1 or p2:
        return (None, None), "invalid_coordinate"
    return (lat, lon), None


def parse_date(value: Any) -> tuple[date | None, str | None]:
    """``12 Agustus 2024``, ``12/08/2024``, ``2024-08-12``, Excel dates and serials."""
    if is_blank(value):
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20_000 < value < 80_000:  # Excel serial day numbers 1954..2118
            return EXCEL_EPOCH + timedelta(days=int(value)), None
        return None, "invalid_date"
    text = (clean_text(value) or "").lower().replace(",", " ")
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        y, mo, d = map(int, m.groups())
        return _safe_date(y, mo, d)
    m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", text)
    if m:
        d, mo, y = map(int, m.groups())
        return _safe_date(y, mo, d)
    m = re.match(r"^(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})$", text)
    if m and m.group(2) in MONTHS:
        return _safe_date(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1)))
    return None, "invalid_date"


def _safe_date(y: int, mo: int, d: int) -> tuple[date | None, str | None]:
    try:
        return date(y, mo, d), None
    except ValueError:
        return None, "invalid_date"


def parse_status(value: Any) -> tuple[str | None, str | None]:
    """Free-text status → ``active`` / ``less_active`` / ``inactive``.

    Unknown text is a problem (``unknown_status``, naming the word), blank is not. Words
    the rules do not know are never guessed: ``pindah lokasi`` (moved) is not *closed*
    and ``musiman`` (seasonal) is not *active*; the office is asked what it means.
    """
    text = clean_text(value)
    if text is None:
        return None, None
    key = re.sub(r"[^a-z ]+", " ", text.lower())
    key = _SPACES.sub(" ", key).strip()
    if LESS_ACTIVE_PATTERNS.search(key):
        return ReportedStatus.LESS_ACTIVE.value, None
    if INACTIVE_PATTERNS.search(key):
        return ReportedStatus.INACTIVE.value, None
    if key in ACTIVE_WORDS or key.startswith(("aktif", "masih aktif", "masih ber")):
        return ReportedStatus.ACTIVE.value, None
    return None, "unknown_status"


def parse_region(value: Any, office_code: str) -> tuple[str | None, str | None]:
    """A kab/kota code or name → dotted Kemendagri code, resolving names within the office."""
    if is_blank(value):
        return None, None
    raw = value if isinstance(value, int | float) else clean_text(value)
    found = regions().kabkota_candidates(raw, within=office_code)
    if len(found) > 1:  # "Pekalongan": the kabupaten or the kota? Never guessed.
        return None, "ambiguous_region"
    return (found[0].code, None) if found else (None, "invalid_region")


def parse_subregion(value: Any) -> tuple[str | None, str | None]:
    """Kecamatan/desa codes in any common form → dotted; names are kept as text."""
    if is_blank(value):
        return None, None
    code = normalise_code(value if isinstance(value, int | float) else clean_text(value))
    return (code, None) if code else (clean_text(value), None)


def commodity_from_name(name: Any) -> tuple[str | None, None]:
    """The product a sentra's name names, for an empty Komoditas (see the caller)."""
    return commodity_in_name(name), None


def parse_commodity(value: Any) -> tuple[tuple[str | None, str | None], str | None]:
    """(commodity, commodity group); unknown commodity text goes to 'lainnya', not rejected."""
    text = normalise_commodity(clean_text(value))
    if text is None:
        return (None, None), None
    group = commodity_group_of(text) or CommodityGroup.LAINNYA
    return (text, group.value), None
