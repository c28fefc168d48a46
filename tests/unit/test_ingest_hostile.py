"""Hostile and broken files: each ends as a clear, specific verdict in bounded time and memory.

Every case is generated here. A file-level problem must become a ``file_error`` with the
right reason code (never an exception); a row-level trick must be kept as data and,
where it is dangerous downstream (formulas, markup), rejected with its own reason and
blanked (``test_formula_and_markup_cells_are_rejected_and_never_kept``).
"""

from __future__ import annotations

import csv
import io
import json
import resource
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import hypothesis
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st
from xlsxwriter.utility import xl_col_to_name

from sentra.config import get_settings
from sentra.ingest import read_submission
from sentra.ingest.safety import (
    EXCEL_LAST_COLUMN,
    EXCEL_LAST_ROW,
    UnsafeFileError,
    check_within_root,
    far_corner,
    part_extent,
)

HEADER = ["Nama Sentra", "Kab/Kota", "Komoditas", "Jumlah Unit Usaha", "Tenaga Kerja", "Status"]
GOOD_ROW = ["Sentra Gerabah Kasongan", "34.02", "Gerabah", "25", "40", "Aktif"]


def csv_bytes(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], *, sheet: str = "Data", formulas: bool = True) -> bytes:
    """An XLSX of ``rows``; text starting with '=' is a formula cell unless ``formulas``
    is false (then it is a text cell, as a clerk typing '=1+1 into Excel gets)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if formulas and isinstance(value, str) and value.startswith("="):
                ws.write_formula(r, c, value)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return buf.getvalue()


def zip_bomb() -> bytes:
    """A tiny workbook-shaped zip whose sheet expands to 3 GB (never decompressed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        zf.writestr(info, b"")
    data = bytearray(buf.getvalue())
    # Patch the central directory's uncompressed size of the sheet to 3 GB.
    marker = data.rfind(b"PK\x01\x02")
    while marker != -1:
        name_len = int.from_bytes(data[marker + 28 : marker + 30], "little")
        name = bytes(data[marker + 46 : marker + 46 + name_len])
        if name.endswith(b"sheet1.xml"):
            data[marker + 24 : marker + 28] = (3 * 1024**3 - 1).to_bytes(4, "little")
        marker = data.rfind(b"PK\x01\x02", 0, marker)
    return bytes(data)


def encrypted_ooxml() -> bytes:
    """What Excel writes for a password-protected .xlsx: an OLE2 file with EncryptedPackage."""
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + "EncryptedPackage".encode("utf-16-le")
        + b"\x00" * 1024
    )


def _plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    return buf.getvalue()


def far_cell_xlsx(rewrite: tuple[bytes, bytes] | None = None) -> bytes:
    """A 2 KB workbook with one value in XFD1048576, the grid's last cell: calamine lays
    the sheet out densely from A1 and aborts the process asking for 550 GB.

    ``rewrite`` changes how the reference is written in the sheet XML (case, quotes,
    whitespace), as other writers or a hand edit may."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Data")
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, GOOD_ROW)
    ws.write(1_048_575, 16_383, "catatan")
    wb.close()
    if rewrite is None:
        return buf.getvalue()
    return _rewrite_part(buf.getvalue(), "xl/worksheets/sheet1.xml", *rewrite)


def _rewrite_part(data: bytes, part: str, old: bytes, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            content = src.read(name)
            if name == part:
                assert old in content, f"{old!r} not in {part}"
                content = content.replace(old, new)
            dst.writestr(name, content)
    return out.getvalue()


def same_sheet_listed_twice() -> bytes:
    """workbook.xml naming the one sheet twice (found by fuzzing): calamine lists "Data"
    twice and returns the same sheet for both, so every row would be read twice."""
    data = xlsx_bytes([HEADER, GOOD_ROW])
    sheet = b'<sheet name="Data" sheetId="1" r:id="rId1"/>'
    return _rewrite_part(data, "xl/workbook.xml", sheet, sheet * 2)


def zip_of_unknown_version() -> bytes:
    """A workbook whose central directory asks for zip version 24.9 (found by fuzzing):
    Python's zipfile raises NotImplementedError, not BadZipFile."""
    data = bytearray(xlsx_bytes([HEADER, GOOD_ROW]))
    marker = data.find(b"PK\x01\x02")
    data[marker + 6 : marker + 8] = (249).to_bytes(2, "little")
    return bytes(data)


def zip_with_encrypted_members() -> bytes:
    """A workbook zipped with a password (the encryption flag on every member): opening a
    member raises RuntimeError in zipfile, which escaped the grid scan before."""
    data = bytearray(xlsx_bytes([HEADER, GOOD_ROW]))
    for magic, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(magic)
        while at != -1:
            data[at + flag_at] |= 1
            at = data.find(magic, at + 4)
    return bytes(data)


