"""End to end: two synthetic census rounds through the real DAGs, checked against the truth.

Runs ``sentra demo`` (what ``make demo`` runs) in a subprocess on a small census, then
reads the published warehouse and compares every source row's verdict with what the
generator says a correct pipeline must conclude. Running it a second time must change
nothing: no new submission, no new snapshot, no new email.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

YEARS = (2025, 2026)


def _run_demo(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENTRA_"))}
    # As `make demo` after `export SENTRA_DATA_DIR=…`: the demo must honour it (#27).
    env |= {"COLUMNS": "160", "SENTRA_DATA_DIR": str(data_dir)}
    cmd = [
        str(Path(sys.executable).with_name("sentra")),
        "demo",
        "--sentra", "150",
        "--seed", "11",
        "--years", ",".join(map(str, YEARS)),
        "--provinces", "34",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
    if proc.returncode != 0:
        pytest.fail(
            f"sentra demo failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"
        )
    return proc


@pytest.fixture(scope="module")
def demo_round(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("e2e") / "data"
    first = _run_demo(data_dir)
    return data_dir, first


@pytest.fixture(scope="module")
def warehouse(demo_round):
    data_dir, _ = demo_round
    from sentra.config import get_settings
    from sentra.warehouse import Warehouse

    return Warehouse(get_settings({"SENTRA_DATA_DIR": str(data_dir)}))


def _truth(data_dir: Path, year: int) -> pd.DataFrame:
    return pd.read_parquet(data_dir / "truth" / str(year) / "truth_rows.parquet")


def test_every_dag_run_succeeded(demo_round):
    data_dir, proc = demo_round
    assert (data_dir / "ledger.sqlite").exists(), "the demo wrote where SENTRA_DATA_DIR says"
    assert f"Data in {data_dir}" in proc.stdout
    for year in YEARS:
        assert f"Census {year}" in proc.stdout
    for dag_id in ("census_ingest", "census_consolidate", "census_reports"):
        lines = [line for line in proc.stdout.splitlines() if line.strip().startswith(dag_id)]
        assert len(lines) == len(YEARS), proc.stdout
        assert all(" success " in line for line in lines), lines


@pytest.mark.parametrize("year", YEARS)
def test_row_conservation_against_ground_truth(demo_round, warehouse, year):
    """Every generated data row is in submission_rows exactly once, with the right verdict."""
    data_dir, _ = demo_round
    truth = _truth(data_dir, year)
    rows = warehouse.sql(
        "SELECT office_code, source_file, source_row, verdict, reason_codes "
        "FROM submission_rows WHERE census_year = $y",
        params={"y": year},
    ).to_pandas()
    assert len(rows) == len(truth), "rows in the warehouse vs data rows the generator wrote"
    merged = truth.merge(
        rows,
        left_on=["office_code", "file_name", "source_row"],
        right_on=["office_code", "source_file", "source_row"],
        how="outer",
        indicator=True,
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head(20)
    got_rejected = merged["verdict"] == "rejected"
    want_rejected = merged["expected_verdict"] == "rejected"
    wrong = merged[got_rejected != want_rejected]
    assert wrong.empty, wrong[
        ["office_code", "file_name", "source_row", "verdict", "expected_verdict", "reason_codes"]
    ].head(20)
    for _, row in merged[want_rejected].iterrows():
        assert set(row["expected_reasons"]) <= set(row["reason_codes"]), row.to_dict()


@pytest.mark.parametrize("year", YEARS)
def test_one_published_row_per_sentra_and_every_row_linked(warehouse, year):
    census = warehouse.sql(
        "SELECT sentra_id, count(*) AS n FROM sentra_census WHERE census_year = $y GROUP BY 1",
        params={"y": year},
    ).to_pandas()
    assert len(census) > 0
    assert (census["n"] == 1).all()
    unlinked = warehouse.sql(
        "SELECT count(*) AS n FROM submission_rows WHERE census_year = $y "
        "AND verdict IN ('accepted', 'merged') AND sentra_id IS NULL",
        params={"y": year},
    ).to_pylist()[0]["n"]
    assert unlinked == 0


def test_reports_landed_in_the_outbox(demo_round):
    data_dir, _ = demo_round
    emails = list((data_dir / "outbox").glob("**/*.eml"))
    assert emails, "every office gets a report"
    text = emails[0].read_text(errors="replace")
    assert "Sensus" in text or "sensus" in text


def test_second_run_is_a_no_op(demo_round, warehouse):
    data_dir, _ = demo_round
    snapshots_before = len(warehouse.snapshots())
    emails_before = sorted(p.name for p in (data_dir / "outbox").glob("**/*.eml"))
    proc = _run_demo(data_dir)
    assert "already present" in proc.stdout
    assert len(warehouse.snapshots()) == snapshots_before, "a no-op rerun creates no snapshot"
    assert sorted(p.name for p in (data_dir / "outbox").glob("**/*.eml")) == emails_before


# ------------------------------------------------- curated views vs the truth


def test_view_rejected_by_reason_counts_the_truth(demo_round, warehouse):
    data_dir, _ = demo_round
    all_copies = 0
    for year in YEARS:
        truth = _truth(data_dir, year)
        rejected = truth[truth["expected_verdict"] == "rejected"]
        want = rejected["expected_reasons"].explode().dropna().value_counts().to_dict()
        got = warehouse.sql(
            "SELECT reason_code, sum(rows_rejected) AS n FROM rejected_by_reason "
            "WHERE census_year = $y GROUP BY 1",
            params={"y": year},
        ).to_pylist()
        got = {r["reason_code"]: r["n"] for r in got}
        for code, n in want.items():
            assert got.get(code, 0) >= n, (year, code, got, want)
        # An exact copy of a row is merged into the sentra it copies, not rejected.
        copies = int((truth["expected_verdict"] == "merged").sum())
        merged = warehouse.sql(
            "SELECT count(*) AS n FROM submission_rows WHERE census_year = $y "
            "AND verdict = 'merged'",
            params={"y": year},
        ).to_pylist()[0]["n"]
        assert merged >= copies, (year, copies, merged)
        all_copies += copies
    assert all_copies > 0, "the synthetic rounds have exact copies"


def test_view_office_completeness_matches_the_files_written(demo_round, warehouse):
    data_dir, _ = demo_round
    for year in YEARS:
        files = pd.read_parquet(data_dir / "truth" / str(year) / "truth_files.parquet")
        got = warehouse.sql(
            "SELECT office_code, rows_total FROM office_completeness WHERE census_year = $y",
            params={"y": year},
        ).to_pandas()
        merged = files.merge(got, on="office_code", how="outer", indicator=True)
        assert (merged["_merge"] == "both").all(), merged
        assert (merged["rows_total"] == merged["n_rows"]).all()


def _observed(data_dir: Path, year: int, states: set[str]) -> set[str]:
    """Registered sentra in ``states`` that year whose row the pipeline had to accept."""
    entities = pd.read_parquet(data_dir / "truth" / str(year) / "truth_entities.parquet")
    rows = _truth(data_dir, year)
    accepted = set(rows.loc[rows["expected_verdict"] == "accepted", "entity_id"])
    chosen = entities[entities["state"].isin(states) & entities["entity_id"].isin(accepted)]
    return set(chosen["sentra_id"].dropna())


def test_views_find_the_sentra_the_truth_closed_and_revived(demo_round, warehouse):
    data_dir, _ = demo_round
    first, last = YEARS
    closed = _observed(data_dir, last, {"closed_now"})
    inactive = warehouse.sql(
        "SELECT sentra_id FROM inactive_by_reason "
        "WHERE became_inactive_in = $y AND list_contains(reasons, 'status_reported_closed')",
        params={"y": last},
    ).to_pandas()
    assert closed <= set(inactive["sentra_id"]), closed - set(inactive["sentra_id"])
    # Revived = reported closed last round (and accepted), reported active now (accepted).
    revived = _observed(data_dir, first, {"closed_now"}) & _observed(data_dir, last, {"revived"})
    got = set(warehouse.sql("SELECT sentra_id FROM revived").to_pandas()["sentra_id"])
    assert revived <= got, revived - got


def test_view_active_by_province_commodity_adds_up(warehouse):
    total = warehouse.sql(
        "SELECT census_year, sum(reported) AS n FROM active_by_province_commodity GROUP BY 1"
    ).to_pylist()
    census = warehouse.sql("SELECT census_year, count(*) AS n FROM sentra_census GROUP BY 1")
    assert sorted(total, key=lambda r: r["census_year"]) == sorted(
        census.to_pylist(), key=lambda r: r["census_year"]
    )
    ovop = warehouse.sql("SELECT DISTINCT commodity_group AS g FROM ovop_per_kabkota").to_pylist()
    assert {r["g"] for r in ovop} <= {
        "makanan_minuman",
        "kain_tenun",
        "kain_batik",
        "anyaman",
        "gerabah",
    }


def test_no_personal_data_in_any_published_table(warehouse):
    from sentra.privacy import find_personal_data
    from sentra.warehouse.tables import TABLES

    for name in TABLES:
        table = warehouse.scan(name)
        assert not {"contact_name", "contact_phone"} & set(table.column_names)
        for column in table.column_names:
            values = table.column(column).to_pylist()
            leaked = [v for v in values if isinstance(v, str) and find_personal_data(v)]
            assert not leaked, (name, column, leaked[:3])
