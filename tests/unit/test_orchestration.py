"""Census-year resolution for scheduled, manual and asset-triggered runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from sentra.orchestration import census_year_from, census_years_from_events


@dataclass
class Event:
    extra: dict = field(default_factory=dict)


def test_param_wins_over_clock():
    assert census_year_from({"census_year": 2025}, now=datetime(2026, 5, 1, tzinfo=UTC)) == 2025
    assert census_year_from({"census_year": "2024"}) == 2024


def test_scheduled_run_uses_current_year():
    assert census_year_from({}, now=datetime(2026, 5, 1, tzinfo=UTC)) == 2026
    assert census_year_from({"census_year": None}, now=datetime(2027, 1, 1, tzinfo=UTC)) == 2027


def test_absurd_year_is_refused():
    with pytest.raises(ValueError, match="outside"):
        census_year_from({"census_year": 26})


def test_queued_asset_events_for_several_years_each_run_once():
    events = [
        Event({"census_year": 2026}),
        Event({"census_year": 2025}),
        Event({"census_year": 2026}),
    ]
    assert census_years_from_events(events) == [2025, 2026]


def test_manual_param_overrides_events():
    assert census_years_from_events([Event({"census_year": 2026})], {"census_year": 2024}) == [2024]


def test_events_without_year_fall_back_to_current_year():
    assert census_years_from_events([Event()]) == [datetime.now(UTC).year]
