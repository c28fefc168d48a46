"""End to end as the README tells a new user: hand-written office files (not synth output),
the office directory, then ``sentra run`` on the folder, then ``sentra sql`` and
``sentra reports status`` in the same environment (``SENTRA_DATA_DIR`` only)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "own_files"
SENTRA = str(Path(sys.executable).with_name("sentra"))


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENTRA_"))}
    env |= {"SENTRA_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return env


def sentra(data_dir: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [SENTRA, *args],
        capture_output=True,
        text=True,
        env=_env(data_dir),
        timeout=900,
        check=False,
    )
    if ok and proc.returncode != 0:
        pytest.fail(
            f"sentra {' '.join(args)} failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
        )
    return proc


def query(data_dir: Path, sql: str) -> list[dict]:
    return json.loads(sentra(data_dir, "sql", sql, "--format", "json").stdout)


@pytest.fixture(scope="module")
def own_round(tmp_path_factory):
    """The README's steps, in a fresh data folder: addresses, register, one run."""
    data_dir = tmp_path_factory.mktemp("own") / "data"
    sentra(data_dir, "offices", "import", str(FIXTURES / "offices.csv"))
    imported = sentra(data_dir, "register", "import", str(FIXTURES / "register.xlsx"))
    assert "6 imported (6 new, 0 updated, 0 unchanged), 2 rejected" in imported.stdout
    run = sentra(data_dir, "run", str(FIXTURES / "landing"))
    return data_dir, run


def _register_ids(data_dir: Path) -> dict[str, str]:
    import sqlite3

    with sqlite3.connect(data_dir / "ledger.sqlite") as db:
        rows = db.execute(
            "SELECT sentra_name, sentra_id FROM sentra_register WHERE created_by = 'register'"
        ).fetchall()
    return dict(rows)


def test_round_one_links_to_the_imported_register(own_round):
    data_dir, _ = own_round
    registered = _register_ids(data_dir)
    published = {
        r["sentra_name"]: r["sentra_id"]
        for r in query(
            data_dir,
            "SELECT s.sentra_name AS sentra_name, c.sentra_id AS sentra_id "
            "FROM sentra_census c JOIN sentra s USING (sentra_id) WHERE c.census_year = 2026",
        )
    }
    for name in ("Sentra Batik Giriloyo", "Sentra Gerabah Kasongan", "Sentra Salak Pondoh Turi",
                 "Sentra Lurik Pedan", "Sentra Wayang Kulit Pucung"):  # fmt: skip
        assert published[name] == registered[name], name
    names = query(data_dir, "SELECT sentra_name, count(*) AS n FROM sentra GROUP BY 1")
    assert all(r["n"] == 1 for r in names), "no sentra was registered twice"


def test_run_goes_through_every_dag_and_shows_progress_and_summary(own_round):
    _, run = own_round
    out = run.stdout
    for dag_id in ("census_ingest", "census_consolidate", "census_reports"):
        line = next(x for x in out.splitlines() if x.strip().startswith(dag_id))
        assert " success " in line, line
    assert "files read 3/3" in out
    assert "rows 10" in out
    assert "2026: files: 3 staged" in out
    assert "rows: 9 accepted, 1 rejected" in out


def test_the_same_environment_sees_the_published_warehouse(own_round):
    data_dir, _ = own_round
    rows = query(
        data_dir,
        "SELECT office_code, verdict, count(*) AS n FROM submission_rows "
        "WHERE census_year = 2026 GROUP BY ALL ORDER BY ALL",
    )
    assert rows == [
        {"office_code": "33.10", "verdict": "accepted", "n": 2},
        {"office_code": "34.02", "verdict": "accepted", "n": 4},
        {"office_code": "34.02", "verdict": "rejected", "n": 1},
        {"office_code": "34.04", "verdict": "accepted", "n": 3},
    ]
    names = query(data_dir, "SELECT sentra_name FROM sentra ORDER BY 1")
    assert {"Sentra Batik Giriloyo", "Sentra Tembaga Tumang"} <= {r["sentra_name"] for r in names}


