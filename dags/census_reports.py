"""census_reports: one quality report per regional office, in Bahasa Indonesia, exactly once."""

from __future__ import annotations

from airflow.sdk import dag, task

from sentra.assets import WAREHOUSE_PUBLICATION
from sentra.orchestration import OWNER, TAGS, census_year_param, census_years_task, dag_settings

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
    tags=TAGS["reports"],
    doc_md=DOC_MD,
    params=census_year_param("the asset event"),
    **dag_settings(),
)
def census_reports() -> None:
    @task
    def send_reports(census_year: int) -> dict:
        from sentra.tasks import reports

        return reports.send_reports(census_year)

    send_reports.expand(census_year=census_years_task(WAREHOUSE_PUBLICATION)())


census_reports()
