"""``sentra ledger``: what a data engineer types, and what comes back."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sentra.cli import main


def _run(*args):
    return CliRunner().invoke(main, ["ledger", *args], catch_exceptions=False)


def test_migrate_reports_what_it_did(settings):
    from sentra.ledger.db import head_revision

    head = head_revision()
    first = _run("migrate")
    assert first.exit_code == 0
    assert f"migrated (empty) -> {head}" in first.output
    again = _run("migrate")
    assert f"already at {head}" in again.output


def test_register_import_loads_once_and_refuses_bad_files(settings, tmp_path):
    good = tmp_path / "register.csv"
    good.write_text(
        "sentra_id,region_code,sentra_name,commodity,units\n"
        "S340200001,3402,Gerabah Kasongan,gerabah,12\n"
        "S340200002,34.02,Batik Giriloyo,kain batik,\n"
    )
    assert "2 register entries imported" in _run("register", "import", str(good)).output
    assert _run("register", "import", str(good)).exit_code == 0, "idempotent"
    bad = tmp_path / "bad.csv"
    bad.write_text("sentra_id,region_code,sentra_name,units\nS340200003,34.02,Tenun,banyak\n")
    result = CliRunner().invoke(main, ["ledger", "register", "import", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}, line 2, column 'units', value 'banyak': not a number" in result.output
    missing = CliRunner().invoke(main, ["ledger", "register", "import", str(tmp_path / "no.csv")])
    assert missing.exit_code == 2


def test_submissions_lists_the_round(settings):
    from sentra.landing import discover_and_record
    from sentra.ledger.db import session_scope

    _run("migrate")
    office = Path(settings.landing_uri) / "2026" / "34.02"
    office.mkdir(parents=True)
    (office / "sentra_bantul.csv").write_text("Nama Sentra\nGerabah\n")
    discover_and_record(settings, 2026, lambda: session_scope(settings))
    result = _run("submissions", "--year", "2026")
    assert result.exit_code == 0
    assert "34.02" in result.output
    assert "sentra_bantul.csv" in result.output
    assert "received" in result.output
    assert "Submissions 2026 (1)" in result.output
