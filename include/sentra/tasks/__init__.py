"""What the Airflow tasks call: one module per DAG, small identifiers in and out.

    sentra.tasks.ingest       census_ingest       prepare, discover, process_submission, ...
    sentra.tasks.consolidate  census_consolidate  consolidate → audit → publish
    sentra.tasks.reports      census_reports      send_reports
    sentra.tasks.round        census_round        advance_day
    sentra.tasks.review       census_review       review_questions, apply_*_answer, announce

DAG files call these functions and nothing deeper, so the order of the stages and their
bookkeeping live in one place. Every function takes an optional ``settings`` (tests pass
their own) and is idempotent for its census year / submission: a rerun converges to the
same ledger and warehouse state and sends nothing twice. Nothing here needs Airflow.
"""
