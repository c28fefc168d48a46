"""Which census year a run works on: one rule, for every DAG and the board.

1. the run's ``census_year`` param (a manual trigger, or a rerun for a given year);
2. else the census years named by the asset events that triggered the run
   (``extra["census_year"]`` / ``extra["census_years"]``);
3. else the run's logical date — for a manual run without one, the time it was queued
   to run (``run_after``) — as a calendar date in Asia/Jakarta.

Never the wall clock at the moment a task happens to execute: a 31 December run
cleared and re-run on 2 January still works on the year it was scheduled for, and a
run at 00:30 on 1 January in Jakarta (17:30 UTC on 31 December) works on the new
year, as the ministry's calendar does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

CENSUS_TIMEZONE = "Asia/Jakarta"  # the round's days are the ministry's days
YEAR_RANGE = (2000, 2100)


def census_day(moment: datetime) -> date:
    """The calendar day of ``moment`` in Jakarta (a naive moment is taken as UTC)."""
    from datetime import UTC

    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(CENSUS_TIMEZONE)).date()


def _checked(value: Any) -> int:
    year = int(value)
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise ValueError(f"census_year {year} is outside {YEAR_RANGE[0]}..{YEAR_RANGE[1]}")
    return year


def census_year_of_run(params: Mapping[str, Any] | None, moment: datetime | None) -> int:
    """The one census year of a run: its param, else its logical date in Jakarta."""
    value = (params or {}).get("census_year")
    if value not in (None, ""):
        return _checked(value)
    if moment is None:
        raise ValueError("a run without a census_year param needs its logical date")
    return census_day(moment).year


def census_years_of_run(
    params: Mapping[str, Any] | None, events: Iterable[Any], moment: datetime | None
) -> list[int]:
    """The census years an asset-triggered run processes, each once, in order.

    A manual run with a ``census_year`` param wins; events queued up for several years
    name them all; a run with neither works on the year of its logical date.
    """
    if params and params.get("census_year") not in (None, ""):
        return [census_year_of_run(params, moment)]
    years: set[int] = set()
    for event in events:
        extra = getattr(event, "extra", None) or {}
        if "census_year" in extra:
            years.add(_checked(extra["census_year"]))
        years.update(_checked(y) for y in extra.get("census_years") or ())
    if not years:
        return [census_year_of_run(None, moment)]
    return sorted(years)
