"""validate_batch: a batch of submissions checked together gets each file's own result.

census_ingest validates a batch of files with shared GX runs (issue #28: GX costs per
run, not per row). These tests hold the batch to :func:`validate` file by file on the
hand-written regional corpus (province and kab/kota offices, so the office's area
differs between files) plus the suite's case rows: the same verdicts, problems,
warnings, metrics and GX result per file, and a broken file fails alone.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sentra.config import get_settings
from sentra.ingest import read_submission
from sentra.quality import ValidationResult, validate, validate_batch

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


measure = _module("regional_measure", FIXTURES / "regional" / "measure.py")
# the suite's case rows (every row rule broken once) are built by the verdicts tests
verdicts = _module("quality_verdicts_cases", Path(__file__).with_name("test_quality_verdicts.py"))
YEAR = 2026


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return get_settings({"SENTRA_DATA_DIR": str(tmp_path_factory.mktemp("batch") / "data")})


@pytest.fixture(scope="module")
def submissions(settings) -> list[tuple[pd.DataFrame, str, int]]:
    """Every corpus file that reads to rows, as (rows, office_code, census_year)."""
    out = []
    for path, _, office in measure.corpus():
        parsed = read_submission(
            path.read_bytes(),
            file_name=path.name,
            office_code=office,
            census_year=YEAR,
            submission_id=f"{YEAR}-{office}-{path.stem}",
            settings=settings,
        )
        if parsed.file_error is None:
            out.append((parsed.rows, office, YEAR))
    # the suite's case rows: every row rule broken once, prior problems, duplicates
    out.append((verdicts.case_rows(), verdicts.OFFICE, verdicts.CASES["census_year"]))
    # more than 20 missing values of table-checked columns: GX summarises only 20
    sparse = [
        verdicts.record(i + 2, latitude=None, longitude=None if i % 3 else 110.4, units=i % 7)
        for i in range(30)
    ]
    out.append((verdicts.frame(sparse), verdicts.OFFICE, verdicts.CASES["census_year"]))
    assert len({office for _, office, _ in out}) >= 5
    return out


def comparable(result: ValidationResult) -> dict[str, Any]:
    """What a file's validation decided, without the run's own metadata (time, batch)."""
    gx = result.gx_result.to_json_dict()
    return {
        "problems": result.rows["problems"].tolist(),
        "reason_codes": [list(c) for c in result.rows["reason_codes"]],
        "accepted": result.rows["accepted"].tolist(),
        "metrics": result.metrics,
        "warnings": result.warnings,
        "held": result.held,
        "gx_success": result.gx_success,
        "gx_results": gx["results"],
        "gx_statistics": gx["statistics"],
        "submission_id": result.submission_id,
    }


def test_a_batch_gives_each_file_the_result_it_gets_alone(submissions, settings):
    together = validate_batch(submissions, settings=settings)
    assert len(together) == len(submissions)
    rejected = 0
    for (rows, office, year), got in zip(submissions, together, strict=True):
        assert isinstance(got, ValidationResult), got
        alone = validate(rows, office_code=office, census_year=year, settings=settings)
        assert comparable(got) == comparable(alone), office
        rejected += got.rejected
    assert rejected > 0  # the corpus has rows to reject, so the split was exercised
    assert any(isinstance(r, ValidationResult) and r.warnings for r in together)


def test_the_batch_runs_gx_once_per_office_area_and_aggregate_not_per_rule(
    submissions, settings, monkeypatch
):
    from sentra.quality import validation

    runs: list[int] = []
    real = validation.run_gx

    def counting(frame, *args, **kwargs):
        runs.append(len(frame))
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(validation, "run_gx", counting)
    validate_batch(submissions, settings=settings)
    offices = len({office for _, office, _ in submissions})
    # every rule but two once for all files; the office-area rule once per area; a
    # mean (a table aggregate, which cannot be split per file) once per file
    assert len(runs) == 1 + offices + len(submissions)


def test_a_file_that_cannot_be_validated_fails_alone(submissions, settings):
    broken = submissions[1][0].drop(columns=["units"])
    batch = [submissions[0], (broken, submissions[1][1], YEAR), *submissions[2:4]]
    results = validate_batch(batch, settings=settings)
    assert isinstance(results[1], ValueError)
    assert "units" in str(results[1])
    for (rows, office, year), got in zip(
        [batch[0], *batch[2:]], [results[0], *results[2:]], strict=True
    ):
        assert isinstance(got, ValidationResult)
        alone = validate(rows, office_code=office, census_year=year, settings=settings)
        assert comparable(got) == comparable(alone)


def test_a_failing_shared_run_falls_back_to_one_run_per_file(submissions, settings, monkeypatch):
    from sentra.quality import validation

    def fails(*args, **kwargs):
        raise RuntimeError("GX could not evaluate a metric")

    monkeypatch.setattr(validation, "_row_checks_together", fails)
    batch = submissions[:4]
    results = validate_batch(batch, settings=settings)
    for (rows, office, year), got in zip(batch, results, strict=True):
        assert isinstance(got, ValidationResult)
        alone = validate(rows, office_code=office, census_year=year, settings=settings)
        assert comparable(got) == comparable(alone)


def test_empty_and_oversized_files_are_checked_as_alone(submissions, settings, monkeypatch):
    monkeypatch.setattr("sentra.quality.validation.CHUNK_ROWS", 7)
    rows, office, year = submissions[-1]  # the case rows: more than 7
    empty = rows.iloc[0:0]
    batch = [(rows, office, year), (empty, office, year), submissions[0]]
    results = validate_batch(batch, settings=settings)
    for (r, o, y), got in zip(batch, results, strict=True):
        assert isinstance(got, ValidationResult)
        assert comparable(got) == comparable(
            validate(r, office_code=o, census_year=y, settings=settings)
        )


def test_pages_without_the_index_then_the_index_once(submissions, tmp_path):
    """census_ingest's batches build their pages only; check_all_processed the index."""
    from sentra.quality import build_data_docs, build_data_docs_index
    from sentra.quality.docs import data_docs_dir, page_for

    settings = get_settings({"SENTRA_DATA_DIR": str(tmp_path / "data")})
    results = validate_batch(submissions[:3], settings=settings)
    for k, r in enumerate(results):
        r.submission_id = f"{YEAR}-uji-{k}"
    assert build_data_docs_index(settings) is None, "nothing built, nothing to rewrite"
    build_data_docs(settings, *results[:2], index=False)
    index = data_docs_dir(settings) / "index.html"
    assert page_for(settings, f"{YEAR}-uji-0") is not None
    assert not index.exists()
    assert build_data_docs_index(settings) == index
    assert f"{YEAR}-uji-1" in index.read_text(encoding="utf-8")
    assert build_data_docs_index(settings) is None, "the index is current"
    build_data_docs(settings, results[2], index=False)
    assert f"{YEAR}-uji-2" not in index.read_text(encoding="utf-8")
    build_data_docs_index(settings)
    assert f"{YEAR}-uji-2" in index.read_text(encoding="utf-8")


def test_a_batch_with_more_unexpected_rows_than_gx_lists_values_for_is_still_shared(
    settings, monkeypatch, caplog
):
    """GX lists at most 200 unexpected values per run (every position, though): two files
    of 150 rows without units share a run of 300, and the second file's values come
    from its own rows, not from past the end of the run's list."""
    from sentra.quality import validation

    def no_fallback(*args, **kwargs):
        raise AssertionError("the batch fell back to one run per file")

    def unitless(start: int):
        return verdicts.frame(
            [verdicts.record(start + i, units=None, workers=None) for i in range(150)]
        )

    year = verdicts.CASES["census_year"]
    batch = [(unitless(2), verdicts.OFFICE, year), (unitless(500), verdicts.OFFICE, year)]
    monkeypatch.setattr(validation, "_row_checks", no_fallback)
    together = validate_batch(batch, settings=settings)
    monkeypatch.undo()
    for (rows, office, year), got in zip(batch, together, strict=True):
        assert isinstance(got, ValidationResult), got
        assert got.rejected == 150
        alone = validate(rows, office_code=office, census_year=year, settings=settings)
        assert comparable(got) == comparable(alone)
