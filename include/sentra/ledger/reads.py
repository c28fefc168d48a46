"""Read-only ledger units of work for callers whose contract carries no session.

:func:`sentra.reports.loader.load_inputs` is an ``inputs_loader`` (``(settings,
census_year) -> LoadedInputs``, swapped out by tests and callers of
:func:`sentra.reports.send_reports`); it reads the ledger once, before any report is
built or sent, and must not hold a session across the sending. So the read is one
short transaction the ledger opens itself, as the house rule allows, instead of a
session threaded through a loader contract that does not have one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from sentra.config import Settings
    from sentra.ledger.models import Consolidation


def publication_and_offices(
    settings: Settings, census_year: int
) -> tuple[Consolidation | None, pd.DataFrame]:
    """The year's latest published consolidation and the office directory, read together."""
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope

    with session_scope(settings) as session:
        return repo.latest_published(session, census_year), repo.load_offices(session)
