"""Shared test set-up: an isolated data dir and Airflow home per session, service probes."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Airflow reads its configuration at import time, so point it at a private home
# before any test imports it. Tests never touch a developer's ./data.
_TMP = Path(os.environ.get("SENTRA_TEST_AIRFLOW_HOME", "/tmp"))
_AIRFLOW_HOME = _TMP / f"sentra-airflow-{os.getpid()}"
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(REPO / "plugins"))
os.environ.setdefault("MPLBACKEND", "Agg")


def service_available(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something listens on host:port (PostgreSQL, Redis, SMTP)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


POSTGRES_AVAILABLE = service_available("127.0.0.1", 5432)
REDIS_AVAILABLE = service_available("127.0.0.1", 6379)
PG_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432"


def unique_name(prefix: str) -> str:
    """A database name no other test (or concurrent CI run) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@contextmanager
def throwaway_databases(*names: str) -> Iterator[list[str]]:
    """Fresh PostgreSQL databases on the machine's server, as SQLAlchemy URLs.

    Dropped afterwards, with every connection to them (including engines the ledger
    cached for their URLs), so a failing test leaves nothing behind.
    """
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    created: list[str] = []
    try:
        with admin.connect() as conn:
            for name in names:
                # Identifiers cannot be bound parameters; the names are the tests' own.
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                created.append(name)
        yield [f"{PG_SERVER}/{name}" for name in names]
    finally:
        from sentra.ledger.db import _ENGINES

        for name in created:
            engine = _ENGINES.pop(f"{PG_SERVER}/{name}", None)
            if engine is not None:
                engine.dispose()
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; skips (saying so) when the server is absent."""
    if not POSTGRES_AVAILABLE:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    with throwaway_databases(unique_name("sentra_test")) as [url]:
        yield url


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """Embedded-default settings rooted in a fresh temporary data dir."""
    from sentra.config import get_settings

    monkeypatch.setenv("SENTRA_DATA_DIR", str(tmp_path / "data"))
    return get_settings()


def pytest_report_header(config):
    pg = "available" if POSTGRES_AVAILABLE else "ABSENT: integration tests skip"
    redis = "available" if REDIS_AVAILABLE else "ABSENT: smoke tests skip"
    return [
        f"sentra: PostgreSQL on 127.0.0.1:5432 {pg}",
        f"sentra: Redis on 127.0.0.1:6379 {redis}",
    ]
