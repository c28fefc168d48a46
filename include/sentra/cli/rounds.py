"""Census rounds driven through the embedded Airflow, with a live progress line.

``sentra run`` (a landing folder: :mod:`sentra.own_files` places the files) and
``sentra demo`` (the synthetic round) both end here: the real DAGs, census_ingest →
census_consolidate → census_reports, run with ``dag.test()`` one census year after
another, while a thread reads the ledger to show files, rows and reports as they go.
Like every command module, this one opens its own ledger sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from sentra.config import Settings
    from sentra.own_files import LandingPlan


@dataclass
class Progress:
    """What the live line shows: the stage and what the ledger says so far."""

    census_year: int
    stage: str = "starting"
    files: int = 0
    files_done: int = 0
    rows: int = 0
    rejected_files: int = 0
    reports: int = 0

    def line(self, seconds: float) -> str:
        return (
            f"census {self.census_year} · {self.stage} · files read {self.files_done}/"
            f"{self.files} ({self.rejected_files} rejected) · rows {self.rows:,} · "
            f"reports {self.reports} · {seconds:,.0f} s"
        )


def poll_progress(settings: Settings, progress: Progress) -> None:
    """Refresh ``progress`` from the ledger (the tasks write it as they go)."""
    from sqlalchemy import func, select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery, Submission

    with session_scope(settings) as session:
        rows = session.execute(
            select(
                Submission.status, func.count(), func.coalesce(func.sum(Submission.rows_total), 0)
            )
            .where(Submission.census_year == progress.census_year)
            .group_by(Submission.status)
        ).all()
        reports = session.scalar(
            select(func.count()).where(ReportDelivery.census_year == progress.census_year)
        )
    progress.files = sum(int(n) for _, n, _ in rows)
    progress.files_done = sum(int(n) for status, n, _ in rows if status != "received")
    progress.rejected_files = sum(int(n) for status, n, _ in rows if status == "rejected")
    progress.rows = sum(int(r or 0) for _, _, r in rows)
    progress.reports = int(reports or 0)


def run_rounds(plan: LandingPlan, settings: Settings, console: Console) -> list[dict]:
    """Each census year of the plan through census_ingest → consolidate → reports.

    The Airflow home and the SENTRA_* environment must already be configured (see
    :func:`prepare_environment`). Years run in order: a year's register links are what
    the next year's round links to.
    """
    from sentra.own_files import place_files

    runs: list[dict] = []
    for year in plan.years:
        if plan.placed:
            written = place_files(plan, settings, year)
            console.print(
                f"   placed {len(plan.placed)} file(s) under {plan.landing_uri}/{year}/ "
                f"({len(written)} copied):",
                markup=False,
                soft_wrap=True,
            )
            for f in plan.placed:
                console.print(
                    f"     {f.name} → {f.office_code} ({f.how})", markup=False, soft_wrap=True
                )
        console.print(f"[bold]Census {year}[/] through Airflow (dag.test):")
        runs.extend(_run_year(year, settings, console))
    return runs


def _run_year(year: int, settings: Settings, console: Console) -> list[dict]:
    """One year's three DAG runs under a live line redrawn from the ledger.

    ``dag.test()`` runs the tasks in this process; a background thread polls the
    ledger every half second (files read, rows, reports) and redraws the line. As
    under the scheduler, an asset-triggered DAG runs only when the run before it
    produced its asset's event: a rerun with nothing new stops after census_ingest.
    """
    import logging
    import threading
    import time

    from rich.live import Live
    from rich.text import Text

    from sentra.runner import PIPELINE_DAGS, run_dag

    progress = Progress(year)
    started = time.perf_counter()
    stop = threading.Event()
    runs: list[dict] = []
    with Live(Text(progress.line(0)), console=console, transient=True) as live:

        def refresh() -> None:
            while not stop.wait(0.5):
                try:
                    poll_progress(settings, progress)
                except Exception:  # a busy ledger must never stop the run
                    logging.getLogger(__name__).debug("progress poll failed", exc_info=True)
                    continue
                live.update(Text(progress.line(time.perf_counter() - started)))

        thread = threading.Thread(target=refresh, name="sentra-progress", daemon=True)
        thread.start()
        try:
            emitted: set[str] = set()
            for dag_id in PIPELINE_DAGS:
                progress.stage = dag_id
                dag_started = time.perf_counter()
                result = run_dag(dag_id, {"census_year": year}, emitted=frozenset(emitted))
                if result.state == "not_run":
                    # As the scheduler would: no event on its assets, no run (a rerun
                    # with nothing new ends after census_ingest's discovery).
                    waiting = " or ".join(sorted(result.waiting_for))
                    live.console.print(
                        f"   {dag_id:<20} not run  no {waiting} event: nothing new for it"
                    )
                    runs.append(
                        {"census_year": year, "dag_id": dag_id, "state": "not_run", "seconds": 0.0}
                    )
                    continue
                emitted |= result.emitted
                seconds = time.perf_counter() - dag_started
                poll_progress(settings, progress)
                states = ", ".join(f"{n} {s}" for s, n in sorted(result.task_states.items()))
                live.console.print(
                    f"   {result.dag_id:<20} {result.state:<8} tasks: {states}  "
                    f"[dim]{progress.line(time.perf_counter() - started)}[/]"
                )
                runs.append(
                    {
                        "census_year": year,
                        "dag_id": dag_id,
                        "state": result.state,
                        "seconds": round(seconds, 2),
                    }
                )
                if not result.ok:
                    raise RuntimeError(
                        f"{dag_id} for census {year} ended {result.state}: {result.task_states}"
                    )
        finally:
            stop.set()
            thread.join()
    return runs


def prepare_environment(settings: Settings, landing_uri: str | None = None) -> Settings:
    """Point this process (and the tasks it runs) at one data folder and landing folder.

    Every ``sentra`` command reads the same settings (``SENTRA_DATA_DIR``,
    ``SENTRA_CONFIG``); the run writes the resolved data folder back to the environment
    so the tasks ``dag.test()`` executes see exactly what the command saw.
    """
    import os

    from sentra.config import get_settings
    from sentra.runner import configure_airflow, migrate_airflow_db

    os.environ["SENTRA_DATA_DIR"] = str(settings.data_dir)
    if landing_uri:
        os.environ["SENTRA_LANDING_URI"] = landing_uri
    airflow_home = settings.data_dir / "airflow"
    configure_airflow(airflow_home)
    migrate_airflow_db(airflow_home)
    return get_settings()


def load_reference(settings: Settings, cfg: Any) -> dict[str, int]:
    """Load the demo's national register and office directory into the ledger (idempotent).

    ``cfg`` is a :class:`sentra.demo.DemoConfig`: ``register.csv`` and ``offices.csv``
    are read from its ``data_dir``. A command-level step (``sentra demo``), so it opens
    the ledger transactions here: the register import is one, the directory another.
    """
    import pandas as pd

    from sentra.ledger import repository as repo
    from sentra.ledger.db import migrate, session_scope
    from sentra.offices import import_directory

    migrate(settings)
    register = pd.read_csv(cfg.data_dir / "register.csv", dtype={"region_code": str})
    with session_scope(settings) as session:
        n_register = repo.import_register(session, register)
    with session_scope(settings) as session:  # seeds the Kemendagri offices, then addresses
        n_offices = import_directory(session, cfg.data_dir / "offices.csv")
    return {"register": n_register, "offices": n_offices}


def prepare_ledger(settings: Settings) -> dict[str, int]:
    """Migrate the ledger and make sure every Kemendagri office is in the directory."""
    from sentra.ledger.db import migrate, session_scope
    from sentra.offices import list_offices, seed_directory

    migrate(settings)
    with session_scope(settings) as session:
        added = seed_directory(session)
    with session_scope(settings) as session:
        return {"offices": len(list_offices(session)), "offices_added": added}
