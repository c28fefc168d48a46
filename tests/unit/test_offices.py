"""The office directory: every problem named by CSV line, column and value; import/list."""

from __future__ import annotations

import pytest

from sentra.offices import DirectoryError, import_directory, list_offices, read_directory

HEADER = "office_code,office_name,province_code,emails\n"


def _csv(tmp_path, body: str, header: str = HEADER):
    path = tmp_path / "offices.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_valid_directory_is_normalised(tmp_path):
    path = _csv(
        tmp_path,
        "3402,Dinas Perindustrian Kabupaten Bantul,34, a@bantulkab.go.id ; b@bantulkab.go.id\n"
        "\n"
        "34,,34,ikm@jogjaprov.go.id\n",
    )
    bantul, diy = read_directory(path)
    assert bantul.office_code == "34.02"
    assert bantul.emails == ("a@bantulkab.go.id", "b@bantulkab.go.id")
    assert diy.office_code == "34"
    assert "Yogyakarta" in diy.office_name, "a missing name falls back to the official one"


def test_every_problem_is_reported_with_line_column_and_value(tmp_path):
    path = _csv(
        tmp_path,
        "99.99,X,99,a@b.id\n"
        "34.02,Dinas Bantul,34,not-an-email\n"
        "3402,Dinas Bantul lagi,34,c@bantulkab.go.id\n"
        "34.04,Dinas Sleman,33,d@slemankab.go.id\n"
        "34.71,Dinas Kota Yogyakarta,34,\n"
        "34.03,Dinas Kulon Progo,34,x@kp.go.id;X@kp.go.id\n",
    )
    with pytest.raises(DirectoryError) as info:
        read_directory(path)
    problems = info.value.problems
    assert problems == [
        "line 2: office_code '99.99' is not a Kemendagri province or kab/kota code",
        "line 3: invalid email address not-an-email (column emails): An email address must "
        "have an @-sign.",
        "line 4: office_code '3402' is already listed on line 3",
        "line 5: province_code '33' does not match office 34.04, which lies in province 34",
        "line 6: emails '' holds no email address (separate several with ';')",
        "line 7: emails 'x@kp.go.id;X@kp.go.id' lists the same address twice",
    ]
    assert str(path) in str(info.value)


def test_missing_columns_and_missing_file(tmp_path):
    with pytest.raises(DirectoryError, match="missing column"):
        read_directory(_csv(tmp_path, "34.02,x\n", header="office_code,office_name\n"))
    with pytest.raises(DirectoryError, match="does not exist"):
        read_directory(tmp_path / "absent.csv")


def test_every_office_exists_from_the_start_with_its_official_name(settings):
    from sentra.ledger.db import migrate, session_scope
    from sentra.offices import seed_directory

    migrate(settings)
    with session_scope(settings) as session:
        added = seed_directory(session)
    assert added == 38 + 514, "38 provinces and 514 kab/kota (Kepmendagri 2025)"
    with session_scope(settings) as session:
        offices = {o.office_code: o for o in list_offices(session)}
    assert offices["34.02"].office_name == "Dinas Perindustrian Kabupaten Bantul"
    assert offices["34"].office_name == "Dinas Perindustrian Provinsi Daerah Istimewa Yogyakarta"
    assert offices["34.02"].emails == ()
    with session_scope(settings) as session:
        assert seed_directory(session) == 0, "seeding again adds nothing"


def test_import_only_adds_addresses(tmp_path, settings):
    from sentra.ledger.db import migrate, session_scope

    migrate(settings)
    first = _csv(
        tmp_path, "34.02,Dinas Bantul,34,a@bantulkab.go.id\n34.04,Dinas Sleman,34,s@sleman.go.id\n"
    )
    with session_scope(settings) as session:
        assert import_directory(session, first) == 2
    second = _csv(tmp_path, "34.02,Nama Lain,34,baru@bantulkab.go.id\n")
    with session_scope(settings) as session:
        assert import_directory(session, second) == 1
    with session_scope(settings) as session:
        offices = {o.office_code: o for o in list_offices(session)}
    assert len(offices) == 552, "the directory holds every office, listed in the CSV or not"
    assert offices["34.02"].emails == ("baru@bantulkab.go.id",)
    assert offices["34.02"].office_name == "Dinas Perindustrian Kabupaten Bantul", "official name"
    assert offices["34.04"].emails == ("s@sleman.go.id",), "an office not listed keeps its address"
    assert offices["34.71"].emails == ()
    assert offices["34.71"].active
