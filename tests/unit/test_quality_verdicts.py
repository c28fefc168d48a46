"""Validation verdicts on rows shaped like ingestion's output, built directly.

The fixture ``tests/fixtures/quality/census_record_cases.json`` breaks every row-level
expectation of the census_record suite once and states the exact problems each row
must end with. Other tests cover the table warnings, the hold decision, chunking,
suite edits, Data Docs and the ``sentra validate`` command.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sentra.config import get_settings
from sentra.quality import (
    SuiteError,
    ValidationError,
    build_data_docs,
    expectations_dir,
    load_suite,
    validate,
)
from sentra.schema import census_arrow_schema

FIXTURE = Path(__file__).parents[1] / "fixtures" / "quality" / "census_record_cases.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))
OFFICE, YEAR = CASES["office_code"], CASES["census_year"]


def frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A rows frame as ``sentra.ingest.read_submission`` returns it (dtypes included)."""
    import pyarrow as pa

    data: dict[str, Any] = {}
    for f in census_arrow_schema():
        values = [r.get(f.name) for r in records]
        if pa.types.is_integer(f.type):
            data[f.name] = pd.array(values, dtype="Int64")
        elif pa.types.is_floating(f.type):
            data[f.name] = pd.array(values, dtype="Float64")
        elif pa.types.is_string(f.type):
            data[f.name] = pd.array(values, dtype="str")
        else:
            data[f.name] = pd.array(values, dtype=object)
    df = pd.DataFrame(data)
    df["problems"] = [list(r.get("problems", [])) for r in records]
    return df


def record(source_row: int, **values: Any) -> dict[str, Any]:
    base = {
        "submission_id": f"{YEAR}-{OFFICE}-uji",
        "office_code": OFFICE,
        "source_file": "uji.xlsx",
        "source_row": source_row,
        "census_year": YEAR,
        "sentra_name": f"Sentra {source_row}",
        **CASES["base"],
    }
    base.update(values)
    return base


def case_rows() -> pd.DataFrame:
    return frame(
        [
            record(c["source_row"], **c["set"], problems=c.get("problems", []))
            for c in CASES["cases"]
        ]
    )


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory):
    return get_settings({"SENTRA_DATA_DIR": str(tmp_path_factory.mktemp("quality") / "data")})


@pytest.fixture(scope="module")
def case_result(module_settings):
    return validate(case_rows(), office_code=OFFICE, census_year=YEAR, settings=module_settings)


def by_row(result) -> dict[int, dict[str, Any]]:
    return {int(r["source_row"]): r for r in result.rows.to_dict("records")}


def test_each_case_ends_with_exactly_its_problems(case_result):
    got = by_row(case_result)
    for case in CASES["cases"]:
        row = got[case["source_row"]]
        assert row["problems"] == case["expect"], f"row {case['source_row']}: {case['note']}"
        codes = sorted({p["code"] for p in case["expect"]} - {"formula_neutralised"})
        assert list(row["reason_codes"]) == codes, case["note"]
        assert bool(row["accepted"]) is (not codes), case["note"]


def test_every_row_rule_of_the_suite_is_exercised_by_the_fixture(case_result):
    suite = load_suite("census_record")
    found = {
        (p.get("expectation"), p["code"], p["column"])
        for problems in case_result.rows["problems"]
        for p in problems
    }
    for rule in [*suite.rules_of("row"), *suite.rules_of("duplicates")]:
        assert (rule.type, rule.reason_code, rule.column) in found, rule


def test_row_conservation_and_order(case_result):
    rows = case_result.rows
    assert len(rows) == len(CASES["cases"])
    assert case_result.accepted + case_result.rejected == len(rows)
    assert rows["source_row"].tolist() == [c["source_row"] for c in CASES["cases"]]
    assert all(
        bool(a) == (len(r) == 0)
        for a, r in zip(rows["accepted"], rows["reason_codes"], strict=True)
    )


