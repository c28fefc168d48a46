"""The fixture corpus: realistic messy regional files, each parsed exactly as expected."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from sentra.ingest import read_submission

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_as_expected(name):
    want = EXPECTED[name]
    result = read_submission(
        CORPUS / name, file_name=name, office_code="34", census_year=2026, submission_id="fx"
    )
    if "file_error" in want:
        assert result.file_error is not None
        assert result.file_error.code == want["file_error"]
        return
    assert result.file_error is None, result.file_error
    assert len(result.rows) == want["rows"]
    assert result.header_row == want["header_row"]
    if "sheets" in want:
        assert result.sheets_read == want["sheets"]
    rows = {str(r["source_row"]): r for r in result.rows.to_dict("records")}
    for source_row, values in want.get("values", {}).items():
        for column, expected in values.items():
            got = rows[source_row][column]
            if isinstance(got, date):
                got = got.isoformat()
            if expected is None:
                assert got is None or (isinstance(got, float) and math.isnan(got)), (
                    source_row,
                    column,
                    got,
                )
            elif isinstance(expected, float):
                assert got == pytest.approx(expected), (source_row, column)
            else:
                assert got == expected, (source_row, column, got)
    for source_row, codes in want.get("problems", {}).items():
        assert sorted(p["code"] for p in rows[source_row]["problems"]) == sorted(codes)
    skipped = {str(s.source_row): s.kind for s in result.skipped_rows}
    for source_row, kind in want.get("skipped", {}).items():
        assert skipped.get(source_row) == kind


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if "file_error" not in EXPECTED[n]))
def test_rows_normalised_in_parallel_chunks_equal_one_pass(name, monkeypatch):
    """Large files are normalised in chunks of rows on threads; the result must not show it.

    Chunks of one row on four threads against one pass over all rows: the same rows,
    values, lineage and problems (each problem on its own row, in column order).
    """

    import pandas as pd

    from sentra import ingest
    from sentra.config import get_settings

    def read(chunk_rows: int, threads: int) -> pd.DataFrame:
        monkeypatch.setattr(ingest, "CHUNK_ROWS", chunk_rows)
        monkeypatch.setattr(ingest, "MIN_CHUNK_ROWS", min(chunk_rows, ingest.MIN_CHUNK_ROWS))
        settings = get_settings().model_copy(update={"ingest_threads": threads})
        result = read_submission(
            CORPUS / name,
            file_name=name,
            office_code="34",
            census_year=2026,
            submission_id="fx",
            settings=settings,
        )
        assert result.file_error is None
        return result.rows

    one_pass = read(1_000_000, 1)
    chunked = read(1, 4)
    pd.testing.assert_frame_equal(chunked, one_pass)
    assert chunked["problems"].tolist() == one_pass["problems"].tolist()
