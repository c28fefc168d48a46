"""census_ingest: landing files → ledger submissions → typed, validated, staged rows."""

from __future__ import annotations

from airflow.sdk import dag, task

from sentra.assets import STAGED_SUBMISSIONS
from sentra.orchestration import (
    INGEST_PARALLEL,
    OWNER,
    TAGS,
    census_year_param,
    census_year_task,
    dag_settings,
)

DOC_MD = f"""
# census_ingest

Reads the re-census files regional offices drop in
`landing/<census_year>/<office_code>/`, records each new file in the ledger (content
hash: the same bytes twice are one submission; a newer file from the same office
supersedes the older one; files e-mailed to the intake mailbox are filed there first
by `collect_mail`, see `sentra.intake`), and processes them in **mapped tasks of up to
32 files** (`process_batch`): each file is read → normalised → validated with the Great
Expectations suites in `expectations/` → staged with every row's verdict, alone; the
batch shares one ledger read, one validation (GX runs over all its files' rows, the
results cut per file), one ledger write and one Data Docs build (its pages;
`check_all_processed` rewrites the site index once per run). A broken file is
rejected (bad input) or fails (infrastructure) alone: the others are recorded, then
the task fails naming it and its retry processes the batch again (idempotent).

When anything changed, it emits the `sentra_staged_submissions` asset with the census
year, which triggers `census_consolidate`.

**Owner:** {OWNER}. **Runs** daily during a round; trigger manually with
`census_year` to (re)process a given year.

**When it fails:** open the failed `process_batch` instance; its log names the
file (and the row and column where the data is at fault). Infrastructure faults are
retried; fix the cause and clear the task — reprocessing is idempotent. A rejected
*file* is not a failure: it is recorded on the submission and reported to the office.
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
    def discover(census_year: int) -> list[list[str]]:
        from sentra.tasks import ingest

        return ingest.discover_batches(census_year)

    @task(pool="sentra_ingest", max_active_tis_per_dagrun=INGEST_PARALLEL)
    def process_batch(submission_ids: list[str]) -> list[dict]:
        from sentra.tasks import ingest

        # pages only: check_all_processed rewrites the Data Docs index once per run
        return ingest.process_batch(submission_ids, data_docs_index=False)

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
    processed = process_batch.expand(submission_ids=submissions)
    processed >> [announce_staged(year), check_all_processed(year)]


census_ingest()
