"""File safety checks that run before any parser touches the bytes.

A zip bomb, an encrypted workbook, junk with an ``.xlsx`` name or a file escaping the
landing root must end as a clear rejection of that one submission, in bounded time
and memory, never as a crash of the worker.
"""

from __future__ import annotations

import io
import lzma
import os
import re
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

from sentra.config import Settings

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
SUPPORTED = {".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".json"}


class UnsafeFileError(Exception):
    """A file refused before parsing; ``code`` is a key of ``sentra.schema.REASONS``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def check_within_root(path: Path, root: Path) -> None:
    """Refuse a path that leaves the landing root (``..``, absolute, or a symlink out)."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real, real_root]) != real_root:
        raise UnsafeFileError("outside_landing", f"{path} mengarah ke {real}, di luar {root}")


def extension(file_name: str) -> str:
    return os.path.splitext(file_name)[1].lower()


def check_bytes(data: bytes, file_name: str, settings: Settings) -> str:
    """Validate size, type and container; returns the format to parse (xlsx, xls, csv, json)."""
    ext = extension(file_name)
    if ext not in SUPPORTED:
        raise UnsafeFileError("unsupported_type", ext or "(tanpa ekstensi)")
    if len(data) > settings.max_file_bytes:
        raise UnsafeFileError(
            "file_too_large", f"{len(data):,} > {settings.max_file_bytes:,} bytes"
        )
    if re.fullmatch(rb"\s*", data[:4096]) and not data.strip():
        raise UnsafeFileError("file_empty", file_name)
    if ext in (".xlsx", ".xlsm"):
        if data.startswith(OLE_MAGIC):
            if (
                b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e"
                in data
            ):
                raise UnsafeFileError("encrypted_file", file_name)
            raise UnsafeFileError(
                "file_unreadable", f"{file_name} is an old-format or protected Office file"
            )
        if not data.startswith(ZIP_MAGIC):
            raise UnsafeFileError("file_unreadable", f"{file_name} bukan berkas Excel")
        _check_zip(data, file_name, settings)
        return "xlsx"
    if ext == ".xls":
        if not data.startswith(OLE_MAGIC):
            raise UnsafeFileError(
                "file_unreadable", f"{file_name} is not an Excel 97-2003 workbook"
            )
        return "xls"
    if ext == ".json":
        return "json"
    head = data[:4096]
    # A stray NUL in a cell is cleaned later; many NULs mean this is not a text file
    # (UTF-16 without a BOM, or binary data with a .csv name).
    if head.count(b"\x00") > len(head) // 10 and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsafeFileError("file_unreadable", f"{file_name} berisi data biner, bukan teks")
    return "csv"


def _check_zip(data: bytes, file_name: str, settings: Settings) -> None:
    """Bound the uncompressed size and ratio from the central directory, before unzipping,
    then the grid of every sheet (:func:`_check_sheet_grids`), on the one open archive."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_DAMAGE as exc:  # NotImplementedError: an unknown zip version (fuzzing)
        raise _damaged(file_name, exc) from exc
    with zf:
        _check_directory(zf.infolist(), file_name, settings)
        _check_sheet_grids(zf, file_name, settings)


def _damaged(file_name: str, exc: BaseException) -> UnsafeFileError:
    return UnsafeFileError("file_unreadable", f"{file_name} rusak atau terpotong")


def _check_directory(infos: list[zipfile.ZipInfo], file_name: str, settings: Settings) -> None:
    total = sum(i.file_size for i in infos)
    if total > settings.max_uncompressed_bytes:
        raise UnsafeFileError("zip_bomb", f"{total:,} bita setelah diekstrak")
    compressed = sum(i.compress_size for i in infos) or 1
    if total / compressed > settings.max_compression_ratio and total > 10 * 1024 * 1024:
        raise UnsafeFileError("zip_bomb", f"rasio kompresi {total / compressed:,.0f}:1")
    names = {i.filename for i in infos}
    if "EncryptedPackage" in names:
        raise UnsafeFileError("encrypted_file", file_name)
    if "[Content_Types].xml" not in names:
        raise UnsafeFileError("file_unreadable", f"{file_name} berkas zip, bukan berkas Excel")


# What zipfile raises for a damaged archive or member: an unknown version or method
# (NotImplementedError), a broken deflate, bzip2 (OSError) or LZMA stream.
_ZIP_DAMAGE = (
    zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, OSError, zlib.error,
    lzma.LZMAError,
)  # fmt: skip
EXCEL_LAST_ROW, EXCEL_LAST_COLUMN = 1_048_576, 16_384
_SCAN_BYTES = 16 * 1024 * 1024  # a part's XML is scanned in pieces of this size
_OVERLAP = 32  # bytes carried into the next piece: a reference with its ' r = "' fits


def _check_sheet_grids(zf: zipfile.ZipFile, file_name: str, settings: Settings) -> None:
    """Refuse a workbook whose cells lie so far apart that reading it would exhaust memory.

    calamine lays a sheet out as one dense grid from its first to its last cell, 32
    bytes a cell, and aborts the whole process when that allocation fails: two values
    in A1 and XFD1048576 (a 2 KB file) ask for 550 GB (calamine issue #693; found
    here by fuzzing). Every part's ``r`` attributes (cell and row references) are
    scanned before calamine sees the file, and a grid above ``max_sheet_cells`` is a
    rejection that names the cell to delete. Conservative: a blank styled cell counts
    as far as a value would.
    """
    limit = settings.max_sheet_cells
    try:
        for info in zf.infolist():
            if info.flag_bits & 0x1:  # zipfile would raise RuntimeError to open it
                raise UnsafeFileError("encrypted_file", f"{file_name}: {info.filename}")
            with zf.open(info) as part:
                rows, columns = part_extent(part)
            if rows * columns > limit:
                raise UnsafeFileError("sheet_too_large", _grid_detail(rows, columns, limit))
    except _ZIP_DAMAGE as exc:
        raise _damaged(file_name, exc) from exc


def part_extent(part: IO[bytes], piece_bytes: int = _SCAN_BYTES) -> tuple[int, int]:
    """:func:`far_corner` of a whole part, read ``piece_bytes`` at a time (bounded memory)."""
    rows, columns, text = 0, 0, b""
    while piece := part.read(piece_bytes):
        # The end of the previous piece gives a reference cut at this piece's start its
        # beginning. One cut at a piece's end is read there as a prefix of itself,
        # which names a smaller row or column (bijective base 26 and decimal): the
        # maximum is found whole with the next piece.
        text = text[-_OVERLAP:] + piece
        r, c = far_corner(text)
        rows, columns = max(rows, r), max(columns, c)
    return rows, columns


def _grid_detail(rows: int, columns: int, limit: int) -> str:
    """The corner to look for in Excel (Ctrl+G), and the sizes, for the office's report."""
    if rows > EXCEL_LAST_ROW or columns > EXCEL_LAST_COLUMN:
        return f"referensi sel melewati XFD{EXCEL_LAST_ROW} (batas {limit:,} sel)"
    from xlsxwriter.utility import xl_col_to_name  # 0 → A, 16383 → XFD

    corner = f"{xl_col_to_name(columns - 1)}{rows}"
    return f"A1:{corner} = {rows:,} x {columns:,} sel > {limit:,}"


def far_corner(xml: bytes) -> tuple[int, int]:
    """(last row, last column) named by the ``r="B12"`` / ``r="12"`` attributes in ``xml``.

    What calamine reads as a reference: the attribute ``r`` after whitespace, ``=``
    with up to two whitespace bytes either side, single or double quotes, letters in
    either case. A reference beyond Excel's grid (four letters, eight digits) or one
    written with a character reference counts as beyond any limit. numpy over the
    bytes: a 100k-row sheet (85 MB of XML) is inflated and scanned in ~0.4 s, where a
    regex search alone took 0.4-0.8 s.
    """
    import numpy as np

    a = np.frombuffer(xml, dtype=np.uint8)
    pad = np.concatenate([a, np.zeros(_OVERLAP, dtype=np.uint8)])
    beyond = EXCEL_LAST_ROW * EXCEL_LAST_COLUMN + 1

    def spaced(at: Any) -> Any:
        byte = pad[at]
        return (byte == 0x20) | (byte == 0x09) | (byte == 0x0A) | (byte == 0x0D)

    def skip_spaces(at: Any, step: int) -> Any:
        # Whitespace around "=" is legal XML and rare: only those positions move.
        for _ in range(2):
            odd = spaced(at)
            if not odd.any():
                break
            at = np.where(odd, at + step, at)
        return at

    eq = np.flatnonzero(a[3:] == 0x3D) + 3  # "=" with room for " r" (and two spaces) before
    r_at = skip_spaces(eq - 1, -1)
    named = pad[r_at] == 0x72
    eq, r_at = eq[named], r_at[named]
    eq = eq[spaced(r_at - 1)]
    value = skip_spaces(eq + 1, 1)
    quote = pad[value]
    value = value[(quote == 0x22) | (quote == 0x27)] + 1
    if not len(value):
        return 0, 0
    letters = np.zeros(len(value), dtype=np.int64)
    going = np.ones(len(value), dtype=bool)
    for k in range(4):
        folded = pad[value + k] | 0x20  # lower case, as calamine also reads it
        going &= (folded >= 0x61) & (folded <= 0x7A)
        letters += going
    start = value + letters
    digits = np.zeros(len(value), dtype=np.int64)
    going[:] = True
    for k in range(8):
        byte = pad[start + k]
        going &= (byte >= 0x30) & (byte <= 0x39)
        digits += going
    if (letters > 3).any() or (digits > 7).any() or (pad[value] == 0x26).any():  # 0x26: "&"
        return beyond, beyond
    widest = int(letters.max())
    column = np.zeros(int((letters == widest).sum()), dtype=np.int64)
    for k in range(widest):
        column = column * 26 + (pad[value[letters == widest] + k] | 0x20) - 0x60
    deepest = int(digits.max())
    row = np.zeros(int((digits == deepest).sum()), dtype=np.int64)
    for k in range(deepest):
        row = row * 10 + pad[start[digits == deepest] + k] - 0x30
    return (int(row.max()) if deepest else 0), (int(column.max()) if widest else 0)