def test_reports_go_to_offices_with_an_address_and_wait_for_the_others(own_round):
    data_dir, _ = own_round
    outbox = sorted((data_dir / "outbox").glob("**/*.eml"))
    recipients = " ".join(p.read_text(errors="replace") for p in outbox)
    assert "disperindag@bantulkab.go.id" in recipients
    assert "ikm@slemankab.go.id" in recipients
    status = sentra(data_dir, "reports", "status", "--year", "2026", ok=False)
    assert status.returncode == 1, "an undeliverable report needs attention"
    assert "undeliverable: 1 report(s)" in status.stdout
    assert "33.10    report    office has no e-mail address" in status.stdout
    # The address arrives: the kept report goes out, and nothing is undeliverable any more.
    offices = data_dir.parent / "klaten.csv"
    offices.write_text("office_code,emails\n33.10,ikm@klatenkab.go.id\n", encoding="utf-8")
    sentra(data_dir, "offices", "import", str(offices))
    sent = sentra(data_dir, "reports", "send", "--year", "2026")
    assert "1 sent (1 report)" in sent.stdout
    status = sentra(data_dir, "reports", "status", "--year", "2026")
    assert "every report was delivered" in status.stdout


def test_a_rerun_changes_nothing(own_round):
    data_dir, _ = own_round
    before = query(data_dir, "SELECT count(*) AS n FROM submissions")
    again = sentra(data_dir, "run", str(FIXTURES / "landing"))
    assert "files read 3/3" in again.stdout
    # As the scheduler would: census_ingest announced nothing, so nothing else runs.
    lines = {line.split()[0]: line for line in again.stdout.splitlines() if line.strip()}
    assert " success " in lines["census_ingest"]
    for dag_id in ("census_consolidate", "census_reports"):
        assert " not run " in lines[dag_id], again.stdout
    assert query(data_dir, "SELECT count(*) AS n FROM submissions") == before


def _config_env(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    """SENTRA_CONFIG alone (no SENTRA_DATA_DIR): a TOML file naming the data folder."""
    config = tmp_path / "sentra.toml"
    config.write_text(f'[sentra]\ndata_dir = "{data_dir}"\n', encoding="utf-8")
    env = _env(data_dir)
    del env["SENTRA_DATA_DIR"]
    env["SENTRA_CONFIG"] = str(config)
    return env


def _cli(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [SENTRA, *args], capture_output=True, text=True, env=env, timeout=900, check=False
    )
    if ok:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_flat_folder_refused_naming_the_file_then_placed_and_run_where_sentra_config_says(
    tmp_path,
):
    """A flat folder under SENTRA_CONFIG alone: run and sql use the config's data_dir."""
    data_dir = tmp_path / "elsewhere"
    env = _config_env(tmp_path, data_dir)
    refused = _cli(env, "run", str(FIXTURES / "flat"), "--year", "2026", ok=False)
    assert refused.returncode != 0
    assert "rekap.csv" in refused.stderr
    assert not (data_dir / "landing").exists(), "nothing is copied when a file is refused"
    flat = tmp_path / "flat"
    shutil.copytree(FIXTURES / "flat", flat)
    (flat / "rekap.csv").unlink()
    run = _cli(env, "run", str(flat), "--year", "2026").stdout
    assert "data sentra 2026.xlsx → 34.01 (content)" in run
    assert "Sentra Kota Yogyakarta.csv → 34.71 (name)" in run
    assert (data_dir / "ledger.sqlite").is_file(), "the run wrote where the config says"
    out = _cli(
        env,
        "sql",
        "SELECT DISTINCT office_code FROM submission_rows WHERE census_year = 2026",
        "--format",
        "json",
    ).stdout
    assert sorted(r["office_code"] for r in json.loads(out)) == ["34.01", "34.71"]
    assert not (tmp_path / "data").exists()


def test_synth_follows_sentra_config(tmp_path):
    data_dir = tmp_path / "elsewhere"
    env = _config_env(tmp_path, data_dir)
    _cli(env, "synth", "--sentra", "30", "--years", "2026", "--provinces", "34")
    assert any((data_dir / "landing" / "2026").rglob("*.*")), "synth wrote the landing files"
    assert (data_dir / "register.csv").is_file()
    assert not (tmp_path / "data").exists()
