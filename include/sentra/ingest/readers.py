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
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from sentra.config import Settings
from sentra.ingest.headers import (
    COORDINATES,
    HeaderMapping,
    canonical_of,
    header_score,
    map_headers,
)
from sentra.ingest.normalise import is_blank
from sentra.ingest.safety import UnsafeFileError

HEADER_SEARCH_ROWS = 30
MIN_HEADER_SCORE = 3
_TOTALS = re.compile(r"^\s*(jumlah|total|jml\.?|grand total|sub ?total)\b", re.I)
_INSTRUCTION_SHEETS = re.compile(r"petunjuk|panduan|instruksi|keterangan|readme|cara", re.I)


@dataclass
class SkippedRow:
    sheet: str | None
    source_row: int
    kind: str  # blank | totals | repeated_header


@dataclass
class RawTable:
    """One sheet (or the whole CSV/JSON): mapped header and its data rows."""

    sheet: str | None
    header_row: int | None
    mapping: HeaderMapping
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (source_row, cells)
    skipped: list[SkippedRow] = field(default_factory=list)


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


def _is_totals(cells: list[Any], mapping: HeaderMapping) -> bool:
    name_idx = next((i for i, c in mapping.columns.items() if c == "sentra_name"), None)
    candidates = []
    if name_idx is not None and name_idx < len(cells) and isinstance(cells[name_idx], str):
        candidates.append(cells[name_idx])
    first_text = next((c for c in cells if isinstance(c, str) and c.strip()), None)
    if first_text is not None:
        candidates.append(first_text)
    if not any(_TOTALS.match(c) for c in candidates):
        return False
    # A real sentra named "Jumlah ..." would carry a region and a commodity.
    identity = [i for i, c in mapping.columns.items() if c in ("region_code", "commodity")]
    return all(i >= len(cells) or is_blank(cells[i]) for i in identity)


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


def table_from_grid(
    grid: list[list[Any]], row_numbers: list[int], sheet: str | None, settings: Settings
) -> RawTable | None:
    """Find the header and split a grid into data rows and listed non-data rows."""
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
    mapping = map_headers(header)
    table = RawTable(sheet=sheet, header_row=row_numbers[h], mapping=mapping)
    # A repeated header repeats the header's own texts; comparing those is cheap, where
    # folding every data cell against all spellings is not.
    header_text = {i: str(header[i]).strip().lower() for i in mapping.columns}
    needed = max(MIN_HEADER_SCORE, len(header_text) // 2)
    for idx in range(first_data, len(grid)):
        cells = grid[idx]
        number = row_numbers[idx]
        if all(is_blank(c) for c in cells):
            table.skipped.append(SkippedRow(sheet, number, "blank"))
            continue
        if header_text and _repeats_header(cells, header_text, needed):
            table.skipped.append(SkippedRow(sheet, number, "repeated_header"))
            continue
        if _is_totals(cells, mapping):
            table.skipped.append(SkippedRow(sheet, number, "totals"))
            continue
        table.rows.append((number, cells))
    return table


# --------------------------------------------------------------------- xlsx


def read_workbook(data: bytes, settings: Settings) -> list[RawTable]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several exception types for damaged files
        message = str(exc)
        if "password" in message.lower() or "encrypt" in message.lower():
            raise ReadError("encrypted_file", message) from exc
        raise ReadError("file_unreadable", message) from exc
    tables = []
    for name in wb.sheet_names:
        try:
            sheet = wb.get_sheet_by_name(name)
            if sheet.height > settings.max_rows + HEADER_SEARCH_ROWS:
                raise ReadError("too_many_rows", f"sheet '{name}': {sheet.height:,} rows")
            if sheet.width > settings.max_columns:
                raise ReadError("too_many_columns", f"sheet '{name}': {sheet.width:,} columns")
            grid = sheet.to_python(skip_empty_area=False)
        except ReadError:
            raise
        except Exception as exc:  # a damaged sheet
            raise ReadError("file_unreadable", f"sheet '{name}': {exc}") from exc
        numbers = list(range(1, len(grid) + 1))
        table = table_from_grid(grid, numbers, name, settings)
        if table is not None and not (_INSTRUCTION_SHEETS.search(name) and not table.rows):
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
    """The delimiter that splits the first lines into the most consistent columns."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    best, best_key = ";", (-1, -1)
    for delim in (";", ",", "\t", "|"):
        counts = [len(next(csv.reader([ln], delimiter=delim))) for ln in lines]
        if not counts:
            continue
        common = max(set(counts), key=counts.count)
        key = (counts.count(common) if common > 1 else 0, common)
        if key > best_key:
            best, best_key = delim, key
    return best


def read_csv_text(data: bytes, settings: Settings) -> list[RawTable]:
    # Cells up to the file size limit parse; cell_too_long then flags them per row.
    csv.field_size_limit(max(settings.max_file_bytes, 131_072))
    text, _encoding = decode(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    grid: list[list[Any]] = []
    numbers: list[int] = []
    line = 0
    try:
        for cells in reader:
            start = line + 1
            line = reader.line_num
            grid.append(cells)
            numbers.append(start)
            if len(grid) > settings.max_rows + HEADER_SEARCH_ROWS:
                raise ReadError("too_many_rows", f"more than {settings.max_rows:,} rows")
    except csv.Error as exc:
        raise ReadError("file_unreadable", f"line {line + 1}: {exc}") from exc
    table = table_from_grid(grid, numbers, None, settings)
    return [table] if table is not None else []


# --------------------------------------------------------------------- json


def read_json(data: bytes, settings: Settings) -> list[RawTable]:
    text, _ = decode(data)
    try:
        payload = json.loads(text)
    except RecursionError as exc:
        raise ReadError("file_unreadable", "JSON nested too deeply") from exc
    except json.JSONDecodeError as exc:
        raise ReadError("file_unreadable", f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if isinstance(payload, dict):
        for key in ("data", "rows", "records", "sentra", "items"):
            if isinstance(payload.get(key), list):
                payload = payload[key]
                break
    if not isinstance(payload, list):
        raise ReadError("header_not_found", "JSON must be a list of records or {'data': [...]}")
    if len(payload) > settings.max_rows:
        raise ReadError("too_many_rows", f"{len(payload):,} > {settings.max_rows:,}")
    keys: list[str] = []
    for rec in payload:
        if isinstance(rec, dict):
            keys.extend(k for k in rec if k not in keys)
            if len(keys) > settings.max_columns:
                raise ReadError("too_many_columns", f"more than {settings.max_columns:,} keys")
    mapping = map_headers(keys)
    table = RawTable(sheet=None, header_row=None, mapping=mapping)
    for i, rec in enumerate(payload, start=1):
        if not isinstance(rec, dict):
            table.rows.append((i, [None] * len(keys)))  # kept: becomes a rejected row
            continue
        cells = [_json_cell(rec.get(k)) for k in keys]
        if all(is_blank(c) for c in cells):
            table.skipped.append(SkippedRow(None, i, "blank"))
            continue
        table.rows.append((i, cells))
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
