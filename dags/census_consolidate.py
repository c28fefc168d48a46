"""census_consolidate: staged rows → matched, linked, status-flagged → published warehouse."""

from __future__ import annotations

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule, dag, task, task_group

from sentra.assets import ROUND_CLOSED, STAGED_SUBMISSIONS, WAREHOUSE_PUBLICATION
from sentra.orchestration import OWNER, TAGS, census_year_param, census_years_task, dag_settings

DOC_MD = f"""
# census_consolidate

For each census year with newly staged submissions: **write** (deduplicate within the
round, link every sentra to the national register with a stable `sentra_id`, derive
active / at-risk / not-reported / inactive status with reasons and history) →
**audit** (row conservation, one row per sentra, no personal data) → **publish** (one
Iceberg publication; readers see the previous one until it commits). Then emits
`sentra_warehouse_publication`, which triggers `census_reports`.

Triggered by `sentra_staged_submissions` (new files) or `sentra_round_closed` (the
deadline passed: the final consolidation); trigger manually with `census_year` after a
reviewer's decision. Unchanged inputs make a rerun a no-op (no new snapshot).

**Owner:** {OWNER}.

**When it fails:** an `audit` failure is a bug or bad data that slipped through; it is
not retried and nothing was published — read the message, fix, clear `consolidate`.
A `publish` failure leaves the previous publication visible; clear it to retry.
"""

# An audit failure is deterministic: retrying cannot help, so fail at once.
AUDIT_POLICY = ExceptionRetryPolicy(
    rules=[RetryRule(exception="sentra.tasks.common.AuditError", action=RetryAction.FAIL)]
)


@dag(
    dag_id="census_consolidate",
    schedule=STAGED_SUBMISSIONS | ROUND_CLOSED,
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

    one_year.expand(census_year=census_years_task(STAGED_SUBMISSIONS, ROUND_CLOSED)())


census_consolidate()
