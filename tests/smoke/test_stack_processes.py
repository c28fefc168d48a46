"""The production components as local processes: a census round through the REST API.

Starts Airflow's api-server, scheduler, dag-processor and a Celery worker with the
project's venv against the machine's real PostgreSQL (fresh databases, dropped at the
end) and Redis, with an SMTP sink on loopback and an S3 server (``moto_server``; the
stack's SeaweedFS binary cannot be installed here) holding landing/, staging/ and the
warehouse, as in the compose stack. The values come from ``.env.example`` read with
Compose's rules (secrets filled in, SMTP host and port pointed at the sink). The compose
stack's own ``deploy/airflow-init.sh`` initialises it (Airflow DB, the FAB admin, the
``smtp_default`` connection, the pool, the ledger) under the FAB auth manager; a
synthetic round is prepared the way an operator would (``sentra synth``, ``sentra ledger
register import``, ``sentra offices import``, files uploaded to the landing prefix).

All five DAGs must be active from the start (nothing is unpaused by hand): the test
signs in as the admin, lets ``census_ingest``'s own daily run start (nothing is triggered
by hand) and waits until it, consolidate and reports (started by Assets) succeeded, ``census_round``
(daily) ran and ``census_review`` (Assets) ran to success or to its questions for a
person. It then checks the warehouse, that no staged object in S3 holds contact data,
that each office that submitted got exactly one report, and that the board's Data Docs
answer only behind the login. Every process is stopped by process group. Skips, saying
why, without PostgreSQL, Redis or moto_server.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from compose_env import parse_dotenv
from conftest import POSTGRES_AVAILABLE, REDIS_AVAILABLE

from bench.stack import (
    airflow_env,
    free_port,
    fresh_databases,
)
from bench.stack import http as _http
from bench.stack import run as _run
from bench.stack import start as start_components
from bench.stack import status as _status
from bench.stack import stop as _stop
from bench.stack import wait as _wait

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.slow,
    pytest.mark.skipif(
        not POSTGRES_AVAILABLE, reason="PostgreSQL is not running on 127.0.0.1:5432"
    ),
    pytest.mark.skipif(not REDIS_AVAILABLE, reason="Redis is not running on 127.0.0.1:6379"),
    pytest.mark.skipif(
        not (Path(sys.executable).parent / "moto_server").exists(),
        reason="moto_server is not in the venv",
    ),
]
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MOTO = BIN / "moto_server"
DAG_IDS = ("census_ingest", "census_consolidate", "census_reports")
ALL_DAGS = (*DAG_IDS, "census_round", "census_review")
BUCKET = "sentra"
# The year census_ingest's own daily run works on: the current year (orchestration).
CENSUS_YEAR = datetime.now(UTC).year
ROUND_DEADLINE_S = 360  # the whole round, from trigger to the last report
POSTGRES_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


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


@pytest.fixture
def stack(tmp_path):
    with fresh_databases("sentra_smoke") as db:  # Airflow's, the ledger, the catalog
        yield from _stack(tmp_path, db)


def _stack(tmp_path: Path, db: str) -> Iterator[dict[str, Any]]:
    from aiosmtpd.controller import Controller

    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    s3_port = free_port()
    s3_log = (tmp_path / "moto.log").open("w")
    s3 = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(s3_port)],
        stdout=s3_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    s3_url = f"http://127.0.0.1:{s3_port}"
    # .env as the operator writes it: .env.example read with Compose's rules, secrets set.
    dotenv = parse_dotenv((REPO / ".env.example").read_text())
    dotenv |= {"AIRFLOW_ADMIN_PASSWORD": uuid.uuid4().hex, "S3_PIPELINE_SECRET_KEY": "pipeline"}
    api_port = free_port()
    data = tmp_path / "data"
    pg = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{db}"
    # As docker-compose.yaml: every DAG active from the start, FAB sign-in.
    env = airflow_env(
        tmp_path / "airflow", db, api_port, worker_concurrency=2, paused_at_creation=False
    )
    env.update(
        {
            # What the compose stack's airflow-init service reads, from .env as compose
            # maps it (INIT_*): the FAB admin, the smtp_default connection (here: the sink
            # on loopback), the sentra_ingest pool; it migrates Airflow's DB and the ledger.
            "AIRFLOW_ADMIN_USER": dotenv["AIRFLOW_ADMIN_USER"],
            "AIRFLOW_ADMIN_EMAIL": dotenv["AIRFLOW_ADMIN_EMAIL"],
            "AIRFLOW_ADMIN_PASSWORD": dotenv["AIRFLOW_ADMIN_PASSWORD"],
            "INIT_SMTP_HOST": "127.0.0.1",
            "INIT_SMTP_PORT": str(smtp.port),
            "INIT_SMTP_USER": dotenv["SENTRA_SMTP_USER"],
            "INIT_SMTP_PASSWORD": dotenv["SENTRA_SMTP_PASSWORD"],
            "INIT_SMTP_STARTTLS": dotenv["SENTRA_SMTP_STARTTLS"],
            "INIT_SMTP_SSL": dotenv["SENTRA_SMTP_SSL"],
            "INIT_INGEST_POOL_SLOTS": "3",
            # sentra: ledger and Iceberg catalog on PostgreSQL, landing, staging and the
            # warehouse in S3 with the pipeline's keys, as in docker-compose.yaml.
            "SENTRA_DATA_DIR": str(data),
            "SENTRA_LEDGER_URL": f"{pg}_ledger",
            "SENTRA_CATALOG_URL": f"{pg}_catalog",
            "SENTRA_LANDING_URI": f"s3://{BUCKET}/landing",
            "SENTRA_STAGING_URI": f"s3://{BUCKET}/staging",
            "SENTRA_WAREHOUSE_URI": f"s3://{BUCKET}/warehouse",
            "SENTRA_S3_ENDPOINT": s3_url,
            "SENTRA_S3_ACCESS_KEY_ID": dotenv["S3_PIPELINE_ACCESS_KEY"],
            "SENTRA_S3_SECRET_ACCESS_KEY": dotenv["S3_PIPELINE_SECRET_KEY"],
            "SENTRA_S3_REGION": dotenv["SENTRA_S3_REGION"],
            "SENTRA_MAIL_MODE": "smtp",
            "SENTRA_SMTP_CONN_ID": "smtp_default",
            "SENTRA_MAIL_FROM": dotenv["SENTRA_MAIL_FROM"],
            "SENTRA_CENTRAL_OFFICE_EMAIL": dotenv["SENTRA_CENTRAL_OFFICE_EMAIL"],
            "SENTRA_REPORT_BASE_URL": f"http://127.0.0.1:{api_port}",
            "SENTRA_DATA_DOCS_BASE_URL": f"http://127.0.0.1:{api_port}/sentra/data-docs",
            # The round is open all year here, so census_round's first daily run does not
            # close it (ROUND_CLOSED would start a consolidation while files are still
            # being ingested; see the report of issue #29).
            "SENTRA_ROUND_OPEN": "01-01",
            "SENTRA_ROUND_DEADLINE": "12-31",
        }
    )
    s3_client = _s3_client(env)

    def s3_up() -> bool:
        try:
            s3_client.list_buckets()
        except Exception:  # botocore's connection errors are no OSError
            return False
        return True

    _wait("moto_server", s3_up, 60, {"s3": s3})
    s3_client.create_bucket(Bucket=BUCKET)
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
    for path in sorted((data / "landing").rglob("*")):  # what the offices upload
        if path.is_file():
            key = f"landing/{path.relative_to(data / 'landing').as_posix()}"
            s3_client.upload_file(str(path), BUCKET, key)
    logs = tmp_path / "logs"
    commands = {
        "api-server": ["api-server"],
        "scheduler": ["scheduler"],
        "dag-processor": ["dag-processor"],
        "celery-worker": ["celery", "worker"],
    }
    procs = start_components(commands, env, logs)
    stack = {
        "api": f"http://127.0.0.1:{api_port}",
        "procs": procs,
        "sink": sink,
        "env": env,
        "logs": logs,
        "data": data,
        "airflow_home": tmp_path / "airflow",
        "s3": s3_client,
        "admin": (dotenv["AIRFLOW_ADMIN_USER"], dotenv["AIRFLOW_ADMIN_PASSWORD"]),
    }
    try:
        yield stack
    finally:
        stopped = time.monotonic()
        killed = _stop(procs)
        print(f"smoke: stopped in {time.monotonic() - stopped:.1f} s; needed SIGKILL: {killed}")
        _stop({"s3": s3})
        s3_log.close()
        smtp.stop()
    orphans = [k for k in killed if k.startswith("leftovers")]
    assert not orphans, f"processes outlived their group leader after SIGTERM: {orphans}"


def _s3_client(env: dict[str, str]) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=env["SENTRA_S3_ENDPOINT"],
        aws_access_key_id=env["SENTRA_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["SENTRA_S3_SECRET_ACCESS_KEY"],
        region_name=env["SENTRA_S3_REGION"],
    )


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


BUSY_STATES = ("scheduled", "queued", "running", "up_for_retry", "up_for_reschedule", "restarting")


def _review_waits_or_succeeded(api: str, token: str) -> list[str]:
    """States of census_review runs; a running one counts only if a person is asked."""
    states = []
    for run in _http("GET", f"{api}/api/v2/dags/census_review/dagRuns?limit=100", token)[
        "dag_runs"
    ]:
        if run["state"] == "running":
            tis = _http(
                "GET",
                f"{api}/api/v2/dags/census_review/dagRuns/{run['dag_run_id']}/taskInstances",
                token,
            )["task_instances"]
            # A person is asked when a review_* task waits for input (Airflow 3.3 parks a
            # human-in-the-loop task as awaiting_input; earlier releases: deferred) and
            # nothing else is at work; the tasks after the answer have no state yet.
            waiting = {t["task_id"] for t in tis if t["state"] in ("awaiting_input", "deferred")}
            busy = [t for t in tis if t["state"] in BUSY_STATES]
            asking = bool(waiting) and all(w.startswith("review_") for w in waiting) and not busy
            states.append("waiting_for_review" if asking else "running")
        else:
            states.append(run["state"])
    return states


def test_census_round_through_the_running_stack(stack):
    api, procs, sink = stack["api"], stack["procs"], stack["sink"]
    started = time.monotonic()
    try:
        version = _wait("the api-server", lambda: _http("GET", f"{api}/api/v2/version"), 120, procs)
        assert version["version"].startswith("3."), version
        assert _status(f"{api}/api/v2/dags")[0] == 401, "the REST API needs a login"
        user, password = stack["admin"]
        login = _http("POST", f"{api}/auth/token", body={"username": user, "password": password})
        token = login["access_token"]  # FAB: the admin airflow-init created from .env
        assert _http("GET", f"{api}/api/v2/version", token)["version"] == version["version"]
        with pytest.raises(AssertionError, match="-> 401"):
            _http("POST", f"{api}/auth/token", body={"username": user, "password": "wrong"})
        for dag_id in ALL_DAGS:
            dag = _wait(
                f"{dag_id} parsed by the dag-processor",
                lambda d=dag_id: _http("GET", f"{api}/api/v2/dags/{d}", token),
                180,
                procs,
            )
            assert not dag["is_paused"], f"{dag_id} must be active from the first start"
        pool = _http("GET", f"{api}/api/v2/pools/sentra_ingest", token)
        assert pool["slots"] == 3, pool
        smtp_conn = _http("GET", f"{api}/api/v2/connections/smtp_default", token)
        assert not smtp_conn.get("login"), ".env's empty SENTRA_SMTP_USER means no SMTP AUTH"
        # Nobody triggers or unpauses anything: census_ingest's daily run (this year,
        # CENSUS_YEAR) starts by itself and Assets start the rest. (A manual trigger on top
        # would run two ingests of one year at once; see the report of issue #29.)

        def round_finished() -> dict[str, list[str]]:
            states = _round_state(api, token)
            states["census_round"] = [
                r["state"]
                for r in _http("GET", f"{api}/api/v2/dags/census_round/dagRuns?limit=100", token)[
                    "dag_runs"
                ]
            ]
            states["census_review"] = _review_waits_or_succeeded(api, token)
            failed = {d: s for d, s in states.items() if "failed" in s}
            if failed:
                raise RuntimeError(f"DAG runs failed: {failed}")
            settled = {"success", "waiting_for_review"}
            if not all(s and set(s) <= settled for s in states.values()):
                raise AssertionError(f"not settled yet: {states}")  # shown on timeout
            return states

        try:
            states = _wait(
                "every run of the five DAGs to succeed (or wait for a reviewer)",
                round_finished,
                ROUND_DEADLINE_S,
                procs,
            )
        except RuntimeError as exc:
            raise AssertionError(str(exc)) from exc
        round_s = time.monotonic() - started
        print(f"\nsmoke: round finished in {round_s:.0f} s; runs: {states}")

        count = _run(
            [str(BIN / "sentra"), "sql", "SELECT count(*) AS n FROM sentra_census"],
            stack["env"],
            "sentra sql",
        )
        n_census = int(count.strip().splitlines()[-1])  # piped: CSV without --format
        assert n_census > 0, count

        import pyarrow.fs as pafs
        import pyarrow.parquet as pq

        s3 = stack["s3"]
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="staging/")
        staged = [o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(".parquet")]
        assert staged, "staged rows are in the object store"
        env = stack["env"]
        fs = pafs.S3FileSystem(
            access_key=env["SENTRA_S3_ACCESS_KEY_ID"],
            secret_key=env["SENTRA_S3_SECRET_ACCESS_KEY"],
            endpoint_override=env["SENTRA_S3_ENDPOINT"],
            region=env["SENTRA_S3_REGION"],
        )
        for key in staged:
            names = pq.read_schema(f"{BUCKET}/{key}", filesystem=fs).names
            assert not {"contact_name", "contact_phone"} & set(names), f"{key} holds contacts"

        uploaded = stack["data"] / "landing" / str(CENSUS_YEAR)  # what went to landing/
        submitted = {p.name for p in uploaded.iterdir() if p.is_dir()}
        with (stack["data"] / "offices.csv").open(newline="") as fh:
            emails = {
                row["office_code"]: {e.strip().lower() for e in row["emails"].split(";")}
                for row in csv.DictReader(fh)
            }
        assert submitted, "the synthetic round has submissions"
        reports = [m for m in sink.messages if "Laporan Kualitas" in m["subject"]]
        for office in sorted(submitted):
            received = [m for m in reports if emails[office] & set(m["rcpt"])]
            assert len(received) == 1, (
                f"office {office} ({sorted(emails[office])}) should get exactly one report, "
                f"got {[m['subject'] for m in received]}"
            )
        central = [m for m in sink.messages if "ditjen-ikma@kemenperin.go.id" in m["rcpt"]]
        assert len(central) == 1, [m["subject"] for m in central]

        # The Data Docs the reports link to, served by the board app behind the login.
        docs = f"{api}/sentra/data-docs/index.html"
        assert _status(docs)[0] == 401, "Data Docs need the login"
        code, body = _status(docs, token)
        assert code == 200, body[:300]
        assert b"<html" in body.lower()
        assert _status(f"{api}/sentra/docs", token)[0] == 404, "FastAPI docs are off"
        print(
            f"smoke: sentra_census rows {n_census}; {len(sink.messages)} emails "
            f"({len(submitted)} office reports + national summary + reminders); "
            f"{len(staged)} staged objects without contacts; "
            f"total {time.monotonic() - started:.0f} s"
        )
    except AssertionError:
        _print_logs(stack)
        raise
