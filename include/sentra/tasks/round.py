"""census_round's task: what the round's calendar asks for on the run's day."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sentra.census_round import advance

log = logging.getLogger(__name__)

ROUND_TIMEZONE = "Asia/Jakarta"  # the round's days are the ministry's days


def advance_day(params: dict[str, Any], logical_date: datetime | None) -> dict[str, Any]:
    """The Airflow task: the run's day (in Jakarta) and params → :func:`advance`."""
    from zoneinfo import ZoneInfo

    from sentra.config import get_settings
    from sentra.orchestration import census_year_from

    moment = logical_date or datetime.now(UTC)
    today = moment.astimezone(ZoneInfo(ROUND_TIMEZONE)).date()
    census_year = census_year_from(params, moment)
    day = advance(
        get_settings(),
        census_year,
        today,
        open_date=params.get("open_date"),
        deadline=params.get("deadline"),
        now=moment if moment.tzinfo else moment.replace(tzinfo=UTC),
    )
    log.info("census %s round on %s: %s", census_year, today, day.as_dict())
    return day.as_dict()
