"""What the DAG files share: default task arguments, bounds, alerts and the census year.

Kept apart from :mod:`sentra.tasks` so DAG files import nothing heavy at parse time:
this module imports Airflow's task SDK and the settings, nothing else of sentra until
a task runs. It is the Airflow adapter; nothing below ``sentra.tasks`` imports it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

OWNER = "sentra-data-engineering"
# census_ingest batches processed at once in one run (and the least number of batches
# a round is split into, so a small round still uses every slot).
INGEST_PARALLEL = 4

DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=15),
}

# Tags vocabulary: every DAG carries "sentra" plus its stage.
TAGS = {
    "ingest": ["sentra", "ingest"],
    "consolidate": ["sentra", "consolidate", "warehouse"],
    "reports": ["sentra", "reports", "email"],
    "round": ["sentra", "round", "email"],
    "review": ["sentra", "review", "human-in-the-loop"],
}


def run_moment(context: dict[str, Any]) -> datetime | None:
    """The run's logical date, or when a manual run without one was queued to run."""
    moment = context.get("logical_date")
    if moment is None and context.get("dag_run") is not None:
        moment = getattr(context["dag_run"], "run_after", None)
    return moment


def dag_settings(kind: str = "batch") -> dict[str, Any]:
    """What every sentra DAG shares: start, no catch-up, one run at a time, task defaults.

    One run at a time per DAG keeps a census year's steps from overlapping; catch-up is
    off because a round is identified by its census year, not by the schedule. Bounds:
    every task fails after ``SENTRA_TASK_TIMEOUT_MINUTES`` (and retries), every run
    after ``SENTRA_DAGRUN_TIMEOUT_HOURS``, so a hung task cannot park the runs behind
    it; a ``review`` DAG's runs also wait for the reviewers (``SENTRA_REVIEW_EXPIRY_DAYS``).
    Any failed task mails the data engineers (:func:`notify_failure`).
    """
    import pendulum

    from sentra.config import get_settings

    settings = get_settings()
    run_timeout = timedelta(hours=settings.dagrun_timeout_hours)
    if kind == "review":
        run_timeout += timedelta(days=settings.review_expiry_days)
    return {
        "start_date": pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
        "catchup": False,
        "max_active_runs": 1,
        "dagrun_timeout": run_timeout,
        "default_args": {
            **DEFAULT_ARGS,
            "execution_timeout": timedelta(minutes=settings.task_timeout_minutes),
            "on_failure_callback": notify_failure,
        },
    }


def review_expiry() -> timedelta:
    """How long a review question waits for an answer (``SENTRA_REVIEW_EXPIRY_DAYS``)."""
    from sentra.config import get_settings

    return timedelta(days=get_settings().review_expiry_days)


def census_year_param(default_from: str) -> dict[str, Any]:
    """The ``census_year`` run parameter (optional; ``default_from`` says what fills it)."""
    from airflow.sdk import Param

    return {
        "census_year": Param(
            None, type=["null", "integer"], description=f"Census year (default: {default_from})"
        )
    }


def census_year_task() -> Any:
    """A task returning the census year of a scheduled run (:mod:`sentra.census_year`)."""
    from airflow.sdk import task

    @task(task_id="census_year")
    def census_year(params: dict | None = None, **context: Any) -> int:
        from sentra.census_year import census_year_of_run

        return census_year_of_run(params, run_moment(context))

    return census_year


def census_years_task(*assets: Any) -> Any:
    """A task returning the census years an asset-triggered run must process.

    Several assets: the run may have been triggered by any of them (an ``|`` schedule).
    """
    from airflow.sdk import task

    @task(task_id="census_years")
    def census_years(params: dict | None = None, **context: Any) -> list[int]:
        from sentra.census_year import census_years_of_run

        triggering = context.get("triggering_asset_events")
        events = [event for asset in assets for event in (triggering[asset] if triggering else [])]
        return census_years_of_run(params, events, run_moment(context))

    return census_years


def notify_failure(context: dict[str, Any]) -> None:
    """Mail the data engineers that a task failed: DAG, task, census year, log link.

    Sent through the same transport as the reports (the SMTP Connection
    ``SENTRA_SMTP_CONN_ID`` in production, the outbox folder in the embedded default)
    to ``SENTRA_ALERT_EMAILS`` (the central office's address when unset). A callback
    must never fail the run a second time: a mail error is logged, not raised.
    """
    import logging

    from sentra.config import get_settings
    from sentra.tasks.alerts import failure_message, send_alert

    log = logging.getLogger(__name__)
    try:
        settings = get_settings()
        send_alert(settings, failure_message(settings, _failure_facts(context)))
    except Exception:
        log.exception("the failure alert could not be sent")


def _failure_facts(context: dict[str, Any]) -> dict[str, Any]:
    """The plain facts of a failed task instance, for :func:`failure_message`."""
    from sentra.census_year import census_years_of_run

    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    params = context.get("params") or {}
    try:
        triggering = context.get("triggering_asset_events") or {}
        events = [e for events in triggering.values() for e in events]
        years: list[int] | None = census_years_of_run(params, events, run_moment(context))
    except Exception:
        years = None
    return {
        "dag_id": getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", "?"),
        "task_id": getattr(ti, "task_id", "?"),
        "map_index": getattr(ti, "map_index", -1),
        "run_id": getattr(ti, "run_id", None) or getattr(dag_run, "run_id", "?"),
        "try_number": getattr(ti, "try_number", None),
        "census_years": years,
        "log_url": getattr(ti, "log_url", None),
        "exception": context.get("exception"),
    }
