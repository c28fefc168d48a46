"""Mutated copies of the fixture corpus: whatever the damage, a file ends as rows or as a
clear rejection, never as an exception, and no row is lost or read twice.

The same mutations, run by the thousand (seeded ``random`` over every fixture for a few
minutes), found the cases now pinned in ``test_ingest_hostile.py``: a plus sign failing
Arrow's integer cast, a workbook listing one sheet twice, an unknown zip version, and a
far cell that made calamine abort the process. Here hypothesis draws a few hundred and
shrinks any failure to the smallest damage that causes it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentra.ingest import ParseResult, read_submission
from sentra.schema import REASONS

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ingest"
FILES = sorted(
    p for p in FIXTURES.iterdir() if p.suffix in (".csv", ".json", ".xlsx") and p.stem != "expected"
)
# Bytes that matter to readers: separators, quotes, line ends, BOMs, signs, markers.
TOKENS = [
    b'"', b";", b",", b"\n", b"\r", b"\r\n", b"\x00", b"\t", b"=", b"+", b"-", b"Jumlah",
    b"Total", b"\xef\xbb\xbf", b"\xff", b"\xe2\x80\x8b", b"Rp", b"1.250.000,-", b"1,25 juta",
    b"9" * 30, b"12 Agustus 2024", b"{", b"[", b"]", b"}", b"null", b"Nama Sentra",
    b"\xa0", b' r="XFD1048576"', b"<row", b"</c>", b'"a""b"',
]  # fmt: skip

_edit = st.one_of(
    st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(TOKENS)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 20)),
    st.tuples(st.just("byte"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.floats(0, 1), st.just(0)),
    st.tuples(st.just("repeat_line"), st.floats(0, 1), st.just(0)),
)


def _apply(data: bytes, edits: list[tuple[str, float, object]]) -> bytes:
    b = bytearray(data)
    for kind, where, arg in edits:
        at = int(where * len(b))
        if kind == "insert":
            b[at:at] = arg
        elif kind == "delete":
            del b[at : at + arg]
        elif kind == "byte" and b:
            b[min(at, len(b) - 1)] = arg
        elif kind == "cut":
            del b[at:]
        elif kind == "repeat_line":
            start = b.rfind(b"\n", 0, at) + 1
            end = b.find(b"\n", at)
            end = len(b) if end < 0 else end + 1
            b[end:end] = b[start:end]
    return bytes(b)


def _mutated_workbook(data: bytes, part_edits: dict[int, list]) -> bytes:
    """The workbook re-zipped with some of its XML parts edited (a valid zip, odd XML)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for i, name in enumerate(src.namelist()):
            content = src.read(name)
            if i in part_edits:
                content = _apply(content, part_edits[i])
            dst.writestr(name, content)
    return out.getvalue()


def _check(data: bytes, name: str) -> ParseResult:
    """The file read once, its rejection or its rows checked; the result for more checks."""
    result = read_submission(
        data, file_name=name, office_code="34.02", census_year=2026, submission_id="fuzz"
    )
    if result.file_error is not None:
        assert result.file_error.code in REASONS
        assert result.file_error.message_id
        assert len(result.rows) == 0
        return result
    rows = result.rows
    assert result.rows_seen == len(rows) + len(result.skipped_rows)
    seen = list(zip(rows["source_sheet"], rows["source_row"], strict=True))
    seen += [(s.sheet, s.source_row) for s in result.skipped_rows]
    assert len(seen) == len(set(seen)), "a row read twice"
    assert all(isinstance(p, list) for p in rows["problems"])
    return result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FILES), st.lists(_edit, min_size=1, max_size=6))
def test_a_damaged_file_is_read_or_rejected_never_raises(path, edits):
    _check(_apply(path.read_bytes(), edits), path.name)


WORKBOOKS = [p for p in FILES if p.suffix == ".xlsx" and zipfile.is_zipfile(p)]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(WORKBOOKS),
    st.dictionaries(st.integers(0, 12), st.lists(_edit, min_size=1, max_size=4), min_size=1),
)
def test_a_workbook_with_damaged_xml_is_read_or_rejected_never_raises(path, part_edits):
    _check(_mutated_workbook(path.read_bytes(), part_edits), path.name)


# Cells an office's file may hold in any column: numbers in every local spelling,
# signs, markup-like and formula-like text, blanks, odd whitespace, long digit runs.
CELL = st.one_of(
    st.text(alphabet="0123456789+-., Rpjutam", max_size=14),
    st.sampled_from(["", " ", "Aktif", "Tutup", "34.02", "34.02.01", "Gerabah", "Jumlah",
                     "12 Agustus 2024", "-7,8123", "110,3456", "=1+1", "[red]4", "x[/]",
                     "\u00a0", "\u200b", "9" * 25]),
    st.text(max_size=10),
)  # fmt: skip
HEADERS = ["Nama Sentra", "Kab/Kota", "Komoditas", "Jumlah Unit Usaha", "Tenaga Kerja",
           "Nilai Produksi (Rp)", "Latitude", "Longitude", "Status", "Tahun Berdiri"]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(CELL, min_size=len(HEADERS), max_size=len(HEADERS)), max_size=30),
    st.sampled_from([";", ",", "\t"]),
    st.booleans(),
)
def test_any_cells_in_a_well_formed_csv_end_as_rows_or_skipped_rows(rows, delimiter, title):
    """Every record after the header is a data row or a skipped row (blank, totals,
    repeated header), each once; no cell makes the read fail."""
    buf = io.StringIO()
    # CRLF: the writer then quotes a cell holding either line-end character (with "\n" a
    # bare CR in a cell is written as is, and every reader takes it as a line end).
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    if title:
        writer.writerows([["DATA SENTRA IKM TAHUN 2026"], []])
    writer.writerows([HEADERS, *rows])
    result = _check(buf.getvalue().encode(), "a.csv")
    if result.file_error is not None:  # only when no line under the header is data
        assert result.file_error.code == "no_data_rows", result.file_error
        assert len(result.skipped_rows) == len(rows)
    assert result.rows_seen == len(rows)


def test_the_corpus_has_files_of_every_kind():
    assert {p.suffix for p in FILES} == {".csv", ".json", ".xlsx"}
    assert len(WORKBOOKS) >= 5
