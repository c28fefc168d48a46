"""The production components as local processes: a census round through the REST API.

Starts Airflow's api-server, scheduler, dag-processor and a Celery worker against the
machine's real PostgreSQL (a fresh database) and Redis, with an SMTP sink on loopback,
triggers ``census_ingest`` through the Airflow 3 REST API, waits for the asset-triggered
``census_consolidate`` and ``census_reports`` runs, then checks the warehouse and the
mail received, and stops every process. Skips, saying why, without PostgreSQL or Redis.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from conftest import POSTGRES_AVAILABLE, REDIS_AVAILABLE

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.slow,
    pytest.mark.skipif(
        not POSTGRES_AVAILABLE, reason="PostgreSQL is not running on 127.0.0.1:5432"
    ),
    pytest.mark.skipif(not REDIS_AVAILABLE, reason="Redis is not running on 127.0.0.1:6379"),
]
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEADLINE_S = 420
SIMPLE_AUTH = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self) -> None:
        self.count = 0
        self.recipients: set[str] = set()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.count += 1
        self.recipients |= set(envelope.rcpt_tos)
        return "250 OK"


def _http(method: str, url: str, token: str | None = None, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


def _wait(what: str, check, timeout: float, procs) -> object:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise AssertionError(
                    f"{name} exited with {proc.returncode} while waiting for {what}"
                )
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # not up yet; keep the last error for the message
            last = exc
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}: {last}")


@pytest.fixture
def stack(tmp_path):
    from aiosmtpd.controller import Controller
    from sqlalchemy import create_engine, text

    db = f"sentra_smoke_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    api_port = free_port()
    redis_db = uuid.uuid4().int % 14 + 1  # a Redis database of its own
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{db}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENTRA_"))}
    env.update(
        {
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url,
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:6379/{redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://postgres@127.0.0.1:5432/{db}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW_CONN_SMTP_DEFAULT": json.dumps(
                {
                    "conn_type": "smtp",
                    "host": "127.0.0.1",
                    "port": smtp.port,
                    "extra": {"disable_tls": True, "disable_ssl": True},
                }
            ),
            "SENTRA_DATA_DIR": str(tmp_path / "data"),
            "SENTRA_MAIL_MODE": "smtp",
        }
    )
    subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True
    )
    prepare = (
        "from pathlib import Path\n"
        "from sentra.config import get_settings\n"
        "from sentra.demo import DemoConfig, prepare_inputs, load_reference\n"
        f"cfg = DemoConfig(data_dir=Path({str(tmp_path / 'data')!r}), n_sentra=150, seed=3,"
        " census_years=(2026,), provinces=('34',))\n"
        "prepare_inputs(cfg); load_reference(get_settings(), cfg)\n"
    )
    subprocess.run([sys.executable, "-c", prepare], env=env, check=True, capture_output=True)
    logs = tmp_path / "logs"
    logs.mkdir()
    commands = {
        "api-server": ["api-server"],
        "scheduler": ["scheduler"],
        "dag-processor": ["dag-processor"],
        "worker": ["celery", "worker"],
    }
    procs = {
        name: subprocess.Popen(
            [str(BIN / "airflow"), *args],
            env=env,
            stdout=(logs / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, args in commands.items()
    }
    try:
        yield {
            "api": f"http://127.0.0.1:{api_port}",
            "procs": procs,
            "sink": sink,
            "env": env,
            "logs": logs,
        }
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        smtp.stop()
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                {"d": db},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
        admin.dispose()


def test_census_round_through_the_running_stack(stack):
    api, procs, sink = stack["api"], stack["procs"], stack["sink"]
    try:
        _wait("the api-server", lambda: _http("GET", f"{api}/api/v2/version"), 120, procs)
        token = _http("GET", f"{api}/auth/token")["access_token"]  # all-admins mode
        for dag_id in ("census_ingest", "census_consolidate", "census_reports"):
            _wait(
                f"{dag_id} parsed",
                lambda d=dag_id: _http("GET", f"{api}/api/v2/dags/{d}", token),
                180,
                procs,
            )
        _http(
            "POST",
            f"{api}/api/v2/dags/census_ingest/dagRuns",
            token,
            {"logical_date": None, "conf": {"census_year": 2026}},
        )

        def reports_done() -> bool:
            runs = _http("GET", f"{api}/api/v2/dags/census_reports/dagRuns", token)["dag_runs"]
            failed = [r for r in runs if r["state"] == "failed"]
            assert not failed, failed
            return any(r["state"] == "success" for r in runs)

        _wait("census_reports to succeed", reports_done, DEADLINE_S, procs)
        for dag_id in ("census_ingest", "census_consolidate"):
            runs = _http("GET", f"{api}/api/v2/dags/{dag_id}/dagRuns", token)["dag_runs"]
            assert any(r["state"] == "success" for r in runs), (dag_id, runs)
    except AssertionError:
        for log in sorted(stack["logs"].glob("*.log")):
            print(f"===== {log.name}\n{log.read_text()[-4000:]}")
        raise
    count = subprocess.run(
        [str(BIN / "sentra"), "sql", "--format", "csv", "SELECT count(*) AS n FROM sentra_census"],
        env=stack["env"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(count.stdout.strip().splitlines()[-1]) > 0
    assert sink.count > 0, "reports were delivered through the SMTP connection"
    assert any(r.startswith("disperindag.34") for r in sink.recipients)
