"""census_round's task: what the round's calendar asks for on the run's day."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sentra.census_round import advance
from sentra.config import Settings
from sentra.tasks.common import resolve_settings

log = logging.getLogger(__name__)


def advance_day(
    params: dict[str, Any], logical_date: datetime | None, settings: Settings | None = None
) -> dict[str, Any]:
    """The run's day in Jakarta and its census year (:mod:`sentra.census_year`) → :func:`advance`.

    ``logical_date`` is the run's (for a manual run without one, when it was queued):
    a cleared run re-run days later still does its own day's work.
    """
    from sentra.census_year import census_day, census_year_of_run
    from sentra.ledger.db import session_scope

    if logical_date is None:
        raise ValueError("census_round needs the run's logical date (or run_after)")
    moment = logical_date if logical_date.tzinfo else logical_date.replace(tzinfo=UTC)
    today = census_day(moment)
    census_year = census_year_of_run(params, moment)
    settings = resolve_settings(settings)
    day = advance(
        settings,
        census_year,
        today,
        ledger=lambda: session_scope(settings),
        open_date=params.get("open_date"),
        deadline=params.get("deadline"),
        now=moment,
    )
    log.info("census %s round on %s: %s", census_year, today, day.as_dict())
    return day.as_dict()
