"""Curated views, the PII scan and the ``sentra sql`` command on a small synthetic census.

The dataset is built by hand so every expected number below is known: two census years,
six sentra in three provinces, one inactive, one revived, offices that did and did not
submit, rejected rows with reasons.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pyarrow as pa
import pytest
from click.testing import CliRunner

from sentra.cli import main
from sentra.warehouse import ConformError, Warehouse
from sentra.warehouse.tables import TABLES, conform

REGISTER = [
    # sentra_id, region, group, status, first year, units, workers
    ("S330100001", "33.01", "kain_batik", "inactive", 2025, 8, 12),
    ("S330100002", "33.01", "makanan_minuman", "active", 2025, 6, 10),
    ("S330200001", "33.02", "gerabah", "active", 2025, 10, 20),
    ("S340200001", "34.02", "anyaman", "active", 2026, 7, 9),
    ("S340200002", "34.02", "lainnya", "active", 2026, 5, 5),
    ("S350100001", "35.01", "makanan_minuman", "at_risk", 2025, 4, 4),
]
CONTACTS = {"S330100001": ("Bu Sri Rahayu", "0812-3456-7890")}


def _table(name: str, rows: list[dict]) -> pa.Table:
    spec = TABLES[name]
    full = [dict.fromkeys(spec.names) | row for row in rows]
    return pa.Table.from_pylist(full, schema=spec.schema)


def _register() -> pa.Table:
    return _table(
        "sentra",
        [
            {
                "sentra_id": sid,
                "region_code": region,
                "province_code": region[:2],
                "sentra_name": f"Sentra {sid}",
                "commodity_group": group,
                "status": status,
                "first_census_year": first,
                "units": units,
                "workers": workers,
            }
            for sid, region, group, status, first, units, workers in REGISTER
        ],
    )


def _census(year: int) -> pa.Table:
    status_2025 = {"S330100001": "active", "S330100002": "inactive"}
    rows = []
    for sid, region, group, status, first, units, _ in REGISTER:
        if first > year:
            continue
        rows.append(
            {
                "census_year": year,
                "sentra_id": sid,
                "region_code": region,
                "province_code": region[:2],
                "commodity_group": group,
                "status": status_2025.get(sid, status) if year == 2025 else status,
                "units": units,
                "visit_date": date(year, 3, 1),
            }
        )
    return _table("sentra_census", rows)


def _history(consolidation: int) -> pa.Table:
    rows = [
        ("S330100001", "active", [], 2025, 2025, False),
        ("S330100001", "inactive", ["status_reported_inactive"], 2026, None, True),
        ("S330100002", "inactive", ["status_reported_inactive"], 2025, 2025, False),
        ("S330100002", "active", ["status_revived"], 2026, None, True),
    ]
    if consolidation == 2025:  # an older consolidation's view, which the views must ignore
        rows = [("S350100001", "inactive", ["status_missed_rounds"], 2025, None, True)]
    return _table(
        "sentra_status_history",
        [
            {
                "census_year": consolidation,
                "sentra_id": sid,
                "status": status,
                "reason_codes": reasons,
                "valid_from_year": start,
                "valid_to_year": end,
                "is_current": current,
            }
            for sid, status, reasons, start, end, current in rows
        ],
    )


def _submissions(year: int) -> pa.Table:
    files = [("33.01", "staged")]
    if year == 2026:
        files += [("33.02", "superseded"), ("33.02", "rejected"), ("34", "staged")]
    return _table(
        "submissions",
        [
            {
                "submission_id": f"{year}-{office}-{i}",
                "census_year": year,
                "office_code": office,
                "status": status,
                "rows_total": 10,
                "rows_accepted": 8,
                "rows_rejected": 2,
            }
            for i, (office, status) in enumerate(files)
        ],
    )


def _submission_rows(year: int) -> pa.Table:
    rows = [
        ("33.01", 5, "rejected", ["region_unknown", "units_missing"]),
        ("33.01", 6, "rejected", ["units_missing"]),
        ("33.01", 7, "accepted", []),
        ("33.01", 8, "merged", []),
        ("34", 3, "rejected", ["region_unknown"]),
    ]
    if year == 2025:
        rows = [("33.01", 4, "rejected", ["units_missing"])]
    return _table(
        "submission_rows",
        [
            {
                "census_year": year,
                "submission_id": f"{year}-{office}-0",
                "office_code": office,
                "source_file": "sentra.xlsx",
                "source_row": row,
                "record_key": f"{year}-{office}-0#{row}",
                "verdict": verdict,
                "reason_codes": reasons,
                "problems": json.dumps([{"code": c} for c in reasons]),
                "sentra_name": "Sentra Batik Laweyan",
            }
            for office, row, verdict, reasons in rows
        ],
    )


@pytest.fixture(scope="module")
def census(tmp_path_factory):
    """A warehouse holding the 2025 and 2026 census, and the time between the two."""
    import time

    from sentra.config import get_settings

    root = tmp_path_factory.mktemp("views")
    settings = get_settings({"SENTRA_DATA_DIR": str(root / "data")})
    wh = Warehouse(settings)
    for year in (2025, 2026):
        wh.publish(
            year,
            {
                "sentra_census": _census(year),
                "sentra_status_history": _history(year),
                "submissions": _submissions(year),
                "submission_rows": _submission_rows(year),
            },
            register=_register(),
        )
        if year == 2025:
            time.sleep(0.01)
            between = wh.latest_publication().published_at
    return wh, settings, between


def rows(wh: Warehouse, query: str, **params) -> list[dict]:
    return wh.sql(query, params=params or None).to_pylist()


def test_active_by_province_and_commodity_group(census):
    wh, _, _ = census
    got = rows(
        wh,
        "SELECT province_code, commodity_group, active, at_risk, reported_inactive, reported"
        " FROM active_by_province_commodity WHERE census_year = $y ORDER BY 1, 2",
        y=2026,
    )
    assert got == [
        {"province_code": "33", "commodity_group": "gerabah", "active": 1, "at_risk": 0,
         "reported_inactive": 0, "reported": 1},
        {"province_code": "33", "commodity_group": "kain_batik", "active": 0, "at_risk": 0,
         "reported_inactive": 1, "reported": 1},
        {"province_code": "33", "commodity_group": "makanan_minuman", "active": 1,
         "at_risk": 0, "reported_inactive": 0, "reported": 1},
        {"province_code": "34", "commodity_group": "anyaman", "active": 1, "at_risk": 0,
         "reported_inactive": 0, "reported": 1},
        {"province_code": "34", "commodity_group": "lainnya", "active": 1, "at_risk": 0,
         "reported_inactive": 0, "reported": 1},
        {"province_code": "35", "commodity_group": "makanan_minuman", "active": 0,
         "at_risk": 1, "reported_inactive": 0, "reported": 1},
    ]  # fmt: skip
    in_2025 = rows(
        wh,
        "SELECT sum(active) AS a, sum(reported) AS n FROM active_by_province_commodity"
        " WHERE census_year = 2025",
    )
    assert in_2025 == [{"a": 2, "n": 4}]


def test_which_sentra_in_jawa_tengah_became_inactive_in_2026_and_why(census):
    wh, _, _ = census
    got = rows(
        wh,
        "SELECT sentra_id, reasons, still_inactive FROM inactive_by_reason"
        " WHERE province_code = '33' AND became_inactive_in = 2026",
    )
    assert got == [
        {"sentra_id": "S330100001", "reasons": ["status_reported_inactive"], "still_inactive": True}
    ]
    # Only the latest consolidation counts: 2025's view of S350100001 is history.
    assert rows(wh, "SELECT count(*) AS n FROM inactive_by_reason") == [{"n": 2}]


def test_revived_sentra(census):
    wh, _, _ = census
    got = rows(wh, "SELECT sentra_id, revived_in, province_code FROM revived")
    assert got == [{"sentra_id": "S330100002", "revived_in": 2026, "province_code": "33"}]


def test_submission_coverage_expected_versus_submitted(census):
    wh, _, _ = census
    got = rows(
        wh,
        "SELECT census_year, province_code, kabkota_expected, kabkota_submitted,"
        " kabkota_missing FROM submission_coverage ORDER BY 1, 2",
    )
    assert got == [
        {"census_year": 2025, "province_code": "33", "kabkota_expected": 2,
         "kabkota_submitted": 1, "kabkota_missing": ["33.02"]},
        {"census_year": 2025, "province_code": "35", "kabkota_expected": 1,
         "kabkota_submitted": 0, "kabkota_missing": ["35.01"]},
        {"census_year": 2026, "province_code": "33", "kabkota_expected": 2,
         "kabkota_submitted": 1, "kabkota_missing": ["33.02"]},
        {"census_year": 2026, "province_code": "34", "kabkota_expected": 1,
         "kabkota_submitted": 1, "kabkota_missing": []},
        {"census_year": 2026, "province_code": "35", "kabkota_expected": 1,
         "kabkota_submitted": 0, "kabkota_missing": ["35.01"]},
    ]  # fmt: skip


def test_office_completeness_counts_current_files_only(census):
    wh, _, _ = census
    got = rows(
        wh,
        "SELECT office_code, current_files, superseded_files, has_rejected_file, rows_total"
        " FROM office_completeness WHERE census_year = 2026 ORDER BY 1",
    )
    assert got == [
        {"office_code": "33.01", "current_files": 1, "superseded_files": 0,
         "has_rejected_file": False, "rows_total": 10},
        {"office_code": "33.02", "current_files": 1, "superseded_files": 1,
         "has_rejected_file": True, "rows_total": 10},
        {"office_code": "34", "current_files": 1, "superseded_files": 0,
         "has_rejected_file": False, "rows_total": 10},
    ]  # fmt: skip


def test_ovop_sentra_per_kabkota_for_dak_planning(census):
    wh, _, _ = census
    got = rows(
        wh,
        "SELECT region_code, commodity_group, active_sentra, units, workers"
        " FROM ovop_per_kabkota ORDER BY 1, 2",
    )
    assert got == [
        {"region_code": "33.01", "commodity_group": "makanan_minuman", "active_sentra": 1,
         "units": 6, "workers": 10},
        {"region_code": "33.02", "commodity_group": "gerabah", "active_sentra": 1,
         "units": 10, "workers": 20},
        {"region_code": "34.02", "commodity_group": "anyaman", "active_sentra": 1,
         "units": 7, "workers": 9},
    ]  # fmt: skip


def test_rejected_rows_and_rejected_by_reason_per_office(census):
    wh, _, _ = census
    rejected = rows(
        wh,
        "SELECT office_code, source_row FROM rejected_rows WHERE census_year = 2026 ORDER BY 1, 2",
    )
    assert rejected == [
        {"office_code": "33.01", "source_row": 5},
        {"office_code": "33.01", "source_row": 6},
        {"office_code": "34", "source_row": 3},
    ]
    got = rows(
        wh,
        "SELECT census_year, office_code, reason_code, rows_rejected FROM rejected_by_reason"
        " ORDER BY 1, 2, 3",
    )
    assert got == [
        {"census_year": 2025, "office_code": "33.01", "reason_code": "units_missing",
         "rows_rejected": 1},
        {"census_year": 2026, "office_code": "33.01", "reason_code": "region_unknown",
         "rows_rejected": 1},
        {"census_year": 2026, "office_code": "33.01", "reason_code": "units_missing",
         "rows_rejected": 2},
        {"census_year": 2026, "office_code": "34", "reason_code": "region_unknown",
         "rows_rejected": 1},
    ]  # fmt: skip


PHONE = re.compile(r"(?:\+62|62|0)8\d{1,3}[-\s.]?\d{3,4}[-\s.]?\d{3,5}")


def test_no_published_table_holds_personal_data(census):
    """Schema and content of every published table: no contact column, name or phone."""
    import lokal

    wh, _, _ = census
    names = {name for name, _ in CONTACTS.values()}
    for table_name in TABLES:
        table = wh.scan(table_name)
        assert not {"contact_name", "contact_phone"} & set(table.column_names), table_name
        for field in table.schema:
            if not pa.types.is_string(field.type):
                continue
            for value in table.column(field.name).drop_null().to_pylist():
                assert value not in names, (table_name, field.name, value)
                assert not PHONE.search(value), (table_name, field.name, value)
                phones = lokal.detect_pii(value, types=["PHONE"])
                assert not phones, (table_name, field.name, value)
    # The detector itself finds what it must (this test cannot pass vacuously).
    assert PHONE.search(CONTACTS["S330100001"][1])
    assert lokal.detect_pii(f"HP {CONTACTS['S330100001'][1]}", types=["PHONE"])


def test_personal_data_columns_are_refused_at_the_door():
    census_rows = _census(2026).append_column(
        "contact_phone", pa.array(["0812-3456-7890"] * _census(2026).num_rows)
    )
    with pytest.raises(ConformError, match="personal data columns"):
        conform("sentra_census", census_rows)


def test_as_of_reads_the_earlier_census(census):
    wh, _, between = census
    query = "SELECT count(*) AS n FROM sentra_census"
    assert rows(wh, query) == [{"n": 4 + 6}]
    assert wh.sql(query, as_of=between).to_pylist() == [{"n": 4}]
    assert wh.sql("SELECT count(*) AS n FROM sentra", as_of=between).to_pylist() == [{"n": 6}]


@pytest.fixture
def cli_env(census, monkeypatch):
    _, settings, between = census
    monkeypatch.setenv("SENTRA_DATA_DIR", str(settings.data_dir))
    return between


def test_cli_runs_a_view_with_a_bound_parameter_as_csv(cli_env):
    result = CliRunner().invoke(
        main,
        [
            "sql",
            "SELECT office_code, rows_rejected FROM rejected_by_reason"
            " WHERE census_year = $y AND reason_code = $r ORDER BY 1",
            "--param",
            "y=2026",
            "--param",
            "r=region_unknown",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["office_code,rows_rejected", "33.01,1", "34,1"]


def test_cli_view_option_and_as_of_json(cli_env, tmp_path):
    out = tmp_path / "ovop.parquet"
    result = CliRunner().invoke(
        main, ["sql", "--view", "ovop_per_kabkota", "--format", "parquet", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    import pyarrow.parquet as pq

    assert pq.read_table(out).num_rows == 3
    earlier = cli_env.isoformat()
    result = CliRunner().invoke(
        main,
        ["sql", "SELECT count(*) AS n FROM sentra_census", "--as-of", earlier, "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"n": 4}]


def test_cli_refuses_unknown_view_and_writes(cli_env):
    result = CliRunner().invoke(main, ["sql", "--view", "no_such_view"])
    assert result.exit_code != 0
    assert "no_such_view" in result.output
    result = CliRunner().invoke(main, ["sql", "COPY sentra TO '/tmp/x.csv'"])
    assert result.exit_code != 0
    assert "only SELECT" in result.output


def test_cli_snapshots_lists_publications(cli_env):
    import io

    import pandas as pd

    result = CliRunner().invoke(main, ["snapshots", "--format", "csv"])
    assert result.exit_code == 0, result.output
    listing = pd.read_csv(io.StringIO(result.stdout))
    publications = listing[listing["kind"] == "publication"]
    assert set(publications["census_year"]) == {2025, 2026}
    result = CliRunner().invoke(main, ["snapshots", "sentra_census", "--format", "csv"])
    assert result.exit_code == 0, result.output
    own = pd.read_csv(io.StringIO(result.stdout))
    assert set(own["table"]) == {"sentra_census"}
    assert {"census_year=2025", "census_year=2026"} <= set(own["detail"].dropna())
    result = CliRunner().invoke(main, ["snapshots", "nope"])
    assert result.exit_code != 0
    assert "unknown warehouse table 'nope'" in result.output
