"""census_review end to end: held files asked in Airflow, answered through Airflow's API.

``dag.test()`` runs the DAG in one process and parks each human-in-the-loop task in
``awaiting_input``; a second process answers the way the UI's *Required Actions* page
does, through the public REST API (``PATCH …/hitlDetails``) of Airflow's own FastAPI
app on the same metadata database. The first held file is approved, the others are
returned with a comment; of the sentra about to be declared inactive, the first is
kept open and the rest confirmed. Then: the approved one is consolidatable, each
returned office got its "pengembalian data" e-mail with the comment, every decision is
in the ledger under the responding user, and the run emitted the asset for
consolidation.
"""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
import textwrap
from email import policy

import pytest
from conftest import POSTGRES_AVAILABLE, throwaway_databases, unique_name

pytestmark = pytest.mark.slow
COMMENT = "Kolom Nilai Produksi berisi teks; isi dengan angka rupiah."

# Both processes use the metadata DB given (PostgreSQL, as in production, when the
# machine has it: two processes writing one SQLite file wait on each other's locks).
USE_DB = textwrap.dedent(
    """
    import os

    def use_metadata_db(url):
        if url != "sqlite":
            os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = url
    """
)

RUN = USE_DB + textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from sentra.runner import configure_airflow, migrate_airflow_db
    home = Path(sys.argv[1])
    configure_airflow(home)
    use_metadata_db(sys.argv[2])
    migrate_airflow_db(home)
    from sentra.runner import run_dag
    result = run_dag("census_review", {"census_year": 2026})
    print(json.dumps({"state": result.state, "tasks": result.task_states}))
    """
)

ANSWER = USE_DB + textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from sentra.runner import configure_airflow
    configure_airflow(Path(sys.argv[1]))
    use_metadata_db(sys.argv[4])
    expected, comment = int(sys.argv[2]), sys.argv[3]
    from fastapi.testclient import TestClient
    from airflow.api_fastapi.app import create_app
    client = TestClient(create_app())
    headers = {"Authorization": "Bearer " + client.get("/auth/token").json()["access_token"]}
    base = "/api/v2/dags/census_review/dagRuns"
    answered, parked, deadline = {}, set(), time.monotonic() + 300
    while len(answered) < expected and time.monotonic() < deadline:
        found = client.get(base + "/~/hitlDetails", headers=headers)
        assert found.status_code == 200, found.text
        seen = set()
        for detail in found.json()["hitl_details"]:
            ti = detail["task_instance"]
            key = (ti["task_id"], ti["map_index"])
            if detail["response_received"] or key in answered:
                continue
            if ti["state"] != "awaiting_input":
                continue
            seen.add(key)
            # dag.test() writes the state its in-process task reported *after* the task
            # parked (TaskInstance.set_state merges the whole row): an answer landing in
            # that instant is overwritten and the task waits forever. A scheduler-run task
            # has no such window; here a task is answered once seen parked on two polls.
            if key not in parked:
                continue
            first = ti["map_index"] == 0
            if ti["task_id"] == "review_submission":
                body = {
                    "chosen_options": ["Setujui" if first else "Kembalikan ke dinas"],
                    "params_input": {"komentar": "" if first else comment},
                }
            elif ti["task_id"] == "review_inactive" and first:  # keep its first sentra
                body = {"chosen_options": detail["options"][:1]}
            else:  # the last option: none (pairs all different, sentra all inactive)
                body = {"chosen_options": detail["options"][-1:]}
            url = f"{base}/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/{ti['map_index']}"
            done = client.patch(url + "/hitlDetails", json=body, headers=headers)
            assert done.status_code == 200, done.text
            answered[key] = done.json()["responded_by"]["name"]
        parked = seen
        time.sleep(0.5)
    print(json.dumps(sorted((k[1], v) for k, v in answered.items())))
    if len(answered) < expected:
        sys.exit(f"answered {len(answered)} of {expected} questions in 300 s")
    """
)


def _task_states(url: str) -> str:
    """The run's task instances as the metadata DB holds them (to explain a stuck run)."""
    if url == "sqlite":
        return "(metadata on SQLite: task states not shown)"
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT task_id, map_index, state FROM task_instance ORDER BY 1, 2")
            ).all()
    finally:
        engine.dispose()
    return "\n".join(f"{task_id}[{index}]: {state}" for task_id, index, state in rows)


@pytest.fixture
def airflow_db():
    """A throwaway PostgreSQL metadata DB, or SQLite (saying so) when the server is absent."""
    if not POSTGRES_AVAILABLE:
        print("census_review test: PostgreSQL absent, Airflow metadata on SQLite")
        yield "sqlite"
        return
    with throwaway_databases(unique_name("sentra_airflow")) as [url]:
        yield url


