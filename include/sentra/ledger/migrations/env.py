"""Alembic environment for the ledger.

The pipeline runs it through ``sentra.ledger.db.migrate``, which hands over an open
connection (inside its lock). Developers generating a new revision with the
``alembic`` command get the ledger URL of the current sentra settings instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from sentra.ledger.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    from sentra.config import get_settings

    return config.get_main_option("sqlalchemy.url") or get_settings().ledger_url


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    try:
        with engine.begin() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
