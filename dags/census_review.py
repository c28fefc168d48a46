"""census_review: a person approves or returns held submissions, judges uncertain pairs and
confirms sentra about to be declared inactive."""

from __future__ import annotations

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import ExceptionRetryPolicy, Param, RetryAction, RetryRule, dag, task

from sentra.assets import REVIEW_DECISIONS, STAGED_SUBMISSIONS, WAREHOUSE_PUBLICATION
from sentra.orchestration import (
    OWNER,
    TAGS,
    census_year_param,
    census_years_task,
    dag_settings,
    review_expiry,
)

DOC_MD = f"""
# census_review

The decisions only a person can make, asked in Airflow's **Required Actions** (human in
the loop), one task per question:

- **Held submissions** (more than `SENTRA_REJECT_SHARE_THRESHOLD` of rows rejected):
  *Setujui* (its accepted rows are consolidated) or *Kembalikan ke dinas* with a
  comment (the office is e-mailed a "pengembalian data" with it, exactly once).
- **Uncertain duplicate pairs** (between the two matching thresholds), in batches of
  20: tick the pairs that are the same sentra; the others are recorded as different.
- **Sentra about to be declared inactive** (unreported for
  `SENTRA_INACTIVE_AFTER_MISSED_ROUNDS` rounds), in batches of 20: tick those known to
  be still there; they stay *not reported* this round (`status_kept_by_reviewer`) and
  are asked about again if the next round misses them too. The others are confirmed.

Every answer is written to the ledger with the responding user and time
(`submission_review`, `match_decision`, `status_review`) and respected by every later
run and round. Approvals, pair decisions and kept sentra then trigger
`census_consolidate` (asset `sentra_review_decisions`). Runs after each ingest and
each publication; the questions are computed once per run; a run with nothing to
decide finishes at once. A question unanswered for `SENTRA_REVIEW_EXPIRY_DAYS` (default
7) expires: its task fails, the engineers are mailed, nothing is recorded, and the next
run asks it again.

**Owner:** {OWNER}. Reviewers: the central office's data stewards.

**When it fails:** `apply_*` fails only on a bad answer (e.g. a return without a
comment) or a mail error; answer again in a new run (the question is asked again
because nothing was recorded), or fix `smtp_default` and clear the task.
"""

# An expired question is not retried: a retry would only ask it again at once and
# keep the run (and every run queued behind it) waiting another expiry period.
EXPIRY_POLICY = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception="airflow.providers.standard.exceptions.HITLTimeoutError",
            action=RetryAction.FAIL,
        )
    ]
)

COMMENT = {
    "komentar": Param(
        "",
        type="string",
        title="Komentar untuk dinas",
        description="Wajib bila dikembalikan: apa yang harus diperbaiki.",
    )
}


@dag(
    dag_id="census_review",
    schedule=STAGED_SUBMISSIONS | WAREHOUSE_PUBLICATION,
    tags=TAGS["review"],
    doc_md=DOC_MD,
    params=census_year_param("the asset events"),
    **dag_settings("review"),
)
def census_review() -> None:
    years = census_years_task(STAGED_SUBMISSIONS, WAREHOUSE_PUBLICATION)()

    @task
    def questions(census_years: list[int]) -> dict[str, list[dict]]:
        from sentra.tasks.review import review_questions

        return review_questions(census_years)

    # Airflow maps over a task's whole return value only: one cheap pick per kind.
    @task
    def held_submissions(asked: dict[str, list[dict]]) -> list[dict]:
        return asked["submissions"]

    @task
    def pair_batches(asked: dict[str, list[dict]]) -> list[dict]:
        return asked["pairs"]

    @task
    def inactive_batches(asked: dict[str, list[dict]]) -> list[dict]:
        return asked["inactive"]

    @task
    def submission_question(held: dict) -> dict:
        from sentra.tasks.review import submission_question

        return submission_question(held)

    @task
    def pair_question(batch: dict) -> dict:
        from sentra.tasks.review import pair_question

        return pair_question(batch)

    @task
    def inactive_question(batch: dict) -> dict:
        from sentra.tasks.review import inactive_question

        return inactive_question(batch)

    asked = questions(years)  # computed once, with one scan of the warehouse and ledger
    held, batches, dying = held_submissions(asked), pair_batches(asked), inactive_batches(asked)
    # A question unanswered for SENTRA_REVIEW_EXPIRY_DAYS expires: its task fails (the
    # engineers are mailed), nothing is recorded, and the next run asks it again.
    waits = {"response_timeout": review_expiry(), "retry_policy": EXPIRY_POLICY}
    review_submission = HITLOperator.partial(
        task_id="review_submission",
        options=["Setujui", "Kembalikan ke dinas"],
        params=COMMENT,
        **waits,
    ).expand_kwargs(submission_question.expand(held=held))
    review_pairs = HITLOperator.partial(
        task_id="review_pairs", multiple=True, **waits
    ).expand_kwargs(pair_question.expand(batch=batches))
    review_inactive = HITLOperator.partial(
        task_id="review_inactive", multiple=True, **waits
    ).expand_kwargs(inactive_question.expand(batch=dying))

    @task
    def apply_submission(item: tuple[dict, dict]) -> dict:
        from sentra.tasks.review import apply_submission_answer

        held, answer = item
        return apply_submission_answer(held, answer)

    @task
    def apply_pairs(item: tuple[dict, dict]) -> dict:
        from sentra.tasks.review import apply_pairs_answer

        batch, answer = item
        return apply_pairs_answer(batch, answer)

    @task
    def apply_inactive(item: tuple[dict, dict]) -> dict:
        from sentra.tasks.review import apply_inactive_answer

        batch, answer = item
        return apply_inactive_answer(batch, answer)

    @task(trigger_rule="none_failed", outlets=[REVIEW_DECISIONS])
    def announce(
        submissions: list[dict] | None,
        pairs: list[dict] | None,
        inactive: list[dict] | None,
        *,
        outlet_events=None,
    ) -> list[int]:
        from airflow.sdk.exceptions import AirflowSkipException

        from sentra.tasks.review import years_to_consolidate

        changed = years_to_consolidate(
            list(submissions or []), list(pairs or []), list(inactive or [])
        )
        if not changed:
            raise AirflowSkipException("no decision changes what is consolidated")
        outlet_events[REVIEW_DECISIONS].extra = {
            "census_year": max(changed),
            "census_years": changed,
        }
        return changed

    applied = apply_submission.expand(item=held.zip(review_submission.output))
    decided = apply_pairs.expand(item=batches.zip(review_pairs.output))
    kept = apply_inactive.expand(item=dying.zip(review_inactive.output))
    announce(applied, decided, kept)


census_review()
