"""Airflow's production components as local processes: the one place that starts them.

The smoke test (``tests/smoke/test_stack_processes.py``) and the scheduler benchmark
(``bench/national_scheduler.py``) both run the api-server, scheduler, dag-processor and
Celery workers from the project's venv against the machine's PostgreSQL (fresh
databases, dropped at the end) and Redis. What they share lives here, so the two cannot
drift apart: the Airflow settings of a CeleryExecutor deployment on loopback ports, the
databases, starting each component in its own process group, polling the REST API and
stopping everything, stragglers included.

Failures raise :class:`StackError`, an ``AssertionError`` so that pytest reports them
as the test's failure with the message; the benchmark reports them as the stage's error.
"""

from __future__ import annotations

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POSTGRES_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432"


class StackError(AssertionError):
    """A component died, an API call failed or a wait timed out."""


def free_port() -> int:
    """A port nothing listens on now (the OS picks it, so parallel runs do not clash)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(method: str, url: str, token: str | None = None, body: dict | None = None) -> Any:
    """One JSON call to the REST API; an HTTP error becomes a :class:`StackError`."""
    data = json.dumps(body).encode() if body is not None else None
    # The URLs are the api-server's on loopback, built here: http only, never a file: URL.
    req = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:  # noqa: S310 - see above
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise StackError(f"{method} {url} -> {exc.code}: {exc.read()[:500]!r}") from exc


def status(url: str, token: str | None = None) -> tuple[int, bytes]:
    """HTTP status and body of a GET, errors included (for the login checks)."""
    req = urllib.request.Request(url)  # noqa: S310 - the api-server on loopback
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:  # noqa: S310
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _redis_db() -> int:
    """A Redis database for the broker, 1-15 at random: two stacks at once rarely share one
    (a shared broker would hand one stack's tasks to the other's workers)."""
    return random.randint(1, 15)  # noqa: S311 - spreading, not secrecy


def wait(what: str, check: Callable[[], Any], timeout: float, procs: dict) -> Any:
    """Poll ``check`` until it returns something truthy; fail early if a process died.

    ``OSError`` and ``AssertionError`` from ``check`` mean "not yet" (the api-server is
    still starting, a run is not finished); the last one is named on timeout.
    """
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise StackError(
                    f"airflow {name} exited with {proc.returncode} while waiting for {what}"
                )
        try:
            result = check()
            if result:
                return result
        except (OSError, AssertionError) as exc:  # not up yet; keep it for the message
            last = exc
        time.sleep(2)
    raise StackError(f"timed out after {timeout:.0f} s waiting for {what}; last: {last}")


def run(args: list[str], env: dict[str, str], what: str) -> str:
    """Run a one-shot command (airflow-init, a ``sentra`` command) and return its stdout."""
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise StackError(f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


@contextmanager
def fresh_databases(prefix: str) -> Iterator[str]:
    """Airflow's, the ledger's and the catalog's databases, as in docker-compose.yaml.

    Yields the Airflow database's name; ``<name>_ledger`` and ``<name>_catalog`` beside
    it. All three are dropped on exit (their open connections ended first), also when
    the body failed, so a broken run leaves nothing behind on the shared server.
    """
    from sqlalchemy import create_engine, text

    db = f"{prefix}_{uuid.uuid4().hex[:8]}"
    names = [db, f"{db}_ledger", f"{db}_catalog"]
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                # Identifiers cannot be bound parameters; the names are ours (hex), not data.
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield db
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"
                    ),
                    {"d": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def airflow_env(
    home: Path, db: str, api_port: int, *, worker_concurrency: int, paused_at_creation: bool
) -> dict[str, str]:
    """This process's environment minus its Airflow/sentra settings, plus a CeleryExecutor
    deployment's: the metadata DB and the Celery result backend on ``db``, a Redis
    database picked at random as broker, every server on
    a free loopback port, the FAB auth manager, the project's DAGs and plugins."""
    pg = f"{POSTGRES}/{db}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENTRA_"))}
    env["PATH"] = f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg,
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:6379/{_redis_db()}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://postgres@127.0.0.1:5432/{db}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(worker_concurrency),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": str(paused_at_creation),
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
            ),
            "AIRFLOW__API__SECRET_KEY": uuid.uuid4().hex,
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        }
    )
    return env


def start(
    commands: dict[str, list[str]], env: dict[str, str], logs: Path
) -> dict[str, subprocess.Popen]:
    """Start ``airflow <args>`` for each named component, logging to ``logs/<name>.log``.

    Each one leads its own process group, so :func:`stop` ends it with the task
    supervisors and Celery pool processes it forked.
    """
    logs.mkdir(parents=True, exist_ok=True)
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
    return procs


def stop(procs: dict[str, subprocess.Popen]) -> list[str]:
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


def sign_in(api: str, user: str, password: str) -> str:
    """A JWT for the REST API from FAB's token endpoint (the admin airflow-init created)."""
    return str(
        http("POST", f"{api}/auth/token", body={"username": user, "password": password})[
            "access_token"
        ]
    )
