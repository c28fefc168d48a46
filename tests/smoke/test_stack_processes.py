"""The production components as local processes: a census round through the REST API.

Starts Airflow's api-server, scheduler, dag-processor and a Celery worker with the
project's venv against the machine's real PostgreSQL (fresh databases, dropped at the
end) and Redis, with an SMTP sink on loopback. The compose stack's own
``deploy/airflow-init.sh`` initialises it (Airflow DB, the ``smtp_default`` connection
pointing at the sink, the pool, the ledger); a synthetic round is prepared the way an
operator would (``sentra synth``, ``sentra ledger register import``, ``sentra offices
import``). The DAGs are unpaused and ``census_ingest`` triggered through the Airflow 3
REST API; the test waits until every run of the three DAGs succeeded (consolidate and
reports are started by Assets), then checks the warehouse and that each office that
submitted got exactly one report. Every process is stopped by process group. Skips,
saying why, without PostgreSQL or Redis.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

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
DAG_IDS = ("census_ingest", "census_consolidate", "census_reports")
CENSUS_YEAR = 2026
ROUND_DEADLINE_S = 360  # the whole round, from trigger to the last report
POSTGRES_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    """A port nothing listens on now (the OS picks it, so parallel runs do not clash)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """aiosmtpd handler keeping every message it accepted."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        msg = message_from_bytes(envelope.content)
        self.messages.append(
            {
                "rcpt": [r.lower() for r in envelope.rcpt_tos],
                "subject": str(make_header(decode_header(msg.get("Subject", "")))),
            }
        )
        return "250 OK"


def _http(method: str, url: str, token: str | None = None, body: dict | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {url} -> {exc.code}: {exc.read()[:500]!r}") from exc


def _wait(what: str, check: Callable[[], Any], timeout: float, procs: dict) -> Any:
    """Poll ``check`` until it returns something truthy; fail early if a process died."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise AssertionError(
                    f"airflow {name} exited with {proc.returncode} while waiting for {what}"
                )
        try:
            result = check()
            if result:
                return result
        except (OSError, AssertionError) as exc:  # not up yet; keep it for the message
            last = exc
        time.sleep(2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last: {last}")


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _stop(procs: dict[str, subprocess.Popen]) -> list[str]:
    """SIGTERM every process group, wait, SIGKILL the stragglers; return what needed a kill."""
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    killed = []
    deadline = time.monotonic() + 45
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            killed.append(name)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for proc in procs.values():  # children the group leader left behind (task supervisors)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
            killed.append(f"leftovers of pid {proc.pid}")
        except ProcessLookupError:
            pass
    return killed


@pytest.fixture
def stack(tmp_path):
    from aiosmtpd.controller import Controller
    from sqlalchemy import create_engine, text

    # Three fresh databases, as in docker-compose.yaml: Airflow's, the ledger, the catalog.
    db = f"sentra_smoke_{uuid.uuid4().hex[:8]}"
    databases = [db, f"{db}_ledger", f"{db}_catalog"]
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in databases:
            # Identifiers cannot be bound parameters; the names are ours (hex), not data.
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    api_port = free_port()
    data = tmp_path / "data"
    pg = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{db}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENTRA_"))}
    env.update(
        {
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg,
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:6379/{random.randint(1, 15)}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://postgres@127.0.0.1:5432/{db}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            # What the compose stack's airflow-init service reads: it creates the admin
            # password file, the smtp_default connection (here: the sink on loopback), the
            # sentra_ingest pool, and migrates Airflow's DB and the ledger.
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(tmp_path / "passwords.json"),
            "AIRFLOW_ADMIN_USER": "admin",
            "AIRFLOW_ADMIN_PASSWORD": uuid.uuid4().hex,
            "SENTRA_SMTP_HOST": "127.0.0.1",
            "SENTRA_SMTP_PORT": str(smtp.port),
            "SENTRA_SMTP_STARTTLS": "false",
            "SENTRA_SMTP_SSL": "false",
            "SENTRA_MAIL_FROM": "sentra-noreply@kemenperin.go.id",
            "SENTRA_INGEST_POOL_SLOTS": "3",
            # sentra: ledger and Iceberg catalog on PostgreSQL as in production; the warehouse
            # files on the local disk (MinIO is the compose stack's part, not this test's).
            "SENTRA_DATA_DIR": str(data),
            "SENTRA_LEDGER_URL": f"{pg}_ledger",
            "SENTRA_CATALOG_URL": f"{pg}_catalog",
            "SENTRA_MAIL_MODE": "smtp",
            "SENTRA_SMTP_CONN_ID": "smtp_default",
            "SENTRA_REPORT_BASE_URL": f"http://127.0.0.1:{api_port}",
        }
    )
    env["PATH"] = f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    _run(["bash", str(REPO / "deploy" / "airflow-init.sh")], env, "deploy/airflow-init.sh")
    # The operator's path for a round: generate (here: synthetic), load the reference data.
    _run(
        [
            str(BIN / "sentra"),
            "synth",
            "--sentra",
            "150",
            "--seed",
            "3",
            "--years",
            str(CENSUS_YEAR),
            "--provinces",
            "34",
            "--out",
            str(data / "landing"),
        ],
        env,
        "sentra synth",
    )
    _run(
        [str(BIN / "sentra"), "ledger", "register", "import", str(data / "register.csv")],
        env,
        "sentra ledger register import",
    )
    _run(
        [str(BIN / "sentra"), "offices", "import", str(data / "offices.csv")],
        env,
        "sentra offices import",
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    commands = {
        "api-server": ["api-server"],
        "scheduler": ["scheduler"],
        "dag-processor": ["dag-processor"],
        "celery-worker": ["celery", "worker"],
    }
    procs = {}
    for name, args in commands.items():
        with (logs / f"{name}.log").open("w") as out:
            procs[name] = subprocess.Popen(
                [str(BIN / "airflow"), *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stopped with its children
            )
    stack = {
        "api": f"http://127.0.0.1:{api_port}",
        "procs": procs,
        "sink": sink,
        "env": env,
        "logs": logs,
        "data": data,
        "airflow_home": tmp_path / "airflow",
    }
    try:
        yield stack
    finally:
        stopped = time.monotonic()
        killed = _stop(procs)
        print(f"smoke: stopped in {time.monotonic() - stopped:.1f} s; needed SIGKILL: {killed}")
        smtp.stop()
        with admin.connect() as conn:
            for name in databases:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"
                    ),
                    {"d": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    orphans = [k for k in killed if k.startswith("leftovers")]
    assert not orphans, f"processes outlived their group leader after SIGTERM: {orphans}"


def _print_logs(stack: dict) -> None:
    for log in sorted(stack["logs"].glob("*.log")):
        print(f"===== {log.name} (last 6000 chars)\n{log.read_text(errors='replace')[-6000:]}")
    task_logs = sorted((stack["airflow_home"] / "logs").glob("dag_id=*/**/*.log"))
    for log in task_logs:
        text = log.read_text(errors="replace")
        if '"level":"error"' in text:
            print(f"===== task log {log.relative_to(stack['airflow_home'])}\n{text[-4000:]}")


def _round_state(api: str, token: str) -> dict[str, list[str]]:
    return {
        dag_id: [
            r["state"]
            for r in _http("GET", f"{api}/api/v2/dags/{dag_id}/dagRuns?limit=100", token)[
                "dag_runs"
            ]
        ]
        for dag_id in DAG_IDS
    }


def test_census_round_through_the_running_stack(stack):
    api, procs, sink = stack["api"], stack["procs"], stack["sink"]
    started = time.monotonic()
    try:
        version = _wait("the api-server", lambda: _http("GET", f"{api}/api/v2/version"), 120, procs)
        assert version["version"].startswith("3."), version
        token = _http("GET", f"{api}/auth/token")["access_token"]  # all-admins mode
        assert _http("GET", f"{api}/api/v2/version", token)["version"] == version["version"]
        for dag_id in DAG_IDS:
            dag = _wait(
                f"{dag_id} parsed by the dag-processor",
                lambda d=dag_id: _http("GET", f"{api}/api/v2/dags/{d}", token),
                180,
                procs,
            )
            assert dag["is_paused"], f"{dag_id} should start paused (as in docker-compose.yaml)"
            _http("PATCH", f"{api}/api/v2/dags/{dag_id}", token, {"is_paused": False})
        pool = _http("GET", f"{api}/api/v2/pools/sentra_ingest", token)
        assert pool["slots"] == 3, pool
        run = _http(
            "POST",
            f"{api}/api/v2/dags/census_ingest/dagRuns",
            token,
            {"logical_date": None, "conf": {"census_year": CENSUS_YEAR}},
        )
        assert run["state"] in ("queued", "running"), run

        def round_finished() -> dict[str, list[str]]:
            states = _round_state(api, token)
            failed = {d: s for d, s in states.items() if "failed" in s}
            if failed:
                raise RuntimeError(f"DAG runs failed: {failed}")
            done = all(s and set(s) == {"success"} for s in states.values())
            return states if done else {}

        try:
            states = _wait(
                "every run of the three DAGs to succeed", round_finished, ROUND_DEADLINE_S, procs
            )
        except RuntimeError as exc:
            raise AssertionError(str(exc)) from exc
        round_s = time.monotonic() - started
        print(f"\nsmoke: round finished in {round_s:.0f} s; runs: {states}")

        count = _run(
            [
                str(BIN / "sentra"),
                "sql",
                "--format",
                "csv",
                "SELECT count(*) AS n FROM sentra_census",
            ],
            stack["env"],
            "sentra sql",
        )
        n_census = int(count.strip().splitlines()[-1])
        assert n_census > 0, count

        submitted = {p.name for p in (stack["data"] / "landing" / str(CENSUS_YEAR)).iterdir()}
        with (stack["data"] / "offices.csv").open(newline="") as fh:
            emails = {
                row["office_code"]: {e.strip().lower() for e in row["emails"].split(";")}
                for row in csv.DictReader(fh)
            }
        assert submitted, "the synthetic round has submissions"
        for office in sorted(submitted):
            received = [m for m in sink.messages if emails[office] & set(m["rcpt"])]
            assert len(received) == 1, (
                f"office {office} ({sorted(emails[office])}) should get exactly one report, "
                f"got {[m['subject'] for m in received]}"
            )
        central = [m for m in sink.messages if "ditjen-ikma@kemenperin.go.id" in m["rcpt"]]
        assert len(central) == 1, [m["subject"] for m in central]
        print(
            f"smoke: sentra_census rows {n_census}; {len(sink.messages)} emails "
            f"({len(submitted)} office reports + national summary + reminders)"
        )
    except AssertionError:
        _print_logs(stack)
        raise
