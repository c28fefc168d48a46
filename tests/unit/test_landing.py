"""Landing discovery: fingerprints, problems instead of exceptions, idempotent recording."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from sentra.landing import discover, discover_and_record, open_file
from sentra.ledger.db import migrate, session_scope
from sentra.ledger.models import Submission


def _put(settings, rel: str, data: bytes, mtime: float | None = None) -> Path:
    path = Path(settings.landing_uri) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _by_name(files):
    return {f.file_name: f for f in files}


def test_files_are_fingerprinted_by_streaming_sha256(settings):
    big = os.urandom(3 * (1 << 20) + 17)  # several read chunks
    _put(settings, "2026/34.02/besar.xlsx", big)
    _put(settings, "2026/34.02/kecil.csv", b"Nama Sentra\nGerabah\n")
    files = _by_name(discover(settings, 2026))
    assert files["besar.xlsx"].sha256 == hashlib.sha256(big).hexdigest()
    assert files["besar.xlsx"].size_bytes == len(big)
    assert files["besar.xlsx"].modified_at.tzinfo is not None
    assert files["kecil.csv"].usable
    assert open_file(settings, files["kecil.csv"].file_uri) == b"Nama Sentra\nGerabah\n"


def test_missing_year_folder_is_an_empty_round(settings):
    assert discover(settings, 2030) == []


def test_lock_and_hidden_files_are_listed_as_ignored_with_a_reason(settings):
    _put(settings, "2026/34.02/~$data.xlsx", b"lock")
    _put(settings, "2026/34.02/.DS_Store", b"mac")
    _put(settings, "2026/34.02/data.xlsx", b"real")
    files = _by_name(discover(settings, 2026))
    assert files["~$data.xlsx"].ignored == "Office lock file of an open workbook"
    assert files[".DS_Store"].ignored == "hidden file"
    assert files["data.xlsx"].ignored is None


def test_office_folder_spellings_and_unknown_folders(settings):
    _put(settings, "2026/3402/a.csv", b"a")
    _put(settings, "2026/34-71/b.csv", b"b")
    _put(settings, "2026/34/c.csv", b"c")
    _put(settings, "2026/Bantul/d.csv", b"d")
    _put(settings, "2026/99.99/e.csv", b"e")
    _put(settings, "2026/34.02/sub/f.csv", b"f")
    _put(settings, "2026/g.csv", b"g")
    files = _by_name(discover(settings, 2026))
    assert {n: files[n].office_code for n in ["a.csv", "b.csv", "c.csv"]} == {
        "a.csv": "34.02",
        "b.csv": "34.71",
        "c.csv": "34",
    }
    for name, where in [
        ("d.csv", "Bantul"),
        ("e.csv", "99.99"),
        ("f.csv", "34.02/sub"),
        ("g.csv", "(the year folder itself)"),
    ]:
        assert (files[name].problem, files[name].detail) == ("unknown_office", where)


def test_links_out_of_the_landing_folder_are_problems_not_exceptions(settings, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0")
    outside_dir = tmp_path / "elsewhere"
    outside_dir.mkdir()
    (outside_dir / "z.csv").write_text("z")
    office = Path(settings.landing_uri) / "2026" / "34.02"
    office.mkdir(parents=True)
    (office / "evil.csv").symlink_to(secret)
    (office / "gone.csv").symlink_to(office / "deleted.csv")
    (office / "inside.csv").symlink_to(_put(settings, "2026/34.03/real.csv", b"ok"))
    (Path(settings.landing_uri) / "2026" / "34.71").symlink_to(outside_dir)
    files = _by_name(discover(settings, 2026))
    assert files["evil.csv"].problem == "outside_landing"
    assert "symbolic link" in files["evil.csv"].detail
    assert files["z.csv"].problem == "outside_landing"
    assert files["gone.csv"].problem == "file_unreadable", "a dangling link is not dropped"
    assert files["inside.csv"].usable, "a link within the landing folder is fine"


def _discover(settings):
    """What the task does: discovery in the task's own ledger transactions."""
    return discover_and_record(settings, 2026, lambda: session_scope(settings))


def test_discover_and_record_is_idempotent(settings):
    migrate(settings)
    _put(settings, "2026/34.02/a.xlsx", b"first", mtime=1_700_000_000)
    _put(settings, "2026/34.03/b.csv", b"second", mtime=1_700_000_000)
    _put(settings, "2026/34.03/~$b.xlsx", b"lock")
    first = _discover(settings)
    again = _discover(settings)
    assert len(first.new) == 2
    assert (again.new, sorted(again.known), again.superseded) == ([], sorted(first.new), [])
    assert [f.file_name for f in again.ignored] == ["~$b.xlsx"]
    with session_scope(settings) as s:
        assert s.query(Submission).count() == 2


def test_newer_file_supersedes_and_resending_old_bytes_restores_them(settings):
    migrate(settings)
    _put(settings, "2026/34.02/data.xlsx", b"version 1", mtime=1_700_000_000)
    v1 = _discover(settings).new[0]
    _put(settings, "2026/34.02/data revisi.xlsx", b"version 2", mtime=1_700_100_000)
    second = _discover(settings)
    assert second.superseded == [v1]
    v2 = second.new[0]
    # The office changes its mind and uploads the first file again, later.
    _put(settings, "2026/34.02/data final.xlsx", b"version 1", mtime=1_700_200_000)
    third = _discover(settings)
    assert (third.new, third.superseded) == ([], [v2])
    with session_scope(settings) as s:
        current = s.query(Submission).filter(Submission.status != "superseded").one()
        assert (current.submission_id, current.file_name) == (v1, "data final.xlsx")
    assert _discover(settings).superseded == []


def test_renamed_file_is_read_from_its_new_place(settings):
    migrate(settings)
    old = _put(settings, "2026/34.02/data.xlsx", b"bytes", mtime=1_700_000_000)
    sub_id = _discover(settings).new[0]
    new = old.with_name("data_bantul.xlsx")
    old.rename(new)
    result = _discover(settings)
    assert (result.new, result.known) == ([], [sub_id])
    with session_scope(settings) as s:
        assert s.get(Submission, sub_id).file_uri == str(new)


def test_unsafe_files_become_rejected_submissions_the_office_is_told_about(settings, tmp_path):
    migrate(settings)
    secret = tmp_path / "passwd.csv"
    secret.write_text("root:x:0:0")
    office = Path(settings.landing_uri) / "2026" / "34.02"
    office.mkdir(parents=True)
    (office / "evil.csv").symlink_to(secret)
    _put(settings, "2026/Bantul/lost.csv", b"x")
    result = _discover(settings)
    assert {p.file_name: p.problem for p in result.problems} == {
        "evil.csv": "outside_landing",
        "lost.csv": "unknown_office",
    }
    with session_scope(settings) as s:
        rejected = s.query(Submission).one()
        assert (rejected.office_code, rejected.status, rejected.error_code) == (
            "34.02",
            "rejected",
            "outside_landing",
        )
        assert rejected.error_message.startswith("Berkas berada di luar folder penerimaan")
    assert _discover(settings).new == [], "not recorded twice"


@pytest.mark.parametrize("year", [2026])
def test_discovery_order_is_deterministic(settings, year):
    for name in ["c.csv", "a.csv", "b.csv"]:
        _put(settings, f"{year}/34.02/{name}", name.encode())
    assert [f.file_name for f in discover(settings, year)] == ["a.csv", "b.csv", "c.csv"]
