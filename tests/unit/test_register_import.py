"""``sentra register import``: the ministry's register, read by the submission readers,
becomes entries with stable ids; re-import changes nothing, an update links."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sentra.register_import import RegisterFileError, import_register_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "own_files"


@pytest.fixture
def ledger(settings):
    from sentra.ledger.db import migrate

    migrate(settings)
    return settings


def _import(settings, path):
    """As ``sentra register import`` does: one session, one transaction."""
    from sentra.ledger.db import session_scope

    with session_scope(settings) as session:
        return import_register_file(session, settings, path)


def _entries(settings) -> dict[str, dict]:
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope

    with session_scope(settings) as session:
        frame = repo.load_register(session)
    return {r["sentra_id"]: r for r in frame.to_dict("records")}


def test_messy_register_becomes_entries_with_reasons_for_the_rest(ledger):
    report = _import(ledger, FIXTURES / "register.xlsx")
    assert (report.rows_read, report.new, len(report.rejected)) == (8, 6, 2)
    assert [(r.row, r.reasons) for r in report.rejected] == [
        (10, ("missing_required",)),
        (11, ("invalid_region",)),
    ]
    assert "Kabupaten Antah Berantah" in report.rejected[1].message
    entries = _entries(ledger)
    by_name = {e["sentra_name"]: e for e in entries.values()}
    kasongan = by_name["Sentra Gerabah Kasongan"]
    assert kasongan["region_code"] == "34.02"  # "3402" in the file
    assert kasongan["units"] == 55
    assert kasongan["sentra_id"].startswith("S3402")
    assert by_name["Sentra Lurik Pedan"]["region_code"] == "33.10"
    assert {e["created_by"] for e in entries.values()} == {"register"}
    dups = report.possible_duplicates
    assert [(d.row_a, d.row_b) for d in dups] == [(8, 9)], "the two Pucung rows"


def test_reimport_is_idempotent_and_an_update_links_instead_of_duplicating(ledger):
    _import(ledger, FIXTURES / "register.xlsx")
    first = _entries(ledger)
    again = _import(ledger, FIXTURES / "register.xlsx")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 6)
    assert _entries(ledger) == first
    updated = _import(ledger, FIXTURES / "register_updated.csv")
    assert (updated.new, updated.updated, updated.unchanged) == (1, 1, 5)
    after = _entries(ledger)
    assert set(first) < set(after), "every id survives; one sentra added"
    giriloyo = next(sid for sid, e in first.items() if e["sentra_name"] == "Sentra Batik Giriloyo")
    assert after[giriloyo]["sentra_name"] == "Sentra Batik Tulis Giriloyo"
    assert after[giriloyo]["units"] == 42
    added = set(after) - set(first)
    assert [after[s]["sentra_name"] for s in added] == ["Sentra Tembaga Tumang"]


def test_ministry_ids_in_the_file_are_kept_and_malformed_ones_rejected(ledger, tmp_path):
    path = tmp_path / "register.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ID Sentra", "Nama Sentra", "Kab/Kota", "Komoditas", "Jumlah Unit Usaha"])
        w.writerow(["S340200042", "Sentra Batik Giriloyo", "Bantul", "Batik", "40"])
        w.writerow(["S330100001", "Sentra Gerabah Kasongan", "Bantul", "Gerabah", "50"])
        w.writerow(["X-1", "Sentra Kulit Manding", "Bantul", "Kulit", "20"])
    report = _import(ledger, path)
    assert report.new == 1
    assert sorted(_entries(ledger)) == ["S340200042"]
    assert [(r.row, r.reasons) for r in report.rejected] == [
        (3, ("unknown_sentra_id",)),
        (4, ("unknown_sentra_id",)),
    ]
    # Numbering for new sentra continues after the ministry's ids.
    more = tmp_path / "more.csv"
    more.write_text(
        "Nama Sentra,Kab/Kota,Komoditas,Jumlah Unit Usaha\nSentra Keris Baru,Bantul,Keris,9\n",
        encoding="utf-8",
    )
    _import(ledger, more)
    assert sorted(_entries(ledger)) == ["S340200042", "S340200043"]


def test_a_file_without_the_needed_columns_is_refused_whole(ledger, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("Nama Sentra,Alamat\nSentra A,Jl. Mawar\n", encoding="utf-8")
    with pytest.raises(RegisterFileError, match=r"register\.csv"):
        _import(ledger, path)
    assert _entries(ledger) == {}


def test_a_register_of_names_and_places_only_is_imported(ledger, tmp_path):
    """A ministry export often has no unit counts or commodity: those are not needed."""
    path = tmp_path / "register.csv"
    path.write_text(
        "Nama Sentra;Kode Kab/Kota;Kecamatan;Desa;Lintang;Bujur\n"
        "Sentra Gerabah Kasongan;34.02;Kasihan;Bangunjiwo;-7,8431;110,3403\n"
        "Sentra Batik Giriloyo;34.02;Imogiri;Wukirsari;;\n",
        encoding="utf-8",
    )
    report = _import(ledger, path)
    assert (report.rows_read, report.new, report.rejected) == (2, 2, [])
    by_name = {e["sentra_name"]: e for e in _entries(ledger).values()}
    assert by_name["Sentra Gerabah Kasongan"]["latitude"] == pytest.approx(-7.8431)
    assert by_name["Sentra Batik Giriloyo"]["units"] is None
    assert by_name["Sentra Batik Giriloyo"]["region_code"] == "34.02"
