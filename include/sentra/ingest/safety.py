"""File safety checks that run before any parser touches the bytes.

A zip bomb, an encrypted workbook, junk with an ``.xlsx`` name or a file escaping the
landing root must end as a clear rejection of that one submission, in bounded time
and memory, never as a crash of the worker.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

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
        raise UnsafeFileError("outside_landing", f"{path} resolves to {real}, outside {root}")


def extension(file_name: str) -> str:
    return os.path.splitext(file_name)[1].lower()


def check_bytes(data: bytes, file_name: str, settings: Settings) -> str:
    """Validate size, type and container; returns the format to parse (xlsx, xls, csv, json)."""
    ext = extension(file_name)
    if ext not in SUPPORTED:
        raise UnsafeFileError("unsupported_type", ext or "(no extension)")
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
            raise UnsafeFileError("file_unreadable", f"{file_name} is not an Excel workbook")
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
        raise UnsafeFileError("file_unreadable", f"{file_name} contains binary data, not text")
    return "csv"


def _check_zip(data: bytes, file_name: str, settings: Settings) -> None:
    """Bound the uncompressed size and ratio from the central directory, before unzipping."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise UnsafeFileError(
            "file_unreadable", f"{file_name} is damaged or truncated ({exc})"
        ) from exc
    total = sum(i.file_size for i in infos)
    if total > settings.max_uncompressed_bytes:
        raise UnsafeFileError("zip_bomb", f"{total:,} bytes uncompressed")
    compressed = sum(i.compress_size for i in infos) or 1
    if total / compressed > settings.max_compression_ratio and total > 10 * 1024 * 1024:
        raise UnsafeFileError("zip_bomb", f"compression ratio {total / compressed:,.0f}:1")
    names = {i.filename for i in infos}
    if "EncryptedPackage" in names:
        raise UnsafeFileError("encrypted_file", file_name)
    if "[Content_Types].xml" not in names:
        raise UnsafeFileError("file_unreadable", f"{file_name} is a zip but not an Excel workbook")
