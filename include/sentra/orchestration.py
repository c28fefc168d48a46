"""Small pieces the DAG files share: default task arguments and census-year resolution.

Kept apart from :mod:`sentra.pipeline` so DAG files import nothing heavy at parse time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

OWNER = "sentra-data-engineering"

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


def census_year_from(params: Mapping[str, Any] | None, now: datetime | None = None) -> int:
    """The census year a run works on: the ``census_year`` param, else the current year.

    The yearly round is named by the year it is run in, so a scheduled ingest during
    the round needs no configuration.
    """
    value = (params or {}).get("census_year")
    if value not in (None, ""):
        year = int(value)
        if not 2000 <= year <= 2100:
            raise ValueError(f"census_year {year} is outside 2000..2100")
        return year
    return (now or datetime.now(UTC)).year


def census_years_from_events(
    events: Iterable[Any], params: Mapping[str, Any] | None = None
) -> list[int]:
    """Census years named by triggering asset events (``extra["census_year"]``).

    A manual run with a ``census_year`` param wins; an asset-triggered run may carry
    events for several years when they queued up, and each is processed once.
    """
    if params and params.get("census_year") not in (None, ""):
        return [census_year_from(params)]
    years = set()
    for event in events:
        extra = getattr(event, "extra", None) or {}
        if "census_year" in extra:
            years.add(int(extra["census_year"]))
        years.update(int(y) for y in extra.get("census_years") or ())
    if not years:
        return [census_year_from(None)]
    return sorted(years)


def dag_settings() -> dict[str, Any]:
    """What every sentra DAG shares: start, no catch-up, one run at a time, task defaults.

    One run at a time per DAG keeps a census year's steps from overlapping; catch-up is
    off because a round is identified by its census year, not by the schedule.
    """
    import pendulum

    return {
        "start_date": pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
        "catchup": False,
        "max_active_runs": 1,
        "default_args": DEFAULT_ARGS,
    }


def census_year_param(default_from: str) -> dict[str, Any]:
    """The ``census_year`` run parameter (optional; ``default_from`` says what fills it)."""
    from airflow.sdk import Param

    return {
        "census_year": Param(
            None, type=["null", "integer"], description=f"Census year (default: {default_from})"
        )
    }


def census_years_task(*assets: Any) -> Any:
    """A task returning the census years an asset-triggered run must process.

    Several assets: the run may have been triggered by any of them (an ``|`` schedule).
    """
    from airflow.sdk import task

    @task(task_id="census_years")
    def census_years(params: dict | None = None, *, triggering_asset_events=None) -> list[int]:
        events = [
            event
            for asset in assets
            for event in (triggering_asset_events[asset] if triggering_asset_events else [])
        ]
        return census_years_from_events(events, params)

    return census_years