def test_metrics_count_rows_and_reasons(case_result):
    m = {(x.metric, x.column): x.value for x in case_result.metrics}
    n = len(CASES["cases"])
    assert m[("rows_total", None)] == n
    assert m[("rows_accepted", None)] + m[("rows_rejected", None)] == n
    assert m[("rows_accepted", None)] == 5  # rows 2, 22, 26, 27, 28
    assert m[("rejected_by_reason:negative_value", None)] == 5  # rows 9, 11, 13, 15, 25
    assert m[("rejected_by_reason:missing_required", None)] == 5  # rows 3, 4, 5, 6, 25
    assert m[("null_share", "sentra_name")] == pytest.approx(2 / n)
    assert m[("rejected_share", None)] == pytest.approx(case_result.rejected_share)


def test_held_is_decided_from_the_rejected_share_not_from_gx(module_settings):
    clean = [record(i, sentra_name=f"Sentra {i}") for i in range(2, 12)]
    # 2 of 10 rejected = 20 %: at the threshold, not above it
    clean[0]["units"] = -1
    clean[1]["region_code"] = "34.71"
    at = validate(frame(clean), office_code=OFFICE, census_year=YEAR, settings=module_settings)
    assert at.rejected_share == pytest.approx(0.2)
    assert not at.held
    assert not at.gx_success, "GX calls the suite failed; sentra still does not hold the file"
    strict = module_settings.model_copy(update={"reject_share_threshold": 0.1})
    over = validate(frame(clean), office_code=OFFICE, census_year=YEAR, settings=strict)
    assert over.held


def test_table_checks_warn_without_rejecting_rows(module_settings):
    rows = [record(i, units=900, workers=1000, latitude=None) for i in range(2, 8)]
    result = validate(frame(rows), office_code=OFFICE, census_year=YEAR, settings=module_settings)
    assert result.rows["accepted"].all()
    warned = {(w["code"], w["column"]) for w in result.warnings}
    assert warned == {("implausible_mean_units", "units"), ("high_null_share", "latitude")}
    mean = next(w for w in result.warnings if w["code"] == "implausible_mean_units")
    assert mean["observed"] == pytest.approx(900.0)


def test_province_office_accepts_all_its_kabkota_but_not_another_province(module_settings):
    rows = [
        record(2, region_code="34.71"),
        record(3, region_code="34.04"),
        record(4, region_code="33.74"),
    ]
    result = validate(frame(rows), office_code="34", census_year=YEAR, settings=module_settings)
    assert [list(c) for c in result.rows["reason_codes"]] == [[], [], ["region_mismatch"]]


def test_duplicates_name_the_first_copy_and_need_every_field_equal(module_settings):
    rows = [
        record(5, sentra_name="Kembar"),
        record(6, sentra_name="Kembar", remarks="beda keterangan"),  # not an exact copy
        record(7, sentra_name="Kembar"),
        record(9, sentra_name="Kembar"),
    ]
    result = validate(frame(rows), office_code=OFFICE, census_year=YEAR, settings=module_settings)
    values = [[p["value"] for p in ps] for ps in result.rows["problems"]]
    assert values == [[], [], ["5"], ["5"]]


def test_duplicates_survive_hash_collisions_and_treat_blanks_as_equal(module_settings, monkeypatch):
    """Rows are narrowed by hashes, then compared exactly: with every hash colliding,
    only true copies are flagged, and two blank coordinates are the same value."""
    import pandas as pd

    def colliding(obj: Any, index: bool = True) -> pd.Series:
        return pd.Series(np.zeros(len(obj), dtype=np.uint64))

    monkeypatch.setattr("pandas.util.hash_pandas_object", colliding)
    rows = [
        record(2, sentra_name="Batik A", latitude=None, longitude=None),
        record(3, sentra_name="Batik B", latitude=None, longitude=None),
        record(4, sentra_name="Batik A", latitude=None, longitude=None),
        record(5, sentra_name="Batik B", units=21),
        record(6, sentra_name="Batik A", latitude=None, longitude=None),
    ]
    result = validate(frame(rows), office_code=OFFICE, census_year=YEAR, settings=module_settings)
    dup = [
        [p["value"] for p in ps if p["code"] == "duplicate_row"] for ps in result.rows["problems"]
    ]
    assert dup == [[], [], ["2"], [], ["2"]]


