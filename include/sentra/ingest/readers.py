"""Readers: bytes of an XLSX/XLS/CSV/JSON submission → header mapping + raw data rows.

Spreadsheets are read with python-calamine (Rust; far faster than openpyxl). The header
row is found below any title block by scoring rows against the known spellings; a
two-row header ("Koordinat" merged over "Lintang"/"Bujur") is merged; blank rows,
totals rows and repeated headers are listed, never silently dropped. Every data row
keeps the row number the office sees in its own file.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sentra.config import Settings
from sentra.ingest.headers import (
    COORDINATES,
    HeaderMapping,
    canonical_of,
    header_score,
    map_headers,
)
from sentra.ingest.layout import fill_merged, is_column_number_row, starts_notes, title_of
from sentra.ingest.normalise import is_blank
from sentra.ingest.safety import UnsafeFileError

HEADER_SEARCH_ROWS = 30
COLUMN_NUMBER_ROWS = 3  # a column-number row sits right under the header
MIN_HEADER_SCORE = 3
# Bytes of CSV per block Arrow parses (one chunk of every column each): Arrow's default.
# Larger blocks parse slower here (1M-row file: 0.59 s at 1 MiB, 1.03 s at 16-28 MiB,
# median of six), the block no longer fitting the CPU caches.
BLOCK_BYTES = 1 << 20
_TOTALS = re.compile(r"^\s*(jumlah|total|jml\.?|grand total|sub ?total)\b", re.I)
_TOTALS_RE2 = r"(?i)^\s*(jumlah|total|jml\.?|grand total|sub ?total)\b"
_INSTRUCTION_SHEETS = re.compile(r"petunjuk|panduan|instruksi|keterangan|readme|cara", re.I)


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    A sheet's cells arrive as one list per row; every few hundred new lists the
    collector would rescan all of them, which doubles the time of reading a large
    sheet. Reference counting still frees everything; the previous state is restored.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class SkippedRow:
    sheet: str | None
    source_row: int
    kind: str  # blank | totals | repeated_header | column_numbers | note


@dataclass
class RawTable:
    """One sheet (or the whole CSV/JSON): mapped header and its data rows, column-wise.

    ``columns`` maps a source column index to its cells: an Arrow string array (CSV) or
    a list of cells of any type (spreadsheets, JSON). ``row_numbers`` holds the row
    number the office sees for each data row.
    """

    sheet: str | None
    header_row: int | None
    mapping: HeaderMapping
    columns: dict[int, Any] = field(default_factory=dict)
    row_numbers: list[int] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    title: str = ""  # the text above the header (a title may name the kab/kota)

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)


MAX_DEFAULT_THREADS = 8  # past this the GIL-bound parts of a chunk dominate


def worker_threads(settings: Settings) -> int:
    """Threads for one file: ``SENTRA_INGEST_THREADS``, or one per usable CPU when it is 0.

    Usable CPUs are the process's affinity set (a container's cpuset), not the host's
    count, and at most eight by default: each thread keeps its own allocator arenas.
    """
    if settings.ingest_threads < 0:
        raise ValueError(
            f"SENTRA_INGEST_THREADS must be 0 (one per CPU) or more, not {settings.ingest_threads}"
        )
    if settings.ingest_threads:
        return settings.ingest_threads
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(usable or 1, MAX_DEFAULT_THREADS))


class ReadError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


# --------------------------------------------------------------------- grids


def _find_header(grid: list[list[Any]]) -> int | None:
    """Index of the header row: the best-scoring of the first rows, if good enough."""
    best, best_score = None, 0
    for i, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        score = header_score(cells)
        if score > best_score:
            best, best_score = i, score
    return best if best_score >= MIN_HEADER_SCORE else None


def _merge_second_header_row(header: list[Any], below: list[Any]) -> list[Any] | None:
    """Merge a second header row under merged cells ("Koordinat" over "Lintang", "Bujur")."""
    merged = list(header) + [None] * max(0, len(below) - len(header))
    used = False
    for j, cell in enumerate(below):
        canonical = canonical_of(cell) if not is_blank(cell) else None
        if not canonical or canonical == "ignore":
            continue
        above = merged[j]
        above_canonical = canonical_of(above) if not is_blank(above) else None
        if above_canonical in (None, COORDINATES):
            merged[j] = cell
            used = True
    if not used:
        return None
    # The merged cell itself must not stay mapped as a combined "coordinates" column.
    return [c if canonical_of(c) != COORDINATES else None for c in merged]


def _totals_test(mapping: HeaderMapping) -> Callable[[list[Any]], bool]:
    """A test for totals rows ("Jumlah", "Total"), with the mapping's columns looked up once.

    A real sentra named "Jumlah ..." carries a region and a commodity, so those are
    checked first: for an ordinary data row that settles it.
    """
    name_idx = next((i for i, c in mapping.columns.items() if c == "sentra_name"), None)
    identity = [i for i, c in mapping.columns.items() if c in ("region_code", "commodity")]

    def is_totals(cells: list[Any]) -> bool:
        width = len(cells)
        for i in identity:
            if i < width and not is_blank(cells[i]):
                # "JUMLAH" written in the Kab/Kota column (a merged A:C label) is a total.
                return isinstance(cells[i], str) and _TOTALS.match(cells[i]) is not None
        if name_idx is not None and name_idx < width:
            name = cells[name_idx]
            if isinstance(name, str) and _TOTALS.match(name):
                return True
        first_text = next((c for c in cells if isinstance(c, str) and c.strip()), None)
        return first_text is not None and _TOTALS.match(first_text) is not None

    return is_totals


def _totals_word(cell: Any) -> bool:
    return isinstance(cell, str) and _TOTALS.match(cell) is not None


def _repeats_header(cells: list[Any], header_text: dict[int, str], needed: int) -> bool:
    first, text = next(iter(header_text.items()))
    cell = cells[first] if first < len(cells) else None
    if not isinstance(cell, str) or cell.strip().lower() != text:
        return False  # cheap rejection for the usual data row
    same = sum(
        1
        for i, t in header_text.items()
        if i < len(cells) and isinstance(cells[i], str) and cells[i].strip().lower() == t
    )
    return same >= needed


def _header_of(grid: list[list[Any]], settings: Settings) -> tuple[int, list[Any], int] | None:
    """(header index, header cells with a second header row merged in, first data index)."""
    h = _find_header(grid)
    if h is None:
        return None
    header = list(grid[h])
    first_data = h + 1
    if h + 1 < len(grid):
        merged = _merge_second_header_row(header, list(grid[h + 1]))
        if merged is not None:
            header, first_data = merged, h + 2
    if len(header) > settings.max_columns:
        raise ReadError("too_many_columns", f"{len(header):,} > {settings.max_columns:,}")
    return h, header, first_data


def table_from_grid(
    grid: list[list[Any]],
    row_numbers: list[int],
    sheet: str | None,
    settings: Settings,
    merged: list[Any] | None = None,
) -> RawTable | None:
    """Find the header and split a grid into data rows and listed non-data rows.

    Each kind of non-data row is looked for column by column, among the rows that can
    still be one (a blank row is blank in every column, a totals row has no region and
    no commodity), so a clean sheet costs a look at a few cells per row; the data rows
    are then turned into columns, one pass per mapped column.
    """
    found = _header_of(grid, settings)
    if found is None:
        return None
    h, header, first_data = found
    if merged:
        fill_merged(grid, merged, first_data)
    mapping = map_headers(header)
    table = RawTable(
        sheet=sheet, header_row=row_numbers[h], mapping=mapping, title=title_of(grid, h)
    )
    rows = grid[first_data:]
    numbers = row_numbers[first_data:]
    width = max(map(len, rows), default=0)
    if any(len(cells) != width for cells in rows):  # ragged CSV rows: missing cells are None
        rows = [c if len(c) == width else [*c, *[None] * (width - len(c))] for c in rows]
    kinds = _non_data_rows(rows, width, header, mapping)
    table.skipped = [SkippedRow(sheet, numbers[r], kinds[r]) for r in sorted(kinds)]
    if kinds:
        rows = [cells for r, cells in enumerate(rows) if r not in kinds]
        numbers = [n for r, n in enumerate(numbers) if r not in kinds]
    table.row_numbers = list(numbers)
    for i in [*mapping.columns, *mapping.unmapped_index]:  # unmapped: typed by content later
        table.columns[i] = list(map(itemgetter(i), rows)) if i < width else [None] * len(rows)
    return table


def _non_data_rows(
    rows: list[list[Any]], width: int, header: list[Any], mapping: HeaderMapping
) -> dict[int, str]:
    """Row index → blank | repeated_header | totals, for the rows that are not data.

    The same tests, in the same order, as looking at each row in turn (every cell
    blank, ``_repeats_header``, the totals test), each applied only to the rows that
    can still match: column by column, so a clean sheet costs a look at a few cells
    per row.
    """
    kinds: dict[int, str] = {}
    maybe: Any = range(len(rows))
    for j in range(width):
        maybe = [r for r in maybe if is_blank(rows[r][j])]
        if not maybe:
            break
    kinds.update(dict.fromkeys(maybe, "blank"))
    # A repeated header repeats the header's own texts; comparing those is cheap, where
    # folding every data cell against all spellings is not.
    header_text = {i: str(header[i]).strip().lower() for i in mapping.columns}
    if header_text:
        first, text = next(iter(header_text.items()))
        needed = max(MIN_HEADER_SCORE, len(header_text) // 2)
        if first < width:
            for r, cell in enumerate(map(itemgetter(first), rows)):
                if (
                    isinstance(cell, str)
                    and cell.strip().lower() == text
                    and r not in kinds
                    and _repeats_header(rows[r], header_text, needed)
                ):
                    kinds[r] = "repeated_header"
    identity = [i for i, c in mapping.columns.items() if c in ("region_code", "commodity")]
    maybe = [r for r in range(len(rows)) if r not in kinds] if kinds else range(len(rows))
    for i in identity:
        if i < width:
            maybe = [r for r in maybe if is_blank(rows[r][i]) or _totals_word(rows[r][i])]
    is_totals = _totals_test(mapping)
    kinds.update({r: "totals" for r in maybe if is_totals(rows[r])})
    for r in range(min(COLUMN_NUMBER_ROWS, len(rows))):
        if r not in kinds and is_column_number_row(rows[r]):
            kinds[r] = "column_numbers"
    # Notes, a recap table or a signature block end the table: from the first row that
    # opens one (no region, no commodity), every row below is listed, not read.
    opening = next((r for r in maybe if r not in kinds and starts_notes(rows[r])), None)
    if opening is not None:
        kinds.update({r: "note" for r in range(opening, len(rows)) if r not in kinds})
    return kinds


# --------------------------------------------------------------------- xlsx


def read_workbook(data: bytes, settings: Settings) -> list[RawTable]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several exception types for damaged files
        message = str(exc)
        if "password" in message.lower() or "encrypt" in message.lower():
            raise ReadError("encrypted_file", "berkas dilindungi kata sandi") from exc
        raise ReadError("file_unreadable", "berkas Excel rusak atau bukan berkas Excel") from exc
    names = wb.sheet_names
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:  # Excel refuses such a workbook; calamine would read the first sheet twice
        raise ReadError("file_unreadable", f"nama lembar dipakai dua kali: {', '.join(twice)}")
    tables = []
    for name in names:
        # The cyclic GC stays off while a sheet's row lists are alive, and they are freed
        # before it is back on: its first pass would otherwise rescan every one of them.
        with without_cyclic_gc():
            try:
                sheet = wb.get_sheet_by_name(name)
                if sheet.height > settings.max_rows + HEADER_SEARCH_ROWS:
                    raise ReadError("too_many_rows", f"lembar '{name}': {sheet.height:,} baris")
                if sheet.width > settings.max_columns:
                    raise ReadError("too_many_columns", f"lembar '{name}': {sheet.width:,} kolom")
                grid = sheet.to_python(skip_empty_area=False)
                merged = sheet.merged_cell_ranges or []
            except ReadError:
                raise
            except Exception as exc:  # a damaged sheet
                raise ReadError("file_unreadable", f"lembar '{name}' rusak") from exc
            table = table_from_grid(grid, list(range(1, len(grid) + 1)), name, settings, merged)
            del grid
        if table is not None and not (_INSTRUCTION_SHEETS.search(name) and not table.n_rows):
            tables.append(table)
    return tables


# ---------------------------------------------------------------------- csv


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the most consistent columns.

    Records, not physical lines: a quoted cell may hold a line break. Only records a
    delimiter splits count: a title block's one-cell lines say nothing about it, and
    with a title line and a header alone (an empty template sent back) they tied with
    the header and the file lost its header (found by hypothesis, as the two below).
    """
    sample = text[:SNIFF_CHARS]
    best, best_key = ";", (-1, -1)
    for delim in (";", ",", "\t", "|"):
        counts = [n for n in _record_widths(sample, delim) if n > 1]
        if not counts:
            continue
        # The split that explains the most cells with one width: counting records alone
        # let a few two-cell pieces of quoted line breaks outvote a ten-column header.
        common = max(set(counts), key=lambda n: (n * counts.count(n), n))
        key = (common * counts.count(common), common)
        if key > best_key:
            best, best_key = delim, key
    return best


