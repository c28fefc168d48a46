"""The fast (Arrow) CSV path and the row-wise path must tell the office the same story.

Large clean files take the Arrow path; odd ones (quoted line breaks, ragged rows) the
row-wise one. Either way every row keeps its physical line number, non-data rows are
listed, and a value too big for its column is a row problem, not a crash.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentra.config import get_settings
from sentra.ingest import read_submission
from sentra.ingest.normalise import parse_many, parse_money
from sentra.ingest.readers import _read_csv_arrow, _read_csv_rows

MESSY = (
    "DATA SENTRA IKM KABUPATEN BANTUL;;;;;;\n"
    "Dinas Perindustrian;;;;;;\n"
    ";;;;;;\n"
    "No;Nama Sentra;Kab/Kota;Komoditas;Jml. Unit Usaha;Nilai Produksi (Rp);Status\n"
    "1;Sentra Gerabah\u00a0 Kasongan;34.02;Gerabah;25;Rp 1.250.000,-;Aktif\n"
    "2;Sentra  Batik\u200b Giriloyo;Bantul;Batik Tulis;1.250;1,25 juta;masih aktif\n"
    ";;;;;;\n"
    "No;Nama Sentra;Kab/Kota;Komoditas;Jml. Unit Usaha;Nilai Produksi (Rp);Status\n"
    "3;Sentra Kulit Manding;3402;Kerajinan Kulit;12,5;1,5 M;Tdk Aktif\n"
    "4;Sentra Tenun;34-02;Tenun;abc;kira-kira;entah\n"
    "JUMLAH;;;;40;3.000.000;\n"
).encode()


def _columns(table):
    return {
        c: (v.to_pylist() if hasattr(v, "to_pylist") else list(v))
        for c, v in zip(table.mapping.columns.values(), table.columns.values(), strict=True)
    }


def test_arrow_and_row_wise_paths_agree_on_a_messy_file():
    settings = get_settings()
    fast = _read_csv_arrow(MESSY, settings)
    slow = _read_csv_rows(MESSY, settings)
    assert fast is not None, "a clean-shaped file must take the Arrow path"
    (f,), (s,) = fast, slow
    assert f.header_row == s.header_row == 4
    assert f.row_numbers == s.row_numbers == [5, 6, 9, 10]
    assert [(k.source_row, k.kind) for k in f.skipped] == [
        (k.source_row, k.kind) for k in s.skipped
    ]
    assert [(k.source_row, k.kind) for k in f.skipped] == [
        (7, "blank"),
        (8, "repeated_header"),
        (11, "totals"),
    ]
    assert _columns(f) == _columns(s)


@pytest.mark.parametrize(
    "repeat", ["Nama Sentra", "NAMA SENTRA", "  nama sentra ", "\u00a0Nama Sentra", "\tnama sentra"]
)
def test_a_repeated_header_in_any_case_or_spacing_is_skipped_by_both_paths(repeat):
    header = "No;Nama Sentra;Kab/Kota;Komoditas;Jml. Unit Usaha;Nilai Produksi (Rp);Status\n"
    data = (
        header
        + "1;Nusa Indah;34.02;Gerabah;25;100;Aktif\n"
        + header.replace("Nama Sentra", repeat)
        + "2;nama sentra baru;34.02;Gerabah;3;100;Aktif\n"
    ).encode()
    settings = get_settings()
    fast, slow = _read_csv_arrow(data, settings), _read_csv_rows(data, settings)
    assert fast is not None
    for (table,) in (fast, slow):
        assert [(k.source_row, k.kind) for k in table.skipped] == [(3, "repeated_header")]
        assert table.row_numbers == [2, 4]


_CELLS = st.sampled_from(["", " ", "  ", "\t", "\u00a0", "\u3000 ", "x", "7", " Jumlah", "34.02"])


@pytest.mark.parametrize("few_cells", [0, 64])  # cells taken, or read one by one
@settings(deadline=None)  # the first call imports Arrow's CSV reader; timing is the bench's job
@given(st.lists(st.lists(_CELLS, min_size=4, max_size=4), min_size=1, max_size=40))
def test_both_paths_tell_blank_rows_from_data_rows_alike(few_cells, rows):
    """A row is blank when every cell is empty or whitespace of any kind, wherever the
    cells with bytes are; the Arrow path tests whitespace only where a cell has bytes,
    so it must still agree with the row-wise path on every row."""
    from unittest import mock

    from sentra.ingest import readers

    header = "Nama Sentra;Kab/Kota;Komoditas;Jml. Unit Usaha\n"
    data = (header + "".join(";".join(r) + "\n" for r in rows)).encode()
    config = get_settings()
    with mock.patch.object(readers, "FEW_CELLS", few_cells):
        fast = _read_csv_arrow(data, config)
    slow = _read_csv_rows(data, config)
    assert fast is not None
    (f,), (s,) = fast, slow
    assert [(k.source_row, k.kind) for k in f.skipped] == [
        (k.source_row, k.kind) for k in s.skipped
    ]
    assert f.row_numbers == s.row_numbers
    assert _columns(f) == _columns(s)


def test_messy_file_values_and_problems_on_the_offices_rows():
    result = read_submission(
        MESSY, file_name="bantul.csv", office_code="34.02", census_year=2026, submission_id="t"
    )
    assert result.file_error is None
    rows = {r["source_row"]: r for r in result.rows.to_dict("records")}
    assert rows[5]["sentra_name"] == "Sentra Gerabah Kasongan"  # NBSP + double space folded
    assert rows[6]["sentra_name"] == "Sentra Batik Giriloyo"  # zero-width space dropped
    assert rows[5]["production_value"] == 1_250_000
    assert rows[6]["production_value"] == 1_250_000
    assert rows[6]["units"] == 1250
    assert rows[9]["production_value"] == 1_500_000_000
    assert [r["region_code"] for r in rows.values()] == ["34.02"] * 4
    assert [r["reported_status"] for r in rows.values()][:3] == ["active", "active", "inactive"]
    codes = {n: sorted(p["code"] for p in r["problems"]) for n, r in rows.items()}
    assert codes == {
        5: [],
        6: [],
        9: ["not_integer"],
        10: ["invalid_number", "invalid_number", "unknown_status"],
    }
    bad = {(p["column"], p["value"]) for p in rows[10]["problems"]}
    assert bad == {
        ("units", "abc"),
        ("production_value", "kira-kira"),
        ("reported_status", "entah"),
    }
    assert result.rows_seen == 7


def test_quoted_line_break_numbers_rows_as_excel_does():
    """One record is one row in Excel however many lines its quoted cells span (#25: the
    report sent clerks to physical line numbers, 17 of 29 rows wrong)."""
    data = (
        b"Nama Sentra;Kab/Kota;Komoditas;Jumlah Unit Usaha;Alamat\n"
        b'Sentra A;34.02;Gerabah;10;"Dusun Kasongan\nRT 02"\n'
        b"Sentra B;34.02;Batik;12;Giriloyo\n"
    )
    result = read_submission(
        data, file_name="a.csv", office_code="34.02", census_year=2026, submission_id="t"
    )
    assert result.file_error is None
    assert result.rows["source_row"].tolist() == [2, 3]
    assert result.rows["address"].tolist()[0] == "Dusun Kasongan RT 02"


def test_ragged_rows_are_kept_not_dropped():
    data = (
        b"Nama Sentra;Kab/Kota;Komoditas;Jumlah Unit Usaha;Status\n"
        b"Sentra A;34.02;Gerabah;10\n"
        b"Sentra B;34.02;Batik;12;Aktif;extra\n"
    )
    result = read_submission(
        data, file_name="a.csv", office_code="34.02", census_year=2026, submission_id="t"
    )
    assert result.rows["source_row"].tolist() == [2, 3]
    assert result.rows["units"].tolist() == [10, 12]


def test_numbers_too_big_for_their_column_are_row_problems():
    data = (
        b"Nama Sentra;Kab/Kota;Komoditas;Jumlah Unit Usaha;Nilai Produksi;Tahun Berdiri\n"
        b"Sentra A;34.02;Gerabah;3000000000;99999999999999999999999;40000\n"
        b"Sentra B;34.02;Gerabah;10;1.000;1990\n"
    )
    result = read_submission(
        data, file_name="a.csv", office_code="34.02", census_year=2026, submission_id="t"
    )
    first = result.rows.iloc[0]
    assert sorted((p["code"], p["column"]) for p in first["problems"]) == [
        ("implausible_year", "year_established"),
        ("value_over_cap", "production_value"),
        ("value_over_cap", "units"),
    ]
    assert first["units"] is None or str(first["units"]) == "<NA>"
    assert result.to_arrow().num_rows == 2  # fits the canonical Arrow schema


@given(
    st.integers(0, 10**9 - 1),
    st.one_of(st.none(), st.text("0123456789", min_size=1, max_size=6)),
    st.sampled_from(["juta", "jt", "Juta", "JUTA", "M", "miliar", "milyar", "Miliar"]),
    st.sampled_from(["", " "]),
)
def test_scaled_amounts_vectorised_equal_lokal(whole, decimals, unit, space):
    text = f"{whole}{',' + decimals if decimals else ''}{space}{unit}"
    fast = parse_many([text, "1.000"], "money", parse_money)
    assert fast is not None
    assert fast[0][0] == parse_money(text)[0]
    assert fast[1][0] == parse_money(text)[1]


def test_scaled_amounts_are_exact_where_lokal_is_not():
    # lokal.parse_rupiah reads "0 juta" as one million; the wrapper does not.
    assert parse_money("0 juta") == (0, None)
    assert parse_money("0,5 juta") == (500_000, None)
    assert parse_money("-1,5 M") == (-1_500_000_000, None)
    assert parse_money("dua juta") == (2_000_000, None)  # words still go to lokal


def test_a_negative_thread_count_is_a_clear_configuration_error():

    import pytest

    settings = get_settings().model_copy(update={"ingest_threads": -2})
    with pytest.raises(ValueError, match="SENTRA_INGEST_THREADS must be 0"):
        read_submission(
            MESSY,
            file_name="bantul.csv",
            office_code="34.02",
            census_year=2026,
            submission_id="t",
            settings=settings,
        )


def test_default_threads_follow_the_usable_cpus_and_stay_bounded(monkeypatch):
    """0 means one thread per CPU the process may use (a cpuset), never more than eight."""
    import os

    from sentra.ingest.readers import MAX_DEFAULT_THREADS, worker_threads

    settings = get_settings().model_copy(update={"ingest_threads": 0})
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(64)), raising=False)
    assert worker_threads(settings) == MAX_DEFAULT_THREADS
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {3}, raising=False)
    assert worker_threads(settings) == 1
    assert worker_threads(settings.model_copy(update={"ingest_threads": 12})) == 12


@given(
    lengths=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
    threads=st.integers(min_value=1, max_value=4),
)
def test_normalisation_ranges_cover_every_row_once_cut_at_chunk_edges(lengths, threads):
    """Each row is normalised exactly once; a range crosses a chunk edge only to take in
    a chunk too small to normalise alone (the one case that copies cells)."""
    from unittest import mock

    import pyarrow as pa

    from sentra import ingest

    count = sum(lengths)
    column = pa.chunked_array([pa.nulls(n, pa.string()) for n in lengths], pa.string())
    with mock.patch.multiple(ingest, CHUNK_ROWS=100, MIN_CHUNK_ROWS=30):
        columns = {"units": column, "missing": pa.nulls(count)}
        bounds = ingest._chunk_bounds(columns, count, threads)
    assert bounds[0][0] == 0
    assert bounds[-1][1] == count
    assert all(b0[1] == b1[0] for b0, b1 in pairwise(bounds))
    assert all(b > a for a, b in bounds) or count == 0
    spans, end = [], 0  # the rows of each non-empty chunk
    for n in lengths:
        if n:
            spans.append((end, end + n))
        end += n
    for a, b in bounds:
        touched = [(s, e) for s, e in spans if s < b and e > a]
        if len(touched) > 1:  # this range's cells are copied together from several chunks
            assert any(e - s < 30 for s, e in touched), (bounds, lengths)
        assert b - a < 200, "a range stays near the chunk size"


def test_a_csv_parsed_in_many_blocks_normalises_as_in_one(tmp_path, monkeypatch):
    """Arrow parses a large CSV in blocks, one chunk each, normalised without a copy where
    a range lies in one chunk: the rows, lineage and problems must not show where the
    chunks were cut, nor which ranges were copied together."""

    import pandas as pd

    from sentra import ingest
    from sentra.ingest import readers
    from sentra.synth import bulk

    path = tmp_path / "bulk.csv"
    bulk.write_bulk_file(path=path, n_rows=3_000, fmt="csv", seed=11)
    settings = get_settings()

    def read(threads: int) -> pd.DataFrame:
        result = read_submission(
            path,
            file_name=path.name,
            office_code="34",
            census_year=2026,
            submission_id="blocks",
            settings=settings.model_copy(update={"ingest_threads": threads}),
        )
        assert result.file_error is None
        return result.rows

    one_block = read(1)
    monkeypatch.setattr(readers, "BLOCK_BYTES", 97 * 220)  # ~97 rows per block
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 400)
    monkeypatch.setattr(ingest, "MIN_CHUNK_ROWS", 60)
    (raw,) = _read_csv_arrow(path.read_bytes(), settings)
    assert min(c.num_chunks for c in raw.columns.values()) > 10, "the file must span blocks"
    many_blocks = read(2)
    pd.testing.assert_frame_equal(many_blocks, one_block)
    assert many_blocks["problems"].tolist() == one_block["problems"].tolist()
    assert one_block["problems"].map(len).sum() > 0, "the file must have row problems"
