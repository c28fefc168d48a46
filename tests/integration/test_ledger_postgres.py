"""The ledger on the machine's real PostgreSQL: what only a server shows.

Every test gets a fresh throw-away database (``sentra_test_<random>``, created through
the ``postgres`` database with AUTOCOMMIT and dropped afterwards). Skips, printing the
reason, only when PostgreSQL is not reachable.
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from conftest import POSTGRES_AVAILABLE

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not POSTGRES_AVAILABLE, reason="PostgreSQL is not reachable on 127.0.0.1:5432"
    ),
]
FORK = multiprocessing.get_context("fork")


@pytest.fixture
def pg_settings(tmp_path, pg_url):
    from sentra.config import get_settings

    return get_settings({"SENTRA_DATA_DIR": str(tmp_path / "data"), "SENTRA_LEDGER_URL": pg_url})


def _run_in_processes(target, args, n=2, timeout=120):
    procs = [FORK.Process(target=target, args=args) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout)
    return [p.exitcode for p in procs]


def _migrate_child(settings) -> None:
    from sentra.ledger.db import migrate

    migrate(settings)


def test_migrate_twice_and_from_two_processes_at_once(pg_settings):
    from sentra.ledger.db import (
        check_migrations_match_models,
        current_revision,
        engine_for,
        head_revision,
    )

    engine_for(pg_settings).connect().close()  # a pooled connection the children must not share
    assert _run_in_processes(_migrate_child, (pg_settings,), n=3) == [0, 0, 0]
    _migrate_child(pg_settings)
    _migrate_child(pg_settings)
    assert current_revision(pg_settings) == head_revision()
    assert check_migrations_match_models(pg_settings) == []


def _allocate_child(settings, rounds: int, region: str) -> None:
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope

    for _ in range(rounds):
        with session_scope(settings) as s:
            ids = repo.allocate_sentra_ids(s, region, 3)
            time.sleep(0.002)  # widen the window between reading the max and inserting
            frame = pd.DataFrame({"sentra_id": ids, "region_code": region, "sentra_name": "x"})
            repo.add_register_entries(s, frame)


def test_two_processes_allocating_for_a_new_kabkota_never_share_an_id(pg_settings):
    from sentra.ledger import repository as repo
    from sentra.ledger.db import migrate, session_scope

    migrate(pg_settings)
    # 34.71 has no entries yet: there is no row a row lock could hold.
    assert _run_in_processes(_allocate_child, (pg_settings, 10, "34.71")) == [0, 0]
    with session_scope(pg_settings) as s:
        ids = sorted(repo.load_register(s)["sentra_id"])
    assert ids == [f"S3471{seq:05d}" for seq in range(1, 61)]


def _discover_child(settings) -> None:
    from sentra.landing import discover_and_record
    from sentra.ledger.db import session_scope

    discover_and_record(settings, 2026, lambda: session_scope(settings))


def test_concurrent_discoveries_record_each_file_once(pg_settings):
    from sentra.ledger import repository as repo
    from sentra.ledger.db import migrate, session_scope

    migrate(pg_settings)
    for office in ("34.02", "34.03", "34.71", "34"):
        folder = Path(pg_settings.landing_uri) / "2026" / office
        folder.mkdir(parents=True)
        (folder / "data.csv").write_bytes(f"Nama Sentra\n{office}\n".encode())
    assert _run_in_processes(_discover_child, (pg_settings,), n=3) == [0, 0, 0]
    with session_scope(pg_settings) as s:
        current = repo.current_submissions(s, 2026)
    assert [c.office_code for c in current] == ["34", "34.02", "34.03", "34.71"]


def test_bulk_upserts_on_postgres(pg_settings):
    from sqlalchemy import func, select

    from sentra.ledger import repository as repo
    from sentra.ledger.db import migrate, session_scope
    from sentra.ledger.models import RecordLink

    migrate(pg_settings)
    register = pd.DataFrame(
        {
            "sentra_id": ["S340200001", "S340200002"],
            "region_code": "34.02",
            "sentra_name": ["Gerabah Kasongan", "Batik Giriloyo"],
        }
    )
    n = 50_000
    links = pd.DataFrame(
        {
            "record_key": [f"2026-34.02-abc#{i}" for i in range(n)],
            "census_year": 2026,
            "sentra_id": "S340200001",
            "cluster_key": "2026-34.02-abc#0",
            "method": "match",
            "score": 0.91,
            "evidence": [{"name": 0.9}] * n,
            "linked_at": datetime(2026, 5, 1, tzinfo=UTC),
        }
    )
    with session_scope(pg_settings) as s:
        repo.import_register(s, register)
        repo.import_register(s, register)  # idempotent
        started = time.perf_counter()
        repo.save_links(s, links)
        repo.save_links(s, links.assign(sentra_id="S340200002"))
        elapsed = time.perf_counter() - started
        # The same key twice in one call: PostgreSQL refuses that in one statement.
        again = links.head(2).assign(sentra_id="S340200002")
        repo.save_links(s, pd.concat([again, again.assign(method="decision")]))
    print(f"\n2 x {n:,} link upserts on PostgreSQL: {elapsed:.2f} s")
    with session_scope(pg_settings) as s:
        assert s.scalar(select(func.count()).select_from(RecordLink)) == n
        loaded = repo.load_links(s, 2026).set_index("record_key")
    assert set(loaded["sentra_id"]) == {"S340200002"}
    assert loaded.loc["2026-34.02-abc#1", "method"] == "decision"
    assert loaded.loc["2026-34.02-abc#7", "evidence"] == {"name": 0.9}


def test_what_offices_write_out_in_full_is_stored_not_refused(pg_settings):
    """PostgreSQL enforces column lengths that SQLite ignores.

    A kecamatan and desa that resolve to no code stay as the office wrote them, a long
    sentra name, a phone cell with two numbers: the publication once failed on
    ``StringDataRightTruncation`` (varchar(16)) for the whole year on such a row.
    """
    from sentra.ledger import repository as repo
    from sentra.ledger.db import migrate, session_scope
    from sentra.ledger.models import SentraContact

    migrate(pg_settings)
    entry = {
        "sentra_id": "S340200001",
        "region_code": "34.02",
        "province_code": "34",
        "sentra_name": "Sentra Industri Kecil dan Menengah Kerajinan Gerabah " * 8,
        "commodity": "gerabah hias, guci, pot bunga, celengan dan souvenir tanah liat " * 4,
        "commodity_group": "kerajinan",
        "kecamatan_code": "Kecamatan Kasihan (pemekaran 2024, belum ada kode)",
        "desa_code": "Dusun Kasongan RT 04 / RW 12, Desa Bangunjiwo",
        "address": "Jl. Kasongan",
        "latitude": -7.8466,
        "longitude": 110.3421,
        "units": 40,
        "first_census_year": 2026,
        "last_census_year": 2026,
        "created_at": datetime(2026, 5, 1, tzinfo=UTC),
        "created_by": "2026-34.02-abc",
    }
    where = {"submission_id": "2026-34.02-abc", "source_sheet": "", "source_row": 7}
    contact = {
        **where,
        "contact_name": "Bapak Haji Muhammad Sutrisno Wiryo Hadinegoro, S.E., M.M. " * 5,
        "contact_phone": "0812-2745-1234 / 0274-512345 (kantor) / +62 813 9876 5432",
    }
    with session_scope(pg_settings) as s:
        repo.replace_submission_contacts(s, "2026-34.02-abc", pd.DataFrame([contact]))
        repo.record_consolidation(
            s,
            2026,
            register_entries=pd.DataFrame([entry]),
            links=pd.DataFrame(),
            contacts=pd.DataFrame([{"sentra_id": "S340200001", **where}]),
        )
    with session_scope(pg_settings) as s:
        stored = repo.load_register(s).iloc[0]
        person = s.get(SentraContact, "S340200001")
        assert (person.contact_name, person.contact_phone) == (
            contact["contact_name"],
            contact["contact_phone"],
        )
    for column in ("sentra_name", "commodity", "kecamatan_code", "desa_code"):
        assert stored[column] == entry[column], column


def test_a_snapshot_session_does_not_see_what_ingest_commits_meanwhile(pg_settings):
    """A consolidation's load must not see a submission staged between two of its reads."""
    from sqlalchemy import func, select

    from sentra.ledger.db import migrate, session_scope
    from sentra.ledger.models import Office

    migrate(pg_settings)

    def offices(session) -> int:
        return session.scalar(select(func.count()).select_from(Office))

    with session_scope(pg_settings) as session:
        before = offices(session)
    with session_scope(pg_settings, snapshot=True) as load:
        assert offices(load) == before
        with session_scope(pg_settings) as ingest:  # another task commits meanwhile
            ingest.add(Office(office_code="34.02", office_name="Kab. Bantul", province_code="34"))
        assert offices(load) == before, "the load's second read saw a later commit"
    with session_scope(pg_settings) as plain:
        first = offices(plain)
        with session_scope(pg_settings) as ingest:
            ingest.add(Office(office_code="34.04", office_name="Kab. Sleman", province_code="34"))
        assert offices(plain) == first + 1, "READ COMMITTED sees it: the race the snapshot closes"
