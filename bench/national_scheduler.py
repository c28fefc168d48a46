"""A national round through the real scheduler and two Celery workers (issue #28).

The ``national`` stage runs the yardstick's office files on the embedded runner
(``dag.test()``: one process, no queueing). This stage runs one census year of the same
set the way production does, with the processes the smoke test starts
(:mod:`bench.stack`): fresh PostgreSQL databases for Airflow, the ledger and the Iceberg
catalog, Redis as Celery broker, ``deploy/airflow-init.sh``, then api-server,
scheduler, dag-processor and **two Celery worker processes of concurrency 1** (one per
core of the target host; two processes, not one with two slots, so a task's memory and
a crash stay in its own worker, as with two worker containers).

``census_ingest`` is triggered for the year through the REST API (a JWT from FAB's
token endpoint); ``census_consolidate`` and ``census_reports`` follow on their Assets.
Reported from the API: each DAG run's wall time (its start and end dates), ingest's
cost per file, the task instances and the scheduler's overhead per task (queued →
started). Then ``census_ingest`` runs once more with nothing new, as the daily schedule
does between submissions: its wall time and task states, and whether it started a
consolidation (it must not: item 4 of the issue).

Differences from production, named in the result's note: landing, staging and the
warehouse are local folders (not S3), mail goes to the ``.eml`` outbox (not SMTP),
``census_round`` and ``census_review`` stay paused (so the figures are the three DAGs
of a round alone; production runs them too), and all five processes share this host
with whatever else runs on it.

Before the round, unpausing ``census_ingest`` starts its own daily run at once (no
catch-up, but the latest interval runs) on an empty landing folder. With no
consolidation of the year published yet it announces the staged asset all the same,
so a consolidation and reports of the empty year follow: all of it is reported as
``first_daily_run``, and the round's files are placed only after every run it started
finished, so that the measured runs overlap nothing (``max_active_runs=1`` would queue
the round's consolidation behind the empty one).

Run alone: ``.venv/bin/python -m bench.national_scheduler --size tiny [--offices 30]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from bench.stack import (
    BIN,
    POSTGRES,
    REPO,
    StackError,
    airflow_env,
    free_port,
    fresh_databases,
    http,
    run,
    sign_in,
    start,
    stop,
    wait,
)
from bench.yardstick import SETS, YEARS, generate

ROUND_DAGS = ("census_ingest", "census_consolidate", "census_reports")
WORKERS = 2
TERMINAL = {"success", "failed"}
# Generous: a tiny round takes a few minutes here; the full set's ingest far longer.
RUN_DEADLINE_S = 3600
POLL_S = 2


# ------------------------------------------------------------ pure helpers


def _moment(value: str | None) -> datetime | None:
    """An API timestamp (ISO 8601, ``Z`` or an offset) as an aware datetime."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def run_seconds(dag_run: Mapping[str, Any]) -> float | None:
    """A DAG run's wall time as the API reports it: ``start_date`` to ``end_date``."""
    begun, ended = _moment(dag_run.get("start_date")), _moment(dag_run.get("end_date"))
    if begun is None or ended is None:
        return None
    return (ended - begun).total_seconds()


