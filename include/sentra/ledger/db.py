"""Ledger connections, sessions and migrations.

SQLite in the embedded default (WAL, a busy timeout and foreign keys on, so several
Airflow task processes can write one file), PostgreSQL in production. The schema is
owned by the Alembic migrations shipped inside this package; ``migrate`` applies them
programmatically, so no ``alembic.ini`` is needed at run time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sentra.config import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

MIGRATIONS = Path(__file__).with_name("migrations")
PG_MIGRATION_LOCK = 727_317_001  # pg_advisory_lock key: one migrator at a time


@cache
def _engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no branch - runs per connection
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def engine_for(settings: Settings | None = None) -> Engine:
    """The (cached) engine of the ledger named by the settings."""
    return _engine((settings or get_settings()).ledger_url)


@contextmanager
def session_scope(settings: Settings | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    from sqlalchemy.orm import Session

    session = Session(engine_for(settings), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(settings: Settings | None = None) -> None:
    """Bring the ledger schema to the newest migration (idempotent, concurrency-safe).

    On PostgreSQL an advisory lock serialises concurrent migrators (two workers
    starting at once); on SQLite the database file lock does, with a retry when
    another process holds it.
    """
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    engine = engine_for(settings)
    cfg = _alembic_config(str(engine.url.render_as_string(hide_password=False)))
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            return
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == 4:
                raise
            time.sleep(0.5 * (attempt + 1))


def current_revision(settings: Settings | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine_for(settings).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_migrations_match_models(settings: Settings | None = None) -> list:
    """Differences between the migrated schema and the models (empty = in sync)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from sentra.ledger.models import Base

    migrate(settings)
    with engine_for(settings).connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)