SNIFF_CHARS = 65_536  # the start of the file the delimiter is told from
SNIFF_RECORDS = 20


def _record_widths(sample: str, delimiter: str) -> list[int]:
    """Cells per record among the first ``SNIFF_RECORDS`` of ``sample`` (empty lines
    aside; a line of delimiters and whitespace counts: it shows the delimiter)."""
    widths: list[int] = []
    try:
        for cells in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
            if cells:
                widths.append(len(cells))
                if len(widths) == SNIFF_RECORDS:
                    break
    except csv.Error:  # a NUL byte, or a quote the sample cut: what was read still counts
        pass
    return widths


def read_csv_text(data: bytes, settings: Settings) -> list[RawTable]:
    """Arrow's CSV reader for the usual file; Python's csv module for the odd one.

    The fast path needs one record per physical line (so row numbers stay exact) and a
    constant number of fields; anything else (ragged rows, line breaks inside quoted
    cells, UTF-16, bare CR line ends) is read by the row-wise path, which handles it.
    """
    # Cells up to the file size limit parse (cell_too_long then flags them per row) in
    # both paths: the fast one sniffs the delimiter with the csv module too. Set here,
    # not in the row-wise path alone, or a huge first cell failed whenever no earlier
    # file in the process had taken the row-wise path.
    csv.field_size_limit(max(settings.max_file_bytes, 131_072))
    fast = _read_csv_arrow(data, settings)
    return fast if fast is not None else _read_csv_rows(data, settings)


