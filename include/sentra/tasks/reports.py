"""census_reports' task: each office's quality report for the latest publication."""

from __future__ import annotations

from typing import Any

from sentra.config import Settings
from sentra.tasks.common import resolve_settings


def send_reports(census_year: int, settings: Settings | None = None) -> dict[str, Any]:
    """Send every office its report for the latest publication, each exactly once."""
    from sentra.reports import send_reports as _send

    settings = resolve_settings(settings)
    return _send(settings, census_year).as_dict()
