"""census_consolidate: staged rows → matched, linked, status-flagged → published warehouse."""

from __future__ import annotations

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule, dag, task, task_group

from sentra.assets import (
    REVIEW_DECISIONS,
    ROUND_CLOSED,
    STAGED_SUBMISSIONS,
    WAREHOUSE_PUBLICATION,
)
from sentra.orchestration import OWNER, TAGS, census_year_param, census_years_task, dag_settings

DOC_MD = f"""
# census_consolidate

For each census year with newly staged submissions: **consolidate** (one read of
the ledger and the staged rows; deduplicate within the round, link every sentra to the
national register with a stable `sentra_id`, derive active / at-risk / not-reported /
inactive status with reasons and history; the tables go to a pending folder) →
**audit** (row conservation, one row per sentra, no personal data) → **publish** (new
sentra registered, links and contacts saved and one Iceberg publication, in one ledger
transaction; readers see the previous one until it commits). A consolidation that
fails its audit has handed out no `sentra_id`. Then emits
`sentra_warehouse_publication`, which triggers `census_reports`.

Triggered by `sentra_staged_submissions` (new files), `sentra_round_closed` (the
deadline passed: the final consolidation) or `sentra_review_decisions` (a reviewer's
decision changed what is consolidated); trigger manually with `census_year`.
Unchanged inputs make a rerun a no-op (no new snapshot).

**Owner:** {OWNER}.

**When it fails:** an `audit` failure is a bug or bad data that slipped through; it is
not retried and nothing was published — read the message, fix, clear `consolidate`.
A `publish` failure leaves the previous publication visible and the ledger as it was;
clear it to retry. If it says the register changed (another year registered sentra in
the same kab/kota meanwhile) or a newer consolidation exists, clear `consolidate`.
"""

# An audit failure is deterministic: retrying cannot help, so fail at once.
AUDIT_POLICY = ExceptionRetryPolicy(
    rules=[RetryRule(exception="sentra.errors.AuditError", action=RetryAction.FAIL)]
)


@dag(
    dag_id="census_consolidate",
    schedule=STAGED_SUBMISSIONS | ROUND_CLOSED | REVIEW_DECISIONS,
    tags=TAGS["consolidate"],
    doc_md=DOC_MD,
    params=census_year_param("the asset event"),
    **dag_settings(),
)
def census_consolidate() -> None:
    @task_group
    def one_year(census_year: int) -> None:
        @task(retry_policy=AUDIT_POLICY)
        def consolidate(census_year: int) -> dict:
            from sentra.tasks import consolidate as tasks

            return tasks.consolidate(census_year)

        @task(retry_policy=AUDIT_POLICY)
        def audit(census_year: int, consolidation: dict) -> dict:
            from sentra.tasks import consolidate as tasks

            return tasks.audit(census_year, consolidation)

        @task(outlets=[WAREHOUSE_PUBLICATION])
        def publish(census_year: int, consolidation: dict, *, outlet_events=None) -> dict:
            from airflow.sdk.exceptions import AirflowSkipException

            from sentra.tasks import consolidate as tasks

            published = tasks.publish(census_year, consolidation)
            if not published["changed"]:
                raise AirflowSkipException(f"census {census_year}: warehouse already current")
            outlet_events[WAREHOUSE_PUBLICATION].extra = {"census_year": census_year}
            return published

        written = consolidate(census_year)
        audit(census_year, written) >> publish(census_year, written)

    one_year.expand(
        census_year=census_years_task(STAGED_SUBMISSIONS, ROUND_CLOSED, REVIEW_DECISIONS)()
    )


census_consolidate()