def _read_csv_rows(data: bytes, settings: Settings) -> list[RawTable]:
    text, _encoding = decode(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    grid: list[list[Any]] = []
    numbers: list[int] = []
    try:
        for cells in reader:
            # Excel numbers records, not physical lines: a quoted cell spanning three
            # lines is still one row.
            grid.append(cells)
            numbers.append(len(grid))
            if len(grid) > settings.max_rows + HEADER_SEARCH_ROWS:
                raise ReadError("too_many_rows", f"lebih dari {settings.max_rows:,} baris")
    except csv.Error as exc:
        raise ReadError(
            "file_unreadable", f"baris {len(grid) + 1}: tanda kutip tidak tertutup"
        ) from exc
    table = table_from_grid(grid, numbers, None, settings)
    return [table] if table is not None else []


def _line_start(body: bytes, line: int, start: int = 0) -> int:
    """Byte offset where 1-based physical ``line`` counted from ``start`` begins."""
    pos = start
    for _ in range(line - 1):
        nl = body.find(b"\n", pos)
        if nl < 0:
            return len(body)
        pos = nl + 1
    return pos


_LINE_ENDS_ONLY = re.compile(rb"[\r\n]*")


def _read_csv_arrow(data: bytes, settings: Settings) -> list[RawTable] | None:
    """The whole data section read by Arrow as strings; None when the fast path cannot apply.

    The file's bytes are never copied: Arrow reads a zero-copy slice from the first data
    line, and lines are counted once, from there.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    body = data
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if body.find(b"\n", start) < 0 and body.find(b"\r", start) >= 0:
        return None  # classic Mac line ends: no physical line numbers to trust here
    head = body[start : _line_start(body, HEADER_SEARCH_ROWS + 3, start)]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        body, start = body[start:].decode("cp1252", errors="replace").encode("utf-8"), 0
        head = body[: _line_start(body, HEADER_SEARCH_ROWS + 3)]
    head_text = head.decode("utf-8", errors="replace")
    delimiter = sniff_delimiter(head_text)
    grid: list[list[Any]] = []
    ends: list[int] = []  # physical line on which each record ends
    starts: list[int] = []
    reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            starts.append(ends[-1] + 1 if ends else 1)
            grid.append(cells)
            ends.append(reader.line_num)
    except csv.Error:
        return None
    found = _header_of(grid, settings)
    if found is None:
        return None  # the row-wise path reads further and gives the same answer
    h, header, first_data = found
    data_line = ends[first_data - 1] + 1
    offset = _line_start(body, data_line, start)
    quoted = body.find(b'"', offset) >= 0
    # Without quotes or carriage returns each physical line is one record, so Arrow's
    # row count is the line count; otherwise lines are counted (a slow byte loop) to
    # check that no quoted cell spans lines and no lone CR split one.
    newlines = body.count(b"\n", offset) if quoted or body.find(b"\r", offset) >= 0 else None
    if newlines is not None and newlines > settings.max_rows + HEADER_SEARCH_ROWS:
        raise ReadError("too_many_rows", f"lebih dari {settings.max_rows:,} baris")
    mapping = map_headers(header)
    result = RawTable(sheet=None, header_row=starts[h], mapping=mapping, title=title_of(grid, h))
    if _LINE_ENDS_ONLY.fullmatch(body, offset):
        return [result]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body).slice(offset),
            read_options=pacsv.ReadOptions(
                autogenerate_column_names=True,
                block_size=BLOCK_BYTES,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                ignore_empty_lines=False,
                newlines_in_values=quoted,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(settings.max_columns + 1)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if newlines is not None and table.num_rows != newlines + (not body.endswith(b"\n")):
        return None  # a quoted cell spans lines: the row-wise path numbers rows exactly
    if table.num_rows > settings.max_rows + HEADER_SEARCH_ROWS:
        raise ReadError("too_many_rows", f"lebih dari {settings.max_rows:,} baris")
    if table.num_columns > settings.max_columns:
        raise ReadError("too_many_columns", f"{table.num_columns:,} > {settings.max_columns:,}")
    _split_arrow_rows(result, table.columns, header, data_line, worker_threads(settings))
    return [result]


def _split_arrow_rows(
    table: RawTable, cols: list[Any], header: list[Any], first: int, threads: int = 1
) -> None:
    """Blank, repeated-header and totals rows listed; data rows kept, column-wise.

    Each test looks closely only at the rows that could match (a blank row is blank in
    its first column, a repeated header repeats the header's first text, a totals row
    has no region and no commodity), so a clean million-row file costs a few kernels.
    Columns stay as Arrow read them (chunked); normalisation slices them.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from sentra.ingest.normalise import nonblank

    n = len(cols[0])
    mapping = table.mapping
    blank = np.zeros(n, dtype=bool)
    blank[_blank_rows(cols)] = True
    repeated = np.zeros(n, dtype=bool)
    header_text = {i: str(header[i]).strip().lower() for i in mapping.columns if i < len(cols)}
    if header_text:
        # Cells that may start like the header's first text, then a substring search
        # among those, find the rows that may repeat the header; only they are compared
        # exactly, as the row-wise path does.
        first_i, first_t = next(iter(header_text.items()))
        where = pc.indices_nonzero(pa.array(_may_start_like(cols[first_i], first_t)))
        found = pc.match_substring(cols[first_i].take(where), first_t, ignore_case=True)
        where = where.filter(pc.fill_null(found, False))
        if len(where):
            needed = max(MIN_HEADER_SCORE, len(header_text) // 2)
            texts = {i: str(header[i]).strip().lower() for i in mapping.columns}
            where = where.to_numpy()
            rows = zip(*[_cells_at(c, where) for c in cols], strict=True)
            hits = [k for k, row in zip(where.tolist(), rows, strict=True)
                    if _repeats_header(list(row), texts, needed)]  # fmt: skip
            repeated[hits] = True
    # Totals rows carry no region and no commodity; only those rows are looked at closely.
    identity = [i for i, c in mapping.columns.items() if c in ("region_code", "commodity")]
    candidate = pa.array(~(blank | repeated))
    for i in identity:
        if i < len(cols):
            empty = pc.invert(nonblank(cols[i]))
            # "JUMLAH" in the Kab/Kota column: looked for only where a cell starts like
            # one of the totals words (a one-byte test; region codes start with digits).
            starts = np.zeros(len(cols[i]), dtype=bool)
            for word in ("jumlah", "total", "grand", "sub"):
                starts |= _may_start_like(cols[i], word)
            if starts.any():
                maybe = pc.fill_null(pc.match_substring_regex(cols[i], _TOTALS_RE2), False)
                empty = pc.or_(empty, pc.and_(pa.array(starts), maybe))
            candidate = pc.and_(candidate, empty)
    totals = np.zeros(n, dtype=bool)
    is_totals = _totals_test(mapping)
    if pc.any(candidate).as_py():
        where = np.flatnonzero(candidate.to_numpy(zero_copy_only=False))
        picked = [_cells_at(c, where) for c in cols]
        for k, row in enumerate(zip(*picked, strict=True)):
            if is_totals(list(row)):
                totals[where[k]] = True
    numbered = np.zeros(n, dtype=bool)
    near = np.arange(min(COLUMN_NUMBER_ROWS, n))
    for k, row in enumerate(zip(*[_cells_at(c, near) for c in cols], strict=True)):
        numbered[k] = not blank[k] and is_column_number_row(list(row))
    notes = np.zeros(n, dtype=bool)
    if pc.any(candidate).as_py():
        for k, row in enumerate(zip(*picked, strict=True)):
            if not totals[where[k]] and starts_notes(list(row)):
                notes[where[k] :] = True  # the block below the table ends it
                break
    numbers = np.arange(first, first + n)
    skip = np.zeros(n, dtype=bool)
    for kind, flagged in (("blank", blank), ("repeated_header", repeated), ("totals", totals),
                          ("column_numbers", numbered), ("note", notes)):  # fmt: skip
        mask = flagged & ~skip
        table.skipped.extend(SkippedRow(None, int(r), kind) for r in numbers[mask])
        skip |= mask
    table.skipped.sort(key=lambda s: s.source_row)
    keep = pa.array(~skip) if skip.any() else None
    table.row_numbers = (numbers[~skip] if keep is not None else numbers).tolist()
    # Unmapped columns are kept too: their content may say what they are (context.py).
    used = [i for i in [*mapping.columns, *mapping.unmapped_index] if i < len(cols)]
    if keep is None:
        kept = [cols[i] for i in used]
    else:  # Arrow filters one column per call on one core: the columns go to a pool
        with ThreadPoolExecutor(threads, thread_name_prefix="sentra-read") as pool:
            kept = list(pool.map(lambda c: c.filter(keep), (cols[i] for i in used)))
    table.columns = dict(zip(used, kept, strict=True))
    for i in mapping.columns:
        if i >= len(cols):
            table.columns[i] = pa.nulls(len(table.row_numbers), pa.string())


def _blank_rows(cols: list[Any]) -> Any:
    """Indices (numpy) of the rows whose every cell is empty or whitespace.

    The rows blank in the first column are candidates; each further column keeps those
    whose cell is empty there, told by its byte length without touching the cells, or
    whitespace only, tested on the few candidates whose cell has bytes. Taking every
    candidate's cell from each column cost more than the whole test (Arrow looks up the
    chunks of a chunked column again for every take).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from sentra.ingest.normalise import nonblank

    maybe = np.flatnonzero(~nonblank(cols[0]).to_numpy(zero_copy_only=False))
    for c in cols[1:]:
        if not len(maybe):
            break
        lengths = pc.fill_null(pc.binary_length(c), 0).to_numpy(zero_copy_only=False)[maybe]
        still = lengths == 0
        if not still.all():
            cells = c.take(pa.array(maybe[~still]))
            still[~still] = ~nonblank(cells).to_numpy(zero_copy_only=False)
        maybe = maybe[still]
    return maybe


FEW_CELLS = 64  # up to this many rows, cells are read one by one instead of taken


def _cells_at(column: Any, rows: Any) -> list[Any]:
    """The cells of ``rows`` (numpy indices) of an Arrow column, as Python values.

    A take from a chunked column costs a few milliseconds however few rows it takes;
    reading a handful of cells one by one costs microseconds.
    """
    import pyarrow as pa

    if len(rows) <= FEW_CELLS:
        return [column[int(i)].as_py() for i in rows]
    return column.take(pa.array(rows)).to_pylist()


def _may_start_like(column: Any, text: str) -> Any:
    """Cells (numpy mask) that may equal ``text`` once trimmed and lower-cased.

    Such a cell starts with the text's first letter in either case, with whitespace or
    with a non-ASCII character: a test of one byte per cell.
    """
    import numpy as np

    from sentra.ingest.normalise import edge_bytes

    chunks = column.chunks if hasattr(column, "chunks") else [column]
    if not text or not text[0].isascii() or not chunks:
        return np.ones(len(column), dtype=bool)
    lower, upper = ord(text[0].lower()), ord(text[0].upper())
    masks = []
    for chunk in chunks:  # np.isin would cost more than the test itself on a small chunk
        first, _last, filled = edge_bytes(chunk)
        lead = (first == lower) | (first == upper) | (first <= 0x20) | (first >= 0x80)
        masks.append(filled & lead)
    return np.concatenate(masks)


# --------------------------------------------------------------------- json


def read_json(data: bytes, settings: Settings) -> list[RawTable]:
    text, _ = decode(data)
    try:
        payload = json.loads(text)
    except RecursionError as exc:
        raise ReadError("file_unreadable", "JSON bersarang terlalu dalam") from exc
    except json.JSONDecodeError as exc:
        raise ReadError("file_unreadable", f"JSON tidak sah pada baris {exc.lineno}") from exc
    if isinstance(payload, dict):
        for key in ("data", "rows", "records", "sentra", "items"):
            if isinstance(payload.get(key), list):
                payload = payload[key]
                break
    if not isinstance(payload, list):
        raise ReadError("header_not_found", "JSON harus berupa daftar rekaman atau {'data': [...]}")
    if len(payload) > settings.max_rows:
        raise ReadError("too_many_rows", f"{len(payload):,} > {settings.max_rows:,}")
    keys: list[str] = []
    for rec in payload:
        if isinstance(rec, dict):
            keys.extend(k for k in rec if k not in keys)
            if len(keys) > settings.max_columns:
                raise ReadError("too_many_columns", f"lebih dari {settings.max_columns:,} kunci")
    mapping = map_headers(keys)
    table = RawTable(sheet=None, header_row=None, mapping=mapping)
    kept: list[list[Any]] = []
    for i, rec in enumerate(payload, start=1):
        if not isinstance(rec, dict):
            kept.append([None] * len(keys))  # kept: becomes a rejected row
            table.row_numbers.append(i)
            continue
        cells = [_json_cell(rec.get(k)) for k in keys]
        if all(is_blank(c) for c in cells):
            table.skipped.append(SkippedRow(None, i, "blank"))
            continue
        kept.append(cells)
        table.row_numbers.append(i)
    for j in [*mapping.columns, *mapping.unmapped_index]:
        table.columns[j] = [cells[j] for cells in kept]
    return [table]


def _json_cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:200]
    return value


def read_tables(data: bytes, fmt: str, settings: Settings) -> list[RawTable]:
    if fmt in ("xlsx", "xls"):
        return read_workbook(data, settings)
    if fmt == "json":
        return read_json(data, settings)
    return read_csv_text(data, settings)


__all__ = ["RawTable", "ReadError", "SkippedRow", "UnsafeFileError", "read_tables"]
