"""Run the DAGs through Airflow itself on one machine (demo, end-to-end tests).

``dag.test()`` executes every task of a real DAG run — mapping, trigger rules,
retries' bookkeeping, XCom, asset events — against a local metadata database, without
a scheduler. The demo and the end-to-end tests use it so they exercise the same DAG
files production runs, not the functions around them.

Airflow reads its configuration when first imported, so :func:`configure_airflow`
must run before anything imports ``airflow``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PIPELINE_DAGS = ("census_ingest", "census_consolidate", "census_reports")


def repo_root() -> Path | None:
    """The source checkout (editable install), where ``dags/`` lives; None when installed."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "dags").is_dir() and (parent / "include" / "sentra").is_dir():
            return parent
    return None


def dags_folder() -> Path:
    configured = os.environ.get("AIRFLOW__CORE__DAGS_FOLDER")
    if configured:
        return Path(configured)
    root = repo_root()
    if root is None:
        raise RuntimeError("cannot find the dags/ folder; set AIRFLOW__CORE__DAGS_FOLDER")
    return root / "dags"


def configure_airflow(airflow_home: Path) -> dict[str, str]:
    """Point Airflow at a private home with a SQLite metadata DB, before importing it."""
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(airflow_home):
        log.warning("airflow was imported before configure_airflow(); using its configuration")
    airflow_home.mkdir(parents=True, exist_ok=True)
    env = {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get(
            "AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"
        ),
    }
    os.environ.update(env)
    return env


def migrate_airflow_db(airflow_home: Path) -> None:
    """``airflow db migrate`` in a subprocess (idempotent; seconds when up to date)."""
    marker = airflow_home / ".sentra-db-migrated"
    airflow_bin = Path(sys.executable).with_name("airflow")
    cmd = (
        [str(airflow_bin), "db", "migrate"]
        if airflow_bin.exists()
        else [
            sys.executable,
            "-m",
            "airflow",
            "db",
            "migrate",
        ]
    )
    if marker.exists():
        return
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy(), check=False)
    if proc.returncode != 0:
        raise RuntimeError(
            f"airflow db migrate failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    marker.write_text("ok\n")


@dataclass(frozen=True)
class RunResult:
    dag_id: str
    run_id: str
    state: str
    task_states: dict[str, int]
    # Names of the Assets the run produced an event for (a task with outlets succeeded;
    # one that skipped, having nothing new to announce, produced none).
    emitted: frozenset[str] = frozenset()
    # For a run not started ("not_run"): the Assets on its DAG's schedule, none of
    # which got the event the scheduler would have started it on.
    waiting_for: frozenset[str] = frozenset()

    @property
    def ok(self) -> bool:
        return self.state == "success"


def run_dag(
    dag_id: str, conf: dict[str, Any] | None = None, *, emitted: frozenset[str] | None = None
) -> RunResult:
    """Execute one DAG run in-process with ``dag.test()`` and report its outcome.

    With ``emitted`` (the Assets earlier runs produced events for), a DAG scheduled on
    Assets runs only when its schedule's condition holds on them, as the scheduler
    would start it; otherwise nothing runs and the result's state is ``not_run``. The
    condition is read from the DAG itself, so renaming an Asset cannot make a round
    skip a stage.
    """
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import Asset

    bag = DagBag(dag_folder=str(dags_folder()))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.dags.get(dag_id)
    if dag is None:
        raise LookupError(f"no DAG {dag_id!r} in {dags_folder()}")
    condition = getattr(dag.timetable, "asset_condition", None)
    if emitted is not None and condition is not None and not _holds(condition, emitted):
        return RunResult(dag_id, "", "not_run", {}, waiting_for=_asset_names(condition))
    outlets = {
        task.task_id: {a.name for a in task.outlets if isinstance(a, Asset)} for task in dag.tasks
    }
    dag_run = dag.test(run_conf=conf or {}, logical_date=None)
    states: dict[str, int] = {}
    produced: set[str] = set()
    for ti in dag_run.get_task_instances():
        key = str(ti.state)
        states[key] = states.get(key, 0) + 1
        if key == "success":
            produced |= outlets.get(ti.task_id, set())
    return RunResult(dag_id, dag_run.run_id, str(dag_run.state), states, frozenset(produced))


def _holds(condition: Any, emitted: frozenset[str]) -> bool:
    """Whether an Asset schedule (an Asset, or AssetAny/AssetAll of them) is met by
    events on the ``emitted`` Assets."""
    from airflow.sdk import Asset
    from airflow.sdk.definitions.asset import AssetAll, AssetAny

    if isinstance(condition, Asset):
        return condition.name in emitted
    if isinstance(condition, AssetAll):
        return all(_holds(o, emitted) for o in condition.objects)
    if isinstance(condition, AssetAny):
        return any(_holds(o, emitted) for o in condition.objects)
    raise TypeError(f"unsupported asset schedule {condition!r}")


def _asset_names(condition: Any) -> frozenset[str]:
    objects = getattr(condition, "objects", None)
    if objects is None:
        return frozenset({condition.name})
    return frozenset().union(*(_asset_names(o) for o in objects))
