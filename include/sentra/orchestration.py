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
    if not years:
        return [census_year_from(None)]
    return sorted(years)
