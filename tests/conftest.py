"""Shared test set-up: an isolated data dir and Airflow home per session, service probes."""

from __future__ import annotations

import json
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


# ----------------------------------------------------------- scheduling on 2 cores
# `make test` runs `pytest -n 2 --dist loadscope --no-loadscope-reorder`: every module
# runs whole on one worker (module fixtures such as a census round are built once, not
# once per worker), and modules are handed out in the order collected here: the
# costliest first, so that the two workers finish together instead of one waiting on a
# smoke stack started last (longest-processing-time-first scheduling). The costs are
# measured seconds per module, refreshed with `make test-durations`; a stale or missing
# entry only costs speed, never a test.
DURATIONS_FILE = Path(__file__).with_name("durations.json")
UNKNOWN_TEST_S = 1.0  # a module not measured yet: this much per test


def pytest_addoption(parser):
    parser.addoption(
        "--record-durations",
        metavar="PATH",
        help="write the seconds each test module took (setup + call + teardown) to PATH",
    )


def _module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config, items):
    try:
        measured = json.loads(DURATIONS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        measured = {}
    counts: dict[str, int] = {}
    for item in items:
        module = _module_of(item.nodeid)
        counts[module] = counts.get(module, 0) + 1
    cost = {m: float(measured.get(m, n * UNKNOWN_TEST_S)) for m, n in counts.items()}
    position = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (-cost[_module_of(item.nodeid)], position[id(item)]))


class _DurationRecorder:
    """Sums report durations per module on the controller (reports from every worker)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report):
        module = _module_of(report.nodeid)
        self.seconds[module] = self.seconds.get(module, 0.0) + report.duration

    def pytest_sessionfinish(self, session):
        if hasattr(session.config, "workerinput"):
            return  # a worker: the controller writes the file
        ordered = dict(sorted(self.seconds.items(), key=lambda kv: -kv[1]))
        self.path.write_text(
            json.dumps({m: round(s, 1) for m, s in ordered.items()}, indent=1) + "\n",
            encoding="utf-8",
        )


def pytest_configure(config):
    path = config.getoption("--record-durations")
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_DurationRecorder(Path(path)), "sentra-durations")
