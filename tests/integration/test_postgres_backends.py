"""The ledger on the machine's real PostgreSQL (the Iceberg catalog: test_catalog_postgres.py).

Each test gets a fresh throw-away database (created and dropped here). Skips, saying
so, only when nothing listens on 127.0.0.1:5432.
"""

from __future__ import annotations

import multiprocessing as mp

import pandas as pd
import pytest
from conftest import POSTGRES_AVAILABLE

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not POSTGRES_AVAILABLE, reason="PostgreSQL is not running on 127.0.0.1:5432"
    ),
]


def _settings(tmp_path, pg_url):
    from sentra.config import get_settings

    return get_settings(
        {
            "SENTRA_DATA_DIR": str(tmp_path),
            "SENTRA_LEDGER_URL": pg_url,
            "SENTRA_CATALOG_URL": pg_url,
        }
    )


def _migrate(args):
    data_dir, url = args
    from sentra.config import get_settings
    from sentra.ledger.db import migrate

    migrate(get_settings({"SENTRA_DATA_DIR": data_dir, "SENTRA_LEDGER_URL": url}))
    return True


def _allocate(args):
    data_dir, url, n = args
    from sentra.config import get_settings
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope

    settings = get_settings({"SENTRA_DATA_DIR": data_dir, "SENTRA_LEDGER_URL": url})
    ids = []
    for _ in range(n):
        with session_scope(settings) as session:
            new = repo.allocate_sentra_ids(session, "34.02", 1)
            repo.add_register_entries(
                session,
                pd.DataFrame([{"sentra_id": new[0], "region_code": "34.02", "sentra_name": "x"}]),
            )
            ids.extend(new)
    return ids


def test_ledger_migrates_idempotently_and_concurrently(tmp_path, pg_url):
    from sentra.ledger.db import (
        check_migrations_match_models,
        current_revision,
        head_revision,
        migrate,
    )

    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        assert pool.map(_migrate, [(str(tmp_path), pg_url)] * 2) == [True, True]
    settings = _settings(tmp_path, pg_url)
    migrate(settings)
    # get_current_head() refuses a branched chain, so this also says it is linear;
    # which revision is the head is test_ledger's business, not this test's.
    assert current_revision(settings) == head_revision() is not None
    assert check_migrations_match_models(settings) == [], "models and migrations agree"


def test_sentra_ids_never_collide_under_concurrency(tmp_path, pg_url):
    from sentra.ledger.db import migrate

    migrate(_settings(tmp_path, pg_url))
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        a, b = pool.map(_allocate, [(str(tmp_path), pg_url, 15)] * 2)
    assert len(set(a) | set(b)) == 30
    assert sorted(set(a) | set(b))[-1] == "S340200030"


def test_supersession_and_discovery_on_postgres(tmp_path, pg_url):
    from datetime import UTC, datetime, timedelta

    from sentra.ledger import repository as repo
    from sentra.ledger.db import migrate, session_scope

    settings = _settings(tmp_path, pg_url)
    migrate(settings)
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    with session_scope(settings) as s:
        old, created = repo.record_discovered(
            s,
            census_year=2026,
            office_code="34.02",
            file_uri="a",
            file_name="a.csv",
            sha256="a" * 64,
            size_bytes=1,
            modified_at=t0,
        )
        again, created_again = repo.record_discovered(
            s,
            census_year=2026,
            office_code="34.02",
            file_uri="a2",
            file_name="a-copy.csv",
            sha256="a" * 64,
            size_bytes=1,
            modified_at=t0,
        )
        new, _ = repo.record_discovered(
            s,
            census_year=2026,
            office_code="34.02",
            file_uri="b",
            file_name="b.csv",
            sha256="b" * 64,
            size_bytes=1,
            modified_at=t0 + timedelta(days=1),
        )
        assert created
        assert not created_again
        assert again.submission_id == old.submission_id
        assert repo.apply_supersession(s, 2026, "34.02") == [old.submission_id]
    with session_scope(settings) as s:
        current = repo.current_submissions(s, 2026)
        assert [c.submission_id for c in current] == [new.submission_id]
