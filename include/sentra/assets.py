"""The Airflow Assets that connect the DAGs: declared once, used by producer and consumer.

Each asset event carries ``{"census_year": <int>}`` in its ``extra`` so the consumer
knows which round changed. Importing this module is cheap (Airflow's task SDK only).
"""

from __future__ import annotations

from airflow.sdk import Asset

# census_ingest → census_consolidate: new submissions were staged for a census year.
STAGED_SUBMISSIONS = Asset(
    name="sentra_staged_submissions",
    uri="x-sentra://staging/submissions",
    group="sentra",
)

# census_round → census_consolidate: the round's deadline passed; the final consolidation.
ROUND_CLOSED = Asset(
    name="sentra_round_closed",
    uri="x-sentra://round/closed",
    group="sentra",
)

# census_consolidate → census_reports: a new warehouse publication for a census year.
WAREHOUSE_PUBLICATION = Asset(
    name="sentra_warehouse_publication",
    uri="x-sentra://warehouse/publication",
    group="sentra",
)

# census_review → census_consolidate: a reviewer's decision changed what is consolidated
# (an approval, pair decisions, sentra kept open); extra names the census years.
REVIEW_DECISIONS = Asset(
    name="sentra_review_decisions",
    uri="x-sentra://review/decisions",
    group="sentra",
)
