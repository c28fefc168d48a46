"""The default inputs of a report run: the latest publication and the office directory.

Reads the warehouse tables at the latest publication (``Warehouse.scan``) and the
ledger (offices, latest published consolidation). Kept apart from the pure model so
reports can be built and tested from hand-made frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentra.config import Settings
    from sentra.offices import OfficeInfo
    from sentra.reports.model import ReportInputs, ReportVersion


@dataclass
class LoadedInputs:
    """What one report run needs; ``version`` None means nothing is published yet."""

    version: ReportVersion | None
    offices: list[OfficeInfo]
    data: ReportInputs | None


def load_inputs(settings: Settings, census_year: int) -> LoadedInputs:
    """Offices from the ledger and the year's published tables from the warehouse."""
    from sentra.ledger.reads import publication_and_offices
    from sentra.offices import offices_from_frame
    from sentra.reports.model import ReportInputs, ReportVersion
    from sentra.warehouse import Warehouse

    published, directory = publication_and_offices(settings, census_year)
    offices = offices_from_frame(directory)
    version = (
        None if published is None else ReportVersion(published.version, published.content_hash)
    )
    if version is None:
        return LoadedInputs(None, offices, None)
    wh = Warehouse(settings)
    # Read the warehouse as this census year's publication left it: a later year's
    # consolidation changes the register, and re-reporting an old year must not turn
    # that into a "new" report (deliveries are keyed by report content).
    publication = wh.latest_publication(census_year)
    as_of = publication.published_at if publication is not None else None
    last = wh.scan("sentra_census", census_year=census_year - 1, as_of=as_of).to_pandas()
    data = ReportInputs(
        submissions=wh.scan("submissions", census_year=census_year, as_of=as_of).to_pandas(),
        submission_rows=wh.scan(
            "submission_rows", census_year=census_year, as_of=as_of
        ).to_pandas(),
        sentra=wh.scan("sentra", as_of=as_of).to_pandas(),
        status_history=wh.scan(
            "sentra_status_history", census_year=census_year, as_of=as_of
        ).to_pandas(),
        last_year_status=last[["sentra_id", "status"]],
        min_units_for_sentra=settings.min_units_for_sentra,
        inactive_after_missed_rounds=settings.inactive_after_missed_rounds,
    )
    return LoadedInputs(version, offices, data)
