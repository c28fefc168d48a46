"""census_ingest: landing files → ledger submissions → typed, validated, staged rows."""

from __future__ import annotations

from airflow.sdk import dag, task

from sentra.assets import STAGED_SUBMISSIONS
from sentra.orchestration import OWNER, TAGS, census_year_param, census_year_task, dag_settings

DOC_MD = f"""
# census_ingest

Reads the re-census files regional offices drop in
`landing/<census_year>/<office_code>/`, records each new file in the ledger (content
hash: the same bytes twice are one submission; a newer file from the same office
supersedes the older one; files e-mailed to the intake mailbox are filed there first
by `collect_mail`, see `sentra.intake`), and processes **each submission in its own mapped task**:
read → normalise → validate with the Great Expectations suites in `expectations/` →
stage every row with its verdict. A broken file fails (or is rejected) alone.

When anything changed, it emits the `sentra_staged_submissions` asset with the census
year, which triggers `census_consolidate`.

**Owner:** {OWNER}. **Runs** daily during a round; trigger manually with
`census_year` to (re)process a given year.

**When it fails:** open the failed `process_submission` instance; its log names the
file, row and column. Infrastructure faults are retried; fix the cause and clear the
task — reprocessing is idempotent. A rejected *file* is not a failure: it is recorded
on the submission and reported to the office.
"""


@dag(
    dag_id="census_ingest",
    schedule="@daily",
    tags=TAGS["ingest"],
    doc_md=DOC_MD,
    params=census_year_param("the run's logical date, in Asia/Jakarta"),
    **dag_settings(),
)
def census_ingest() -> None:
    @task
    def prepare() -> dict:
        from sentra.tasks import ingest

        return ingest.prepare()

    @task
    def collect_mail(census_year: int) -> dict:
        from sentra.tasks import ingest

        return ingest.collect_mail(census_year)

    @task
    def discover(census_year: int) -> list[str]:
        from sentra.tasks import ingest

        return ingest.discover(census_year)

    @task(pool="sentra_ingest", max_active_tis_per_dagrun=4)
    def process_submission(submission_id: str) -> dict:
        from sentra.tasks import ingest

        return ingest.process_submission(submission_id)

    @task(trigger_rule="all_done", outlets=[STAGED_SUBMISSIONS])
    def announce_staged(census_year: int, *, outlet_events=None) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from sentra.tasks import ingest

        pending = ingest.pending_changes(census_year)
        if not pending["changed"]:
            raise AirflowSkipException(f"census {census_year}: nothing new to consolidate")
        outlet_events[STAGED_SUBMISSIONS].extra = {"census_year": census_year}
        return pending

    @task(trigger_rule="all_done")
    def check_all_processed(census_year: int) -> dict:
        from sentra.tasks import ingest

        return ingest.check_all_processed(census_year)

    year = census_year_task()()
    ready = prepare()
    mail = collect_mail(year)
    submissions = discover(year)
    ready >> mail >> submissions
    processed = process_submission.expand(submission_id=submissions)
    processed >> [announce_staged(year), check_all_processed(year)]


census_ingest()