def task_overheads(task_instances: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Task-instance count, states, and the scheduler's overhead per task.

    Overhead is ``queued_when`` → ``start_date``: from the scheduler handing a task to
    Celery to a worker's supervisor starting it (the broker, the worker picking it up,
    the task process starting). Tasks that never ran (skipped before queueing, mapped
    over nothing) have no such interval and count only in ``states``. Seconds.
    """
    states: dict[str, int] = {}
    waits: list[float] = []
    durations: list[float] = []
    count = 0
    for ti in task_instances:
        count += 1
        state = str(ti.get("state"))
        states[state] = states.get(state, 0) + 1
        queued, begun = _moment(ti.get("queued_when")), _moment(ti.get("start_date"))
        if queued is not None and begun is not None:
            waits.append((begun - queued).total_seconds())
        if ti.get("duration") is not None:
            durations.append(float(ti["duration"]))
    summary: dict[str, Any] = {"task_instances": count, "states": dict(sorted(states.items()))}
    if waits:
        summary["queued_to_start_s"] = {
            "n": len(waits),
            "mean": round(statistics.fmean(waits), 2),
            "median": round(statistics.median(waits), 2),
            "max": round(max(waits), 2),
        }
    if durations:
        summary["task_duration_mean_s"] = round(statistics.fmean(durations), 2)
    return summary


def did_only_discovery(task_states: Mapping[str, str]) -> bool:
    """Whether a census_ingest run did no sentra work beyond discovery.

    Its set-up tasks and discovery ran; no batch of files was processed (the mapped
    ``process_batch`` expanded over nothing is skipped) and nothing was announced to
    consolidation (``announce_staged`` skipped). ``check_all_processed`` is a ledger
    query, part of saying "nothing new".
    """
    worked = {
        t: s for t, s in task_states.items() if t.startswith("process_batch") and s != "skipped"
    }
    return not worked and task_states.get("announce_staged") == "skipped"


# ------------------------------------------------------------ the stack


class TreeRss:
    """The summed RSS of the stack's process trees, sampled every ``interval`` seconds.

    A sum over live processes, leaders and every descendant (workers' pool processes,
    task supervisors and the tasks they run); a task shorter than the interval may be
    missed. ``ru_maxrss`` of the children would give the largest single process only.
    """

    def __init__(self, pids: Iterable[int], interval: float = 0.5) -> None:
        self.pids = list(pids)
        self.interval = interval
        self.peak_mb = 0.0
        self.largest_process_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(self.interval):
            total = 0
            for pid in self.pids:
                try:
                    leader = psutil.Process(pid)
                    tree = [leader, *leader.children(recursive=True)]
                except psutil.Error:
                    continue
                for proc in tree:
                    try:
                        rss = proc.memory_info().rss
                    except psutil.Error:  # ended between listing and reading
                        continue
                    total += rss
                    self.largest_process_mb = max(self.largest_process_mb, rss / 2**20)
            self.peak_mb = max(self.peak_mb, total / 2**20)


def _environment(work: Path, db: str, api_port: int, admin_password: str) -> dict[str, str]:
    """The stack's environment: Airflow as the smoke test runs it, sentra's data local."""
    pg = f"{POSTGRES}/{db}"
    env = airflow_env(work / "airflow", db, api_port, worker_concurrency=1, paused_at_creation=True)
    env.update(
        {
            # What deploy/airflow-init.sh reads; no SMTP is used (the outbox), but the
            # script writes the smtp_default connection all the same.
            "AIRFLOW_ADMIN_USER": "admin",
            "AIRFLOW_ADMIN_EMAIL": "admin@localhost",
            "AIRFLOW_ADMIN_PASSWORD": admin_password,
            "INIT_SMTP_HOST": "127.0.0.1",
            "INIT_SMTP_PORT": str(free_port()),
            "INIT_INGEST_POOL_SLOTS": "3",
            "SENTRA_MAIL_FROM": "sentra@localhost",
            # Ledger and catalog on PostgreSQL as in production; files local.
            "SENTRA_DATA_DIR": str(work / "data"),
            "SENTRA_LEDGER_URL": f"{pg}_ledger",
            "SENTRA_CATALOG_URL": f"{pg}_catalog",
            "SENTRA_LANDING_URI": str(work / "landing"),
            "SENTRA_MAIL_MODE": "outbox",
        }
    )
    return env


def _components() -> dict[str, list[str]]:
    workers = {
        # Distinct Celery node names; one worker log server per host (the port is one).
        f"celery-worker-{i}": [
            "celery",
            "worker",
            "--concurrency",
            "1",
            "--celery-hostname",
            f"sentra-bench-{i}@%h",
            *(["--skip-serve-logs"] if i > 1 else []),
        ]
        for i in range(1, WORKERS + 1)
    }
    return {
        "api-server": ["api-server"],
        "scheduler": ["scheduler"],
        "dag-processor": ["dag-processor"],
        **workers,
    }


class Api:
    """The REST API calls the round needs, with the JWT and the processes to watch."""

    def __init__(self, base: str, token: str, procs: dict) -> None:
        self.base, self.token, self.procs = base, token, procs

    def get(self, path: str) -> Any:
        return http("GET", f"{self.base}/api/v2{path}", self.token)

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/dags/{dag_id}/dagRuns?limit=100")["dag_runs"])

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of a run, mapped ones included, page by page."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.get(
                f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100&offset={len(found)}"
            )
            found += page["task_instances"]
            if len(found) >= page["total_entries"] or not page["task_instances"]:
                return found

    def unpause(self, dag_id: str) -> None:
        http("PATCH", f"{self.base}/api/v2/dags/{dag_id}", self.token, {"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        body = {"logical_date": None, "conf": conf}
        made = http("POST", f"{self.base}/api/v2/dags/{dag_id}/dagRuns", self.token, body)
        return str(made["dag_run_id"])

    def finished(self, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            got = self.get(f"/dags/{dag_id}/dagRuns/{run_id}")
            return got if got["state"] in TERMINAL else None

        return dict(wait(f"{dag_id} run {run_id}", done, timeout, self.procs))

    def first_runs(self, dag_id: str, appear_s: float, finish_s: float) -> list[dict[str, Any]]:
        """The runs the scheduler starts by itself once ``dag_id`` is active, finished.

        None may come (a timetable whose latest interval is not due): then none is
        waited for, after ``appear_s``.
        """
        deadline = time.monotonic() + appear_s
        while time.monotonic() < deadline and not self.runs(dag_id):
            time.sleep(POLL_S)
        return self.settled(dag_id, set(), finish_s) if self.runs(dag_id) else []

    def quiet(
        self, dag_ids: Iterable[str], quiet_s: float, timeout: float
    ) -> dict[str, list[dict[str, Any]]]:
        """Every run of ``dag_ids``, once all are finished and no new one came for
        ``quiet_s`` (an asset-triggered run is created a few seconds after its event)."""
        dag_ids = list(dag_ids)
        last: tuple[set[str], float] = (set(), time.monotonic())

        def done() -> dict[str, list[dict[str, Any]]] | None:
            nonlocal last
            runs = {d: self.runs(d) for d in dag_ids}
            ids = {r["dag_run_id"] for rs in runs.values() for r in rs}
            if ids != last[0] or any(
                r["state"] not in TERMINAL for rs in runs.values() for r in rs
            ):
                last = (ids, time.monotonic())
                return None
            return runs if time.monotonic() - last[1] >= quiet_s else None

        return dict(wait("the runs started before the round to finish", done, timeout, self.procs))

    def settled(self, dag_id: str, after: set[str], timeout: float) -> list[dict[str, Any]]:
        """The runs of ``dag_id`` not in ``after``, once there is one and all finished."""

        def done() -> list[dict[str, Any]] | None:
            new = [r for r in self.runs(dag_id) if r["dag_run_id"] not in after]
            return new if new and all(r["state"] in TERMINAL for r in new) else None

        return list(wait(f"{dag_id} to run and finish", done, timeout, self.procs))


def _figures(api: Api, dag_id: str, dag_run: dict[str, Any]) -> dict[str, Any]:
    tis = api.task_instances(dag_id, dag_run["dag_run_id"])
    return {
        "state": dag_run["state"],
        "seconds": round(run_seconds(dag_run) or 0.0, 1),
        **task_overheads(tis),
        "task_states": _task_states(tis),
    }


def _task_states(tis: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """``task_id`` (``task_id[i]`` for a mapped instance) → state."""
    states = {}
    for ti in tis:
        index = ti.get("map_index", -1)
        name = ti["task_id"] if index in (-1, None) else f"{ti['task_id']}[{index}]"
        states[name] = str(ti["state"])
    return dict(sorted(states.items()))


def _place(folder: Path, year: int, landing: Path, offices: int | None) -> tuple[int, int]:
    """Copy the year's office folders (the first ``offices`` by code) into landing.

    Returns (files, data rows). Copied, not linked: discovery refuses a file that
    resolves outside the landing folder.
    """
    chosen = sorted(p for p in (folder / str(year)).iterdir() if p.is_dir())
    if offices is not None:
        chosen = chosen[:offices]
    files = rows = 0
    for office in chosen:
        shutil.copytree(office, landing / str(year) / office.name)
        for path in (landing / str(year) / office.name).glob("*.csv"):
            files += 1
            with path.open("rb") as fh:
                rows += max(0, sum(1 for _ in fh) - 1)  # the header line
    return files, rows


def _round(
    env: dict[str, str], work: Path, folder: Path, year: int, offices: int | None
) -> dict[str, Any]:
    landing = work / "landing"
    landing.mkdir(parents=True)
    run(["bash", str(REPO / "deploy" / "airflow-init.sh")], env, "deploy/airflow-init.sh")
    run(  # every Kemendagri office in the directory, as `sentra run` does first
        [
            str(BIN / "python"),
            "-c",
            "from sentra.cli.rounds import prepare_ledger; "
            "from sentra.config import get_settings; prepare_ledger(get_settings())",
        ],
        env,
        "seeding the office directory",
    )
    api_base = f"http://127.0.0.1:{env['AIRFLOW__API__PORT']}"
    procs = start(_components(), env, work / "logs")
    rss = TreeRss(p.pid for p in procs.values())
    try:
        with rss:
            result = _measure(env, api_base, procs, landing, folder, year, offices)
    except StackError:
        for log in sorted((work / "logs").glob("*.log")):
            tail = log.read_text(errors="replace")[-3000:]
            print(f"===== {log.name}\n{tail}", file=sys.stderr)  # stdout is the result
        raise
    finally:
        result_killed = stop(procs)
    result["stopped_with_sigkill"] = result_killed
    result["stack_peak_rss_mb"] = round(rss.peak_mb, 1)
    result["largest_process_rss_mb"] = round(rss.largest_process_mb, 1)
    return result


def _measure(
    env: dict[str, str],
    api_base: str,
    procs: dict,
    landing: Path,
    folder: Path,
    year: int,
    offices: int | None,
) -> dict[str, Any]:
    started = time.monotonic()
    wait("the api-server", lambda: http("GET", f"{api_base}/api/v2/version"), 180, procs)
    api = Api(api_base, sign_in(api_base, "admin", env["AIRFLOW_ADMIN_PASSWORD"]), procs)
    for dag_id in ROUND_DAGS:
        wait(f"{dag_id} parsed", partial(api.get, f"/dags/{dag_id}"), 300, procs)
    stack_up_s = time.monotonic() - started
    for dag_id in reversed(ROUND_DAGS):  # consumers first: no asset event goes unheard
        api.unpause(dag_id)
    # Unpausing census_ingest starts its daily run (the latest interval): landing is
    # still empty, so it is a no-op on nothing. Let it finish before placing the files.
    api.first_runs("census_ingest", appear_s=90, finish_s=600)
    # What that run started on its Assets (a consolidation of the empty year, when the
    # year has none published yet) finishes too, so nothing overlaps the measured round.
    first_daily = {
        dag_id: [_figures(api, dag_id, r) for r in runs]
        for dag_id, runs in api.quiet(ROUND_DAGS, quiet_s=20, timeout=900).items()
    }
    files, rows = _place(folder, year, landing, offices)
    seen = {d: {r["dag_run_id"] for r in api.runs(d)} for d in ROUND_DAGS}
    triggered = time.monotonic()
    run_id = api.trigger("census_ingest", {"census_year": year})
    ingest = api.finished("census_ingest", run_id, RUN_DEADLINE_S)
    if ingest["state"] != "success":  # no consolidation would follow: say why, now
        failed = _figures(api, "census_ingest", ingest)["task_states"]
        raise StackError(f"census_ingest {run_id} {ingest['state']}: {failed}")
    consolidate = api.settled("census_consolidate", seen["census_consolidate"], RUN_DEADLINE_S)
    reports = api.settled("census_reports", seen["census_reports"], RUN_DEADLINE_S)
    round_s = time.monotonic() - triggered
    by_dag = {
        "census_ingest": [_figures(api, "census_ingest", ingest)],
        "census_consolidate": [_figures(api, "census_consolidate", r) for r in consolidate],
        "census_reports": [_figures(api, "census_reports", r) for r in reports],
    }
    # The next day's run with nothing new: discovery only, no consolidation after it.
    seen = {d: {r["dag_run_id"] for r in api.runs(d)} for d in ROUND_DAGS}
    noop_id = api.trigger("census_ingest", {"census_year": year})
    noop = _figures(api, "census_ingest", api.finished("census_ingest", noop_id, 600))
    time.sleep(15)  # long enough for the scheduler to start a consolidation it was asked for
    after_noop = {
        d: [r["state"] for r in api.runs(d) if r["dag_run_id"] not in seen[d]]
        for d in ROUND_DAGS[1:]
    }
    warehouse_rows = run(
        [
            str(BIN / "sentra"),
            "sql",
            f"SELECT count(*) AS n FROM submission_rows WHERE census_year = {int(year)}",
        ],
        env,
        "sentra sql",
    )
    return {
        "files": files,
        "rows": rows,
        "submission_rows": int(warehouse_rows.strip().splitlines()[-1]),
        "stack_up_s": round(stack_up_s, 1),
        "first_daily_run": first_daily,
        "round_s": round(round_s, 1),
        "by_dag": by_dag,
        "noop_ingest": noop,
        "noop_only_discovery": did_only_discovery(noop["task_states"]),
        "runs_after_noop": after_noop,
    }


def run_round(size: str, work: Path, offices: int | None = None) -> dict[str, Any]:
    """One census year of the yardstick set through the stack; figures for the harness."""
    records, seed = SETS[size]
    folder = generate(records, seed, work / f"yardstick-{size}")
    year = YEARS[-1]
    with fresh_databases("sentra_bench") as db:
        env = _environment(work, db, free_port(), uuid.uuid4().hex)
        result = _round(env, work, folder, year, offices)
    dags = result["by_dag"]
    seconds = {d: round(sum(r["seconds"] for r in runs), 1) for d, runs in dags.items()}
    ingest = dags["census_ingest"][0]
    overheads = [
        r["queued_to_start_s"] for runs in dags.values() for r in runs if "queued_to_start_s" in r
    ]
    n = sum(o["n"] for o in overheads)
    return {
        **result,
        "census_year": year,
        "rows": result["rows"],
        "ours": {"median_s": result["round_s"], "min_s": result["round_s"]},
        "by_dag_s": seconds,
        "ingest_s_per_file": round(ingest["seconds"] / max(1, result["files"]), 3),
        "task_instances": sum(r["task_instances"] for runs in dags.values() for r in runs),
        "queued_to_start_mean_s": round(sum(o["mean"] * o["n"] for o in overheads) / n, 2)
        if n
        else None,
        "noop_ingest_s": result["noop_ingest"]["seconds"],
        "note": (
            f"yardstick {size}: {result['files']} files of census {year}, scheduler + "
            f"dag-processor + api-server + {WORKERS} Celery workers (concurrency 1) on "
            "PostgreSQL and Redis; landing/staging/warehouse local (not S3), mail to the "
            "outbox (not SMTP), census_round and census_review paused; ours = trigger "
            "to the last report run finished"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SETS), default="tiny")
    parser.add_argument("--offices", type=int, help="only the first N offices' files")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sentra-national-scheduler-") as tmp:
        print(json.dumps(run_round(args.size, Path(tmp), args.offices), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
