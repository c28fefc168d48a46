"""census_round: the yearly re-census calendar — open, prefilled forms, reminders, close."""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from sentra.assets import ROUND_CLOSED
from sentra.orchestration import OWNER, TAGS, dag_settings

DOC_MD = f"""
# census_round

The yearly re-census, as a calendar the DAG walks every day. Each run does what the
round's calendar asks for on its day, and nothing twice:

- **open** (from the open date): the round is recorded in the ledger;
- **forms**: every active office in the directory gets, once per round, an XLSX form
  prefilled with the registered sentra of its area (ID locked, last known values,
  status dropdown, validation, a sheet for new sentra, instructions in Bahasa
  Indonesia) by e-mail and in its landing folder;
- **reminders**: on the reminder days before the deadline (`SENTRA_ROUND_REMINDER_DAYS`),
  offices whose area nobody has submitted for are reminded, once per reminder day;
- **close** (from the deadline): the round is closed and `sentra_round_closed` triggers
  the final `census_consolidate` (and through it `census_reports`).

Why daily rather than one yearly run that sleeps: a changed deadline, a restarted
scheduler or a missed day are all picked up by the next day's run, and no worker slot
or trigger waits for months.

**Scheduling the year:** set `SENTRA_ROUND_OPEN` / `SENTRA_ROUND_DEADLINE` (month-day)
once, or trigger this DAG with `census_year`, `open_date` and `deadline` to open a
round with its own dates (the ledger remembers them; later daily runs follow them).
Trigger again with a new `deadline` to extend a round, even after it closed.

**Owner:** {OWNER}.

**When it fails:** a form or reminder that could not be sent is in the delivery ledger
with its SMTP error (`sentra round status`); fix mail (connection `smtp_default`) and
clear the task: only what was not sent is sent.
"""


@dag(
    dag_id="census_round",
    schedule="@daily",
    tags=TAGS["round"],
    doc_md=DOC_MD,
    params={
        "census_year": Param(
            None,
            type=["null", "integer"],
            description="Census year (default: the run's logical date, in Asia/Jakarta)",
        ),
        "open_date": Param(
            None,
            type=["null", "string"],
            format="date",
            description="First day of the round (default: SENTRA_ROUND_OPEN or as opened)",
        ),
        "deadline": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Submission deadline (default: SENTRA_ROUND_DEADLINE or as opened)",
        ),
    },
    **dag_settings(),
)
def census_round() -> None:
    @task
    def advance_round(params: dict | None = None, **context) -> dict:
        from sentra.orchestration import run_moment
        from sentra.tasks.round import advance_day

        return advance_day(params or {}, run_moment(context))

    @task(outlets=[ROUND_CLOSED])
    def announce_close(day: dict, *, outlet_events=None) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        if not day["closed_now"]:
            # Skipped on every other day: the asset event is the round's closing only.
            raise AirflowSkipException(f"census {day['census_year']}: round is {day['state']}")
        outlet_events[ROUND_CLOSED].extra = {"census_year": day["census_year"]}
        return day

    announce_close(advance_round())


census_round()
