"""The census_record suite: each expectation broken once gives its reason on its row."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from sentra.ingest import read_submission
from sentra.quality import expectations_dir, load_suite_config, validate

HEADER = [
    "Nama Sentra",
    "Kab/Kota",
    "Komoditas",
    "Jumlah Unit Usaha",
    "Tenaga Kerja",
    "Nilai Produksi (Rp)",
    "Nilai Investasi (Rp)",
    "Lintang",
    "Bujur",
    "Status",
    "Tahun Berdiri",
]
GOOD = [
    "Sentra Gerabah Kasongan",
    "34.02",
    "Gerabah",
    "25",
    "40",
    "1.250.000.000",
    "300.000.000",
    "-7,8453",
    "110,3312",
    "Aktif",
    "1985",
]


def row(**changes: str) -> list[str]:
    out = list(GOOD)
    for name, value in changes.items():
        out[HEADER.index(name.replace("_", " "))] = value
    return out


# (row number in the file, the row, the reason codes it must get)
CASES = [
    (2, row(), []),
    (3, row(Nama_Sentra=""), ["missing_required"]),
    (4, row(**{"Kab/Kota": "31.71"}), ["region_mismatch"]),
    # A name that names no product: nothing to take the commodity from.
    (5, row(Komoditas="", Nama_Sentra="Sentra IKM Sidomulyo"), ["missing_required"]),
    (6, row(Jumlah_Unit_Usaha="-3"), ["negative_value"]),
    (7, row(Jumlah_Unit_Usaha="20000", Tenaga_Kerja="30000"), ["value_over_cap"]),
    (8, row(Jumlah_Unit_Usaha="30", Tenaga_Kerja="12"), ["workers_below_units"]),
    (9, row(**{"Nilai Produksi (Rp)": "-5"}), ["negative_value"]),
    (10, row(**{"Nilai Produksi (Rp)": "5.000.000.000.000"}), ["value_over_cap"]),
    (11, row(**{"Nilai Investasi (Rp)": "-1"}), ["negative_value"]),
    (12, row(Lintang="12,5"), ["coordinate_out_of_bounds"]),
    (13, row(Bujur="150,1"), ["coordinate_out_of_bounds"]),
    (14, row(Tahun_Berdiri="2099"), ["implausible_year"]),
    (15, row(Status="entahlah"), ["unknown_status"]),
    (16, row(Jumlah_Unit_Usaha="banyak"), ["invalid_number"]),
    (17, row(**{"Kab/Kota": "Atlantis"}), ["invalid_region"]),
    (
        18,
        row(Nama_Sentra="", Jumlah_Unit_Usaha="-1", Tahun_Berdiri="1700"),
        ["implausible_year", "missing_required", "negative_value"],
    ),  # every broken rule listed
    (19, row(Nama_Sentra="Sentra Dua"), []),
    (20, row(Nama_Sentra="Sentra Dua"), ["duplicate_row"]),  # exact copy of row 19
]


def _rows(cases):
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows([HEADER, *[c[1] for c in cases]])
    parsed = read_submission(
        buf.getvalue().encode(),
        file_name="uji.csv",
        office_code="34.02",
        census_year=2026,
        submission_id="2026-34.02-uji",
    )
    assert parsed.file_error is None
    return parsed.rows


def test_each_expectation_gives_its_reason_on_its_row(settings):
    result = validate(_rows(CASES), office_code="34.02", census_year=2026, settings=settings)
    got = {int(r["source_row"]): list(r["reason_codes"]) for r in result.rows.to_dict("records")}
    assert got == {n: sorted(codes) for n, _, codes in CASES}
    assert result.accepted + result.rejected == len(CASES), "row conservation"
    dup = result.rows[result.rows["source_row"] == 20].iloc[0]["problems"]
    assert dup[-1]["value"] == "19", "the duplicate names the row it repeats"


def test_an_empty_commodity_is_read_from_a_name_that_names_one_product(settings):
    """Offices leave Komoditas empty when the name says it: the row stays, with a warning
    telling the office what was taken and to fill it in; a name naming no product, or
    two of different families, still lacks its commodity."""
    cases = [
        (2, row(Komoditas="", Nama_Sentra="SENTRA TENUN IKAT TROSO"), []),
        (3, row(Komoditas="", Nama_Sentra="Sentra Krupuk Rambak Sukoharjo"), []),
        (4, row(Komoditas="", Nama_Sentra="Sentra Batik Kayu Putih"), ["missing_required"]),
        (5, row(Komoditas="  ", Nama_Sentra="Sentra Desa Wisata Mulyo"), ["missing_required"]),
        (6, row(Komoditas="", Nama_Sentra="Sentra Tahuu Bangunharjo"), []),  # a key held
    ]
    result = validate(_rows(cases), office_code="34.02", census_year=2026, settings=settings)
    rows = result.rows.set_index(result.rows["source_row"].astype(int))
    assert {n: list(rows.loc[n, "reason_codes"]) for n, *_ in cases} == {
        n: codes for n, _, codes in cases
    }
    assert list(rows.loc[[2, 3, 6], "commodity"]) == ["tenun ikat", "kerupuk kulit", "tahu"]
    warned = [
        (p["code"], p["column"], p["value"])
        for p in rows.loc[2, "problems"]
        if p["code"] == "commodity_from_name"
    ]
    assert warned == [("commodity_from_name", "commodity", "tenun ikat")]
    assert not any(p["code"] == "commodity_from_name" for p in rows.loc[4, "problems"])


def test_coordinates_one_known_slip_puts_outside_indonesia_are_put_back(settings):
    """A lost minus sign or swapped columns, unambiguous because Indonesia's latitudes and
    longitudes do not overlap, are corrected with a warning naming both points; a point
    no such slip explains is still rejected, and a northern point is left alone."""
    cases = [
        (2, row(Lintang="7,8453"), [], (-7.8453, 110.3312)),
        (
            3,
            row(Lintang="110,3312", Bujur="-7,8453", Nama_Sentra="Sentra Gerabah Dua"),
            [],
            (-7.8453, 110.3312),
        ),
        (4, row(Bujur="-110,3312", Nama_Sentra="Sentra Gerabah Tiga"), [], (-7.8453, 110.3312)),
        (
            5,
            row(Lintang="3,5912", Bujur="98,6722", Nama_Sentra="Sentra Gerabah Empat"),
            [],
            (3.5912, 98.6722),
        ),
        (
            6,
            row(Lintang="45,1", Nama_Sentra="Sentra Gerabah Lima"),
            ["coordinate_out_of_bounds"],
            (45.1, 110.3312),
        ),
    ]
    result = validate(
        _rows([c[:3] for c in cases]), office_code="34.02", census_year=2026, settings=settings
    )
    rows = result.rows.set_index(result.rows["source_row"].astype(int))
    for n, _, codes, point in cases:
        assert list(rows.loc[n, "reason_codes"]) == codes, n
        assert (rows.loc[n, "latitude"], rows.loc[n, "longitude"]) == pytest.approx(point), n
    warned = {
        n: [p["value"] for p in rows.loc[n, "problems"] if p["code"] == "coordinates_corrected"]
        for n, *_ in cases
    }
    assert warned == {
        2: ["7.8453, 110.331 → -7.8453, 110.331"],
        3: ["110.331, -7.8453 → -7.8453, 110.331"],
        4: ["-7.8453, -110.331 → -7.8453, 110.331"],
        5: [],
        6: [],
    }


def test_held_when_the_rejected_share_is_over_the_threshold(settings):
    result = validate(_rows(CASES), office_code="34.02", census_year=2026, settings=settings)
    assert result.rejected_share > settings.reject_share_threshold
    assert result.held
    clean = validate(_rows(CASES[:1]), office_code="34.02", census_year=2026, settings=settings)
    assert not clean.held
    metrics = {(m.metric, m.column): m.value for m in result.metrics}
    assert metrics[("rows_total", None)] == len(CASES)
    assert metrics[("rejected_by_reason:negative_value", None)] == 4  # rows 6, 9, 11, 18


def test_editing_the_suite_changes_verdicts_without_code_changes(tmp_path, monkeypatch, settings):
    suites = tmp_path / "expectations"
    shutil.copytree(expectations_dir(), suites)
    config = json.loads((suites / "census_record.json").read_text())
    for exp in config["expectations"]:
        if (
            exp["type"] == "expect_column_values_to_be_between"
            and exp["kwargs"]["column"] == "year_established"
        ):
            exp["kwargs"]["min_value"] = 1990  # a stricter rule, decided by the ministry
    (suites / "census_record.json").write_text(json.dumps(config))
    monkeypatch.setenv("SENTRA_EXPECTATIONS_DIR", str(suites))
    result = validate(_rows(CASES[:1]), office_code="34.02", census_year=2026, settings=settings)
    assert list(result.rows.iloc[0]["reason_codes"]) == ["implausible_year"], "1985 < 1990 now"


def test_every_expectation_names_a_known_reason_code():
    config = load_suite_config("census_record")
    assert len(config["expectations"]) >= 20
    for exp in config["expectations"]:
        assert exp["meta"]["reason_code"]


def test_a_suite_with_an_unknown_reason_code_fails_loudly(tmp_path, monkeypatch):
    (tmp_path / "bad.json").write_text(
        json.dumps(
            {
                "name": "bad",
                "expectations": [
                    {
                        "type": "expect_column_values_to_not_be_null",
                        "kwargs": {"column": "units"},
                        "meta": {"reason_code": "no_such_reason"},
                    }
                ],
            }
        )
    )
    monkeypatch.setenv("SENTRA_EXPECTATIONS_DIR", str(tmp_path))
    with pytest.raises(KeyError, match="no_such_reason"):
        load_suite_config("bad")
    with pytest.raises(FileNotFoundError, match="missing"):
        load_suite_config("missing")
    assert Path(tmp_path).exists()


def test_validation_writes_nothing_outside_the_data_folder(settings, monkeypatch):
    """GX's default ephemeral context reserves a docs-site folder under /tmp; ours has
    in-memory stores and no site, and sends no usage statistics."""
    import tempfile

    from sentra.quality import validation

    def refuse(*args, **kwargs):
        raise AssertionError("validation asked for a temporary directory")

    validation._batch_definition.cache_clear()
    validation._context.cache_clear()
    monkeypatch.setattr(tempfile, "TemporaryDirectory", refuse)
    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    try:
        config = validation._context().get_config()
        assert config.analytics_enabled is False
        assert config.data_docs_sites == {}
    finally:
        validation._batch_definition.cache_clear()
        validation._context.cache_clear()