def test_chunked_validation_equals_whole_validation(module_settings, monkeypatch):
    """Random rows, validated whole and in 7-row chunks: identical verdicts and warnings."""
    rng = np.random.default_rng(7)
    n = 60
    rows = []
    for i in range(n):
        rows.append(
            record(
                i + 2,
                units=int(rng.choice([-1, 5, 20, 20000])),
                workers=int(rng.choice([3, 30, 40000])),
                region_code=str(rng.choice(["34.02", "34.71", "99.01"])),
                latitude=float(rng.choice([-7.8, 9.0])) if rng.random() > 0.7 else None,
            )
        )
    rows[40] = dict(rows[3], source_row=42)  # a duplicate across chunks
    whole = validate(frame(rows), office_code=OFFICE, census_year=YEAR, settings=module_settings)
    monkeypatch.setattr("sentra.quality.validation.CHUNK_ROWS", 7)
    chunked = validate(frame(rows), office_code=OFFICE, census_year=YEAR, settings=module_settings)
    assert chunked.rows["problems"].tolist() == whole.rows["problems"].tolist()
    assert chunked.warnings == whole.warnings
    assert chunked.gx_result.meta["chunks"] == 9
    assert "duplicate_row" in chunked.rows.iloc[40]["reason_codes"]

    def bad(r: dict[str, Any]) -> bool:
        return bool(
            r["units"] < 0
            or r["units"] > 10_000
            or r["workers"] < r["units"]
            or r["region_code"] != "34.02"
            or (r["latitude"] or 0) > 6
        )

    expected = sum(bad(r) for r in rows) + (not bad(rows[40]))  # the copy is rejected anyway
    assert chunked.rejected == expected


def test_editing_the_suite_json_changes_verdicts(tmp_path, monkeypatch, module_settings):
    suites = tmp_path / "expectations"
    shutil.copytree(expectations_dir(), suites)
    path = suites / "census_record.json"
    config = json.loads(path.read_text())
    for exp in config["expectations"]:
        if exp["meta"]["reason_code"] == "value_over_cap" and exp["kwargs"]["column"] == "units":
            exp["kwargs"]["max_value"] = 20  # the ministry lowers the cap in the suite
        if exp["meta"]["reason_code"] == "unknown_status":
            exp["meta"]["reason_code"] = "invalid_date"  # a mapping is data too (odd, but data)
    path.write_text(json.dumps(config))
    monkeypatch.setenv("SENTRA_EXPECTATIONS_DIR", str(suites))
    rows = frame([record(2, units=25), record(3, units=20, reported_status="entah")])
    result = validate(rows, office_code=OFFICE, census_year=YEAR, settings=module_settings)
    assert [list(c) for c in result.rows["reason_codes"]] == [["value_over_cap"], ["invalid_date"]]


def test_suite_problems_fail_loudly(tmp_path, monkeypatch, module_settings):
    def suite(name: str, expectation: dict) -> None:
        (tmp_path / f"{name}.json").write_text(json.dumps({"expectations": [expectation]}))

    suite("no_code", {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "units"}})
    suite(
        "bad_column",
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "unit"},
            "meta": {"reason_code": "missing_required"},
        },
    )
    suite(
        "unknown_param",
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "units", "max_value": {"$PARAMETER": "no_such_setting"}},
            "meta": {"reason_code": "value_over_cap"},
        },
    )
    suite(
        "wrong_type",
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "sentra_name", "min_value": 0},
            "meta": {"reason_code": "negative_value"},
        },
    )
    monkeypatch.setenv("SENTRA_EXPECTATIONS_DIR", str(tmp_path))
    with pytest.raises(SuiteError, match=r"no_code.json: expectation #0 .* no meta.reason_code"):
        load_suite("no_code")
    with pytest.raises(SuiteError, match="unknown column 'unit'"):
        load_suite("bad_column")
    with pytest.raises(
        FileNotFoundError, match="suites: bad_column, no_code, unknown_param, wrong_type"
    ):
        load_suite("census_recrod")
    rows = frame([record(2)])
    with pytest.raises(ValidationError, match="unknown \\$PARAMETER 'no_such_setting'"):
        validate(rows, office_code=OFFICE, census_year=YEAR, settings=module_settings,
                 suite="unknown_param")  # fmt: skip
    with pytest.raises(ValidationError, match=r"#0 .* sentra_name.* could not run"):
        validate(rows, office_code=OFFICE, census_year=YEAR, settings=module_settings,
                 suite="wrong_type")  # fmt: skip


