"""Shared test set-up: an isolated data dir and Airflow home per session, service probes."""

from __future__ import annotations

import os
import socket
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
