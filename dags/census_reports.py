"""census_reports: one quality report per regional office, in Bahasa Indonesia, exactly once."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from sentra.assets import WAREHOUSE_PUBLICATION
from sentra.orchestration import DEFAULT_ARGS, OWNER, TAGS

DOC_MD = f"""
# census_reports

After each warehouse publication, emails every regional office its quality report
(what was received, rejected rows by reason with the office's own row numbers and what
to fix, merged duplicates, sentra flagged inactive / not reported / revived), reminds
offices that did not submit, and sends the central office a national summary.

A delivery ledger keyed by office, census year and result version makes sending
exactly once: retries and reruns send nothing twice; a changed result (a resubmission)
sends a new, labelled report.

**Owner:** {OWNER}. Triggered by `sentra_warehouse_publication`.

**When it fails:** the task fails only after every office was attempted; the failed
deliveries are in the ledger with their last SMTP error (`sentra reports status`).
Fix the mail server or the connection `smtp_default` and clear the task: only the
failed ones are sent.
"""


@dag(
    dag_id="census_reports",
    schedule=[WAREHOUSE_PUBLICATION],
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=TAGS["reports"],
    doc_md=DOC_MD,
    params={
        "census_year": Param(
            None,
            type=["null", "integer"],
            description="Census year (default: from the asset event)",
        )
    },
)
def census_reports() -> None:
    @task
    def census_years(params: dict | None = None, *, triggering_asset_events=None) -> list[int]:
        from sentra.orchestration import census_years_from_events

        events = triggering_asset_events[WAREHOUSE_PUBLICATION] if triggering_asset_events else []
        return census_years_from_events(events, params)

    @task
    def send_reports(census_year: int) -> dict:
        from sentra import pipeline

        return pipeline.send_reports(census_year)

    send_reports.expand(census_year=census_years())


census_reports()
