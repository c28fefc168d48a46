"""Ledger connections, sessions and migrations.

SQLite in the embedded default (WAL, a busy timeout and foreign keys on, so several
Airflow task processes can write one file), PostgreSQL in production. The schema is
owned by the Alembic migrations shipped inside this package; ``migrate`` applies them
programmatically, so no ``alembic.ini`` is needed at run time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentra.config import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

MIGRATIONS = Path(__file__).with_name("migrations")
PG_MIGRATION_LOCK = 727_317_001  # pg_advisory_lock key: one migrator at a time
PG_YEAR_LOCK_SPACE = 727_317  # pg_try_advisory_lock(space, census_year): one writer per year
SQLITE_BUSY_MS = 60_000  # how long a writer waits for another process's write lock

_ENGINES: dict[str, Engine] = {}

# A factory of ledger units of work, for code that needs more than one transaction
# (or a fresh one per retry): the entry point passes ``lambda: session_scope(settings)``.
LedgerSessions = Callable[[], "AbstractContextManager[Session]"]


def _dispose_after_fork() -> None:
    """Forked task processes must not share the parent's pooled connections."""
    for engine in _ENGINES.values():
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_dispose_after_fork)


def _sqlite_path(url: str) -> str | None:
    path = url.split("///", 1)[-1] if "///" in url else ""
    return path if path and path != ":memory:" else None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _create_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def engine_for(settings: Settings | None = None) -> Engine:
    """The engine of the ledger named by the settings, one per URL and process."""
    url = (settings or get_settings()).ledger_url
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES.setdefault(url, _create_engine(url))
    return engine


@contextmanager
def session_scope(settings: Settings | None = None, *, snapshot: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    ``snapshot=True`` makes every query of the session see the same committed state:
    a consolidation's load reads submissions, their row counts and the register in
    several statements while ingest tasks keep committing, and under PostgreSQL's
    default READ COMMITTED two of them could disagree (the audit then finds more rows
    declared than staged). PostgreSQL gets REPEATABLE READ; SQLite's transactions are
    serializable already.
    """
    from sqlalchemy.orm import Session

    engine = engine_for(settings)
    if snapshot and engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def request_session() -> Iterator[Session]:
    """A FastAPI dependency: one ledger unit of work per web request.

    A route of the board (``sentra.board_app``, served by Airflow's api-server) is an
    entry point like a task or a command; it takes its session from this dependency
    (``session: Session = Depends(request_session)``) and hands it down, so the code
    it calls never opens one. It lives here, not in the route module, so every web
    entry point opens sessions the same way (settings read per request, commit at the
    end, rollback on error) and the ledger stays the only place besides tasks and
    commands that calls :func:`session_scope`.
    """
    with session_scope() as session:
        yield session


class LockBusy(RuntimeError):  # noqa: N818 - reads as the state an operator sees
    """Another process holds the lock; the caller decides whether to wait or give up."""


@contextmanager
def census_year_lock(census_year: int, settings: Settings | None = None) -> Iterator[None]:
    """Hold an exclusive lock on a census year for as long as the block runs.

    The lock lives exactly as long as its holder: a PostgreSQL session advisory lock
    (released by the server when the holder's connection drops, so a killed worker
    frees it at once) or, on the embedded SQLite ledger, an ``flock`` on a file next
    to the database (released by the kernel when the process dies). A status row alone
    cannot tell a running consolidation from a killed one; this can. Raises
    :class:`LockBusy` at once rather than queueing: Airflow's retry is the wait.
    """
    engine = engine_for(settings)
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with engine.connect() as conn:
            key = {"space": PG_YEAR_LOCK_SPACE, "year": int(census_year)}
            got = conn.execute(text("SELECT pg_try_advisory_lock(:space, :year)"), key).scalar()
            conn.commit()
            if not got:
                raise LockBusy(f"census year {census_year} is locked by another session")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:space, :year)"), key)
                conn.commit()
        return
    import fcntl
    import hashlib
    import tempfile

    url = engine.url.render_as_string(hide_password=True)
    db_path = _sqlite_path(url) if engine.dialect.name == "sqlite" else None
    if db_path:
        lock_path = Path(f"{db_path}.census-{int(census_year)}.lock")
    else:  # in-memory or another dialect: one lock per URL on this host
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        lock_path = Path(tempfile.gettempdir()) / f"sentra-{digest}-{int(census_year)}.lock"
    with open(lock_path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(f"census year {census_year} is locked ({lock_path})") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(conn: Any) -> None:
    from alembic import command

    cfg = _alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _migrate_sqlite(url: str) -> None:
    """Upgrade inside ``BEGIN IMMEDIATE`` so a second migrator waits, then finds head.

    pysqlite would otherwise run each DDL statement in its own implicit transaction,
    and two processes could both decide to create the same table.
    """
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.pool import NullPool

    path = _sqlite_path(url)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        poolclass=NullPool,
        connect_args={"timeout": SQLITE_BUSY_MS / 1000, "isolation_level": None},
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    try:
        for attempt in range(5):
            try:
                with engine.begin() as conn:
                    _upgrade(conn)
                return
            except OperationalError as exc:
                # Switching a fresh file to WAL needs a moment of exclusive access.
                if "locked" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
    finally:
        engine.dispose()


def migrate(settings: Settings | None = None) -> None:
    """Bring the ledger schema to the newest migration (idempotent, concurrency-safe).

    On PostgreSQL a transaction-scoped advisory lock serialises concurrent migrators
    (two workers starting at once); the second one then finds the schema at head. On
    SQLite the database write lock does the same.
    """
    from sqlalchemy import text

    engine = engine_for(settings)
    if engine.dialect.name == "sqlite":
        _migrate_sqlite(engine.url.render_as_string(hide_password=False))
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        _upgrade(conn)


def ensure_migrated(settings: Settings | None = None) -> bool:
    """Migrate only when the ledger is behind this code; True when it migrated.

    The schema is migrated once per deploy (``sentra ledger migrate`` in the stack's
    init); a daily task only checks the revision (one small query) and migrates only
    an embedded ledger that was never initialised or a deploy whose init was skipped.
    """
    if current_revision(settings) == head_revision():
        return False
    migrate(settings)
    return True


def current_revision(settings: Settings | None = None) -> str | None:
    """The Alembic revision the ledger is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine_for(settings).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def check_migrations_match_models(settings: Settings | None = None) -> list[Any]:
    """Differences between the migrated schema and the models (empty = in sync).

    Migrates first, then asks Alembic's autogenerate what it would still add: a model
    change without a migration shows up here, in a test, rather than in production.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from sentra.ledger.models import Base

    migrate(settings)
    with engine_for(settings).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)