def damaged_lzma_member() -> bytes:
    """A zip whose sheet is LZMA-compressed and damaged: zipfile raises lzma.LZMAError,
    which is none of the usual zip errors."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_LZMA) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>" * 50)
        zf.writestr("xl/worksheets/sheet1.xml", "<row r='1'/>" * 500)
    data = bytearray(buf.getvalue())
    at = data.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    for k in range(at + 20, at + 60):
        data[k] ^= 0x5A
    return bytes(data)


def json_bomb(depth: int = 100_000) -> bytes:
    return ("[" * depth + "]" * depth).encode()


# (name, file name, bytes factory, expected file error code or None)
FILE_CASES: list[tuple[str, str, Callable[[], bytes], str | None]] = [
    ("empty", "a.csv", lambda: b"", "file_empty"),
    ("whitespace only", "a.csv", lambda: b"  \r\n \n", "file_empty"),
    ("binary junk named xlsx", "a.xlsx", lambda: bytes(range(256)) * 64, "file_unreadable"),
    ("truncated xlsx", "a.xlsx", lambda: xlsx_bytes([HEADER, GOOD_ROW])[:300], "file_unreadable"),
    ("password protected xlsx", "a.xlsx", encrypted_ooxml, "encrypted_file"),
    ("zip bomb", "a.xlsx", zip_bomb, "zip_bomb"),
    ("zip that is not a workbook", "a.xlsx", _plain_zip, "file_unreadable"),
    ("zip of an unknown version", "a.xlsx", zip_of_unknown_version, "file_unreadable"),
    ("one sheet listed twice", "a.xlsx", same_sheet_listed_twice, "file_unreadable"),
    ("zip with password-protected members", "a.xlsx", zip_with_encrypted_members, "encrypted_file"),
    ("damaged LZMA member", "a.xlsx", damaged_lzma_member, "file_unreadable"),
    ("value in the last cell XFD1048576", "a.xlsx", far_cell_xlsx, "sheet_too_large"),
    (
        "far cell, reference in lower case",
        "a.xlsx",
        lambda: far_cell_xlsx((b'r="XFD1048576"', b'r="xfd1048576"')),
        "sheet_too_large",
    ),
    (
        "far cell, single quotes and spaces around =",
        "a.xlsx",
        lambda: far_cell_xlsx((b' r="XFD1048576"', b"\n r = 'XFD1048576'")),
        "sheet_too_large",
    ),
    (
        "far cell beyond Excel's grid",
        "a.xlsx",
        lambda: far_cell_xlsx((b'r="XFD1048576"', b'r="AAAA99999999"')),
        "sheet_too_large",
    ),
    ("binary in csv", "a.csv", lambda: b"\x00\x01\x02" * 500, "file_unreadable"),
    ("unknown extension", "a.pdf", lambda: b"%PDF-1.4", "unsupported_type"),
    ("no extension", "laporan", lambda: b"abc", "unsupported_type"),
    ("executable named csv", "a.exe", lambda: b"MZ\x90\x00", "unsupported_type"),
    ("header only", "a.csv", lambda: csv_bytes([HEADER]), "no_data_rows"),
    (
        "title only, no header",
        "a.csv",
        lambda: csv_bytes([["DATA SENTRA IKM"], ["Tahun 2026"]]),
        "header_not_found",
    ),
    (
        "missing commodity column",
        "a.csv",
        lambda: csv_bytes([[h for h in HEADER if h != "Komoditas"], GOOD_ROW[:2] + GOOD_ROW[3:]]),
        "missing_required_columns",
    ),
    (
        "duplicate headers",
        "a.csv",
        lambda: csv_bytes([[*HEADER, "Nama Sentra IKM"], [*GOOD_ROW, "Lain"]]),
        "duplicate_columns",
    ),
    (
        "10,000 columns",
        "a.csv",
        lambda: csv_bytes([HEADER + [f"X{i}" for i in range(10_000)], GOOD_ROW]),
        "too_many_columns",
    ),
    ("invalid json", "a.json", lambda: b'{"data": [', "file_unreadable"),
    ("json nesting bomb", "a.json", json_bomb, "file_unreadable"),
    ("json scalar", "a.json", lambda: b"42", "header_not_found"),
    ("json wrong shape", "a.json", lambda: json.dumps({"x": 1}).encode(), "header_not_found"),
    ("empty xlsx", "a.xlsx", lambda: xlsx_bytes([]), "header_not_found"),
]


def _read(data: bytes, name: str = "a.csv", settings=None):
    return read_submission(
        data,
        file_name=name,
        office_code="34.02",
        census_year=2026,
        submission_id="2026-34.02-test",
        settings=settings,
    )


@pytest.mark.parametrize(
    ("case", "name", "factory", "code"), FILE_CASES, ids=[c[0] for c in FILE_CASES]
)
def test_broken_file_is_a_specific_rejection_in_bounded_time(case, name, factory, code):
    data = factory()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = _read(data, name)
    elapsed = time.perf_counter() - start
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert elapsed < 10, f"{case} took {elapsed:.1f}s"
    assert grown_mb < 300, f"{case} grew peak memory by {grown_mb:.0f} MB"
    if code is None:
        assert result.file_error is None
        assert len(result.rows) == 0
    else:
        assert result.file_error is not None, f"{case} was not rejected"
        assert result.file_error.code == code, result.file_error
        assert result.file_error.message_id, "the office gets an Indonesian message"


@pytest.mark.parametrize("line_end", [b"\r\n", b"\n"], ids=["crlf", "lf"])
def test_too_many_rows_is_refused(tmp_path, line_end):
    # CRLF files have their lines counted before reading; LF-only files without quotes
    # are checked on Arrow's row count after reading: both must refuse.
    settings = get_settings({"SENTRA_DATA_DIR": str(tmp_path), "SENTRA_MAX_ROWS": "50"})
    data = csv_bytes([HEADER] + [GOOD_ROW] * 200).replace(b"\r\n", line_end)
    result = _read(data, settings=settings)
    assert result.file_error.code == "too_many_rows"


def test_file_over_size_limit_is_refused(tmp_path):
    settings = get_settings({"SENTRA_DATA_DIR": str(tmp_path), "SENTRA_MAX_FILE_BYTES": "1000"})
    result = _read(csv_bytes([HEADER] + [GOOD_ROW] * 100), settings=settings)
    assert result.file_error.code == "file_too_large"


def test_a_stray_value_far_below_the_table_is_read_or_refused_by_the_grid_limit(tmp_path):
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Data")
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, GOOD_ROW)
    ws.write(199_999, 0, "catatan")  # A200000: 200,000 x 6 cells, well inside the limit
    wb.close()
    result = _read(buf.getvalue(), "a.xlsx")
    assert result.file_error is None
    # "catatan" opens a note below the table: listed as such, not read as a sentra.
    assert result.rows["sentra_name"].tolist() == [GOOD_ROW[0]]
    assert result.rows["source_row"].tolist() == [2]
    assert [(s.source_row, s.kind) for s in result.skipped_rows][-1] == (200_000, "note")
    assert result.rows_seen == len(result.rows) + len(result.skipped_rows)

    small = get_settings({"SENTRA_DATA_DIR": str(tmp_path), "SENTRA_MAX_SHEET_CELLS": "1000"})
    refused = _read(buf.getvalue(), "a.xlsx", settings=small)
    assert refused.file_error.code == "sheet_too_large"
    assert "A1:F200000" in refused.file_error.message_id  # the cell to look for in Excel


_REFS = st.lists(
    st.tuples(st.integers(1, EXCEL_LAST_ROW), st.integers(1, EXCEL_LAST_COLUMN)),
    min_size=1,
    max_size=30,
)


@hypothesis.settings(deadline=None)
@given(_REFS, st.integers(40, 400), st.sampled_from(['"', "'"]))
def test_the_grid_scan_finds_the_farthest_reference_in_pieces_of_any_size(refs, piece, quote):
    xml = "".join(
        f'<row r={quote}{r}{quote} spans="1:3"><c r={quote}{xl_col_to_name(c - 1)}{r}{quote} s="1" '
        f'r:id="rId{c}"><v>{c * 7}</v></c></row>'
        for r, c in refs
    ).encode()
    expected = (max(r for r, _ in refs), max(c for _, c in refs))
    assert far_corner(xml) == expected
    assert part_extent(io.BytesIO(xml), piece_bytes=piece) == expected


# ------------------------------------------------------------ row-level tricks

ROW_CASES: list[tuple[str, list[str], Callable]] = [
    (
        "plus signs on counts",  # found by fuzzing: Arrow's int cast failed the whole file
        [*GOOD_ROW[:3], "+25", "+40", GOOD_ROW[5]],
        lambda r: (r["units"], r["workers"], r["problems"]) == (25, 40, []),
    ),
    (
        "sql-looking name",
        ["x'; DROP TABLE sentra;--", *GOOD_ROW[1:]],
        lambda r: r["sentra_name"] == "x'; DROP TABLE sentra;--",
    ),
    (
        "zero-width characters",
        ["Sentra\u200b Gerabah\u200d", *GOOD_ROW[1:]],
        lambda r: r["sentra_name"] == "Sentra Gerabah",
    ),
    (
        "right-to-left mark",
        ["\u202eSentra Gerabah", *GOOD_ROW[1:]],
        lambda r: r["sentra_name"] == "Sentra Gerabah",
    ),
    (
        "control characters",
        ["Sentra\x07 Gerabah\x00", *GOOD_ROW[1:]],
        lambda r: r["sentra_name"] == "Sentra Gerabah",
    ),
    (
        "unicode confusable digits in units",
        [*GOOD_ROW[:3], "２５", *GOOD_ROW[4:]],
        lambda r: "invalid_number" in _codes(r) or r["units"] == 25,
    ),
    (
        "1 MB cell",
        ["A" * 1_000_000, *GOOD_ROW[1:]],
        lambda r: "cell_too_long" in _codes(r) and len(r["sentra_name"]) <= 10_000,
    ),
    (
        "long cell of two-byte letters within the character limit",
        ["\u00e9" * 10_000, *GOOD_ROW[1:]],
        lambda r: "cell_too_long" not in _codes(r) and r["sentra_name"] == "\u00e9" * 10_000,
    ),
    (
        "cell of two-byte letters past the character limit",
        ["\u00e9" * 10_001, *GOOD_ROW[1:]],
        lambda r: "cell_too_long" in _codes(r) and r["sentra_name"] == "\u00e9" * 10_000,
    ),
    (
        "negative with unicode minus",
        [*GOOD_ROW[:3], "\u22125", *GOOD_ROW[4:]],
        lambda r: r["units"] == -5,
    ),
    (
        "words for numbers",
        [*GOOD_ROW[:3], "banyak", *GOOD_ROW[4:]],
        lambda r: "invalid_number" in _codes(r),
    ),
    (
        "decimal units",
        [*GOOD_ROW[:3], "12,5", *GOOD_ROW[4:]],
        lambda r: "not_integer" in _codes(r),
    ),
    (
        "unknown region",
        [GOOD_ROW[0], "Atlantis", *GOOD_ROW[2:]],
        lambda r: "invalid_region" in _codes(r),
    ),
    ("unknown status", [*GOOD_ROW[:5], "entahlah"], lambda r: "unknown_status" in _codes(r)),
]


def _codes(row) -> set[str]:
    return {p["code"] for p in row["problems"]}


@pytest.mark.parametrize(("case", "row", "check"), ROW_CASES, ids=[c[0] for c in ROW_CASES])
def test_hostile_cell_is_kept_as_data_and_flagged(case, row, check):
    result = _read(csv_bytes([HEADER, row, GOOD_ROW]))
    assert result.file_error is None
    assert len(result.rows) == 2, "the good row next to it is unaffected"
    first = result.rows.iloc[0]
    assert check(first), first.to_dict()
    assert result.rows.iloc[1]["problems"] == []


FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil","klik")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+SUM(A1:A3)",
    "\t=1+1",
    "\r=cmd|'/C notepad'!A1",
    "Sentra cmd|' /C calc'!A0",
]
MARKUP = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "Sentra Batik onerror=alert(1)",
    "javascript:alert(document.cookie)",
    "<b>Sentra</b> Batik",
]


@pytest.mark.parametrize(
    ("text", "code"),
    [*((f, "formula_in_cell") for f in FORMULAS), *((m, "markup_in_cell") for m in MARKUP)],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_and_markup_cells_are_rejected_and_never_kept(text, code, fmt):
    rows = [HEADER, [text, *GOOD_ROW[1:]], [*GOOD_ROW[:2], text, *GOOD_ROW[3:]], GOOD_ROW]
    result = (
        _read(csv_bytes(rows), "a.csv")
        if fmt == "csv"
        else _read(xlsx_bytes(rows, formulas=False), "a.xlsx")
    )
    assert result.file_error is None
    name_row, commodity_row, good = result.rows.to_dict("records")
    assert [(p["code"], p["column"], p["value"]) for p in name_row["problems"]] == [
        (code, "sentra_name", None)
    ]
    assert pd.isna(name_row["sentra_name"])
    assert [(p["code"], p["column"]) for p in commodity_row["problems"]] == [(code, "commodity")]
    assert pd.isna(commodity_row["commodity"])
    assert good["problems"] == []


@pytest.mark.parametrize(
    ("column", "text", "value"),
    [
        ("Jumlah Unit Usaha", "-5", -5),  # a negative number, rejected later as negative
        ("Jumlah Unit Usaha", "+25", 25),
        ("Nama Sentra", "- Sentra Batik", "- Sentra Batik"),
        ("Nama Sentra", "Sentra Batik (Kain) - Tulis", "Sentra Batik (Kain) - Tulis"),
        ("Nama Sentra", "Sentra <5 unit", "Sentra <5 unit"),
    ],
)
def test_signed_numbers_and_ordinary_text_are_not_formulas(column, text, value):
    row = list(GOOD_ROW)
    row[HEADER.index(column)] = text
    result = _read(csv_bytes([HEADER, row]), "a.csv")
    first = result.rows.iloc[0]
    assert not {"formula_in_cell", "markup_in_cell"} & _codes(first)
    field = {"Jumlah Unit Usaha": "units", "Nama Sentra": "sentra_name"}[column]
    assert first[field] == value


def test_header_without_data_rows_is_refused_as_no_data_rows():
    result = _read(csv_bytes([HEADER, ["", "", "", "", "", ""]]), "a.csv")
    assert result.file_error is not None
    assert result.file_error.code == "no_data_rows"
    assert "tidak ada baris data" in result.file_error.message_id


def test_xlsx_formula_cell_yields_its_value_not_the_formula():
    data = xlsx_bytes([HEADER, ['=HYPERLINK("http://evil","x")', *GOOD_ROW[1:]]])
    result = _read(data, "a.xlsx")
    assert result.file_error is None
    name = result.rows.iloc[0]["sentra_name"]
    assert name is None or not str(name).startswith("=")


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ";"), ("utf-8-sig", ","), ("cp1252", ";"), ("utf-16", "\t")],
)
def test_encodings_and_delimiters(encoding, delimiter):
    rows = [HEADER, ["Sentra Batik Café", *GOOD_ROW[1:]]]
    result = _read(csv_bytes(rows, delimiter=delimiter, encoding=encoding))
    assert result.file_error is None
    assert result.rows.iloc[0]["sentra_name"] == "Sentra Batik Café"
    assert result.rows.iloc[0]["units"] == 25


def test_mixed_delimiters_do_not_lose_rows():
    data = (
        ";".join(HEADER) + "\r\n" + ";".join(GOOD_ROW) + "\r\n" + ",".join(GOOD_ROW) + "\r\n"
    ).encode()
    result = _read(data)
    assert len(result.rows) == 2, "a row split by the wrong delimiter is still a row"
    wrong = result.rows.iloc[1]
    # Its required values are empty, so validation rejects it (missing_required). The
    # commodity may be read from the name cell, which holds the whole line.
    assert wrong[["region_code", "units"]].isna().all()
    assert "Gerabah" in wrong["sentra_name"]


@pytest.mark.parametrize("name", ["laporan sentra 2026.csv", "lapóran_séntra.csv", "данные.csv"])
def test_file_names_with_spaces_and_unicode(name):
    result = _read(csv_bytes([HEADER, GOOD_ROW]), name)
    assert result.file_error is None
    assert result.rows.iloc[0]["source_file"] == name


def test_path_traversal_and_symlinks_out_of_landing_are_refused(tmp_path):
    root = tmp_path / "landing"
    (root / "2026" / "34.02").mkdir(parents=True)
    outside = tmp_path / "secret.csv"
    outside.write_text("x")
    link = root / "2026" / "34.02" / "link.csv"
    link.symlink_to(outside)
    with pytest.raises(UnsafeFileError, match="outside"):
        check_within_root(link, root)
    with pytest.raises(UnsafeFileError, match="outside"):
        check_within_root(root / "2026" / ".." / ".." / "secret.csv", root)
    check_within_root(root / "2026" / "34.02" / "ok.csv", root)


def test_symlinked_landing_file_becomes_a_rejected_submission(tmp_path):
    from sentra.landing import discover_and_record
    from sentra.ledger.db import migrate, session_scope

    settings = get_settings({"SENTRA_DATA_DIR": str(tmp_path / "data")})
    migrate(settings)
    office = Path(settings.landing_uri) / "2026" / "34.02"
    office.mkdir(parents=True)
    (office / "good.csv").write_bytes(csv_bytes([HEADER, GOOD_ROW]))
    secret = tmp_path / "passwd.csv"
    secret.write_text("root:x:0:0")
    (office / "evil.csv").symlink_to(secret)
    result = discover_and_record(settings, 2026, lambda: session_scope(settings))
    problems = {p.file_name: p.problem for p in result.problems}
    assert problems == {"evil.csv": "outside_landing"}
    assert len(result.new) == 2, "the good file is recorded too, and the evil one as rejected"