def test_rows_missing_a_checked_column_are_refused(module_settings):
    rows = case_rows().drop(columns=["units"])
    with pytest.raises(ValueError, match="lack column\\(s\\) units"):
        validate(rows, office_code=OFFICE, census_year=YEAR, settings=module_settings)


def test_unknown_problem_code_from_upstream_is_refused(module_settings):
    rows = frame([record(2, problems=[{"code": "bogus", "column": "units", "value": 1}])])
    with pytest.raises(ValueError, match="'bogus'"):
        validate(rows, office_code=OFFICE, census_year=YEAR, settings=module_settings)


def test_data_docs_are_built_under_the_data_folder(case_result, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written relative to the working dir
    settings = get_settings({"SENTRA_DATA_DIR": str(tmp_path / "data")})
    index = build_data_docs(settings, case_result)
    assert index == settings.docs_dir / "data_docs" / "index.html"
    pages = list((settings.docs_dir / "data_docs" / "validations").rglob("*.html"))
    assert len(pages) == 1
    html = pages[0].read_text(encoding="utf-8")
    assert "census_record" in html
    assert "region_code" in html
    assert f"{YEAR}-{OFFICE}-uji" in index.read_text(encoding="utf-8")
    assert {p.name for p in tmp_path.iterdir()} == {"data"}
    build_data_docs(settings, case_result)  # same submission again: still one page
    assert len(list((settings.docs_dir / "data_docs" / "validations").rglob("*.html"))) == 1


def test_cli_lists_problems_in_indonesian_and_exits_1_when_held(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from sentra.cli.validate import validate as validate_cmd

    monkeypatch.setenv("SENTRA_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "landing" / str(YEAR) / OFFICE
    folder.mkdir(parents=True)
    header = "Nama Sentra;Kab/Kota;Komoditas;Jumlah Unit Usaha;Tenaga Kerja;Status\n"
    good = "".join(f"Sentra {i};34.02;Gerabah;{5 + i};{10 + i};Aktif\n" for i in range(9))
    held = folder / "held.csv"  # rows 2-5 good, 6 and 7 rejected: 2 of 6 > 20 %
    held.write_text(header + good[: good.index("Sentra 4")] + "Sentra X;34.71;Gerabah;-4;2;Aktif\n"
                    "Sentra Y;;;;;\n")  # fmt: skip
    fine = folder / "fine.csv"  # 9 good + 1 outside the office's area: 10 %
    fine.write_text(header + good + "Sentra X;34.71;Gerabah;4;6;Aktif\n")

    out = CliRunner().invoke(validate_cmd, [str(held)], terminal_width=200)
    assert out.exit_code == 1, out.output
    assert "bernilai negatif" in out.output
    assert "di luar wilayah dinas" in out.output
    assert "│ 6 " in out.output
    assert "│ 7 " in out.output
    assert "DITAHAN" in out.output

    ok = CliRunner().invoke(validate_cmd, [str(fine), "--office", OFFICE], terminal_width=200)
    assert ok.exit_code == 0, ok.output
    assert "9 diterima, 1 ditolak" in ok.output


def test_the_callers_rows_are_not_changed(module_settings):
    rows = case_rows()
    before = [list(map(dict, p)) for p in rows["problems"]]
    validate(rows, office_code=OFFICE, census_year=YEAR, settings=module_settings)
    assert [list(map(dict, p)) for p in rows["problems"]] == before
    assert "accepted" not in rows.columns
