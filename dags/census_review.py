"""census_review: a person approves or returns held submissions, judges uncertain pairs and
confirms sentra about to be declared inactive."""

from __future__ import annotations

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param, dag, task

from sentra.assets import STAGED_SUBMISSIONS, WAREHOUSE_PUBLICATION
from sentra.orchestration import OWNER, TAGS, census_year_param, census_years_task, dag_settings

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
`census_consolidate` (asset `sentra_staged_submissions`). Runs after each ingest and
each publication; a run with nothing to decide finishes at once.

**Owner:** {OWNER}. Reviewers: the central office's data stewards.

**When it fails:** `apply_*` fails only on a bad answer (e.g. a return without a
comment) or a mail error; answer again in a new run (the question is asked again
because nothing was recorded), or fix `smtp_default` and clear the task.
"""

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
    **dag_settings(),
)
def census_review() -> None:
    years = census_years_task(STAGED_SUBMISSIONS, WAREHOUSE_PUBLICATION)()

    @task
    def held_submissions(census_years: list[int]) -> list[dict]:
        from sentra.tasks.review import review_questions

        return review_questions(census_years)["submissions"]

    @task
    def pair_batches(census_years: list[int]) -> list[dict]:
        from sentra.tasks.review import review_questions

        return review_questions(census_years)["pairs"]

    @task
    def submission_question(held: dict) -> dict:
        from sentra.tasks.review import submission_question

        return submission_question(held)

    @task
    def pair_question(batch: dict) -> dict:
        from sentra.tasks.review import pair_question

        return pair_question(batch)

    @task
    def inactive_batches(census_years: list[int]) -> list[dict]:
        from sentra.tasks.review import review_questions

        return review_questions(census_years)["inactive"]

    @task
    def inactive_question(batch: dict) -> dict:
        from sentra.tasks.review import inactive_question

        return inactive_question(batch)

    held = held_submissions(years)
    batches = pair_batches(years)
    dying = inactive_batches(years)
    review_submission = HITLOperator.partial(
        task_id="review_submission",
        options=["Setujui", "Kembalikan ke dinas"],
        params=COMMENT,
    ).expand_kwargs(submission_question.expand(held=held))
    review_pairs = HITLOperator.partial(task_id="review_pairs", multiple=True).expand_kwargs(
        pair_question.expand(batch=batches)
    )
    review_inactive = HITLOperator.partial(task_id="review_inactive", multiple=True).expand_kwargs(
        inactive_question.expand(batch=dying)
    )

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

    @task(trigger_rule="none_failed", outlets=[STAGED_SUBMISSIONS])
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
        outlet_events[STAGED_SUBMISSIONS].extra = {
            "census_year": max(changed),
            "census_years": changed,
        }
        return changed

    applied = apply_submission.expand(item=held.zip(review_submission.output))
    decided = apply_pairs.expand(item=batches.zip(review_pairs.output))
    kept = apply_inactive.expand(item=dying.zip(review_inactive.output))
    announce(applied, decided, kept)


census_review()