def test_held_files_are_approved_or_returned_through_airflow(tmp_path, airflow_db):
    from sentra import review
    from sentra.cli.rounds import load_reference
    from sentra.config import get_settings
    from sentra.demo import DemoConfig, prepare_inputs
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission, SubmissionReview
    from sentra.tasks import consolidate as consolidate_tasks
    from sentra.tasks import ingest as ingest_tasks

    data = tmp_path / "data"
    cfg = DemoConfig(data_dir=data, n_sentra=80, seed=21, census_years=(2026,), provinces=("34",))
    prepare_inputs(cfg)
    env_vars = {
        "SENTRA_DATA_DIR": str(data),
        "SENTRA_REJECT_SHARE_THRESHOLD": "0.0",
        "SENTRA_INACTIVE_AFTER_MISSED_ROUNDS": "1",  # one round suffices to ask
    }
    settings = get_settings(env_vars)
    ingest_tasks.prepare(settings)
    load_reference(settings, cfg)
    for sid in ingest_tasks.discover(2026, settings):
        ingest_tasks.process_submission(sid, settings)
    with session_scope(settings) as session:
        held = review.held_submissions(session, 2026)
    assert len(held) >= 2, "files with rejected rows are held at a zero threshold"
    consolidate_tasks.publish(2026, consolidate_tasks.consolidate(2026, settings), settings)
    with session_scope(settings) as session:
        dying = review.inactive_batches(session, settings, 2026)
        pairs = review.pair_batches(session, settings, 2026)
    assert dying, "registered sentra of held or silent offices are about to be declared inactive"
    expected = len(held) + len(pairs) + len(dying)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENTRA_"))}
    env.update(env_vars)
    env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] = "True"
    home = str(tmp_path / "airflow")
    run = subprocess.Popen(
        [sys.executable, "-c", RUN, home, airflow_db],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answer = subprocess.run(
            [sys.executable, "-c", ANSWER, home, str(expected), COMMENT, airflow_db],
            env=env,
            capture_output=True,
            text=True,
            timeout=420,
            check=False,
        )
        assert answer.returncode == 0, answer.stdout[-3000:] + answer.stderr[-3000:]
        try:
            out, err = run.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            run.kill()
            out, err = run.communicate()
            pytest.fail(
                "the DAG run did not finish after every answer:\n"
                f"{_task_states(airflow_db)}\n{answer.stdout[-2000:]}\n{err[-5000:]}"
            )
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, out[-3000:] + err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["state"] == "success", result
    assert set(result["tasks"]) <= {"success", "skipped"}, result
    answered = json.loads(answer.stdout.strip().splitlines()[-1])
    assert len(answered) == expected
    [reviewer] = {name for _, name in answered}

    order = [h.submission_id for h in held]  # the DAG asks in this order (map index)
    with session_scope(settings) as session:
        reviews = {r.submission_id: r for r in session.query(SubmissionReview)}
        statuses = {s.submission_id: s.status for s in session.query(Submission)}
    assert reviews[order[0]].decision == "approve"
    assert statuses[order[0]] == "staged"
    for sid in order[1:]:
        assert (reviews[sid].decision, reviews[sid].comment) == ("return", COMMENT)
        assert statuses[sid] == "needs_review"
    assert {r.decided_by for r in reviews.values()} == {reviewer}

    returned = {h.file_name for h in held[1:]}
    mailed = set()
    for path in settings.outbox_dir.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if "Pengembalian data" in str(msg["Subject"]):
            assert COMMENT in msg.get_body(preferencelist=("plain",)).get_content()
            mailed |= {name for name in returned if name in str(msg["Subject"])}
    assert mailed == returned
    with session_scope(settings) as session:
        assert review.held_submissions(session, 2026) == [], "nothing is asked twice"

    from sentra.ledger import repository as repo

    with session_scope(settings) as session:
        kept = repo.load_status_reviews(session, 2026).set_index("sentra_id")
    asked = [s["sentra_id"] for batch in dying for s in batch["sentra"]]
    assert sorted(kept.index) == sorted(asked)
    assert kept.loc[asked[0], "decision"] == "keep_open"
    assert set(kept.loc[asked[1:], "decision"]) <= {"inactive"}
    assert set(kept["decided_by"]) == {reviewer}
    with session_scope(settings) as session:
        assert review.inactive_batches(session, settings, 2026) == []
